"""Figures for the report: deterministic SVG (the HTML) and PNG (the PDF, rasterised at print
resolution) plus a text description drawn from the data.

matplotlib is used because it writes byte-stable SVG once the hash salt and metadata are
fixed, and because its text can be emitted as paths: the PDF then looks the same whatever
fonts the reader's machine has (DejaVu Sans covers å, ä, ö, the no-break space and U+2212).

Figure kinds (catalogue `figure:`):
- `stacked`: one horizontal 100 % bar per grid row (agency, action) with the answer
  categories in scale order (ColorBrewer RdBu, colour-blind safe); for a register table
  (T13) one bar per agency with the errand solutions (Okabe-Ito, nominal).
- `bars`: one bar per answer with its confidence interval; by-tables get one bar per group
  beside the total (Okabe-Ito).
- `dotplot`: cost per visit per office by office type on a log scale (T11).

Suppressed cells are not drawn (their place shows '..') and never enter the description.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from enkat import fmt
from enkat.analysis_files import read_estimates
from enkat.errors import EnkatError
from enkat.register_tables import read_register_table
from enkat.suppression import TOTAL

WIDTH_IN = 6.3  # the PDF's text width (16 cm): drawn at 100 %, fonts stay at 8 pt
TITLE_PT = 9
DEMO_PT = 7
EDGE = 0.005  # figure-fraction margin of the title and the demo note
RC: dict[str, Any] = {
    "svg.hashsalt": "enkat",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "figure.titlesize": TITLE_PT,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": True,
    "path.simplify": False,
}
SVG_METADATA = {"Date": None, "Creator": None}
# The PDF's raster figures: the report prints a figure 6.3 in wide at 78 % of the 172 mm text
# width (style.css), 5.28 in, so 260 dpi of the figure's own size prints at 310 dpi, print
# resolution; more pixels only cost WeasyPrint time (it re-encodes every image) and PDF size.
PNG_DPI = 260
DEMO_NOTE = "Exempeldata"
DEMO_SENTENCE = "Figuren bygger på exempeldata (syntetiska uppgifter)."
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
TOTAL_COLOUR = "#595959"
# ColorBrewer RdBu, reversed so that the first (most positive) answer is dark blue; the
# neutral middle is a mid grey instead of near-white so that it shows on white paper and
# stays apart from the light blue and light red beside it under deuteranopia.
NEUTRAL = "#a6a6a6"
RDBU = {
    2: ["#0571b0", "#ca0020"],
    3: ["#67a9cf", "#cccccc", "#ef8a62"],
    4: ["#0571b0", "#92c5de", "#f4a582", "#ca0020"],
    5: ["#0571b0", "#92c5de", NEUTRAL, "#f4a582", "#ca0020"],
    6: ["#2166ac", "#67a9cf", "#d1e5f0", "#fddbc7", "#ef8a62", "#b2182b"],
    7: ["#2166ac", "#67a9cf", "#d1e5f0", NEUTRAL, "#fddbc7", "#ef8a62", "#b2182b"],
}
# Okabe-Ito in an order whose neighbours stay far apart under deuteranopia (Machado 2009
# simulation, CIELAB distance >= 70 between adjacent segments; tests/test_figures_cvd.py):
# in the plain order green and reddish purple meet and look alike to a deuteranope.
NOMINAL_ORDER = [
    "#0072B2",
    "#D55E00",
    "#56B4E9",
    "#E69F00",
    "#CC79A7",
    "#F0E442",
    "#009E73",
    "#000000",
]
CHOSEN = "Vald"


def _wrap(text: str, width: int) -> str:
    """Wrap at spaces, but never inside a number with a digit-group space ("30 000")."""
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", fmt.NBSP, text)
    return "\n".join(textwrap.wrap(text, width)) or text


def _text_width(text: str, size: float, weight: str = "normal", style: str = "normal") -> float:
    """Width in points of a line of text as drawn (DejaVu Sans, as in the SVG)."""
    font = FontProperties(family="DejaVu Sans", size=size, weight=weight, style=style)
    return float(TextPath((0, 0), text, prop=font).get_extents().width)


def _wrap_title(title: str, width_pt: float) -> str:
    """Break a title into lines that fit `width_pt` at the title's size and weight."""
    words = re.sub(r"(?<=\d) (?=\d{3}\b)", fmt.NBSP, title).split(" ")
    lines, line = [], ""
    for word in words:
        trial = f"{line} {word}" if line else word
        if line and _text_width(trial, TITLE_PT, "bold") > width_pt:
            lines.append(line)
            line = word
        else:
            line = trial
    return "\n".join([*lines, line])


