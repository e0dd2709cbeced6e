"""Ingest of every source on small fixtures: columns, labels, joins, reject mode, audit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from enkat.audit import COLUMNS as AUDIT_COLUMNS
from enkat.audit import combine_audit
from enkat.errors import EnkatError
from enkat.ingest import Outputs, Settings, ingest

CODEBOOK = {
    "survey": "handlers",
    "title": "Testenkät",
    "nonresponse": [99],
    "scales": {
        "ja_nej": [{"code": 1, "label": "Ja"}, {"code": 2, "label": "Nej"}],
        "instammer": [
            {"code": 1, "label": "Instämmer helt"},
            {"code": 2, "label": "Instämmer delvis"},
            {"code": 3, "label": "Instämmer inte"},
            {"code": 4, "label": "Har inte fått någon"},
        ],
    },
    "items": [
        {
            "id": "DIST",
            "type": "single",
            "text": "Distansservice?",
            "column": "q_dist",
            "options": [
                {"code": 1, "label": "Givarkontor"},
                {"code": 2, "label": "Mottagarkontor"},
                {"code": 3, "label": "Varken eller"},
            ],
        },
        {
            "id": "T01",
            "type": "single",
            "text": "Kan du hjälpa?",
            "column": "q1",
            "scale": "ja_nej",
            "filter": {"item": "DIST", "in": ["Givarkontor"]},
        },
        {"id": "PILOT", "type": "single", "text": "Pilot?", "column": "q_pilot", "scale": "ja_nej"},
        {
            "id": "T03",
            "type": "grid",
            "text": "Stöd?",
            "scale": "instammer",
            "not_in_base": [4],
            "rows": [
                {"id": "skv", "label": "Skatteverket", "column": "q3_skv"},
                {
                    "id": "mv",
                    "label": "Migrationsverket",
                    "column": "q3_mv",
                    "filter": {"item": "PILOT", "in": ["Ja"]},
                },
            ],
        },
        {
            "id": "T04",
            "type": "multiple",
            "text": "Vem frågar du?",
            "min_choices": 1,
            "max_choices": 2,
            "options": [
                {"id": "ssc", "label": "SSC", "column": "q4_ssc"},
                {"id": "kollegor", "label": "Kollegor", "column": "q4_kollegor"},
                {"id": "ingen", "label": "Ingen", "column": "q4_ingen"},
            ],
        },
        {"id": "KOMMENTAR", "type": "text", "text": "Övrigt", "column": "fritext"},
    ],
}

REGISTER = (
    "kontor_id,kontor,region,kontorsomrade,kontorstyp,besok_2021\n"
    "K1,Alfa,Nord,Område 1,stort,1000\n"
    "K2,Beta,Syd,Område 2,litet,200\n"
    "K3,Gamma,Väst,Område 2,flexikontor,\n"
)
FRAME = "handlaggare_id,kontor_id,alder\nH1,K1,34\nH2,K1,51\nH3,K2,29\nH4,K2,40\n"
HEADER = (
    "respondent_id,kontor_id,q_dist,q1,q_pilot,q3_skv,q3_mv,q4_ssc,q4_kollegor,q4_ingen,fritext"
)
HANDLERS = (
    HEADER + "\n"
    "H1,K1,1,1,1,1,4,1,0,0,Bra\n"
    "H2,K1,Mottagarkontor,,2,Instämmer delvis,,0,1,0,\n"
    "H3,K2,1.0,99,1,2,3,1,1,0,\n"
    "H4,K2,3,,2,,,,,,\n"
)
CUSTOMERS = (
    "svar_id,kontor_id,omgang,insamlingssatt,sprak,myndighet,hjalp\n"
    "S1,K1,2019,papper,svenska,Skatteverket,1\nS2,K2,2021,QR,engelska,Försäkringskassan,Nej\n"
)
CUSTOMER_BOOK = {
    "survey": "customers",
    "title": "Kund",
    "items": [
        {
            "id": "HJALP",
            "type": "single",
            "text": "Fick du hjälp?",
            "column": "hjalp",
            "options": [
                {"code": 1, "label": "Ja"},
                {"code": 2, "label": "Delvis"},
                {"code": 3, "label": "Nej"},
            ],
        }
    ],
}
VISITS = "kontor_id,omgang,besok\nK1,2019,500\nK2,2019,80\nK1,2021,450\n"
ERRANDS = (
    "arende_id,kontor_id,myndighet,losning\nA1,K1,Skatteverket,Digitalt\n"
    "A2,K3,Försäkringskassan,Hänvisning\n"
)

SPECS = {
    "register": {
        "columns": {
            "office_id": "kontor_id",
            "office_name": "kontor",
            "region": "region",
            "area": "kontorsomrade",
            "office_type": "kontorstyp",
            "visits": "besok_2021",
        }
    },
    "frame": {
        "columns": {"person_id": "handlaggare_id", "office_id": "kontor_id"},
        "variables": ["alder"],
    },
    "handlers": {"columns": {"respondent_id": "respondent_id", "office_id": "kontor_id"}},
    "customers": {
        "columns": {
            "respondent_id": "svar_id",
            "office_id": "kontor_id",
            "wave": "omgang",
            "mode": "insamlingssatt",
            "language": "sprak",
            "agency": "myndighet",
        }
    },
    "visits": {"columns": {"office_id": "kontor_id", "wave": "omgang", "visits": "besok"}},
    "errands": {
        "columns": {
            "errand_id": "arende_id",
            "office_id": "kontor_id",
            "agency": "myndighet",
            "solution": "losning",
        }
    },
}
RAW = {
    "register": REGISTER,
    "frame": FRAME,
    "handlers": HANDLERS,
    "customers": CUSTOMERS,
    "visits": VISITS,
    "errands": ERRANDS,
}
SETTINGS = Settings(
    office_types={
        "stort": "Stort kontor",
        "mellanstort": "Mellanstort kontor",
        "litet": "Litet kontor",
        "flexikontor": "Flexikontor",
    },
    regions=["Nord", "Mitt", "Stockholm och Gotland", "Öst", "Väst", "Syd"],
)


class Project:
    """A tiny audit in a temporary folder: raw files, codebooks and processed outputs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "raw").mkdir(exist_ok=True)
        for name, text in RAW.items():
            self.write(name, text)
        self.codebook(CODEBOOK, "handlers")
        self.codebook(CUSTOMER_BOOK, "customers")

    def write(self, source: str, text: str | bytes, suffix: str = "csv") -> Path:
        path = self.root / "raw" / f"{source}.{suffix}"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def codebook(self, book: dict, survey: str) -> Path:
        path = self.root / f"{survey}.yaml"
        path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    def outputs(self, source: str) -> Outputs:
        p = self.root / "processed"
        return Outputs(
            p / f"{source}.parquet", p / f"rejected_{source}.csv", p / "audit" / f"{source}.csv"
        )

    def run(
        self,
        source: str,
        raw: Path | None = None,
        settings: Settings = SETTINGS,
        **spec_extra: object,
    ) -> pd.DataFrame:
        for dep in ("register", "frame"):
            if source != dep and source != "register" and not self.outputs(dep).data.exists():
                if dep == "frame" and source != "handlers":
                    continue
                self.run(dep)
        spec = {**SPECS[source], **spec_extra}
        inputs = {
            "raw": raw or self.root / "raw" / f"{source}.csv",
            "register": self.outputs("register").data,
            "frame": self.outputs("frame").data,
        }
        if source in ("handlers", "customers"):
            inputs["codebook"] = self.root / f"{source}.yaml"
        return ingest(source, spec, settings, inputs, self.outputs(source))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_register_types_become_labels_and_visits_integers(project: Project) -> None:
    reg = project.run("register")
    assert list(reg.columns) == [
        "office_id",
        "office_name",
        "region",
        "area",
        "office_type",
        "visits",
    ]
    assert reg["office_type"].tolist() == ["Stort kontor", "Litet kontor", "Flexikontor"]
    assert reg["visits"].tolist()[:2] == [1000, 200] and pd.isna(reg["visits"].iloc[2])
    assert str(reg["visits"].dtype) == "Int64"


