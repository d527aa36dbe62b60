"""`admtrack init [DIR]`: an editable copy of the bundled targets.toml in a data folder (SPEC §2.4)."""

from __future__ import annotations

import sys
from pathlib import Path

from admtrack.context import resolve_data_dir
from admtrack.errors import AdmError


def run(folder: Path | None, data_dir: Path | None, *, force: bool) -> None:
    from admtrack.plan import bundled_text
    from admtrack.store import atomic_write

    target_dir = folder.expanduser() if folder is not None else resolve_data_dir(data_dir)
    path = target_dir / "targets.toml"
    if path.exists() and not force:
        raise AdmError(f"{path}: already exists (use --force to overwrite it)")
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, bundled_text().encode("utf-8"))
    except OSError as exc:
        raise AdmError(f"{path}: cannot write: {exc.strerror or exc}") from None
    sys.stderr.write(f"wrote {path}: edit it, then run `admtrack check`\n")
    if folder is not None and folder.expanduser().resolve() != resolve_data_dir(data_dir).resolve():
        sys.stderr.write(f"use it with `admtrack --data-dir {target_dir} …` or ADMTRACK_DATA_DIR={target_dir}\n")
