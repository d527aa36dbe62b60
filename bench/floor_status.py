"""The floor of the stack for `admtrack status` (SPEC §7).

A minimal Typer app that also uses pydantic and tomllib and prints a 6 x 12 Rich table (the shape of
admtrack's status table: 6 targets, 12 columns). `admtrack status` on the bundled data must start,
compute and print within 1.3x of

    python bench/floor_status.py status

"Imports pydantic" is taken as a program that uses it the least a real one does: six rows parsed from a
TOML document with tomllib are validated by a pydantic `BaseModel` (importing the bare `pydantic`
package alone loads almost nothing, since pydantic 2 imports lazily). Uses only Typer, pydantic, Rich
and the standard library, all dependencies of admtrack.
"""

import tomllib

import typer
from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False)

DOC = """
[[target]]
id = "digital-economy-share"
baseline = 12.5
latest = 14.1
value = 30.0

[[target]]
id = "digital-economy-value-added"
baseline = 420.0
latest = 468.0
value = 1000.0

[[target]]
id = "skilled-workforce-share"
baseline = 21.0
latest = 22.5
value = 80.0

[[target]]
id = "productivity"
baseline = 11800.0
latest = 12650.0
value = 29500.0

[[target]]
id = "public-services-ai-share"
baseline = 8.0
latest = 11.0
value = 100.0

[[target]]
id = "social-service-cost"
baseline = 100.0
latest = 97.0
value = 60.0
"""


class Target(BaseModel):
    id: str
    baseline: float
    latest: float
    value: float


COLUMNS = ["", "Target", "Base", "Latest", "Goal", "%gl", "Prog", "Bar", "Gap", "Status", "N", "Wt"]


@app.callback()
def _root() -> None:
    """Floor app."""


@app.command()
def status(width: int = typer.Option(80, "--width", help="Table width.")) -> None:
    """Print a 6 x 12 progress table."""
    targets = [Target(**t) for t in tomllib.loads(DOC)["target"]]
    table = Table(title="Floor status", box=box.SIMPLE_HEAD, padding=(0, 0), show_edge=False)
    for name in COLUMNS:
        table.add_column(name, no_wrap=True)
    for k, t in enumerate(targets, 1):
        progress = (t.latest - t.baseline) / (t.value - t.baseline)
        table.add_row(
            f"T{k}", t.id[:8], f"{t.baseline:g}", f"{t.latest:g}", f"{t.value:g}", f"{t.latest / t.value:.0%}",
            f"{progress:.0%}", "#" * max(0, min(4, round(progress * 4))), f"{t.value - t.latest:+g}",
            "limited", "9/11", "82%",
        )
    Console(width=width).print(table)


if __name__ == "__main__":
    app()