def test_frame_joins_register_and_keeps_frame_variables(project: Project) -> None:
    frame = project.run("frame")
    assert list(frame.columns) == [
        "person_id",
        "office_id",
        "office_type",
        "region",
        "area",
        "alder",
    ]
    assert frame.loc[2, "office_type"] == "Litet kontor"
    assert frame["alder"].tolist() == [34, 51, 29, 40]


def test_handlers_answers_become_labels(project: Project) -> None:
    data = project.run("handlers")
    assert list(data.columns[:5]) == ["respondent_id", "office_id", "office_type", "region", "area"]
    assert "KOMMENTAR" not in data.columns  # free text dropped by default
    assert data["DIST"].tolist() == ["Givarkontor", "Mottagarkontor", "Givarkontor", "Varken eller"]
    # T01 asked only at giver offices; 99 is item nonresponse
    assert data["T01"].tolist()[:1] == ["Ja"] and data["T01"].isna().tolist() == [
        False,
        True,
        True,
        True,
    ]
    assert data["T03_skv"].tolist()[:3] == [
        "Instämmer helt",
        "Instämmer delvis",
        "Instämmer delvis",
    ]
    # mv asked only in the pilot (PILOT = Ja): H2 and H4 are not asked
    assert data["T03_mv"].tolist()[0] == "Har inte fått någon"
    assert data["T03_mv"].isna().tolist() == [False, True, False, True]
    assert data["T04_ssc"].tolist()[:3] == ["Vald", "Ej vald", "Vald"]
    assert data["T04_kollegor"].isna().tolist() == [False, False, False, True]  # skipped
    assert all(str(t) == "string" for t in data.dtypes)


