"""The bundled reference observations (SPEC §2.3): a read-only layer beneath the user's store."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from admtrack.model import Observation

#: bundled figures were not recorded by anyone with this tool: their recorded_at is unknown (null)
REFERENCE_RECORDED_AT = None


def reference_path() -> Path:
    packaged = Path(str(resources.files("admtrack"))) / "data" / "reference.csv"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / "reference.csv"


def load_reference(path: Path | None = None) -> list[Observation]:
    """Every bundled figure, typed. The file ships with the package and is checked by `admtrack check`."""
    path = path or reference_path()
    out: list[Observation] = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for n, row in enumerate(reader, start=2):
            out.append(Observation(row["state"], row["indicator"], int(row["year"]), float(row["value"]),
                                   row["source"] or None, row["note"] or None, REFERENCE_RECORDED_AT, line=n,
                                   layer="reference"))
    return out
