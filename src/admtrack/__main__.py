"""`python -m admtrack` and the `admtrack` console script.

Ctrl-C while the interpreter is still importing the command line exits 130 quietly, like Ctrl-C later on
(SPEC §6)."""

import gc
import sys


def main() -> None:
    # a short-lived command frees its objects by reference counting; the cyclic collector's passes over
    # the many objects that imports and a large store create only cost time
    gc.disable()
    try:
        from admtrack.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
