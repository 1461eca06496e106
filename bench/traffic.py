"""What the data-plane benchmarks share (bench/resharding.py, bench/failover.py): an application that
keeps writing and reading while the cluster changes under it, the phase table of its latencies and
failures, and docs/data-plane.md, where each benchmark writes a section of its own."""

from __future__ import annotations

import contextlib
import pathlib
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from .figures import percentile

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data-plane.md"
DOC_TITLE = "# The data plane under change: what a client sees"
DOC_INTRO = (
    "Each section is written by its benchmark (`python -m bench.resharding`, `python -m bench.failover`), "
    "on the sandbox with its Redis data plane: real `redis-server` processes over TLS, on this machine."
)


class Application:
    """Sets `session:N` and gets a random earlier one, timing each command; reconnects after an error."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self.connect = connect
        self.samples: list[tuple[float, float, bool]] = []  # (when, seconds, succeeded)
        self.acknowledged: list[float] = []  # when each acknowledged write was answered
        self.written: list[int] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="application", daemon=True)

    def _run(self) -> None:
        client, n = self.connect(), 0
        while not self._stop.is_set():
            n += 1
            for command in ("set", "get"):
                started = time.perf_counter()
                try:
                    if command == "set":
                        client.set(f"session:{n}", f"user-{n}", ex=3600)
                        self.written.append(n)
                        self.acknowledged.append(time.time())
                    elif self.written:
                        client.get(f"session:{random.choice(self.written)}")
                    ok = True
                except Exception as e:  # noqa: BLE001 - every failure is counted, whatever raised it
                    ok = False
                    self.errors.append(repr(e))
                    with contextlib.suppress(Exception):
                        client = self.connect()
                self.samples.append((time.time(), time.perf_counter() - started, ok))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def lost(self, check: Any) -> list[int]:
        """The acknowledged writes `check` (a client) cannot read back as written."""
        keys = [f"session:{n}" for n in self.written]
        found: list[Any] = []
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            found += check.mget_nonatomic(batch) if hasattr(check, "mget_nonatomic") else check.mget(batch)
        return [n for n, value in zip(self.written, found, strict=True) if value != f"user-{n}".encode()]


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what}: not within {timeout:g}s")


def phase_table(app: Application, phases: list[tuple[str, float, float]], lost: list[int]) -> str:
    """Commands, failures and latency percentiles per phase (name, began, ended: wall clock)."""
    header = f"{'phase':<18} {'seconds':>8} {'commands':>9} {'failed':>7} " + " ".join(
        f"{q:>8}" for q in ("p50 ms", "p90 ms", "p95 ms", "p99 ms")
    )
    lines = [header, "-" * len(header)]
    for name, began, ended in phases:
        window = [(seconds, ok) for when, seconds, ok in app.samples if began <= when < ended]
        latencies = [seconds * 1000 for seconds, ok in window if ok]
        cells = [percentile(latencies, q) for q in (50, 90, 95, 99)]
        failed = sum(1 for _, ok in window if not ok)
        lines.append(
            f"{name:<18} {ended - began:>8.1f} {len(window):>9} {failed:>7} "
            + " ".join(f"{c:>8.2f}" if c is not None else f"{'—':>8}" for c in cells)
        )
    lines.append("")
    lines.append(
        f"keys written: {len(app.written)}, lost: {len(lost)}; failed commands: {len(app.errors)}"
        + (f" (first: {app.errors[0]})" if app.errors else "")
    )
    return "\n".join(lines)


def write_section(path: pathlib.Path, key: str, text: str) -> None:
    """Replace this benchmark's section of the document (between its markers), keeping the others."""
    begin, end = f"<!-- {key}: begin -->", f"<!-- {key}: end -->"
    block = f"{begin}\n{text.strip()}\n{end}\n"
    current = path.read_text() if path.exists() else f"{DOC_TITLE}\n\n{DOC_INTRO}\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        updated = head + block + ("\n" + tail if tail else "")
    else:
        updated = current.rstrip("\n") + "\n\n" + block
    path.write_text(updated)
