"""A RedisCluster created from a snapshot (spec.restoreFrom), decided without I/O: whether AWS would
take it, checked before any call, and what CreateReplicationGroup then carries.

AWS's rules ("Restoring from a backup into a new cache"): a snapshot of a cluster-mode-enabled group
restores only into a cluster-mode-enabled one; one of a cluster-mode-disabled group restores into
either; the shard count may differ, and then each shard's slots are given (NodeGroupConfiguration);
the node type may differ; the engine version may not be lower than the snapshot's.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import conditions as c
from .desired import DesiredGroup
from .plan import version_tuple
from .snapshot import ObservedSnapshot

SLOTS = 16384


@dataclass(frozen=True)
class RestoreSource:
    """spec.restoreFrom as read: the snapshot it resolves to, or why it does not (yet)."""

    snapshot_name: str | None  # None: a RedisSnapshot that names none (yet)
    redis_snapshot_name: str | None
    observed: ObservedSnapshot | None
    waiting: str = ""  # the RedisSnapshot is missing or not Ready: said, and tried again

    def as_status(self) -> dict[str, str | None]:
        return {"snapshotName": self.snapshot_name, "redisSnapshotName": self.redis_snapshot_name}


def restore_refusal(desired: DesiredGroup, source: RestoreSource) -> c.Verdict | None:
    """Why the group cannot be created from this snapshot now, in one sentence; None if it can."""
    if source.waiting:
        return c.Verdict("False", c.INVALID_SPEC, source.waiting)
    snapshot = source.observed
    if snapshot is None:
        return c.Verdict(
            "False", c.INVALID_SPEC, f"restoreFrom: ElastiCache has no snapshot named {source.snapshot_name}"
        )
    if snapshot.status not in ("available", "restoring"):
        message = (
            f"restoreFrom: snapshot {snapshot.name} is {snapshot.status}; the group is created once it is available"
        )
        return c.Verdict("False", c.INVALID_SPEC, message)
    if problem := _incompatible(desired, snapshot):
        return c.Verdict("False", c.INVALID_SPEC, f"restoreFrom: {problem}", terminal=True)
    return None


def _incompatible(desired: DesiredGroup, snapshot: ObservedSnapshot) -> str | None:
    if snapshot.sharded and not desired.sharded:
        return (
            f"snapshot {snapshot.name} is of a sharded group, and ElastiCache restores it only into a sharded"
            " cluster: create this RedisCluster anew with enableSharding: true"
        )
    if snapshot.engine == "valkey" and desired.engine != "valkey":
        return f"snapshot {snapshot.name} is of Valkey, and Valkey data cannot be restored into Redis OSS"
    have = version_tuple(snapshot.engine_version)[:2]
    if snapshot.engine == desired.engine and version_tuple(desired.engine_version)[:2] < have:
        return (
            f"engineVersion {desired.engine_version} is lower than the snapshot's {snapshot.engine_version}, and"
            " ElastiCache restores only into the same version or a later one"
        )
    return None


def slot_ranges(shards: int) -> list[str]:
    """The 16384 hash slots split evenly, as AWS splits them: "0-8191", "8192-16383"."""
    bounds = [i * SLOTS // shards for i in range(shards + 1)]
    return [f"{bounds[i]}-{bounds[i + 1] - 1}" for i in range(shards)]


def restore_request(desired: DesiredGroup, snapshot_name: str) -> dict[str, object]:
    """What CreateReplicationGroup carries besides the usual: the snapshot, and for a sharded group each
    shard's slots and replicas (needed whenever the shard count differs from the snapshot's)."""
    request: dict[str, object] = {"SnapshotName": snapshot_name}
    if desired.sharded:
        request["NodeGroupConfiguration"] = [
            {"NodeGroupId": f"{i + 1:04}", "Slots": slots, "ReplicaCount": desired.replicas_per_shard}
            for i, slots in enumerate(slot_ranges(desired.num_shards))
        ]
    return request
