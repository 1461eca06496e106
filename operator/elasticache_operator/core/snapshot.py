"""RedisSnapshot, decided without I/O: an ElastiCache snapshot taken now of a RedisCluster, or an
existing one taken under management; what its status says; and what deleting the object does to it.
The shell (reconcile/snapshot.py) reads the snapshot from the shared observation and the source
RedisCluster from Kubernetes, and carries the effects out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from . import conditions as c
from .effects import Decided, Effect, Event, Post
from .naming import snapshot_name
from .observed import ObservedGroup
from .spec import K8S_NAME_PATTERN, SpecModel

SNAPSHOT_NAME_PATTERN = r"^[a-zA-Z][a-zA-Z0-9.-]*$"
BUSY = ("creating", "deleting", "restoring", "copying")
FINAL_LABEL = "redis.elasticache-operator.io/source-cluster"  # on a final snapshot's RedisSnapshot

Policy = Literal["Delete", "Retain"]


class SnapshotSpec(SpecModel):
    redis_cluster_name: str | None = Field(default=None, min_length=1, max_length=253, pattern=K8S_NAME_PATTERN)
    snapshot_name: str | None = Field(default=None, min_length=1, max_length=255, pattern=SNAPSHOT_NAME_PATTERN)
    deletion_policy: Policy | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SnapshotSpec:
        if (self.redis_cluster_name is None) == (self.snapshot_name is None):
            raise ValueError("exactly one of redisClusterName and snapshotName must be set")
        return self

    @property
    def taken(self) -> bool:
        """The operator takes this snapshot (rather than taking an existing one under management)."""
        return self.redis_cluster_name is not None

    @property
    def effective_deletion_policy(self) -> Policy:
        """Unset: a snapshot the operator took goes with the object, one taken under management stays."""
        return self.deletion_policy or ("Delete" if self.taken else "Retain")

    def aws_name(self, namespace: str, name: str, uid: str) -> str:
        return self.snapshot_name.lower() if self.snapshot_name else snapshot_name(namespace, name, uid)


@dataclass(frozen=True)
class ObservedSnapshot:
    name: str
    status: str  # creating, available, restoring, copying, deleting, failed
    group_id: str
    cache_cluster_id: str
    engine: str
    engine_version: str
    node_type: str
    shards: int
    sharded: bool
    created_at: str
    size_bytes: int

    @property
    def busy(self) -> bool:
        return self.status in BUSY


def observed_snapshot(snapshot: Mapping[str, Any]) -> ObservedSnapshot:
    """From one DescribeSnapshots entry (ShowNodeGroupConfig)."""
    nodes = snapshot.get("NodeSnapshots") or []
    shards = int(snapshot.get("NumNodeGroups") or len({n.get("NodeGroupId") for n in nodes}) or 1)
    created = sorted(str(n["SnapshotCreateTime"]) for n in nodes if n.get("SnapshotCreateTime"))
    sharded = any((n.get("NodeGroupConfiguration") or {}).get("Slots") for n in nodes) or shards > 1
    return ObservedSnapshot(
        name=str(snapshot.get("SnapshotName", "")),
        status=str(snapshot.get("SnapshotStatus", "")),
        group_id=str(snapshot.get("ReplicationGroupId") or ""),
        cache_cluster_id=str(snapshot.get("CacheClusterId") or ""),
        engine=str(snapshot.get("Engine") or "redis"),
        engine_version=str(snapshot.get("EngineVersion") or ""),
        node_type=str(snapshot.get("CacheNodeType") or ""),
        shards=shards,
        sharded=bool(sharded),
        created_at=created[0] if created else "",
        size_bytes=sum(cache_size_bytes(str(n.get("CacheSize") or "")) for n in nodes),
    )


_UNITS = {"": 1, "B": 1, "BYTES": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def cache_size_bytes(text: str) -> int:
    """A NodeSnapshot's CacheSize as AWS writes it ("5 MB", "1.5 GB", "312 bytes"), in bytes (0 if unknown)."""
    match = re.match(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$", text)
    if not match or match[2].upper() not in _UNITS:
        return 0
    return int(float(match[1]) * _UNITS[match[2].upper()])


@dataclass(frozen=True)
class SourceCluster:
    """The RedisCluster a snapshot is to be taken of, as read from Kubernetes and the shared observation."""

    name: str
    exists: bool
    ready: bool = False
    group: ObservedGroup | None = None


@dataclass(frozen=True)
class CreateSnapshot(Effect):
    name: str
    group_id: str
    cache_cluster_id: str | None  # a replica of a non-sharded group, sparing the primary the fork
    tags: dict[str, str]


@dataclass(frozen=True)
class DeleteSnapshot(Effect):
    name: str


@dataclass(frozen=True)
class SnapshotSituation:
    """What one visit of a RedisSnapshot decides on, read once."""

    name: str  # the ElastiCache snapshot's
    spec: SnapshotSpec
    status: Mapping[str, Any]
    observed: ObservedSnapshot | None
    source: SourceCluster | None  # read only while the snapshot is still to be taken
    tags: dict[str, str]  # the ownership tags a snapshot it takes gets


def decide_snapshot(s: SnapshotSituation) -> Decided:
    base: dict[str, Any] = {
        "snapshotName": s.name,
        "deletionPolicy": s.spec.effective_deletion_policy,
        "sourceCluster": s.spec.redis_cluster_name,
    }
    if s.observed is not None:
        return Decided(_verdict(s.observed), status={**base, **snapshot_status(s.observed)})
    if not s.spec.taken:
        message = f"ElastiCache has no snapshot named {s.name} in this region"
        return Decided(c.Verdict("False", c.NOT_FOUND, message, terminal=True), status=base, retry=True)
    if s.status.get("createdAt") or s.status.get("status"):
        message = f"Snapshot {s.name} was taken but ElastiCache no longer has it (deleted outside the operator)"
        return Decided(c.Verdict("False", c.NOT_FOUND, message, terminal=True), status=base)
    return _take(s, base)


def _take(s: SnapshotSituation, base: dict[str, Any]) -> Decided:
    """No AWS call until the source RedisCluster is there and Ready, and its group available."""
    source = s.source
    assert source is not None
    if not source.exists:
        message = f"RedisCluster {source.name} does not exist in this namespace; the snapshot is taken once it does"
        return Decided(c.Verdict("False", c.SOURCE_NOT_READY, message), status=base, retry=True)
    group = source.group
    if not source.ready or group is None or group.status != "available":
        said = group.status if group is not None else "not Ready"
        message = f"RedisCluster {source.name} is {said}; the snapshot is taken once it is Ready and available"
        return Decided(c.Verdict("False", c.SOURCE_NOT_READY, message, progressing=True), status=base)
    # A sharded group is snapshotted as a whole; a non-sharded one from a replica when it has one.
    node = None if group.sharded or not group.replica_ids else group.replica_ids[0]
    effects: tuple[Effect, ...] = (
        CreateSnapshot(s.name, group.group_id, node, s.tags),
        Post(Event("Normal", "TakingSnapshot", f"Taking snapshot {s.name} of replication group {group.group_id}")),
    )
    message = f"Taking snapshot {s.name} of replication group {group.group_id}" + (f" from {node}" if node else "")
    return Decided(c.Verdict("False", c.CREATING, message, progressing=True), effects, base)


def _verdict(observed: ObservedSnapshot) -> c.Verdict:
    if observed.status == "available":
        return c.Verdict("True", c.AVAILABLE, f"Snapshot {observed.name} is available ({observed.size_bytes} bytes)")
    if observed.status in ("restoring", "copying"):
        said = "a restore is reading it" if observed.status == "restoring" else "it is being copied"
        return c.Verdict("True", c.AVAILABLE, f"Snapshot {observed.name} is available; {said}", progressing=True)
    if observed.status == "creating":
        return c.Verdict("False", c.CREATING, f"ElastiCache is taking snapshot {observed.name}", progressing=True)
    if observed.status == "deleting":
        return c.Verdict("False", c.DELETING, f"ElastiCache is deleting snapshot {observed.name}", progressing=True)
    if observed.status == "failed":
        return c.Verdict("False", c.FAILED, f"ElastiCache could not take snapshot {observed.name}", terminal=True)
    return c.Verdict("False", c.UNKNOWN_STATUS, f"ElastiCache reports snapshot status {observed.status!r}", True)


def snapshot_status(observed: ObservedSnapshot) -> dict[str, Any]:
    return {
        "status": observed.status,
        "createdAt": observed.created_at or None,
        "sizeBytes": observed.size_bytes,
        "source": {
            "replicationGroupId": observed.group_id,
            "cacheClusterId": observed.cache_cluster_id or None,
            "engine": observed.engine,
            "engineVersion": observed.engine_version,
            "nodeType": observed.node_type,
            "shards": observed.shards,
            "sharded": observed.sharded,
        },
    }


def restoring_from(clusters: Iterable[Mapping[str, Any]], redis_snapshot: str, name: str) -> str | None:
    """The first RedisCluster still to be restored from this snapshot (named by its RedisSnapshot or by the
    snapshot's own name): not being deleted, not refused for good (Stalled), and its group not up yet
    (ElastiCache has reported it as nothing but creating). Its restore may not have reached AWS yet (its
    operator restarted before CreateReplicationGroup, or has not visited it): AWS's `restoring` would not
    hold the snapshot for it."""
    for obj in clusters:
        restore = (obj.get("spec") or {}).get("restoreFrom") or {}
        by_name = (restore.get("snapshotName") or "").lower() == name
        if restore.get("redisSnapshotName") != redis_snapshot and not by_name:
            continue
        status = obj.get("status") or {}
        stalled = any(x.get("type") == c.STALLED and x.get("status") == "True" for x in status.get("conditions") or [])
        deleted = bool((obj.get("metadata") or {}).get("deletionTimestamp"))
        if status.get("status") in (None, "", "creating") and not stalled and not deleted:
            return str(obj["metadata"]["name"])
    return None


def decide_snapshot_deletion(
    policy: Policy, name: str, observed: ObservedSnapshot | None, restoring_into: str | None = None
) -> Decided:
    """Retain keeps it; Delete deletes it once no restore reads it (`restoring_into`: a RedisCluster whose
    restore from it is not done), and is done once ElastiCache has none."""
    if policy == "Retain":
        message = f"Snapshot {name} is kept in ElastiCache (deletionPolicy Retain)"
        return Decided(c.Verdict("False", c.DELETING, message), (Post(Event("Normal", "Retained", message)),))
    if observed is None:
        message = f"Snapshot {name} is gone"
        return Decided(c.Verdict("False", c.DELETING, message), (Post(Event("Normal", "Deleted", message)),))
    if restoring_into is not None and observed.status not in ("failed", "deleting"):
        said = f"RedisCluster {restoring_into} is being restored from it; it is deleted once that restore is done"
        verdict = c.Verdict("False", c.DELETING, f"Snapshot {name}: {said}", progressing=True)
        return Decided(verdict, status=snapshot_status(observed), done=False)
    if observed.status in ("available", "failed"):
        deleting = c.Verdict("False", c.DELETING, f"Deleting snapshot {name}", progressing=True)
        effects = (DeleteSnapshot(name), Post(Event("Normal", "DeletingSnapshot", f"Deleting snapshot {name}")))
        return Decided(deleting, effects, snapshot_status(observed), done=False)
    waiting = {
        "restoring": "a restore is reading it; it is deleted once the restore is done",
        "creating": "ElastiCache is still taking it",
        "copying": "ElastiCache is copying it",
    }.get(observed.status, "ElastiCache is deleting it")
    verdict = c.Verdict("False", c.DELETING, f"Snapshot {name}: {waiting}", progressing=True)
    return Decided(verdict, status=snapshot_status(observed), done=False)
