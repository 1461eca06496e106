"""What the operator spends per reconciled cluster in the burst: CPU (utime + stime of its process, read
at the phase boundaries) and Kubernetes requests (counted at the API, from the stand-in's audit trail),
and what that CPU means under a user's CPU limit. Pure arithmetic over what figures.py recorded, so that
`--report-only` derives the same figures from a saved run.

The burst's phases, between marks taken while it runs:
  create: the first POST sent → every CreateReplicationGroup arrived at the stand-in;
  wait:   → the first group could have turned available (its Create + the stand-in's create time);
  ready:  → every object seen with its connection Secret and Ready=True;
  total:  the first POST → all Ready (the three above).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from typing import Any

WRITE_VERBS = ("create", "update", "patch", "delete")
OPERATOR_CLIENTS = ("operator", "kopf")  # the operator process's two Kubernetes clients
PHASES = (("create", "posting", "creates_sent"), ("wait", "creates_sent", "first_available"))
PHASES += (("ready", "first_available", "all_ready"), ("total", "posting", "all_ready"))
LIMIT = 0.5  # a user's CPU limit for the operator's container (500 m), for the projection
GOALS = {
    "cpu_ms_per_create": 20.0,  # operator CPU per created cluster
    "cpu_ms_per_ready": 10.0,  # operator CPU per cluster made Ready after it
    "writes_per_cluster": 4.0,  # Kubernetes writes from POST to Ready, Secret and Ready's Event included
    "burst_p99": 5.0,  # seconds, N = 1000
    "readiness_p99": 10.0,  # seconds, N = 1000
}


def client_of(user_agent: str) -> str:
    """Who made a request, by its User-Agent: the operator's own Kubernetes client introduces itself as
    `elasticache-operator` (elasticache_operator.USER_AGENT), kopf's as `kopf/<version>`; anything else is
    the benchmark (requests, aiohttp) or another client."""
    if user_agent.startswith("elasticache-operator"):
        return "operator"
    if user_agent.startswith("kopf/"):
        return "kopf"
    return "other"


def request_key(entry: Mapping[str, str]) -> str:
    """`verb resource[/subresource]`, and `(metadata)` for a PartialObjectMetadata request."""
    what = entry.get("resource", "") + (f"/{entry['subresource']}" if entry.get("subresource") else "")
    return f"{entry.get('verb', '?')} {what}" + (" (metadata)" if entry.get("as") else "")


def audit_counts(entries: Iterable[Mapping[str, str]]) -> dict[str, dict[str, int]]:
    """client → `verb resource[/subresource]` → requests, from audit-trail entries."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for entry in entries:
        counts[client_of(entry.get("userAgent", ""))][request_key(entry)] += 1
    return {client: dict(sorted(c.items())) for client, c in sorted(counts.items())}


def is_write(key: str) -> bool:
    return key.split(" ", 1)[0] in WRITE_VERBS


def requests_per_cluster(counts: Mapping[str, Mapping[str, int]], n: int) -> dict[str, Any]:
    """The operator process's requests (both its clients) per cluster: writes and reads by client and
    `verb resource`, and their totals."""
    by_client = {
        client: {key: count / n for key, count in counts.get(client, {}).items()} for client in OPERATOR_CLIENTS
    }
    writes = {c: {k: v for k, v in keys.items() if is_write(k)} for c, keys in by_client.items()}
    reads = {c: {k: v for k, v in keys.items() if not is_write(k)} for c, keys in by_client.items()}
    return {
        "writes": writes,
        "reads": reads,
        "writes_per_cluster": sum(v for keys in writes.values() for v in keys.values()),
        "reads_per_cluster": sum(v for keys in reads.values() for v in keys.values()),
    }


def seconds_at_limit(cpu_seconds: float, limit: float = LIMIT) -> float:
    """How long the same CPU work takes when the process may use only `limit` CPUs: at best CPU s / limit
    (more if it also waited for the API or AWS)."""
    return cpu_seconds / limit


def phases(marks: Mapping[str, Mapping[str, Any]], n: int, limit: float = LIMIT) -> dict[str, dict[str, Any]]:
    """Per phase whose two marks exist: wall seconds, the operator's CPU seconds, ms per cluster, the share
    of one CPU it used, and the seconds the same CPU would take under `limit`."""
    out: dict[str, dict[str, Any]] = {}
    for name, begin, end in PHASES:
        if begin not in marks or end not in marks:
            continue
        wall = marks[end]["time"] - marks[begin]["time"]
        cpu = marks[end]["cpu_seconds"] - marks[begin]["cpu_seconds"]
        out[name] = {
            "wall_seconds": wall,
            "cpu_seconds": cpu,
            "cpu_ms_per_cluster": cpu * 1000 / n,
            "cpu_share": cpu / wall if wall > 0 else None,  # 1.0: one CPU (the GIL's limit for Python code)
            "seconds_at_limit": seconds_at_limit(cpu, limit),
        }
    return out


def audit_slices(marks: Mapping[str, Mapping[str, Any]], entries: list[Mapping[str, str]]) -> dict[str, Any]:
    """The audit entries of each phase, counted (client → `verb resource` → requests): the trail is in
    the order served, and each mark holds its length when the mark was taken."""
    out: dict[str, Any] = {}
    for name, begin, end in PHASES:
        first, last = (marks.get(begin) or {}).get("audit"), (marks.get(end) or {}).get("audit")
        if first is not None and last is not None:
            out[name] = audit_counts(entries[first:last])
    return out


def burst_budget(n: int, cpu_ms: float, goal_seconds: float, limit: float = LIMIT) -> dict[str, float]:
    """N clusters arriving at once, each costing `cpu_ms` of CPU: the CPU seconds needed, those a process
    limited to `limit` CPUs has within `goal_seconds`, the time the last one needs at least under the
    limit, and the most CPU per cluster that would meet the goal there."""
    needed = n * cpu_ms / 1000
    return {
        "cpu_seconds_needed": needed,
        "cpu_seconds_available": goal_seconds * limit,
        "last_after_seconds": needed / limit,
        "cpu_ms_allowed": goal_seconds * limit * 1000 / n,
    }


def summary(cost: Mapping[str, Any], n: int, limit: float = LIMIT) -> dict[str, Any]:
    """Everything report.py shows of one burst's cost, from what figures.py saved (`marks`, the audit
    counts per phase, or why they were not measured)."""
    marks = cost.get("marks") or {}
    figures = phases(marks, n, limit)
    requests = {name: requests_per_cluster(counts, n) for name, counts in (cost.get("requests") or {}).items()}
    create, ready = figures.get("create") or {}, figures.get("ready") or {}
    total_requests = requests.get("total") or {}
    return {
        "phases": figures,
        "requests": requests,
        "requests_not_measured": cost.get("requests_not_measured"),
        "cpu_ms_per_create": create.get("cpu_ms_per_cluster"),
        "cpu_ms_per_ready": ready.get("cpu_ms_per_cluster"),
        "writes_per_cluster": total_requests.get("writes_per_cluster"),
        "limit": limit,
    }
