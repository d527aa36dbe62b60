"""Regenerate ``data/reference.csv`` (and the evidence copy in ``data/evidence/``) from the shared reference
folder, so that every bundled figure can be traced to a file, a column and a source.

    python data/build_reference.py /work/shared/reference

Nothing here is estimated: figures are copied at full precision (US$ are shifted to US$ bn with decimal
arithmetic, so no binary rounding creeps in). Columns written:
``state,indicator,year,value,source,note,obs_status,released`` — ``obs_status`` empty means ``A`` (normal);
``released`` is the publication date of the figure's source (YYYY-MM-DD), used by ``--as-recorded``.

Release dates (see README, "Where the bundled figures come from"):
* WDI population and GDP: release of 2026-07-01; labour force: release of 2026-04-01; GDP per person
  employed (SL.GDP.PCAP.EM.KD): release of 2026-07-01.
* ILO modelled estimates "Nov. 2025": the exact day is not known; 2025-11-30, the last day of the month, is
  used so that a figure is never shown as known before it was published.
* UN E-Government Survey 2022: launched 2022-09-28; 2024: launched 2024-09-17.
* National digital-economy shares: the release date where the source names one (DOSM, 15 Oct 2024), else the
  last day of the year in which the figure was reported (a conservative date: never earlier than the truth).
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "reference.csv"
EVIDENCE = HERE / "evidence"
COLUMNS = ("state", "indicator", "year", "value", "source", "note", "obs_status", "released")

WDI = {
    # column: (indicator, scale, source, note, released)
    "SP.POP.TOTL": (
        "population",
        None,
        "World Bank WDI SP.POP.TOTL, release 2026-07",
        "Population, total (mid-year estimate, persons)",
        "2026-07-01",
    ),
    "NY.GDP.MKTP.CD": (
        "gdp",
        Decimal("1e-9"),
        "World Bank WDI NY.GDP.MKTP.CD, release 2026-07",
        "GDP, current US$, converted to US$ bn (divided by 1e9, full precision)",
        "2026-07-01",
    ),
    "SL.TLF.TOTL.IN": (
        "labour-force",
        None,
        "World Bank WDI SL.TLF.TOTL.IN, release 2026-04",
        "Labour force, total (persons aged 15+, ILO-modelled estimate)",
        "2026-04-01",
    ),
}
PRODUCTIVITY = (
    "labour-productivity",
    "World Bank WDI SL.GDP.PCAP.EM.KD, release 2026-07",
    "GDP per person employed, constant 2021 PPP $ (real terms; ILO-modelled employment). "
    "Not output per hour; PPP conversion factors are revised between ICP rounds.",
    "2026-07-01",
)
HIGH_SKILL = (
    "high-skill-employment-share",
    "ILO modelled estimates (ILOEST), EMP_2EMP_SEX_OCU_NB, Nov. 2025; ISCO-08 groups 1-3 share of employment",
    "PROXY for 'highly skilled workers': ADM 2030 does not publish how it measures them. Managers, "
    "professionals, technicians and associate professionals (ISCO-08 major groups 1-3, ILO skill levels "
    "3-4) as % of EMPLOYMENT (not of the labour force), both sexes. ILO modelled estimates; the latest "
    "years are ILO projections, and modelling artefacts occur (Myanmar's managers fall from 173k in 2019 "
    "to 30k in 2025). Even Singapore is near 65%, so the 80% goal is unlikely to mean this measure.",
    "E",
    "2025-11-30",
)
EGOV = {
    "2022": ("UN DESA, United Nations E-Government Survey 2022, Online Service Index (OSI)", "2022-09-28"),
    "2024": ("UN DESA, United Nations E-Government Survey 2024, Online Service Index (OSI)", "2024-09-17"),
}
EGOV_NOTE = (
    "Online Service Index (0-1): provision of online public services. It does not measure AI "
    "integration: context beside the AI target, never a measure of it."
)
# digital-economy shares: the release date of each source (see the module docstring)
DES_RELEASED = {
    ("VNM", None): "2025-12-31",  # "as reported 2025"
    ("MYS", None): "2024-10-15",  # DOSM ICT Satellite Account 2023, released 15 Oct 2024
    ("SGP", None): "2024-12-31",  # IMDA Singapore Digital Economy Report 2024
    ("PHL", "2022"): "2023-12-31",  # PSA Philippine Digital Economy 2023 release
    ("PHL", "2023"): "2024-12-31",  # PSA release on the 2023 figure
    ("THA", None): "2024-12-31",  # ONDE: date not stated; conservative
    ("IDN", None): "2021-12-31",  # statement by the President on the 2020 figure; conservative
}


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _num(text: str, scale: Decimal | None = None) -> str:
    """The figure as written, at full precision (scaled exactly in decimal where asked)."""
    if scale is None:
        Decimal(text.strip())  # a number, or an error
        return text.strip()
    return repr(float(Decimal(text.strip()) * scale))


def build(src: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def add(state, indicator, year, value, source, note, obs_status, released):
        rows.append(dict(zip(COLUMNS, (state, indicator, str(int(year)), value, source, note, obs_status, released))))

    for r in _read(src / "wdi-asean11-2019-2025.csv"):
        for col, (ind, scale, source, note, released) in WDI.items():
            if r[col].strip():
                add(r["iso3"], ind, r["year"], _num(r[col], scale), source, note, "", released)
    for r in _read(src / "wdi-productivity-ppp-2019-2024.csv"):
        ind, source, note, released = PRODUCTIVITY
        if r["SL.GDP.PCAP.EM.KD"].strip():
            add(r["iso3"], ind, r["year"], _num(r["SL.GDP.PCAP.EM.KD"]), source, note, "", released)
    counts = _occupation_counts(src / "ilo-employment-by-occupation-2019-2025.csv")
    for r in _read(src / "ilo-high-skill-employment-2019-2025.csv"):
        ind, source, note, status, released = HIGH_SKILL
        share = float(r["high_skill_share_percent"])
        groups = counts[(r["iso3"], int(r["year"]))]
        recomputed = (
            100
            * sum(groups[g] for g in ("OCU_DETAILS_1", "OCU_DETAILS_2", "OCU_DETAILS_3"))
            / groups["OCU_DETAILS_TOTAL"]
        )
        if abs(recomputed - share) > 0.001:
            raise SystemExit(f"{r['iso3']} {r['year']}: share {share} disagrees with the counts ({recomputed:.4f})")
        add(r["iso3"], ind, r["year"], _num(r["high_skill_share_percent"]), source, note, status, released)
    for r in _read(src / "un-egov-survey-2022-2024.csv"):
        source, released = EGOV[r["survey_year"]]
        add(
            r["iso3"],
            "egov-online-service-index",
            r["survey_year"],
            _num(r["online_service_index"]),
            source,
            EGOV_NOTE,
            "",
            released,
        )
    for r in _read(src / "digital-economy-share.csv"):
        released = DES_RELEASED.get((r["iso3"], r["year"])) or DES_RELEASED[(r["iso3"], None)]
        note = f"Definition: {r['definition']}. National definitions differ and are not strictly comparable."
        add(
            r["iso3"],
            "digital-economy-share",
            r["year"],
            _num(r["value_percent_of_gdp"]),
            r["source"],
            note,
            "",
            released,
        )
    return rows


def _occupation_counts(path: Path) -> dict[tuple[str, int], dict[str, float]]:
    out: dict[tuple[str, int], dict[str, float]] = {}
    for r in _read(path):
        out.setdefault((r["ref_area"], int(r["time"])), {})[r["classif1"]] = float(r["obs_value_thousands"])
    return out


def render(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    src = Path(argv[0])
    rows = build(src)
    OUT.write_text(render(rows), encoding="utf-8")
    EVIDENCE.mkdir(exist_ok=True)
    shutil.copyfile(
        src / "ilo-employment-by-occupation-2019-2025.csv", EVIDENCE / "ilo-employment-by-occupation-2019-2025.csv"
    )
    print(f"wrote {OUT} ({len(rows)} figures) and {EVIDENCE}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
