"""Prometheus metrics; no per-object labels, so cardinality does not grow with clusters."""

from __future__ import annotations

import threading

from prometheus_client import Counter, Gauge, Histogram, Info, start_http_server

from .core.conditions import REASONS

PREFIX = "elasticache_operator"

RECONCILE_RESULTS = ("ready", "progressing", "stalled", "error")

reconcile_total = Counter(f"{PREFIX}_reconcile_total", "Reconciles by result", ["result"])
reconcile_errors_total = Counter(f"{PREFIX}_reconcile_errors_total", "Reconciles that hit an AWS or Kubernetes error")
reconcile_duration_seconds = Histogram(f"{PREFIX}_reconcile_duration_seconds", "Time spent in one reconcile")
aws_api_requests_total = Counter(f"{PREFIX}_aws_api_requests_total", "AWS API calls", ["operation"])
aws_api_request_errors_total = Counter(
    f"{PREFIX}_aws_api_request_errors_total", "AWS API calls that failed", ["operation", "error_code"]
)
aws_api_throttles_total = Counter(
    f"{PREFIX}_aws_api_throttles_total", "AWS answers that throttled a call (each attempt, retried ones too)"
)
aws_rate_limit_wait_seconds_total = Counter(
    f"{PREFIX}_aws_rate_limit_wait_seconds_total", "Time AWS calls waited for the operator's own rate limit"
)
observer_snapshot_age_seconds = Gauge(
    f"{PREFIX}_observer_snapshot_age_seconds", "Seconds since the shared observation last listed every group"
)
observer_calls_per_resync = Gauge(
    f"{PREFIX}_observer_calls_per_resync", "AWS calls the last full listing of groups, versions and tags took"
)
redisclusters = Gauge(f"{PREFIX}_redisclusters", "RedisClusters by Ready reason", ["phase"])
leader = Gauge(f"{PREFIX}_leader", "1 while this replica leads (holds the Lease and runs the handlers), 0 on standby")
build_info = Info(f"{PREFIX}_build", "Build information")

for _result in RECONCILE_RESULTS:
    reconcile_total.labels(_result)
for _reason in REASONS:
    redisclusters.labels(_reason)

_phases: dict[str, str] = {}
_phases_lock = threading.Lock()


def record_phase(uid: str, phase: str | None) -> None:
    """Count RedisClusters by their Ready reason; None forgets a deleted one. Only the two reasons that
    changed are touched: recounting every object on each visit cost O(N) a visit, O(N²) a burst."""
    with _phases_lock:
        before = _phases.pop(uid, None) if phase is None else _phases.get(uid)
        if phase is not None:
            _phases[uid] = phase
        if before == phase:
            return
        if before is not None:
            redisclusters.labels(before).dec()
        if phase is not None:
            redisclusters.labels(phase).inc()


def serve(port: int, version: str) -> None:
    build_info.info({"version": version})
    if port:
        start_http_server(port)
