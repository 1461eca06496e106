"""Every AWS call of the operator goes through one `Calls`: one token bucket for the rate (ElastiCache's
API limits are account-wide, shared with every other tool there), a bound on changes in flight, the
metrics, and the classification of errors. Throttling is waited out, never reported as a failure."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .. import metrics
from .errors import THROTTLING, AWSCallError, from_boto


class TokenBucket:
    """`rate` calls a second on average, `burst` at once; `acquire` blocks the calling thread."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate, self.burst = rate, float(burst)
        self._clock, self._sleep = clock, sleep
        self._tokens, self._updated = float(burst), clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take a token, waiting for one if needed; returns the seconds waited. A caller reserves its
        token at once (the balance may go below zero) and sleeps until it is due, so callers are
        served in order and nobody spins."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            wait = max(0.0, -self._tokens / self.rate)
        if wait:
            self._sleep(wait)
        return wait


class Calls:
    def __init__(
        self,
        bucket: TokenBucket,
        max_concurrent_writes: int,
        may_write: Callable[[], bool] = lambda: True,
        throttle_patience: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`may_write`: asked before every AWS change (leader election: False once leadership may have lapsed)."""
        self.bucket = bucket
        self.may_write = may_write
        self.throttle_patience = throttle_patience
        self._sleep = sleep
        self._writes = threading.BoundedSemaphore(max_concurrent_writes)
        self._counting = threading.local()

    @contextlib.contextmanager
    def counted(self) -> Iterator[list[int]]:
        """Count the calls this thread makes inside the block: `with calls.counted() as n: ...; n[0]`."""
        self._counting.count = count = [0]
        try:
            yield count
        finally:
            self._counting.count = None

    def __call__(self, operation: str, fn: Callable[..., Any], *, write: bool = False, **kwargs: Any) -> Any:
        """Call `fn(**kwargs)` as AWS operation `operation`; AWS errors come out as AWSCallError."""
        if write:
            with self._writes:
                if not self.may_write():
                    raise AWSCallError(operation, "LeadershipLost", "this replica no longer leads; not sent")
                return self._call(operation, fn, kwargs)
        return self._call(operation, fn, kwargs)

    def _call(self, operation: str, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        """Throttled even after botocore's own retries: wait (doubling, with jitter) and try again, for
        up to `throttle_patience` seconds, so a throttling storm slows the operator down instead of
        failing what it was doing."""
        backoff, waited_for_throttling = 0.5, 0.0
        while True:
            try:
                return self._attempt(operation, fn, kwargs)
            except AWSCallError as failure:
                if not failure.throttled or waited_for_throttling >= self.throttle_patience:
                    raise
                pause = backoff * (0.5 + random.random())
                self._sleep(pause)
                waited_for_throttling += pause
                backoff = min(backoff * 2, 8.0)

    def _attempt(self, operation: str, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        waited = self.bucket.acquire()
        if waited:
            metrics.aws_rate_limit_wait_seconds_total.inc(waited)
        metrics.aws_api_requests_total.labels(operation).inc()
        if (count := getattr(self._counting, "count", None)) is not None:
            count[0] += 1
        try:
            return fn(**kwargs)
        except Exception as error:  # noqa: BLE001 - classified below, re-raised if not AWS's
            failure = from_boto(operation, error)
            metrics.aws_api_request_errors_total.labels(operation, failure.code).inc()
            raise failure from error


def count_throttles(client: Any) -> Any:
    """Count every throttled attempt, the ones botocore retries by itself too."""

    def on_attempt(response: Any = None, **_: Any) -> None:
        if response is not None and len(response) > 1 and isinstance(response[1], dict):
            if response[1].get("Error", {}).get("Code") in THROTTLING:
                metrics.aws_api_throttles_total.inc()

    client.meta.events.register("needs-retry", on_attempt)
    return client


__all__ = ["AWSCallError", "Calls", "TokenBucket", "count_throttles"]
