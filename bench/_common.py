"""Helpers shared by the bench scripts: find the installed `admtrack`, run a command, take medians.

Standard library only. The scripts time the console script installed next to the interpreter that runs
them (`sys.executable`), else the first `admtrack` on PATH, so that after `pip install .` anyone can run
`python bench/startup.py` and measure what users run. Set ADMTRACK_BENCH_CMD (e.g. "admtrack" or
"python -m admtrack") to time something else.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def admtrack_cmd() -> list[str]:
    """The command that runs the installed admtrack with this interpreter."""
    override = os.environ.get("ADMTRACK_BENCH_CMD")
    if override:
        return shlex.split(override)
    bindir = Path(sys.executable).parent
    for name in ("admtrack", "admtrack.exe"):
        if (bindir / name).is_file():
            script = bindir / name
            break
    else:
        found = shutil.which("admtrack")
        if found is None:
            sys.exit("bench: no `admtrack` next to sys.executable nor on PATH; run `pip install .` first")
        script = Path(found)
    with open(script, "rb") as fh:
        is_python_script = fh.read(2) == b"#!"
    # A console script run with this interpreter, as its shebang would; a launcher .exe runs itself.
    return [sys.executable, str(script)] if is_python_script else [str(script)]


def check_install() -> None:
    """Refuse to time an editable install or a source tree: without bytecode caches (PYTHONDONTWRITEBYTECODE)
    or with a path hook, the numbers would not be those of a user's install."""
    probe = subprocess.run(
        [sys.executable, "-c", "import admtrack, sys; sys.stdout.write(admtrack.__file__)"],
        capture_output=True, text=True, env=bench_env(),
    )
    if probe.returncode != 0:
        sys.exit(f"bench: {sys.executable} cannot import admtrack; run `{sys.executable} -m pip install .`")
    where = Path(probe.stdout)
    if "site-packages" not in where.parts and "dist-packages" not in where.parts:
        print(f"bench: warning: admtrack imported from {where}, not from an installed wheel "
              f"(use a non-editable install: `pip install .`)", file=sys.stderr)
    elif not (where.parent / "__pycache__").is_dir():
        print(f"bench: warning: no __pycache__ beside {where}: imports compile from source each run",
              file=sys.stderr)


def bench_env(**extra: str) -> dict[str, str]:
    """The one environment every timed process gets: the caller's, minus admtrack's data-folder variable."""
    env = dict(os.environ)
    env.pop("ADMTRACK_DATA_DIR", None)
    env.update(extra)
    return env


class Failed(Exception):
    pass


def run(cmd: list[str], *, env: dict[str, str], stdin: bytes | None = None, ok=(0,),
        stdout=subprocess.DEVNULL) -> tuple[float, float]:
    """Run cmd once; return (wall seconds, child CPU seconds). Raises Failed on an unexpected exit code."""
    wall, cpu, _ = run3(cmd, env=env, stdin=stdin, ok=ok, stdout=stdout)
    return wall, cpu


def run3(cmd: list[str], *, env: dict[str, str], stdin: bytes | None = None, ok=(0,),
         stdout=subprocess.DEVNULL) -> tuple[float, float, int]:
    """``run``, and the peak memory of the command: the higher of its ru_maxrss from ``wait4`` (one
    process) and the most that the process and its children held together (``TreeMemory``: a cold read
    of a big store runs in two processes)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=stdout, stderr=err, env=env)
        sampler = TreeMemory(p.pid)
        if stdin is not None:
            p.stdin.write(stdin)
            p.stdin.close()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        sampler.stop()
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode not in ok:
            err.seek(0)
            raise Failed(f"{shlex.join(cmd)} exited {p.returncode}:\n{err.read().decode(errors='replace')}")
    return wall, ru.ru_utime + ru.ru_stime, max(ru.ru_maxrss * (1 if sys.platform == "darwin" else 1024),
                                               sampler.peak)


class TreeMemory:
    """The peak memory of a process and its children together, sampled in a thread (Linux; else 0).

    One process: its resident set size (``/proc/PID/status``, cheap), every ``every`` seconds. Two or
    more (a cold read of a big store forks a child that shares the parent's pages): their proportional
    set sizes added up (each shared page counted once), from ``smaps_rollup`` — a page walk of 10–20 ms a
    process, so taken at most every ``every_tree`` seconds, not to slow the run it measures — and the
    in-memory files they hold (each once)."""

    def __init__(self, pid: int, every: float = 0.05, every_tree: float = 0.25) -> None:
        self.pid = pid
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every, every_tree), daemon=True)
        if os.path.exists(f"/proc/{pid}/status"):
            self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self, every: float, every_tree: float) -> None:
        last_tree = 0.0
        while not self._done.wait(every):
            pids = self._tree()
            if len(pids) == 1:
                self.peak = max(self.peak, _field(f"/proc/{self.pid}/status", "VmRSS:"))
            elif time.monotonic() - last_tree >= every_tree:
                last_tree = time.monotonic()
                files: dict[tuple[int, int], int] = {}
                held = sum(_field(f"/proc/{pid}/smaps_rollup", "Pss:") + _memfds(pid, files) for pid in pids)
                self.peak = max(self.peak, held + sum(files.values()))

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo += map(int, f.read().split())
            except OSError:
                pass
        return pids


def _field(path: str, name: str) -> int:
    """A size in kB from a /proc file (``VmRSS:``, ``Pss:``), in bytes; 0 if the process is gone."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _memfds(pid: int, files: dict[tuple[int, int], int]) -> int:
    """Put the in-memory files ``pid`` holds open into ``files`` (each file once); 0 (for a sum)."""
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("/memfd:"):
                    st = os.stat(f"/proc/{pid}/fd/{fd}")
                    files[st.st_dev, st.st_ino] = st.st_size
    return 0


def load() -> str:
    """The 1, 5 and 15 minute load averages, and the CPU count: other work on the machine moves timings."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def median(xs) -> float:
    return statistics.median(xs)


def ms(x: float) -> str:
    return f"{x * 1000:.0f} ms"
