"""Deleting a RedisCluster by its deletionPolicy, decided without I/O: what to delete in AWS, and whether
the finalizer may go. It goes only once AWS confirms: the group gone, and EC2 listing none of the
security groups the operator made for it."""

from __future__ import annotations

from typing import Literal

from . import conditions as c
from .access import removal_effects
from .decide import status_fields
from .effects import CheckOwnership, Decided, DeleteGroup, DeleteLogGroup, Effect, Event, Post
from .naming import final_snapshot_name, is_owned, log_group_name
from .observed import ObservedGroup
from .visit import disowned

Policy = Literal["Delete", "Retain", "Snapshot"]


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
) -> Decided:
    """`security_groups`: (id, role) of those EC2 lists now for this RedisCluster (read only once the
    group is gone); `deletion_stamp`: the object's deletionTimestamp, which names the final snapshot."""
    if observed is None:
        return _after_the_group(policy, group_id, uid, security_groups)
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


def _after_the_group(policy: Policy, group_id: str, uid: str, security_groups: list[tuple[str, str]]) -> Decided:
    """The group is gone: its slow-log group and security groups go too (not with Retain); done once EC2
    lists none of those."""
    effects: list[Effect] = []
    if policy != "Retain":
        effects.append(DeleteLogGroup(log_group_name(group_id), uid))
        effects += removal_effects(security_groups)
    if effects and security_groups:
        message = f"Replication group {group_id} is gone; deleting its security groups"
        return Decided(c.Verdict("False", c.DELETING, message, progressing=True), tuple(effects), done=False)
    effects.insert(0, Post(Event("Normal", "Deleted", f"Replication group {group_id} is gone")))
    return Decided(c.Verdict("False", c.DELETING, f"Replication group {group_id} is gone"), tuple(effects))