def _percent_axis(ax: Axes, limit: float = 1.0) -> None:
    ax.set_xlim(0, limit)
    ticks = np.arange(0, limit + 1e-9, 0.25 if limit >= 0.75 else 0.1)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt.percent(x, 0)))


def _text_colour(hex_colour: str) -> str:
    """Black or white label on a fill, whichever contrasts more (WCAG relative luminance)."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return "black" if luminance > 0.18 else "white"


def _stacked_bars(
    ax: Axes, y: np.ndarray, wide: pd.DataFrame, categories: list[str], colours: list[str]
) -> None:
    """One stacked horizontal bar per row of `wide` (shares 0-1), labelled where wide enough."""
    left = np.zeros(len(y))
    for colour, category in zip(colours, categories, strict=True):
        widths = wide[category].fillna(0).to_numpy()
        ax.barh(
            y,
            widths,
            left=left,
            color=colour,
            edgecolor="white",
            linewidth=0.5,
            label=category,
            height=0.7,
        )
        for yi, (x0, w) in enumerate(zip(left, widths, strict=True)):
            if w >= 0.06:
                ax.text(
                    x0 + w / 2,
                    yi,
                    fmt.number(w * 100, 0),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=_text_colour(colour),
                )
        left += widths


def ordinal_palette(n: int) -> list[str]:
    """n colours for ordered answer categories (diverging, colour-blind safe)."""
    if n in RDBU:
        return RDBU[n]
    if n == 1:
        return [RDBU[2][0]]
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


def nominal_palette(n: int) -> list[str]:
    """n colours for unordered categories (Okabe-Ito; repeats past eight)."""
    return [NOMINAL_ORDER[i % len(NOMINAL_ORDER)] for i in range(n)]


def _new_figure(title: str, height: float, demo: bool) -> tuple[Figure, Axes]:
    """A figure at the PDF's text width, the title flush with the figure's left edge.

    The title is a left-aligned suptitle (an axes title starts at the axes and runs off
    the right edge when the row labels are long), wrapped to the width it may use; the
    demo note sits at the right end of the title's first line, which is kept clear for it,
    so that it can never sit on tick labels or the legend.
    """
    fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
    ax = fig.add_subplot()
    room = WIDTH_IN * 72 * (1 - 2 * EDGE)
    if demo:
        room -= _text_width(DEMO_NOTE, DEMO_PT, style="italic") + 12
    fig.suptitle(_wrap_title(title, room), x=EDGE, ha="left")
    if demo:
        top = 1 - 3 / (height * 72)  # the suptitle's own offset from the top (h_pad)
        fig.text(
            1 - EDGE,
            top,
            DEMO_NOTE,
            ha="right",
            va="top",
            fontsize=DEMO_PT,
            color="#767676",
            style="italic",
        )
    return fig, ax


def _legend_width(labels: Sequence[str], fontsize: float) -> float:
    """Width in points of a one-row legend (handle, pad and spacing as matplotlib's)."""
    text = sum(_text_width(label, fontsize) for label in labels)
    return text + len(labels) * 2.8 * fontsize + (len(labels) - 1) * 2.0 * fontsize


def _legend(fig: Figure, ax: Axes, fontsize: float = 7) -> None:
    """A legend under the plot that reads left to right, top to bottom, in scale order.

    matplotlib fills legend columns top to bottom; the entries are re-ordered so that the
    rows read in the categories' order, and as many columns are used as fit the width.
    """
    handles, labels = ax.get_legend_handles_labels()
    n = len(labels)
    ncols = n
    while ncols > 1 and _legend_width(labels[:ncols], fontsize) > 0.95 * WIDTH_IN * 72:
        ncols -= 1
    nrows = -(-n // ncols)
    order = [r * ncols + c for c in range(ncols) for r in range(nrows) if r * ncols + c < n]
    fig.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="outside lower center",
        ncols=ncols,
        frameon=False,
        fontsize=fontsize,
    )


def save_svg(fig: Figure, path: str | Path) -> None:
    """Write a figure as SVG with nothing that varies between runs."""
    from enkat.atomic import atomic_path

    with rc_context(RC), atomic_path(path) as tmp:
        fig.savefig(tmp, format="svg", metadata=SVG_METADATA)


def save_png(fig: Figure, path: str | Path, dpi: int = PNG_DPI) -> None:
    """Write a figure as an opaque RGB PNG for the PDF, the same bytes on every run.

    WeasyPrint draws an SVG of path-drawn text glyph by glyph in Python (3 CPU s for the
    demo's 14 figures), but embeds a raster image at once; so the PDF gets the figure
    rasterised here, once, at print resolution, and the HTML keeps the scalable SVG. RGB
    without alpha: no soft mask in the PDF; Pillow writes no time or software chunk, only
    the resolution.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from enkat.atomic import atomic_path

    with rc_context(RC):
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]), mode="RGB")
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG", dpi=(dpi, dpi), compress_level=9)


# --- data shaping ----------------------------------------------------------------------------


def _ordered(values: pd.Series) -> list[str]:
    return list(pd.unique(values))


def bar_rows(totals: pd.DataFrame) -> pd.DataFrame:
    """Rows to draw as bars, each with a display `label`.

    A single variable: one bar per category. Multiple choice: the share choosing each
    option. Several variables otherwise: 'variable: category'.
    """
    variables = _ordered(totals["variable"])
    categories = set(totals["category"])
    if len(variables) > 1 and categories <= {CHOSEN, "Ej vald"}:
        rows = totals[totals["category"] == CHOSEN].copy()
        rows["label"] = rows["variable_label"]
    elif len(variables) == 1:
        rows = totals.copy()
        rows["label"] = rows["category"]
    else:
        rows = totals.copy()
        rows["label"] = rows["variable_label"] + ": " + rows["category"]
    return rows


EMPTY_FIGURE = "Alla uppgifter i figuren är för få för att redovisas."


def _visible(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame["suppressed"] & frame["estimate"].notna()]


def _extremes(shares: pd.Series) -> tuple[str, float, str, float]:
    """Label and value of the largest and the smallest share (first in order on ties)."""
    high, low = shares.idxmax(), shares.idxmin()
    return str(high), float(shares[high]), str(low), float(shares[low])


# --- survey stacked ---------------------------------------------------------------------------


def draw_stacked(estimates: pd.DataFrame, title: str, demo: bool) -> Figure:
    """One 100 % bar per grid row (Totalt), answer categories in scale order."""
    totals = estimates[estimates["group"] == TOTAL]
    bars = _ordered(totals["variable_label"])
    categories = _ordered(totals["category"])
    colours = ordinal_palette(len(categories))
    height = 1.3 + 0.38 * len(bars) + 0.2 * max(0, len(categories) - 4)
    fig, ax = _new_figure(title, height, demo)
    y = np.arange(len(bars))
    wide = totals.pivot_table(
        index="variable_label", columns="category", values="estimate", aggfunc="first", sort=False
    ).reindex(index=bars, columns=categories)
    hidden = totals.groupby("variable_label", sort=False)["suppressed"].any().reindex(bars)
    wide[hidden.to_numpy()] = np.nan
    _stacked_bars(ax, y, wide, categories, colours)
    for yi in np.flatnonzero(hidden.to_numpy()):
        ax.text(0.01, yi, fmt.SUPPRESSED, va="center", fontsize=8)
    ax.set_yticks(y, [_wrap(b, 32) for b in bars])
    ax.invert_yaxis()
    _percent_axis(ax)
    ax.tick_params(axis="y", length=0)
    _legend(fig, ax)
    return fig


def describe_stacked(estimates: pd.DataFrame) -> str:
    """Where the first and the last answer category were most and least common."""
    totals = _visible(estimates[estimates["group"] == TOTAL])
    if totals.empty:
        return EMPTY_FIGURE
    categories = _ordered(totals["category"])
    sentences = []
    for category in dict.fromkeys([categories[0], categories[-1]]):
        shares = totals[totals["category"] == category].set_index("variable_label")["estimate"]
        if len(shares) == 1:
            sentences.append(
                f"Andelen som svarat {fmt.quoted(category)} var {fmt.percent(shares.iloc[0])}."
            )
            continue
        high, hv, low, lv = _extremes(shares)
        sentences.append(
            f"Andelen som svarat {fmt.quoted(category)} var högst för {high} "
            f"({fmt.percent(hv)}) och lägst för {low} ({fmt.percent(lv)})."
        )
    return " ".join(sentences)


# --- survey bars ------------------------------------------------------------------------------


def draw_bars(estimates: pd.DataFrame, title: str, demo: bool) -> Figure:
    """Bars with confidence intervals; a by-table shows each group beside the total."""
    # A group with every cell suppressed is not broken out at all.
    shown = estimates.groupby("group", sort=False)["suppressed"].all()
    estimates = estimates[~estimates["group"].map(shown)]
    groups = _ordered(estimates["group"])
    groups = [TOTAL, *[g for g in groups if g != TOTAL]] if TOTAL in groups else groups
    rows = bar_rows(estimates)
    labels = _ordered(rows["label"])
    n_groups = len(groups)
    if n_groups == 0 or not labels:  # every cell suppressed, Totalt too (base below min_base)
        fig, ax = _new_figure(title, 1.6, demo)
        ax.text(0.5, 0.5, EMPTY_FIGURE, ha="center", va="center", fontsize=8)
        ax.set_axis_off()
        return fig
    slot = 0.8 / n_groups
    height = 1.2 + len(labels) * max(0.35, 0.22 * n_groups) + (0.3 if n_groups > 1 else 0)
    fig, ax = _new_figure(title, height, demo)
    colours = [TOTAL_COLOUR, *nominal_palette(n_groups - 1)] if n_groups > 1 else [OKABE_ITO[0]]
    base = np.arange(len(labels), dtype=float)
    upper = float(
        np.nanmax(rows["ci_high"].where(~rows["suppressed"]).to_numpy(dtype=float), initial=0.0)
    )
    limit = min(1.0, max(0.5, np.ceil((upper + 0.12) * 10) / 10))
    for gi, (group, colour) in enumerate(zip(groups, colours, strict=True)):
        part = rows[rows["group"] == group].set_index("label").reindex(labels)
        y = base - 0.4 + slot * (gi + 0.5)
        hidden = part["suppressed"].fillna(True).astype(bool).to_numpy()
        values = np.where(hidden, np.nan, part["estimate"].to_numpy(dtype=float))
        low = values - np.where(hidden, np.nan, part["ci_low"].to_numpy(dtype=float))
        high = np.where(hidden, np.nan, part["ci_high"].to_numpy(dtype=float)) - values
        ax.barh(y, np.nan_to_num(values), height=slot * 0.9, color=colour, label=group)
        ax.errorbar(
            values,
            y,
            xerr=np.vstack([low, high]),
            fmt="none",
            ecolor="black",
            elinewidth=0.7,
            capsize=1.5,
        )
        for yi, v, hi, h in zip(y, values, high, hidden, strict=True):
            text = fmt.SUPPRESSED if h else fmt.percent(v)
            x = 0.005 if h else v + (0 if np.isnan(hi) else hi) + 0.01
            ax.text(x, yi, text, va="center", fontsize=6.5 if n_groups > 1 else 7)
    ax.set_yticks(base, [_wrap(label, 34) for label in labels])
    ax.invert_yaxis()
    ax.tick_params(axis="y", length=0)
    _percent_axis(ax, limit)
    if n_groups > 1:
        _legend(fig, ax)
    return fig


def describe_bars(estimates: pd.DataFrame) -> str:
    """The most and least common answer; for a by-table, the groups that differ most."""
    rows = bar_rows(_visible(estimates))
    totals = rows[rows["group"] == TOTAL].set_index("label")["estimate"]
    if totals.empty:
        return EMPTY_FIGURE
    high, hv, low, lv = _extremes(totals)
    multiple = set(estimates["category"]) <= {CHOSEN, "Ej vald"}
    sentences = [
        f"Vanligast var svaret {fmt.quoted(high)} ({fmt.percent(hv)})"
        + (f" och minst vanligt {fmt.quoted(low)} ({fmt.percent(lv)})." if low != high else ".")
    ]
    if multiple:
        sentences.append("Flera svar var möjliga, så andelarna summerar till mer än 100 procent.")
    others = rows[rows["group"] != TOTAL]
    shares = others[others["label"] == high].set_index("group")["estimate"]
    if len(shares) > 1:
        by = others["group_var"].iloc[0] if "group_var" in others else ""
        name = fmt.group_var_label(str(by)).lower()
        gh, ghv, gl, glv = _extremes(shares)
        sentences.append(
            f"Uppdelat på {name} var andelen {fmt.quoted(high)} högst för {gh} "
            f"({fmt.percent(ghv)}) och lägst för {gl} ({fmt.percent(glv)})."
        )
    return " ".join(sentences)


# --- register figures -------------------------------------------------------------------------


def draw_register_stacked(table: pd.DataFrame, title: str, demo: bool) -> Figure:
    """One 100 % bar per group (agency) with the row categories (solutions), nominal colours."""
    shares = table[(table["measure"] == "share") & (table["row"] != TOTAL)]
    bars = _ordered(shares["group"])
    categories = _ordered(shares["row"])
    wide = (
        shares.pivot_table(
            index="group", columns="row", values="value", aggfunc="first", sort=False
        )
        .reindex(index=bars, columns=categories)
        .fillna(0)
    )
    colours = nominal_palette(len(categories))
    fig, ax = _new_figure(title, 1.5 + 0.4 * len(bars) + 0.15 * len(categories), demo)
    y = np.arange(len(bars))
    _stacked_bars(ax, y, wide, categories, colours)
    ax.set_yticks(y, bars)
    ax.invert_yaxis()
    ax.tick_params(axis="y", length=0)
    _percent_axis(ax)
    _legend(fig, ax)
    return fig


def describe_register_stacked(table: pd.DataFrame) -> str:
    """The category whose share differs most between groups, highest and lowest."""
    shares = table[(table["measure"] == "share") & (table["row"] != TOTAL)]
    if shares.empty:
        return "Figuren saknar uppgifter."
    spread = shares.groupby("row", sort=False)["value"].agg(lambda s: s.max() - s.min())
    category = str(spread.idxmax())
    part = shares[shares["row"] == category].set_index("group")["value"]
    high, hv, low, lv = _extremes(part)
    totals = table[(table["measure"] == "errands") & (table["row"] == TOTAL)]
    count = fmt.number(float(totals["value"].sum()))
    return (
        f"Andelen ärenden som löstes genom {fmt.quoted(category)} skilde sig mest mellan "
        f"myndigheterna: högst för {high} ({fmt.percent(hv)}) och lägst för {low} "
        f"({fmt.percent(lv)}). Underlaget är {count} registrerade ärenden."
    )


SWARM_SLOTS = (0, 1, -1, 2, -2, 3, -3)
SWARM_STEP = 0.07  # rows are 1 apart; three slots either side stay inside the row
SWARM_GAP = 0.022  # decades: dots closer than this on the log axis are set apart


def _swarm_offsets(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Vertical offsets that set apart only dots that would overlap (a deterministic swarm).

    Within a row, dots are placed from the cheapest up; each takes the slot nearest the
    row's centre line that no dot less than SWARM_GAP to its left holds. Unlike a cyclic
    jitter this draws no pattern that could be read as a trend.
    """
    logs = np.log10(values.astype(float))
    offsets = np.zeros(len(logs))
    for row in np.unique(rows):
        index = np.flatnonzero(rows == row)
        near: list[tuple[float, int]] = []  # (log value, slot) of the dots just placed
        for i in index[np.argsort(logs[index], kind="stable")]:
            near = [(x, slot) for x, slot in near if logs[i] - x < SWARM_GAP]
            taken = {slot for _, slot in near}
            free = [slot for slot in SWARM_SLOTS if slot not in taken]
            slot = free[0] if free else SWARM_SLOTS[len(near) % len(SWARM_SLOTS)]
            near.append((logs[i], slot))
            offsets[i] = slot * SWARM_STEP
    return offsets


def _kronor_ticks(low: float, high: float) -> list[float]:
    candidates = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000]
    return [t for t in candidates if low / 1.5 <= t <= high * 1.5]


