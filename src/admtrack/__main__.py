"""`python -m admtrack` and the `admtrack` console script.

Ctrl-C while the interpreter is still importing the command line exits 130 quietly, like Ctrl-C later on
(SPEC §6)."""

import contextlib
import gc
import os
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
    try:
        run()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            sys.stderr.write(exc.code + "\n")
    # ``run`` has written and flushed everything: leave without freeing the objects of a big run one by
    # one (a million entries take ~0.3 s to free; the system takes the memory back at once)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
