"""Deleting a RedisCluster by its deletionPolicy, decided without I/O: what to delete in AWS, and whether
the finalizer may go. It goes only once AWS confirms: the group gone, and EC2 listing none of the
security groups the operator made for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from . import conditions as c
from .access import removal_effects
from .decide import status_fields
from .effects import CheckOwnership, Decided, DeleteGroup, DeleteLogGroup, Effect, Event, Post
from .naming import final_snapshot_name, is_owned, log_group_name
from .observed import ObservedGroup
from .parameters import DeleteParameterGroups
from .snapshot import FINAL_LABEL
from .visit import disowned

Policy = Literal["Delete", "Retain", "Snapshot"]


@dataclass(frozen=True)
class FinalSnapshot:
    """The group's final snapshot once the group is gone, and the RedisSnapshots of the namespace: the
    way back to its data is a RedisSnapshot that names it (`kubectl get redissnapshots`)."""

    snapshot_name: str
    cluster_name: str
    existing: dict[str, str]  # RedisSnapshot name → the snapshot it names (spec.snapshotName, or "")
    labels: dict[str, str]  # the operator installation's claim on it (instance label), if any


@dataclass(frozen=True)
class CreateSnapshotObject(Effect):
    """A RedisSnapshot for a final snapshot: taken under management and kept, owned by nothing, so
    neither garbage collection nor deleting it loses the data."""

    body: dict[str, Any]


def policy_of(spec: dict[str, object]) -> Policy:
    policy = spec.get("deletionPolicy", "Snapshot")
    if policy == "Delete" or policy == "Retain":
        return policy
    return "Snapshot"  # the default, and what a malformed spec gets: never lose data


def decide_deletion(
    policy: Policy,
    observed: ObservedGroup | None,
    group_id: str,
    uid: str,
    deletion_stamp: str,
    secret_name: str,
    security_groups: list[tuple[str, str]],
    final: FinalSnapshot | None = None,
    parameter_groups: tuple[str, ...] = (),
) -> Decided:
    """`security_groups`: (id, role) of those EC2 lists now for this RedisCluster (read only once the
    group is gone); `deletion_stamp`: the object's deletionTimestamp, which names the final snapshot;
    `final`: the final snapshot, once the group is gone, if ElastiCache has it."""
    if observed is None:
        after = _after_the_group(policy, group_id, uid, security_groups, parameter_groups)
        return after if final is None else _with_final_snapshot(after, final)
    if not is_owned(observed.tags, uid):
        message = f"Replication group {group_id} is not this RedisCluster's; left in AWS"
        return Decided(c.Verdict("False", c.NOT_OWNED, message), (Post(Event("Warning", c.NOT_OWNED, message)),))
    if policy == "Retain":
        message = f"Replication group {group_id} is kept in AWS with its data and tags"
        return Decided(c.Verdict("False", c.DELETING, message), (Post(Event("Normal", "Retained", message)),))
    fields = status_fields(group_id, observed, secret_name)
    if observed.status not in ("available", "create-failed"):
        message = f"Waiting for replication group {group_id} to leave {observed.status} before deleting"
        if observed.status == "deleting":
            message = f"Deleting replication group {group_id}"
        return Decided(c.Verdict("False", c.DELETING, message, progressing=True), status=fields, done=False)
    snapshot = None
    if policy == "Snapshot" and observed.status == "available":
        snapshot = final_snapshot_name(group_id, deletion_stamp)
    said = f" after final snapshot {snapshot}" if snapshot else " without a final snapshot"
    effects = (
        CheckOwnership(group_id, observed.arn, disowned(group_id)),
        DeleteGroup(group_id, snapshot),
        Post(Event("Normal", "DeletingGroup", f"Deleting replication group {group_id}{said}")),
    )
    deleting = c.Verdict("False", c.DELETING, f"Deleting replication group {group_id}", progressing=True)
    return Decided(deleting, effects, fields, done=False)


def _after_the_group(
    policy: Policy,
    group_id: str,
    uid: str,
    security_groups: list[tuple[str, str]],
    parameter_groups: tuple[str, ...],
) -> Decided:
    """The group is gone: its slow-log group, parameter groups and security groups go too (not with
    Retain: the kept group still uses them); done once EC2 lists none of those."""
    effects: list[Effect] = []
    if policy != "Retain":
        effects.append(DeleteLogGroup(log_group_name(group_id), uid))
        if parameter_groups:
            effects.append(DeleteParameterGroups(parameter_groups, (), status={"parameterGroups": None}))
        effects += removal_effects(security_groups)
    if effects and security_groups:
        message = f"Replication group {group_id} is gone; deleting its security groups"
        return Decided(c.Verdict("False", c.DELETING, message, progressing=True), tuple(effects), done=False)
    effects.insert(0, Post(Event("Normal", "Deleted", f"Replication group {group_id} is gone")))
    return Decided(c.Verdict("False", c.DELETING, f"Replication group {group_id} is gone"), tuple(effects))


def _with_final_snapshot(after: Decided, final: FinalSnapshot) -> Decided:
    """A RedisSnapshot named after the cluster (`<name>-final`, or with a number when that is taken),
    unless one names the snapshot already."""
    if final.snapshot_name in final.existing.values():
        return after
    name = next(
        candidate
        for n in range(1, len(final.existing) + 2)
        if (candidate := f"{final.cluster_name[:240]}-final" + (f"-{n}" if n > 1 else "")) not in final.existing
    )
    body = {
        "apiVersion": "redis.elasticache-operator.io/v1alpha1",
        "kind": "RedisSnapshot",
        "metadata": {"name": name, "labels": {**final.labels, FINAL_LABEL: final.cluster_name}},
        "spec": {"snapshotName": final.snapshot_name, "deletionPolicy": "Retain"},
    }
    said = (
        f"RedisSnapshot {name} keeps final snapshot {final.snapshot_name}; a RedisCluster with"
        f" spec.restoreFrom.redisSnapshotName: {name} gets the data back"
    )
    effects = (CreateSnapshotObject(body), Post(Event("Normal", "FinalSnapshot", said)), *after.effects)
    return Decided(after.verdict, effects, after.status, after.requeue_after, after.retry, after.done)
