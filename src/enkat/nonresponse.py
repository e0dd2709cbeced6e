"""Nonresponse analysis: response rates, a test of independence, R-indicators.

The handler survey is a census of the frame, so who answered is known per office type and
region; a logistic response-propensity model on frame variables gives the R-indicator
R = 1 - 2 S(rho) and the partial R-indicators of Schouten, Shlomo and Skinner (2011)
(building on Schouten, Cobben and Bethlehem 2009). The customer survey has no frame: its
responses are set against the visits of the same offices and waves. See docs/methods.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from enkat.errors import EnkatError
from enkat.tables import write_csv

TOTAL = "Totalt"
RATE_COLUMNS = ["variable", "group", "N", "n", "response_rate"]
TEST_COLUMNS = ["variable", "test", "statistic", "df", "p_value", "cramers_v"]
INDICATOR_COLUMNS = ["indicator", "variable", "category", "value"]
CUSTOMER_COLUMNS = [
    "wave",
    "variable",
    "group",
    "offices",
    "visits",
    "visits_all_offices",
    "n",
    "responses_per_visit",
]


def response_indicator(frame: pd.DataFrame, respondents: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Who in the frame answered, by person id; by office when ids do not link.

    Returns the 0/1 indicator per frame row and `"person"` or `"office"` (the latter
    spreads each office's respondents over its frame rows: rates stay exact, the model
    then sees only office-level variables).
    """
    ids = respondents["respondent_id"].astype(str)
    linked = frame["person_id"].astype(str).isin(ids)
    if linked.sum() == len(respondents):
        return linked.to_numpy(dtype=float), "person"
    counts = respondents["office_id"].astype(str).value_counts()
    offices = frame["office_id"].astype(str)
    rank = offices.groupby(offices).cumcount()
    answered = rank < offices.map(counts).fillna(0)
    return answered.to_numpy(dtype=float), "office"


