"""The floor of the stack for `admtrack --version` (SPEC §7).

A minimal Typer app with one command and one option: what any Typer CLI pays to start, parse its
arguments and print one line. `admtrack --version` must start within 1.0x of

    python bench/floor.py run --n 1

The root callback keeps `run` a subcommand (Typer runs a lone command without its name otherwise), as
admtrack's own root callback does. Uses only Typer and the standard library.
"""

import typer

app = typer.Typer(add_completion=False)


@app.callback()
def _root() -> None:
    """Floor app."""


@app.command()
def run(n: int = typer.Option(1, "--n", help="How many lines to print.")) -> None:
    """Print a line n times."""
    for _ in range(n):
        print("floor 0.1.0")


if __name__ == "__main__":
    app()
