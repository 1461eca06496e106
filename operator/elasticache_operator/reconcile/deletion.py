"""Deleting a RedisCluster (kopf's on.delete): read the group, and once it is gone the security groups
EC2 lists for it now; core/deletion.py decides by the deletionPolicy; the effects carry it out. The
finalizer goes only when the decision says AWS has confirmed everything is gone (or is to be kept)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from .. import INSTANCE_LABEL, metrics
from ..aws.errors import AWSCallError
from ..core import access, naming
from ..core.decide import claimed_elsewhere
from ..core.deletion import CreateSnapshotObject, FinalSnapshot, decide_deletion, policy_of
from ..core.effects import Event
from ..core.observed import ObservedGroup
from ..core.parameters import wanted_parameters
from ..core.spec import parse_spec
from ..kube.objects import NamespaceTerminating
from . import Deps, Outcome, Visit, confirmed, forget, locked, stamp
from .cluster import Target
from .effects import Carried, acts, carry_out, failed
from .snapshot import PLURAL as SNAPSHOTS

log = logging.getLogger(__name__)


def finalize(body: dict[str, Any], deps: Deps) -> Outcome:
    """Carry out the deletion policy; `done` only once AWS confirms (or the policy keeps the group)."""
    visit = Visit(body, deps)
    uid = visit.identity.uid
    with locked(uid):
        outcome = _finalize(visit)
    if outcome.done:
        forget(uid)
        metrics.record_phase(uid, None)
    return outcome


def _finalize(visit: Visit) -> Outcome:
    group_id = Target.of(visit).group_id
    if visit.spec.get("managementPolicy") == "ObserveOnly":
        return Outcome(events=[Event("Normal", "Released", f"Replication group {group_id} was only observed; kept")])
    if elsewhere := claimed_elsewhere(visit.status, visit.deps.settings.instance):
        # Never "gone" to the wrong installation: the finalizer stays until the right one deletes it.
        return _unfinished(visit.conclude(elsewhere, {}, visit.deps.settings.retry_seconds))
    policy = policy_of(visit.spec)
    deletion_stamp = visit.meta.get("deletionTimestamp") or stamp(visit.deps.now())
    try:
        observed = _observed(visit, group_id)
        security_groups = _security_groups(visit) if observed is None and policy != "Retain" else []
        final = _final_snapshot(visit, group_id, deletion_stamp) if observed is None and policy == "Snapshot" else None
    except AWSCallError as e:
        return _unfinished(failed(visit, e, {}))
    secret_name = visit.status.get("connectionSecretName", "")
    made = _parameter_groups(visit, group_id)
    decided = decide_deletion(
        policy, observed, group_id, visit.identity.uid, deletion_stamp, secret_name, security_groups, final, made
    )
    carried = carry_out(decided.effects, visit)
    if carried.failure is not None:
        return _unfinished(failed(visit, carried.failure, {}))
    if carried.stopped is not None:  # the ownership tags went meanwhile: the group is not ours to delete
        return Outcome(events=[Event("Warning", carried.stopped.reason, f"{carried.stopped.message}; left in AWS")])
    if decided.done:
        return Outcome(events=carried.events)
    fields = {**decided.status, **carried.status}
    return _unfinished(visit.conclude(decided.verdict, fields, visit.deps.settings.poll_seconds, carried.events))


def _observed(visit: Visit, group_id: str) -> ObservedGroup | None:
    observed = visit.deps.observer.observe(group_id)
    if observed is None or observed.status in ("available", "create-failed"):
        observed = visit.deps.observer.describe(group_id)  # gone, or about to be deleted: AWS says so, now
    return confirmed(visit, observed)


def _parameter_groups(visit: Visit, group_id: str) -> tuple[str, ...]:
    """The parameter groups status names, and the one the spec asks for (made by a visit that was cut
    short before it could say so); one that is not there is skipped."""
    made = set(visit.status.get("parameterGroups") or ())
    try:
        spec = parse_spec(visit.spec)
    except ValidationError:
        return tuple(sorted(made))
    version = spec.effective_engine_version
    wanted = wanted_parameters(spec.parameter_values, group_id, spec.engine, version, spec.enable_sharding)
    return tuple(sorted(made | ({wanted.group_name} if wanted else set())))


def _security_groups(visit: Visit) -> list[tuple[str, str]]:
    """The security groups EC2 lists for this RedisCluster now (not the observer's copy): (id, role)."""
    if visit.deps.ec2 is None:
        return []
    listed = visit.deps.observer.refresh_security_groups(visit.identity.uid)
    return [(group["GroupId"], access.role_of(group)) for group in listed]


def _final_snapshot(visit: Visit, group_id: str, deletion_stamp: str) -> FinalSnapshot | None:
    """The final snapshot AWS took, if it did (not of a group that failed to come up), and the
    RedisSnapshots of the namespace, to see whether one names it already."""
    name = naming.final_snapshot_name(group_id, deletion_stamp)
    if visit.deps.observer.describe_snapshot(name) is None:
        return None
    objects = visit.deps.objects.list(SNAPSHOTS, visit.identity.namespace, "")
    existing = {o["metadata"]["name"]: ((o.get("spec") or {}).get("snapshotName") or "").lower() for o in objects}
    instance = visit.deps.settings.instance
    labels = {INSTANCE_LABEL: instance} if instance else {}
    return FinalSnapshot(name, visit.identity.name, existing, labels)


@acts(CreateSnapshotObject)
def _create_snapshot_object(effect: CreateSnapshotObject, visit: Visit, carried: Carried) -> None:
    """A name taken meanwhile (by an object made between the listing and this create) fails the
    deletion handler, which kopf retries; the next visit lists again and picks another name. A namespace
    being deleted takes no new object: the snapshot stays in AWS (tagged with the cluster's namespace
    and name), and the log says which, rather than holding the namespace's deletion."""
    try:
        created = visit.deps.objects.create(SNAPSHOTS, visit.identity.namespace, effect.body)
    except NamespaceTerminating:
        snapshot = effect.body["spec"]["snapshotName"]
        log.warning(f"Final snapshot {snapshot} kept in AWS; namespace {visit.identity.namespace} is being deleted")
        return
    if not created:
        raise RuntimeError(f"RedisSnapshot {effect.body['metadata']['name']} was created meanwhile; trying again")


def _unfinished(outcome: Outcome) -> Outcome:
    outcome.done = False
    return outcome