def draw_dotplot(table: pd.DataFrame, title: str, demo: bool) -> Figure:
    """Cost per visit of every office, one row per office type, log scale."""
    offices = table[(table["block"] == "Per kontor") & (table["measure"] == "cost_per_visit")]
    types = _ordered(offices["group"])
    fig, ax = _new_figure(title, 1.3 + 0.55 * len(types), demo)
    position = offices["group"].map({t: i for i, t in enumerate(types)}).to_numpy()
    y = position + _swarm_offsets(offices["value"].to_numpy(), position)
    colours = nominal_palette(len(types))
    ax.scatter(
        offices["value"],
        y,
        s=14,
        c=[colours[p] for p in position],
        alpha=0.85,
        linewidths=0.3,
        edgecolors="white",
    )
    medians = offices.groupby("group", sort=False)["value"].median().reindex(types)
    ax.scatter(
        medians.to_numpy(),
        np.arange(len(types)),
        marker="|",
        s=260,
        c="black",
        linewidths=1.2,
        label="Median",
    )
    ax.set_xscale("log")
    values = offices["value"].to_numpy(dtype=float)
    if values.size:
        ax.xaxis.set_major_locator(FixedLocator(_kronor_ticks(values.min(), values.max())))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: fmt.kronor(x)))
    ax.set_yticks(np.arange(len(types)), types)
    ax.set_ylim(len(types) - 0.5, -0.5)
    ax.set_xlabel("Kostnad per besök (schablonkostnad / antal besök), logaritmisk skala")
    ax.grid(axis="x", color="#d9d9d9", linewidth=0.5)
    ax.set_axisbelow(True)
    _legend(fig, ax)
    return fig