def test_free_text_kept_only_when_config_names_it(project: Project) -> None:
    settings = Settings(SETTINGS.office_types, SETTINGS.regions, free_text=("KOMMENTAR",))
    data = project.run("handlers", settings=settings)
    assert data["KOMMENTAR"].tolist()[0] == "Bra"


def test_customers_visits_errands(project: Project) -> None:
    cust = project.run("customers")
    assert list(cust.columns) == [
        "respondent_id",
        "office_id",
        "office_type",
        "region",
        "area",
        "wave",
        "mode",
        "language",
        "agency",
        "HJALP",
    ]
    assert cust["HJALP"].tolist() == ["Ja", "Nej"]
    visits = project.run("visits")
    assert list(visits.columns) == ["office_id", "wave", "visits", "office_type", "region", "area"]
    assert visits["visits"].sum() == 1030
    errands = project.run("errands")
    assert errands["office_type"].tolist() == ["Stort kontor", "Flexikontor"]


def test_reject_mode_sets_bad_rows_aside_and_counts_them(project: Project) -> None:
    bad = HANDLERS.replace("H3,K2,1.0,99", "H3,K9,1.0,7")
    raw = project.write("handlers", bad)
    data = project.run("handlers", raw=raw, on_invalid="reject")
    assert data["respondent_id"].tolist() == ["H1", "H2", "H4"]
    rejected = pd.read_csv(project.outputs("handlers").rejected, dtype=str)
    assert rejected[["row", "column"]].values.tolist() == [["4", "kontor_id"], ["4", "q1"]]
    assert "fritext" not in rejected.columns  # free text never leaves the raw file
    audit = pd.read_csv(project.outputs("handlers").audit)
    step = audit[audit["step"] == "reject"].iloc[0]
    assert (step["rows_in"], step["rows_out"]) == (4, 3)


def test_stop_mode_writes_nothing(project: Project) -> None:
    raw = project.write("handlers", HANDLERS.replace("H3,K2,1.0,99", "H3,K2,1.0,7"))
    with pytest.raises(EnkatError):
        project.run("handlers", raw=raw)
    assert not project.outputs("handlers").data.exists()
    assert not project.outputs("handlers").audit.exists()


def test_audit_trail_is_combined_in_source_order(project: Project) -> None:
    for source in ("errands", "register", "handlers"):
        project.run(source)
    paths = [project.outputs(s).audit for s in ("errands", "handlers", "register", "frame")]
    out = project.root / "processed" / "audit_trail.csv"
    trail = combine_audit(paths, out)
    assert list(trail.columns) == AUDIT_COLUMNS
    assert trail["source"].drop_duplicates().tolist() == [
        "register",
        "frame",
        "handlers",
        "errands",
    ]
    first = out.read_bytes()
    combine_audit(list(reversed(paths)), out)
    assert out.read_bytes() == first
    handlers = trail[trail["source"] == "handlers"]
    assert "free-text item KOMMENTAR" in " ".join(handlers["reason"])
    assert handlers["sha256"].str.len().eq(64).all()


