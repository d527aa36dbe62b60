"""`python -m admtrack` and the `admtrack` console script.

Ctrl-C while the interpreter is still importing the command line exits 130 quietly, like Ctrl-C later on
(SPEC §6)."""

import sys


def main() -> None:
    try:
        from admtrack.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
