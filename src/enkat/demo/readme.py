"""The README written beside the demo files."""

from __future__ import annotations

from enkat.demo.sizes import TypeSizes

TEMPLATE = """\
# raw/demo – Exempeldata (syntetiska uppgifter)

**Exempeldata.** Every file in this folder is synthetic: invented by the seeded generator
`python -m enkat.demo` (src/enkat/demo/). No row describes a real person, office visit or
errand. Office names are real Swedish places only so that the demo reads naturally. Do not
edit these files by hand; change the generator and rerun it (same seed, byte-identical files).

The data are built so that unweighted totals reproduce the tables published in the audit
report (shipped as src/enkat/demo/published_tables.csv): every handler-survey percentage to
0.1 point and the published counts exactly (one published cell, T01 "Ja, men ...", prints
61.0 % for 229 of 375 = 61.07 %; the count is kept), T10/T11 (visits per office type) and T13
(errand week). The report's breakdowns of T05 and T12 by office type cannot all hold together
with the totals; the demo comes as close as the totals allow: the worst deviation from the
published office-type shares is {dev_t05:.1f} percentage points for T05 and {dev_t12:.1f} for T12
(handlers per type chosen to make it smallest: {sizes}).

All files: UTF-8, comma-separated, one header row, "\\n" line endings, column names as in
config/config.yaml `sources:`.

- `kontorsregister.csv` – one row per service office (123):
  `kontor_id, kontor, region, kontorsomrade, kontorstyp, besok_2021`. Six regions, 42 office
  areas, type code `stort` / `mellanstort` / `litet` / `flexikontor`, visits in 2021.
- `handlaggarram.csv` – the frame of the handler census, one row per service handler (756):
  `handlaggare_id, kontor_id, alder, anstallningstid`. Age band (`-29`, `30-44`, `45-59`,
  `60-`) and tenure band (`<2 år`, `2-5 år`, `>5 år`). Handlers work at large, medium and
  small offices only (flexi offices have no staff of their own).
- `handlaggarenkat.csv` – the handler-survey export, one row per respondent (539):
  `respondent_id` (= `handlaggare_id`), `kontor_id`, then one column per item, grid row or
  multiple-choice option as named in config/codebooks/handlers.yaml. Numeric codes; empty =
  item nonresponse or not asked; `99` = "Vill inte svara". `fritext` holds a few harmless
  invented comments.
- `kundundersokning.csv` – the customer survey, one row per answer (3 747 in 2019, 3 076 in
  2020, 644 in 2021): `svar_id, kontor_id, omgang, insamlingssatt, sprak, myndighet, bemotande,
  tid, hjalp`. 2019 and 2020 on paper in Swedish at the same 15 offices; 2021 by QR code in
  several languages at 29 offices. Items coded 1 Ja, 2 Delvis, 3 Nej
  (config/codebooks/customers.yaml); empty = item nonresponse.
- `besok_per_omgang.csv` – visits in each wave's two-week survey period, one row per office
  and wave: `kontor_id, omgang, besok`.
- `arenderegistrering.csv` – the errand registration of week 21 2022, one row per errand
  (49 216): `arende_id, kontor_id, myndighet, losning` (agency and how the errand was solved).

Choices worth knowing when reading the demo:

- The offices the report names play their parts: Malmö City is the busiest large office and
  Åsele the flexi office with the fewest visits (one visit there costs as much as about 57 at
  Malmö City: 8 333 kr against 147 kr); Angered is the busiest medium office; Göteborg
  Gamlestaden, Stockholm Liljeholmen and Ulricehamn opened in 2021, have few visits and no
  rows in the 2019 and 2020 waves of `besok_per_omgang.csv`.
- 14 offices, Linköping among them, run the Migrationsverket pilot; their 64 respondents answer
  PILOT = Ja and only they get the Migrationsverket rows of T03, T06, T07, T08 and T09. T14's
  Migrationsverket row is asked of everyone: no base of at most 64 reproduces its published
  shares, so most respondents outside the pilot leave it empty.
- Which office is a giver or receiver office for remote service is decided per office (large
  offices give, small ones receive); the handlers of an office answer DIST alike, except at
  the few offices where the published counts force a split.
- Answers are drawn from a few latent scores, so items correlate plausibly (a general attitude
  across items; workload heavier at large offices). Response depends only weakly on age and
  tenure.
"""


def readme(sizes: TypeSizes, deviations: dict[str, float]) -> str:
    """The README text with the achieved sizes and breakdown deviations filled in."""
    parts = [
        f"{code} {sizes.respondents[code]} of {sizes.frame[code]} "
        f"({100 * sizes.respondents[code] / sizes.frame[code]:.1f} %)"
        for code in sizes.frame
    ]
    return TEMPLATE.format(
        dev_t05=deviations["T05"], dev_t12=deviations["T12"], sizes=", ".join(parts)
    )