def response_rates(
    frame: pd.DataFrame,
    responded: np.ndarray,
    variables: Sequence[str],
    orders: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """Frame size, respondents and response rate per group of each variable, and in total."""
    blocks = []
    for var in variables:
        grouped = pd.DataFrame({"g": frame[var].astype(str), "r": responded}).groupby("g")["r"]
        block = pd.DataFrame({"N": grouped.size(), "n": grouped.sum()})
        order = [g for g in orders.get(var, []) if g in block.index]
        block = block.reindex(order + sorted(set(block.index) - set(order)))
        blocks.append(block.rename_axis("group").reset_index().assign(variable=var))
    blocks.append(
        pd.DataFrame(
            {"variable": [""], "group": [TOTAL], "N": [len(frame)], "n": [float(responded.sum())]}
        )
    )
    out = pd.concat(blocks, ignore_index=True)
    out["n"] = out["n"].astype(np.int64)
    out["response_rate"] = out["n"] / out["N"]
    return out[RATE_COLUMNS]


def independence_tests(rates: pd.DataFrame) -> pd.DataFrame:
    """Pearson chi-square of responded x group for each variable, with Cramér's V."""
    rows = []
    for var, block in rates[rates["variable"] != ""].groupby("variable", sort=False):
        table = np.column_stack([block["n"], block["N"] - block["n"]]).astype(float)
        table = table[table.sum(axis=1) > 0]
        if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
            rows.append(
                {
                    "variable": var,
                    "test": "pearson_chisq",
                    "statistic": np.nan,
                    "df": np.nan,
                    "p_value": np.nan,
                    "cramers_v": np.nan,
                }
            )
            continue
        chi2, p, df, _ = stats.chi2_contingency(table, correction=False)
        v = np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))
        rows.append(
            {
                "variable": var,
                "test": "pearson_chisq",
                "statistic": chi2,
                "df": df,
                "p_value": p,
                "cramers_v": v,
            }
        )
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def model_matrix(frame: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Intercept, numeric variables as they are, others as treatment dummies (sorted levels)."""
    parts = [pd.Series(1.0, index=frame.index, name="const")]
    for var in variables:
        numeric = pd.to_numeric(frame[var], errors="coerce")
        if numeric.notna().all():
            parts.append(numeric.astype(float).rename(var))
        elif frame[var].isna().any():
            raise EnkatError(
                "a frame variable of the response model has missing values",
                column=var,
                expected="a value for every person in the frame",
                hint="leave the variable out of sources.frame.variables",
            )
        else:
            dummies = pd.get_dummies(
                frame[var].astype(str), prefix=var, prefix_sep="=", drop_first=True, dtype=float
            )
            parts.append(dummies)
    return pd.concat(parts, axis=1)


def propensities(
    frame: pd.DataFrame, responded: np.ndarray, variables: Sequence[str]
) -> np.ndarray:
    """Fitted response propensities of a logistic model (statsmodels GLM, binomial)."""
    X = model_matrix(frame, variables)
    fit = sm.GLM(responded, X, family=sm.families.Binomial()).fit()
    return np.asarray(fit.fittedvalues, dtype=float)


def partial_categories(
    frame: pd.DataFrame, variables: Sequence[str], bins: int = 4
) -> pd.DataFrame:
    """Variables as categories for partial indicators: numeric ones cut at quartiles."""
    out = {}
    for var in variables:
        numeric = pd.to_numeric(frame[var], errors="coerce")
        if numeric.notna().all() and numeric.nunique() > bins:
            out[var] = pd.qcut(numeric, bins, duplicates="drop").astype(str)
        else:
            out[var] = frame[var].astype(str)
    return pd.DataFrame(out, index=frame.index)


def r_indicators(rho: np.ndarray, categories: pd.DataFrame) -> pd.DataFrame:
    """R-indicator, CV of propensities and unconditional/conditional partial R-indicators.

    With N - 1 in every variance: S² = sum (rho - mean)² / (N - 1); the unconditional
    partial of Z is the between-category SD of rho over Z's categories, the conditional one
    the within-cell SD over cells of all other variables (Schouten et al. 2011).
    """
    N = rho.size
    mean = rho.mean()
    S = float(np.sqrt(((rho - mean) ** 2).sum() / (N - 1)))
    rows = [
        ("R", "", "", 1 - 2 * S),
        ("S", "", "", S),
        ("mean_propensity", "", "", mean),
        ("CV", "", "", S / mean),
    ]
    series = pd.Series(rho, index=categories.index)
    for var in categories.columns:
        by = series.groupby(categories[var])
        n_k, m_k = by.size(), by.mean()
        unc = np.sqrt(n_k / (N - 1)) * (m_k - mean)
        rows.append(("partial_unconditional", var, "", float(np.sqrt((unc**2).sum()))))
        rows += [("partial_unconditional", var, str(k), float(v)) for k, v in unc.items()]
        others = [c for c in categories.columns if c != var]
        if others:
            cell_mean = series.groupby([categories[c] for c in others]).transform("mean")
            within = (series - cell_mean) ** 2
            con = np.sqrt(within.groupby(categories[var]).sum() / (N - 1))
            rows.append(("partial_conditional", var, "", float(np.sqrt(within.sum() / (N - 1)))))
            rows += [("partial_conditional", var, str(k), float(v)) for k, v in con.items()]
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def customer_response(
    customers: pd.DataFrame,
    visits: pd.DataFrame,
    by: Sequence[str] = ("office_type",),
    orders: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Responses per visit by wave and each register variable of `by` (config
    `nonresponse.customers.by`), against the visits of the offices that took part in that
    wave (and, for reference, of every office in the group).

    An office counts as surveyed in a wave when answers came from it, so visits at offices
    that were not surveyed do not dilute the rate. Groups follow `orders` (config order of
    office types and regions), other values sorted.
    """
    orders = orders or {}
    resp = customers.assign(
        wave=customers["wave"].astype(str), office_id=customers["office_id"].astype(str)
    )
    vis = visits.assign(wave=visits["wave"].astype(str), office_id=visits["office_id"].astype(str))
    taking_part = resp[["wave", "office_id"]].drop_duplicates()
    sampled = vis.merge(taking_part, on=["wave", "office_id"])
    blocks = [_customer_block(resp, vis, sampled, var, orders.get(var, [])) for var in by]
    blocks.append(_customer_block(resp, vis, sampled, None, []))
    out = pd.concat(blocks, ignore_index=True)
    out["_block"] = np.repeat(np.arange(len(blocks)), [len(b) for b in blocks])
    out = out.sort_values(["wave", "_block"], kind="stable").drop(columns="_block")
    for col in ("offices", "n"):
        out[col] = out[col].astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["responses_per_visit"] = out["n"] / out["visits"].where(out["visits"] > 0)
    return out[CUSTOMER_COLUMNS].reset_index(drop=True)


def _customer_block(
    resp: pd.DataFrame,
    vis: pd.DataFrame,
    sampled: pd.DataFrame,
    var: str | None,
    order: Sequence[str],
) -> pd.DataFrame:
    """One variable's groups per wave (or, with `var` None, the wave's total)."""
    keys = ["wave"] if var is None else ["wave", var]
    if var is not None:
        # The respondents' group is the one their office has in the visits register.
        office_group = vis[["wave", "office_id", var]].drop_duplicates(["wave", "office_id"])
        resp = resp[["wave", "office_id"]].merge(office_group, on=["wave", "office_id"], how="left")
        resp[var] = resp[var].astype(str)
        sampled = sampled.assign(**{var: sampled[var].astype(str)})
        vis = vis.assign(**{var: vis[var].astype(str)})
    n = resp.groupby(keys).size().rename("n")
    part = sampled.groupby(keys).agg(offices=("office_id", "nunique"), visits=("visits", "sum"))
    every = vis.groupby(keys)["visits"].sum().rename("visits_all_offices")
    out = part.join(every, how="left").join(n, how="outer").fillna(0).reset_index()
    if var is None:
        return out.assign(variable="", group=TOTAL)
    out = out.rename(columns={var: "group"}).assign(variable=var)
    rank = {g: i for i, g in enumerate(order)}
    out["_r"] = out["group"].map(rank).fillna(len(rank))
    return out.sort_values(["wave", "_r", "group"]).drop(columns="_r")


def write_handler_nonresponse(
    frame_path: str | Path,
    handlers_path: str | Path,
    frame_variables: Sequence[str],
    orders: Mapping[str, Sequence[str]],
    rates_out: str | Path,
    tests_out: str | Path,
    indicators_out: str | Path,
    by: Sequence[str] = ("office_type", "region"),
) -> None:
    """Pipeline step: response rates, tests and R-indicators of the handler census, by the
    frame and register variables of config `nonresponse.handlers.by`."""
    frame = pd.read_parquet(frame_path)
    handlers = pd.read_parquet(handlers_path, columns=["respondent_id", "office_id"])
    responded, link = response_indicator(frame, handlers)
    personal = [v for v in by if v in frame_variables]
    if personal and link != "person":
        raise EnkatError(
            "the answers do not link to the frame by person id, so response rates cannot be "
            f"broken down by the frame variable(s) {', '.join(personal)}",
            file=handlers_path,
            key="nonresponse.handlers.by",
            value=list(by),
            expected="register variables only (office_type, region, area) when ids do not link",
        )
    rates = response_rates(frame, responded, list(by), orders)
    write_csv(rates, rates_out)
    write_csv(independence_tests(rates), tests_out)
    model_vars = [v for v in by if v not in frame_variables]
    if link == "person":
        model_vars += [v for v in frame_variables if v in frame.columns]
    rho = propensities(frame, responded, model_vars)
    indicators = r_indicators(rho, partial_categories(frame, model_vars))
    indicators.insert(0, "link", link)
    write_csv(indicators, indicators_out)


def write_customer_nonresponse(
    customers_path: str | Path,
    visits_path: str | Path,
    orders: Mapping[str, Sequence[str]],
    out: str | Path,
    by: Sequence[str] = ("office_type",),
) -> None:
    """Pipeline step: customer responses relative to visits per wave and register variable."""
    customers = pd.read_parquet(customers_path, columns=["office_id", "wave"])
    columns = list(dict.fromkeys(["office_id", "wave", "visits", *by]))
    visits = pd.read_parquet(visits_path, columns=columns)
    write_csv(customer_response(customers, visits, by, orders), out)
