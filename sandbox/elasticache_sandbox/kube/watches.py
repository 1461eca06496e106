"""Watch streams: the write history they resume from, and the signal that wakes them.

Waiting is an `asyncio.Event` swapped on every write, awaited under `asyncio.timeout()`: no lock is
held while a watch waits, so a watch cancelled at any moment (its client hung up, its timeout ran
out, both at once) leaves nothing behind. The earlier `asyncio.Condition` + `wait_for` let such a
cancellation release a lock it no longer held, and the server stopped answering.
"""

from __future__ import annotations

import asyncio
import collections
import copy
from collections.abc import AsyncGenerator, Callable
from typing import Any

Matcher = Callable[[str, str, dict[str, Any]], bool]  # (group, plural, object) → does the watch want it
WatchEvent = bytes | dict[str, Any]  # what a watch stream yields: an event, or b"" to send the headers first


class Changes:
    """Every write's event, in resourceVersion order, as far back as `limit` events."""

    def __init__(self, limit: int) -> None:
        self.rv = 0
        self.oldest = 0  # resuming from before this is 410 Gone
        self._history: collections.deque[tuple[int, str, str, dict[str, Any]]] = collections.deque(maxlen=limit)
        self._signal = asyncio.Event()

    def next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def record(self, group: str, plural: str, kind: str, obj: dict[str, Any]) -> None:
        if len(self._history) == self._history.maxlen:
            self.oldest = self._history[0][0]
        self._history.append((self.rv, group, plural, {"type": kind, "object": copy.deepcopy(obj)}))
        self._signal.set()
        self._signal = asyncio.Event()

    def after(self, position: int) -> list[tuple[int, str, str, dict[str, Any]]]:
        """The events newer than `position`, oldest first; walks back only as far as needed."""
        newer = []
        for entry in reversed(self._history):
            if entry[0] <= position:
                break
            newer.append(entry)
        newer.reverse()
        return newer

    async def stream(self, position: int, matches: Matcher, timeout: float) -> AsyncGenerator[dict[str, Any], None]:
        """Events after `position` that `matches` wants, until `timeout` seconds have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            signal = self._signal  # taken before reading, so a write while we yield still wakes us
            for rv, group, plural, event in self.after(position):
                position = rv
                if matches(group, plural, event["object"]):
                    yield copy.deepcopy(event)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                async with asyncio.timeout(min(remaining, 5.0)):
                    await signal.wait()
            except TimeoutError:
                pass

    def expired(self, position: int) -> dict[str, Any] | None:
        """The 410 Gone event a watch resuming from `position` gets, if that is too old."""
        if position >= self.oldest:
            return None
        return gone(position, self.oldest)


def gone(since: int | str | None, current: int) -> dict[str, Any]:
    """The event kube-apiserver ends a watch with when it resumes from a resourceVersion older than
    its watch cache keeps: an ERROR holding the 410 `Expired` Status."""
    return {
        "type": "ERROR",
        "object": {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "code": 410,
            "reason": "Expired",
            "message": f"too old resource version: {since} ({current})",
        },
    }
