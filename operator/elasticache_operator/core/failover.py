"""Rehearsing failover, decided without I/O: the annotation redis.elasticache-operator.io/test-failover
asks for one test per new value; each shard is failed over in turn (TestFailover, one shard of a group
at a time, as AWS requires), the next only once the group is available again with the shard's primary
moved; status.lastFailoverTest records the value, the times and each shard's outcome."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import conditions as c
from .effects import Effect, Event, Post, Record
from .observed import ObservedGroup

ANNOTATION = "redis.elasticache-operator.io/test-failover"
REFUSED_BY_AWS = ("TestFailoverNotAvailableFault", "APICallRateForCustomerExceeded", "NodeGroupNotFoundFault")


@dataclass(frozen=True)
class TestFailover(Effect):
    group_id: str
    shard_id: str
    record: dict[str, Any]  # lastFailoverTest with this shard started
    refused: dict[str, Any]  # lastFailoverTest if AWS refuses it (its message is added)
    said: str  # the Event once AWS took it


@dataclass(frozen=True)
class Rehearsal:
    effects: tuple[Effect, ...]
    verdict: c.Verdict | None  # replaces an Available verdict while the test runs


def rehearse(
    value: str | None, recorded: Mapping[str, Any] | None, group: ObservedGroup, now: datetime.datetime
) -> Rehearsal:
    """`value`: the annotation; `recorded`: status.lastFailoverTest; `group`: available and in sync."""
    recorded = dict(recorded or {})
    if not value or (recorded.get("value") == value and recorded.get("finished")):
        return Rehearsal((), None)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if recorded.get("value") != value:
        if problem := _cannot(group):
            record = {"value": value, "started": stamp, "finished": stamp, "result": "Refused", "message": problem}
            return Rehearsal((Record(status={"lastFailoverTest": record}), _warn("FailoverTestRefused", problem)), None)
        recorded = {"value": value, "started": stamp, "result": "Running", "shards": []}
    return _next_shard(recorded, group, stamp)


def _cannot(group: ObservedGroup) -> str:
    if not group.automatic_failover:
        return "A failover test needs automatic failover: set enableAutomaticFailover: true (and a replica)"
    if min(group.replica_counts or (group.replicas_per_shard,)) < 1:
        return "A failover test needs at least one replica in every shard: set numReplicaNodes: 1 or more"
    return ""


def _next_shard(recorded: dict[str, Any], group: ObservedGroup, stamp: str) -> Rehearsal:
    shards = [dict(s) for s in recorded.get("shards") or []]
    current = shards[-1] if shards else None
    if current is not None and current.get("result") == "Started":
        primary = _primary(group, current["id"])
        if primary == current.get("primaryBefore"):  # AWS has not moved it yet
            return Rehearsal((), _running(recorded, current["id"], len(group.shard_ids)))
        current.update(result="Completed", primaryAfter=primary, finished=stamp)
    done = {s["id"] for s in shards}
    todo = [shard for shard in group.shard_ids if shard not in done]
    if not todo:
        record = {**recorded, "shards": shards, "finished": stamp, "result": "Completed"}
        said = f"Failover test {recorded['value']!r} done: every shard's primary moved to a replica and back in service"
        return Rehearsal((Record(status={"lastFailoverTest": record}), _info("FailoverTestCompleted", said)), None)
    shard = todo[0]
    started = {"id": shard, "result": "Started", "started": stamp, "primaryBefore": _primary(group, shard)}
    record = {**recorded, "shards": [*shards, started]}
    refused = {**recorded, "shards": shards, "finished": stamp, "result": "Failed"}
    said = f"Failover test {recorded['value']!r}: failing over shard {shard} ({len(shards) + 1}/{len(group.shard_ids)})"
    test = TestFailover(group.group_id, shard, record, refused, said)
    return Rehearsal((test,), _running(recorded, shard, len(group.shard_ids)))


def _primary(group: ObservedGroup, shard: str) -> str:
    return dict(zip(group.shard_ids, group.primaries, strict=False)).get(shard, "")


def _running(recorded: Mapping[str, Any], shard: str, shards: int) -> c.Verdict:
    done = len(recorded.get("shards") or [])
    message = f"Available; failover test {recorded['value']!r} under way: shard {shard} ({max(done, 1)}/{shards})"
    return c.Verdict("True", c.AVAILABLE, message, progressing=True)


def _info(reason: str, message: str) -> Post:
    return Post(Event("Normal", reason, message))


def _warn(reason: str, message: str) -> Post:
    return Post(Event("Warning", reason, message))