def test_xlsx_and_sav_exports_give_the_same_processed_data(project: Project) -> None:
    import pyreadstat

    csv = project.run("handlers")
    raw = pd.read_csv(project.root / "raw" / "handlers.csv", dtype=str)
    xlsx = project.root / "raw" / "handlers.xlsx"
    raw.to_excel(xlsx, index=False)
    assert project.run("handlers", raw=xlsx).equals(csv)
    numeric = raw.drop(columns=["fritext"]).copy()
    numeric["q_dist"] = ["1", "2", "1", "3"]
    numeric["q3_skv"] = ["1", "2", "2", None]
    for col in numeric.columns[2:]:
        numeric[col] = pd.to_numeric(numeric[col])
    numeric["fritext"] = raw["fritext"].fillna("")
    sav = project.root / "raw" / "handlers.sav"
    pyreadstat.write_sav(numeric, str(sav), variable_value_labels={"q_dist": {1: "Givarkontor"}})
    assert project.run("handlers", raw=sav).equals(csv)


def test_stray_spaces_in_categories_are_stripped_and_counted(project: Project) -> None:
    raw = project.write(
        "errands", ERRANDS.replace("Skatteverket,Digitalt", "Skatteverket , Digitalt")
    )
    errands = project.run("errands", raw=raw)
    assert errands["agency"].tolist()[0] == "Skatteverket"
    assert errands["solution"].tolist()[0] == "Digitalt"
    audit = pd.read_csv(project.outputs("errands").audit)
    assert "2 cell(s) of agency, solution stripped" in " ".join(audit["reason"])
    customers = project.run(
        "customers", raw=project.write("customers", CUSTOMERS.replace(",QR,", ", QR ,"))
    )
    assert customers["mode"].tolist() == ["papper", "QR"]


# --- the demo export in every accepted format ------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo's register and frame ingested, and its handler export as processed from CSV."""
    from enkat.config import load_config

    config = load_config(ROOT / "config/config.yaml")
    settings = Settings.from_config(config)
    out = tmp_path_factory.mktemp("demo_formats")

    def run(source: str, raw: Path) -> pd.DataFrame:
        spec = config["sources"][source]
        inputs = {"raw": raw, "register": out / "register.parquet", "frame": out / "frame.parquet"}
        if "codebook" in spec:
            inputs["codebook"] = ROOT / spec["codebook"]
        target = Outputs(out / f"{source}.parquet", out / "rej.csv", out / f"{source}.audit.csv")
        return ingest(source, spec, settings, inputs, target)

    for source in ("register", "frame"):
        run(source, ROOT / config["sources"][source]["path"])
    export = ROOT / config["sources"]["handlers"]["path"]
    return {"run": run, "out": out, "export": export, "csv": run("handlers", export)}


def _sav(export: pd.DataFrame, path: Path) -> None:
    """The export as SPSS: numeric codes with the codebook's labels as value labels."""
    import pyreadstat

    from enkat.codebook import load_codebook

    book = load_codebook(ROOT / "config/codebooks/handlers.yaml")
    labels = {}
    for item in book.items:
        if item.type == "text":
            continue
        for column in item.columns():
            export[column] = pd.to_numeric(export[column].replace("", None))
            if item.type != "multiple":
                labels[column] = {int(o.code): o.label for o in item.options}
    pyreadstat.write_sav(export, str(path), variable_value_labels=labels)


@pytest.mark.parametrize("form", ["cp1252;", "utf-8-sig\t", "utf-8;", "utf-8\r\n", "xlsx", "sav"])
def test_demo_export_in_every_format_gives_the_same_data(demo: dict, form: str) -> None:
    export = pd.read_csv(demo["export"], dtype=str, keep_default_na=False)
    path = demo["out"] / "export"
    if form == "xlsx":
        path = path.with_suffix(".xlsx")
        export.replace("", None).to_excel(path, index=False)
    elif form == "sav":
        path = path.with_suffix(".sav")
        _sav(export, path)
    else:
        path = path.with_suffix(".csv")
        encoding, sep = form.rstrip(";\t\r\n"), form[-1] if form[-1] in ";\t" else ","
        end = "\r\n" if form.endswith("\r\n") else "\n"
        export.to_csv(path, sep=sep, index=False, encoding=encoding, lineterminator=end)
    data = demo["run"]("handlers", path)
    assert len(data) == 539
    pd.testing.assert_frame_equal(data, demo["csv"])


def test_audit_trail_records_the_codebook_and_its_sha256(project: Project) -> None:
    import hashlib

    project.run("handlers")
    audit = pd.read_csv(project.outputs("handlers").audit, dtype=str)
    book = project.root / "handlers.yaml"
    row = audit[audit["file"] == str(book)]
    assert row["step"].tolist() == ["read"]
    assert row["sha256"].iloc[0] == hashlib.sha256(book.read_bytes()).hexdigest()
    assert row["reason"].iloc[0] == "codebook: 6 items, 8 variables"
