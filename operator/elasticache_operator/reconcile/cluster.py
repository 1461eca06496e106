"""A RedisCluster's visit: read what the decision needs into one `Situation`, let the pure core decide
(core/visit.py), carry the effects out (effects.py). Adoption and observe-only (adoption.py), security
groups (access.py) and deletion (deletion.py) have the same shape."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .. import ADOPT_ANNOTATION, metrics
from ..aws.errors import AWSCallError
from ..core import conditions as c
from ..core import failover, naming
from ..core.decide import claimed_elsewhere, holding_after_failure, invalid_spec, status_fields
from ..core.desired import DesiredGroup, Placement, desired_group
from ..core.effects import Event
from ..core.observed import ObservedGroup
from ..core.restore import RestoreSource
from ..core.spec import RedisClusterSpec, RestoreFrom, auth_token_problem, describe_validation_error, parse_spec
from ..core.visit import Situation, decide_visit
from ..kube.secrets import SecretProblem
from . import Deps, Outcome, Visit, access, adoption, confirmed, locked
from .effects import Carried, act, acts, failed
from .parameters import read_parameters
from .snapshot import PLURAL as SNAPSHOTS


@dataclass(frozen=True)
class Target:
    """The group a RedisCluster is about: its own, the one it adopted, or the one its annotation names."""

    group_id: str
    annotation: str | None  # the adopt annotation's group, if any

    @classmethod
    def of(cls, visit: Visit) -> Target:
        annotations = visit.meta.get("annotations") or {}
        annotation = (annotations.get(ADOPT_ANNOTATION) or "").strip().lower() or None
        return cls(annotation or visit.status.get("replicationGroupId") or visit.identity.group_id, annotation)


def reconcile(body: dict[str, Any], deps: Deps) -> Outcome:
    visit = Visit(body, deps)
    with locked(visit.identity.uid), metrics.reconcile_duration_seconds.time():
        return _visit(visit)


def _visit(visit: Visit) -> Outcome:
    target = Target.of(visit)
    settings = visit.deps.settings
    fields = status_fields(
        target.group_id, None, visit.spec.get("connectionSecretName") or f"{visit.meta['name']}-redis"
    )
    if elsewhere := claimed_elsewhere(visit.status, settings.instance):
        return visit.conclude(elsewhere, {})
    try:
        spec = parse_spec(visit.spec)
    except ValidationError as e:
        return visit.conclude(invalid_spec(describe_validation_error(e)), fields)
    if holding_after_failure(visit.status, visit.generation):
        return Outcome()  # the last AWS answer was final for this spec: no new calls until it changes
    try:
        password, version = _password(visit, spec)
    except SecretProblem as e:
        return visit.conclude(invalid_spec(str(e)), fields, settings.retry_seconds)
    desired = desired_group(spec, visit.identity, target.group_id)
    if spec.management_policy == "ObserveOnly":
        return adoption.observe_only(visit, desired, target, password, spec.secret_name(visit.identity.name))
    assert password is not None  # the spec requires it unless ObserveOnly
    try:
        return _manage(visit, spec, desired, target, password, version)
    except (AWSCallError, SecretProblem) as e:
        return failed(visit, e, fields)


def _password(visit: Visit, spec: RedisClusterSpec) -> tuple[str | None, str]:
    """The password Secret's value, checked as AWS checks an AuthToken (SecretProblem if it is not one),
    and which version of which Secret it is (`<name>/<key>@<resourceVersion>`, what a create records)."""
    if spec.default_user_password is None:
        return None, ""
    ref = spec.default_user_password.secret_key_ref
    password, version = visit.deps.secrets.read_value(visit.identity.namespace, ref.name, ref.key)
    if problem := auth_token_problem(password):
        raise SecretProblem(f"The password in Secret {ref.name} key {ref.key!r} {problem}")
    return password, f"{ref.name}/{ref.key}@{version}"


def _manage(
    visit: Visit, spec: RedisClusterSpec, desired: DesiredGroup, target: Target, password: str, version: str
) -> Outcome:
    observer, secret_name = visit.deps.observer, spec.secret_name(visit.identity.name)
    if moved := _moved(visit, target):
        return visit.conclude(moved, status_fields(visit.status["replicationGroupId"], None, secret_name))
    observed = confirmed(visit, observer.observe(target.group_id))
    if target.annotation and not _owned(observed, visit):
        return adoption.adopt(visit, desired, target.group_id, secret_name)
    fields = status_fields(target.group_id, observed, secret_name)
    reach = None
    if visit.deps.ec2 is not None and (observed is None or _owned(observed, visit)):
        try:
            reach = access.converge(visit, spec.accessibility.accessibility_mode, desired, observed)
        except (AWSCallError, SecretProblem) as e:
            return failed(visit, e, fields)
        desired = dataclasses.replace(desired, security_group_ids=reach.group_ids)
    situation = _situation(visit, desired, observed, (password, version), secret_name)
    situation = dataclasses.replace(situation, parameters=read_parameters(visit, spec.parameter_values, desired))
    if observed is None and spec.restore_from is not None:  # checked before the create, never half-made
        situation = dataclasses.replace(situation, restore=_restore_source(visit, spec.restore_from))
    extra = reach.fields if reach else {}
    if restored := _unrecorded_restore(visit, spec, target, observed):
        situation = dataclasses.replace(situation, status={**situation.status, "restoredFrom": restored})
        extra = {**extra, "restoredFrom": restored}
    decided = decide_visit(situation)
    return act(visit, decided, extra, reach.condition if reach else None)


def _restore_source(visit: Visit, restore: RestoreFrom) -> RestoreSource:
    """The snapshot spec.restoreFrom names, directly or through a RedisSnapshot of this namespace."""
    name = restore.snapshot_name.lower() if restore.snapshot_name else None
    if restore.redis_snapshot_name:
        named = restore.redis_snapshot_name
        obj = visit.deps.objects.get(SNAPSHOTS, visit.identity.namespace, named)
        if obj is None:
            said = f"restoreFrom: RedisSnapshot {named} does not exist in this namespace"
            return RestoreSource(None, named, None, waiting=said)
        status = obj.get("status") or {}
        name = status.get("snapshotName")
        # One being deleted waits for this restore (core/snapshot.py restoring_from): ElastiCache's says.
        deleting = bool(obj["metadata"].get("deletionTimestamp"))
        if not name or (c.ready_of(status.get("conditions") or [])[0] != "True" and not deleting):
            return RestoreSource(name, named, None, waiting=f"restoreFrom: RedisSnapshot {named} is not Ready yet")
    assert name is not None
    visit.deps.observer.watch_snapshot(name)
    return RestoreSource(name, restore.redis_snapshot_name, visit.deps.observer.snapshot(name))


def _unrecorded_restore(
    visit: Visit, spec: RedisClusterSpec, target: Target, observed: ObservedGroup | None
) -> dict[str, str | None] | None:
    """status.restoredFrom for a group made from spec.restoreFrom by a visit that ended before recording it
    (the operator killed after CreateReplicationGroup was sent); None when there is nothing to record."""
    restore = spec.restore_from
    if restore is None or visit.status.get("restoredFrom") or target.annotation or not _owned(observed, visit):
        return None
    name = restore.snapshot_name.lower() if restore.snapshot_name else None
    if restore.redis_snapshot_name:
        obj = visit.deps.objects.get(SNAPSHOTS, visit.identity.namespace, restore.redis_snapshot_name) or {}
        name = (obj.get("status") or {}).get("snapshotName")
    return RestoreSource(name, restore.redis_snapshot_name, None).as_status()


def _moved(visit: Visit, target: Target) -> c.Verdict | None:
    """The annotation now names another group than the one this RedisCluster already manages."""
    managed = visit.status.get("replicationGroupId")
    if not (target.annotation and managed and managed != target.annotation):
        return None
    if not _owned(visit.deps.observer.observe(managed), visit):
        return None
    return c.Verdict(
        "False",
        c.ADOPTION_REFUSED,
        f"This RedisCluster manages replication group {managed}; the annotation now names {target.annotation}."
        " Moving to another group is not supported: set the annotation back",
        terminal=True,
    )


def _owned(observed: ObservedGroup | None, visit: Visit) -> bool:
    return observed is not None and naming.is_owned(observed.tags, visit.identity.uid)


def _situation(
    visit: Visit, desired: DesiredGroup, observed: ObservedGroup | None, source: tuple[str, str], secret_name: str
) -> Situation:
    """Everything the decision needs, read once: the connection Secret and, while a password is on its
    way to AWS (or the status says one was), the pending Secret. `source`: the password and its version."""
    settings, secrets, identity = visit.deps.settings, visit.deps.secrets, visit.identity
    password, version = source
    connection = pending = None
    if observed is not None:
        connection = secrets.read_connection(identity.namespace, secret_name, identity.uid)
        published = connection.applied_password if connection.exists else None
        created_with = (visit.status.get("creation") or {}).get("passwordVersion")
        # A pending Secret exists only once a ROTATE or SET was asked for: the password changed since it was
        # published or created (a crash may have kept status from saying so), or status says one is pending.
        changed = published != password if published is not None else created_with not in (None, version)
        if changed or visit.status.get("passwordPending"):
            pending_name = naming.pending_secret_name(secret_name)
            pending = secrets.read_pending(identity.namespace, pending_name, identity.uid)
    return Situation(
        identity=identity,
        generation=visit.generation,
        status=visit.status,
        desired=desired,
        password=password,
        password_version=version,
        observed=observed,
        secret_name=secret_name,
        placement=Placement(settings.cache_subnet_group, tuple(settings.security_group_ids)),
        now=visit.deps.now(),
        password_grace=datetime.timedelta(seconds=settings.password_grace_seconds),
        poll_seconds=settings.poll_seconds,
        retry_seconds=settings.retry_seconds,
        connection=connection,
        pending=pending,
        failover_test=(visit.meta.get("annotations") or {}).get(failover.ANNOTATION) or None,
    )


@acts(failover.TestFailover)
def _test_failover(effect: failover.TestFailover, visit: Visit, carried: Carried) -> None:
    """AWS's refusals (no replica to promote, its rolling-day limit) end the test, recorded, not retried."""
    try:
        visit.deps.elasticache.test_failover(effect.group_id, effect.shard_id)
    except AWSCallError as e:
        if e.code not in failover.REFUSED_BY_AWS:
            raise
        message = f"TestFailover of shard {effect.shard_id} refused: {e.code}: {e.message}"
        carried.status["lastFailoverTest"] = {**effect.refused, "message": message}
        carried.events.append(Event("Warning", "FailoverTestFailed", message))
        return
    visit.deps.observer.noted_change(effect.group_id)  # described again before it is trusted
    carried.status["lastFailoverTest"] = effect.record
    carried.events.append(Event("Normal", "TestingFailover", effect.said))
