"""A RedisSnapshot's visit and deletion: read the snapshot from the shared observation (and, while it is
still to be taken, the source RedisCluster from Kubernetes), let core/snapshot.py decide, carry it out."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from .. import PLURAL as CLUSTERS
from .. import metrics
from ..aws.errors import AWSCallError
from ..aws.observer import SNAPSHOT_KEY
from ..core import conditions as c
from ..core import naming
from ..core.decide import claimed_elsewhere, holding_after_failure, invalid_spec
from ..core.effects import Event
from ..core.snapshot import (
    CreateSnapshot,
    DeleteSnapshot,
    SnapshotSituation,
    SnapshotSpec,
    SourceCluster,
    decide_snapshot,
    decide_snapshot_deletion,
    restoring_from,
)
from ..core.spec import describe_validation_error
from . import Deps, Outcome, Visit, forget, locked
from .effects import Carried, act, acts, carry_out, failed

PLURAL = "redissnapshots"


def snapshot_keys(body: dict[str, Any]) -> set[str]:
    """What wakes a RedisSnapshot: its snapshot changing in the shared observation."""
    meta, spec = body["metadata"], body.get("spec") or {}
    name = (spec.get("snapshotName") or "").lower() or naming.snapshot_name(
        meta["namespace"], meta["name"], meta["uid"]
    )
    return {SNAPSHOT_KEY + name}


def reconcile(body: dict[str, Any], deps: Deps) -> Outcome:
    visit = Visit(body, deps, counted=False)
    with locked(visit.identity.uid), metrics.reconcile_duration_seconds.time():
        return _visit(visit)


def _visit(visit: Visit) -> Outcome:
    settings, identity = visit.deps.settings, visit.identity
    if elsewhere := claimed_elsewhere(visit.status, settings.instance, "RedisSnapshot", "snapshotName"):
        return visit.conclude(elsewhere, {})
    try:
        spec = SnapshotSpec.model_validate(visit.spec)
    except ValidationError as e:
        return visit.conclude(invalid_spec(describe_validation_error(e)), {})
    if holding_after_failure(visit.status, visit.generation):
        return Outcome()  # a quota fault was final for this object: no new calls until it changes
    name = spec.aws_name(identity.namespace, identity.name, identity.uid)
    visit.deps.observer.watch_snapshot(name)
    try:
        observed = visit.deps.observer.snapshot(name)
        to_take = observed is None and spec.taken and not visit.status.get("status")
        source = _source(visit, spec.redis_cluster_name) if to_take and spec.redis_cluster_name else None
    except AWSCallError as e:
        return failed(visit, e, {"snapshotName": name})
    tags = naming.ownership_tags(identity.namespace, identity.name, identity.uid, identity.cluster_name)
    situation = SnapshotSituation(name, spec, visit.status, observed, source, tags)
    return act(visit, decide_snapshot(situation), {})


def _source(visit: Visit, cluster: str) -> SourceCluster:
    """The RedisCluster to take the snapshot of: whether it is there and Ready, and its group as observed."""
    obj = visit.deps.objects.get("redisclusters", visit.identity.namespace, cluster)
    if obj is None:
        return SourceCluster(cluster, exists=False)
    status = obj.get("status") or {}
    ready = c.ready_of(status.get("conditions") or [])[0] == "True"
    group_id = status.get("replicationGroupId")
    group = visit.deps.observer.observe(group_id) if group_id else None
    return SourceCluster(cluster, exists=True, ready=ready, group=group)


def finalize(body: dict[str, Any], deps: Deps) -> Outcome:
    """Carry out the deletion policy; `done` once ElastiCache has no such snapshot (or it is kept)."""
    visit = Visit(body, deps, counted=False)
    uid = visit.identity.uid
    with locked(uid):
        outcome = _finalize(visit)
    if outcome.done:
        forget(uid)
    return outcome


def _finalize(visit: Visit) -> Outcome:
    settings, identity = visit.deps.settings, visit.identity
    if elsewhere := claimed_elsewhere(visit.status, settings.instance, "RedisSnapshot", "snapshotName"):
        outcome = visit.conclude(elsewhere, {}, settings.retry_seconds)
        outcome.done = False
        return outcome
    try:
        spec = SnapshotSpec.model_validate(visit.spec)
    except ValidationError:
        return Outcome()  # never admitted, so never taken: nothing in AWS is this object's
    name = visit.status.get("snapshotName") or spec.aws_name(identity.namespace, identity.name, identity.uid)
    try:
        observed = visit.deps.observer.describe_snapshot(name)
    except AWSCallError as e:
        outcome = failed(visit, e, {})
        outcome.done = False
        return outcome
    policy, restoring_into = spec.effective_deletion_policy, None
    if policy == "Delete" and observed is not None:  # a RedisCluster to be restored from it holds it
        clusters = visit.deps.objects.list(CLUSTERS, identity.namespace, "")
        restoring_into = restoring_from(clusters, identity.name, name)
    decided = decide_snapshot_deletion(policy, name, observed, restoring_into)
    carried = carry_out(decided.effects, visit)
    if carried.failure is not None:
        outcome = failed(visit, carried.failure, {})
        outcome.done = False
        return outcome
    if decided.done:
        visit.deps.observer.unwatch_snapshot(name)
        return Outcome(events=carried.events)
    outcome = visit.conclude(decided.verdict, {**decided.status, **carried.status}, settings.poll_seconds)
    outcome.events += carried.events
    outcome.done = False
    return outcome


@acts(CreateSnapshot)
def _create(effect: CreateSnapshot, visit: Visit, carried: Carried) -> None:
    elasticache, observer = visit.deps.elasticache, visit.deps.observer
    if elasticache.create_snapshot(effect.name, effect.tags, effect.group_id, effect.cache_cluster_id):
        observer.noted_snapshot(effect.name, "creating", effect.group_id)
        observer.noted_change(effect.group_id, status="snapshotting")
    else:  # taken already: by this object before a restart, or (if the name were reused) by someone else
        observer.describe_snapshot(effect.name)


@acts(DeleteSnapshot)
def _delete(effect: DeleteSnapshot, visit: Visit, carried: Carried) -> None:
    if visit.deps.elasticache.delete_snapshot(effect.name):
        visit.deps.observer.noted_snapshot(effect.name, "deleting")
    else:
        carried.events.append(Event("Normal", "Deleted", f"Snapshot {effect.name} was gone already"))