def describe_dotplot(table: pd.DataFrame) -> str:
    """The overall range of cost per visit and the office types with the widest span."""
    offices = table[(table["block"] == "Per kontor") & (table["measure"] == "cost_per_visit")]
    if offices.empty:
        return "Figuren saknar uppgifter."
    spans = offices.groupby("group", sort=False)["value"].agg(["min", "max"])
    ratio = spans["max"] / spans["min"]
    widest, narrowest = str(ratio.idxmax()), str(ratio.idxmin())

    def span(kind: str) -> str:
        return f"{fmt.number(spans.loc[kind, 'min'])}–{fmt.kronor(spans.loc[kind, 'max'])}"

    return (
        f"Kostnaden per besök för {fmt.number(len(offices))} kontor varierade mellan "
        f"{fmt.kronor(offices['value'].min())} och {fmt.kronor(offices['value'].max())}. "
        f"Spannet var störst för {widest} ({span(widest)}) och minst för "
        f"{narrowest} ({span(narrowest)})."
    )


# --- pipeline step ----------------------------------------------------------------------------

SURVEY_KINDS = {"stacked": (draw_stacked, describe_stacked), "bars": (draw_bars, describe_bars)}
REGISTER_KINDS = {
    "stacked": (draw_register_stacked, describe_register_stacked),
    "dotplot": (draw_dotplot, describe_dotplot),
}


def make_figure(
    table_csv: str | Path,
    kind: str,
    title: str,
    register: bool,
    demo: bool,
    svg_out: str | Path,
    txt_out: str | Path,
    png_out: str | Path | None = None,
) -> str:
    """Pipeline step: draw one catalogue figure (SVG, and PNG for the PDF when `png_out` is
    given) and write its text description."""
    kinds = REGISTER_KINDS if register else SURVEY_KINDS
    if kind not in kinds:
        raise EnkatError(
            "this figure kind is not available for this kind of table",
            file="config/tables.yaml",
            column="figure",
            value=kind,
            expected="one of " + ", ".join(kinds),
            hint=f"set `figure:` of the table behind {Path(table_csv).name} to a supported kind",
        )
    table = read_register_table(table_csv) if register else read_estimates(table_csv)
    draw, describe = kinds[kind]
    with rc_context(RC):
        fig = draw(table, title, demo)
        save_svg(fig, svg_out)
        if png_out is not None:
            save_png(fig, png_out)
    description = describe(table)
    if demo:
        description += " " + DEMO_SENTENCE
    from enkat.atomic import write_text_atomic

    write_text_atomic(txt_out, description + "\n")
    return description
