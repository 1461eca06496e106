"""One visit of a managed RedisCluster, decided without I/O: from everything the shell read (a
`Situation`), the verdict, the status, and the effects to carry out in order (core/effects.py)."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import naming
from .conditions import AWS_ERROR, INVALID_SPEC, NOT_OWNED, RESTORING, Verdict
from .connection import ConnectionSecret, connection_data
from .decide import Applying, Decision, decide, settled, status_fields
from .desired import DesiredGroup, Identity, Placement, create_request, default_parameter_group
from .effects import (
    ApplyStep,
    ChangeTags,
    CheckOwnership,
    CreateGroup,
    Decided,
    DeletePending,
    Effect,
    EnsureLogGroup,
    Event,
    Post,
    Record,
    WriteConnectionSecret,
    WritePending,
)
from .failover import rehearse
from .observed import ObservedGroup
from .parameters import PARAMETERS_APPLIED, ParameterPlan, ParametersState, parameter_problems, plan_parameters
from .password import PasswordAction, Pending, password_action
from .plan import FieldChange
from .restore import RestoreSource, restore_refusal, restore_request
from .spec import OWNERSHIP_TAG_PREFIX


@dataclass(frozen=True)
class Situation:
    """What one visit decides on, read once: the spec (as the desired group), the password, the
    observed group, the connection and pending Secrets, and the status the operator last wrote."""

    identity: Identity
    generation: int | None
    status: Mapping[str, Any]
    desired: DesiredGroup
    password: str = dataclasses.field(repr=False)
    observed: ObservedGroup | None
    secret_name: str
    placement: Placement
    now: datetime.datetime
    password_grace: datetime.timedelta
    poll_seconds: float
    retry_seconds: float
    connection: ConnectionSecret | None = None  # read once the group exists
    pending: Pending | None = dataclasses.field(default=None, repr=False)
    restore: RestoreSource | None = None  # spec.restoreFrom, read while the group is still to be created
    failover_test: str | None = None  # the test-failover annotation's value
    parameters: ParametersState | None = None  # spec.parameters and the custom groups made for them
    password_version: str = ""  # which version of which Secret `password` is (`<name>/<key>@<resourceVersion>`)

    @property
    def pending_name(self) -> str:
        return naming.pending_secret_name(self.secret_name)

    def password_action(self) -> PasswordAction:
        if self.observed is None or self.connection is None:
            return PasswordAction("none")
        published = self.connection.applied_password if self.connection.exists else None
        return password_action(
            self.password,
            published,
            self.pending,
            self.observed.auth_token_modified,
            self.observed.status == "available",
            self.now,
            self.password_grace,
            created_with_another=self.created_with_another_password,
        )

    @property
    def creation(self) -> dict[str, Any]:
        """What a create is sent with, written down in status before it is sent (status.creation)."""
        return {"generation": self.generation, "passwordVersion": self.password_version}

    @property
    def created_with_another_password(self) -> bool:
        """The create was sent with another version of the password Secret than the one read now: which
        token AWS holds is not known, so the connection Secret waits for a ROTATE to the current one."""
        recorded = self.status.get("creation") or {}
        return bool(recorded) and recorded.get("passwordVersion") != self.password_version


def decide_visit(s: Situation) -> Decided:
    s = dataclasses.replace(s, desired=_with_parameter_group(s))
    if (refused := _refused_parameters(s)) is not None:
        return Decided(refused, status=status_fields(s.desired.group_id, s.observed, s.secret_name))
    action = s.password_action()
    delivery = _log_delivery(s)
    decision = decide(
        s.desired,
        s.observed,
        s.identity.uid,
        password=action,
        applying=Applying.from_status(s.status),
        generation=s.generation,
        log_retention_applied=s.status.get("slowLogRetentionDays"),
        tag_keys_applied=frozenset(s.status.get("tagKeys") or ()),
        version_reported=bool(s.status.get("engineVersion")),
        hold_slow_log=delivery.hold,
        version_in_effect=s.status.get("requestedEngineVersion"),
    )
    status = status_fields(s.desired.group_id, s.observed, s.secret_name)
    if s.observed is not None and s.observed.status == "available":
        status["slowLogError"] = delivery.record
    if s.pending is not None:  # remembered in status, so it is read until settled, even after a crash
        status["passwordPending"] = True
    if decision.create and s.restore is not None and (refused := restore_refusal(s.desired, s.restore)):
        return Decided(refused, status=status, retry=not refused.terminal)
    conversion = _conversion_refused(s)
    if conversion.hold:  # not asked again before the retry interval: never a loop
        decision = dataclasses.replace(decision, step=None, applying=None)
    if s.observed is not None and s.observed.status == "available":
        status["clusterModeRefused"] = conversion.record
    in_effect = settled(s.status, s.generation)
    parameters = plan_parameters(s.parameters, s.observed, s.desired.tags, s.status, in_effect, s.now.isoformat())
    requeue: float | None = None
    if decision.create:
        effects, requeue = _create(s, parameters)
    else:
        effects = _changes(s, decision, in_effect, parameters)
    if s.observed is not None:
        effects += _recorded(s, decision)
    effects += _connection(s, decision, action)
    if action.until is not None:  # the password's grace period: back when it ends, and meanwhile now and then
        requeue = min(max((action.until - s.now).total_seconds(), 1.0), s.poll_seconds * 4)
    verdict = decision.verdict
    if s.failover_test and s.observed is not None and decision.step is None and verdict.ready == "True":
        rehearsal = rehearse(s.failover_test, s.status.get("lastFailoverTest"), s.observed, s.now)
        effects += rehearsal.effects
        verdict = rehearsal.verdict or verdict
    if delivery.verdict is not None and decision.step is None and verdict.ready == "True":
        verdict, requeue = delivery.verdict, delivery.retry_in
    if conversion.verdict is not None:
        verdict, requeue = conversion.verdict, conversion.retry_in
    restored = (s.status.get("restoredFrom") or {}).get("snapshotName")
    if s.observed is not None and s.observed.status == "creating" and restored:
        verdict = Verdict("False", RESTORING, f"ElastiCache is creating the group from snapshot {restored}", True)
    more = ((PARAMETERS_APPLIED, *parameters.condition),) if parameters.condition else ()
    return Decided(verdict, tuple(effects), status, requeue, conditions=more)


def _with_parameter_group(s: Situation) -> DesiredGroup:
    """The group's parameter group: the RedisCluster's own when it sets parameters; AWS's default again
    when it no longer does and one of its own is in use; else whatever the group has."""
    state, desired = s.parameters, s.desired
    if state is None:
        return desired
    if state.wanted is not None:
        return dataclasses.replace(desired, parameter_group=state.wanted.group_name)
    if s.observed is not None and s.observed.parameter_group in state.known_groups:
        name = default_parameter_group(desired.engine, desired.engine_version, desired.sharded)
        return dataclasses.replace(desired, parameter_group=name)
    return desired


def _refused_parameters(s: Situation) -> Verdict | None:
    """Values the family does not take, refused before any AWS call (Ready False, InvalidSpec)."""
    state = s.parameters
    if state is None or state.wanted is None or not state.defaults:
        return None
    problems = parameter_problems(state.wanted.requested, state.wanted.family, state.defaults)
    return Verdict("False", INVALID_SPEC, "; ".join(problems), terminal=True) if problems else None


@dataclass(frozen=True)
class NotApplied:
    """A change AWS did not apply (a slow-log delivery whose Status is `error`, a cluster-mode change it
    reverted): said in Ready, and asked for again once per retry interval, never in a loop."""

    hold: bool = False  # do not ask again on this visit
    verdict: Verdict | None = None
    retry_in: float | None = None
    record: dict[str, str] | None = None  # status.slowLogError: AWS's message and when it was last asked for


def _conversion_refused(s: Situation) -> NotApplied:
    """ClusterMode compatible was sent for this generation and the group is available again, still
    disabled: ElastiCache did not make the change (keys in a database other than 0 are the common cause).
    Said in Ready, and asked again once per retry interval, never in a loop (ACK #2888's failure)."""
    applying, observed = Applying.from_status(s.status), s.observed
    if (
        observed is None
        or observed.status != "available"
        or observed.sharded
        or observed.cluster_mode not in ("disabled", "")
        or applying is None
        or applying.generation != s.generation
        or "cluster mode compatible" not in applying.action
    ):
        return NotApplied()
    said = (
        "ElastiCache did not turn cluster mode on: the group is back to disabled (its events say why; keys in a"
        " database other than 0, which cluster mode does not support, are the common cause)"
    )
    return _asked_again(s, s.status.get("clusterModeRefused") or {}, said, {})


def _log_delivery(s: Situation) -> NotApplied:
    if s.observed is None or not s.observed.slow_log_error or s.desired.slow_log is None:
        return NotApplied()
    message = s.observed.slow_log_error
    known = s.status.get("slowLogError") or {}
    said = f"ModifyReplicationGroup failed: the slow-log delivery did not take: {message}"
    return _asked_again(s, known if known.get("message") == message else {}, said, {"message": message})


def _asked_again(s: Situation, known: Mapping[str, Any], said: str, record: dict[str, str]) -> NotApplied:
    """A change AWS did not make: held (and said in Ready) until a retry interval has passed since it was
    last asked for (`known["since"]`, in status), then asked for once more. `record`: kept in status
    beside the time."""
    asked = datetime.datetime.fromisoformat(known["since"]) if known.get("since") else s.now
    again = asked + datetime.timedelta(seconds=s.retry_seconds)
    if s.now >= again:
        return NotApplied(record={**record, "since": s.now.isoformat()})
    verdict = Verdict("False", AWS_ERROR, f"{said}; asking again at {again:%H:%M:%SZ}", progressing=True)
    return NotApplied(True, verdict, max((again - s.now).total_seconds(), 1.0), {**record, "since": asked.isoformat()})


def _create(s: Situation, parameters: ParameterPlan) -> tuple[list[Effect], float | None]:
    """Two visits. The first makes what the group needs (its parameter group, its log group) and writes
    down, in this visit's status patch, which version of the password Secret the create is sent with:
    after a crash, or a password changed while AWS creates the group, the connection Secret must still get
    the token AWS holds. The next visit, at once, sends the create. (No journal Secret: two writes less.)"""
    desired = s.desired
    if (s.status.get("creation") or {}) != s.creation:  # not written down for this spec and this password
        effects: list[Effect] = list(parameters.effects)
        if desired.slow_log:
            days = desired.slow_log.retention_days
            effects.append(EnsureLogGroup(desired.slow_log, desired.tags, status={"slowLogRetentionDays": days}))
        return [*effects, Record(status={"creation": s.creation})], 0.0
    description = f"RedisCluster {s.identity.namespace}/{s.identity.name} (elasticache-operator)"
    placement = dataclasses.replace(
        s.placement, security_group_ids=desired.security_group_ids or s.placement.security_group_ids
    )
    request = create_request(desired, s.password, placement, description)
    restored: dict[str, Any] = {}
    if s.restore is not None and s.restore.snapshot_name:
        request.update(restore_request(desired, s.restore.snapshot_name))
        restored = {"restoredFrom": s.restore.as_status()}
    return [CreateGroup(desired.group_id, request, desired.tags, status=restored)], None


def _changes(s: Situation, decision: Decision, drifted: bool, parameters: ParameterPlan) -> list[Effect]:
    """`drifted`: the spec was in effect, so what differs now was changed outside the operator."""
    plan, observed = decision.plan, s.observed
    if plan is None or observed is None:
        return []
    effects: list[Effect] = []
    if decision.step or plan.add_tags or plan.remove_tags:
        effects.append(CheckOwnership(observed.group_id, observed.arn, disowned(observed.group_id)))
    if plan.log_group:
        days = plan.log_group.retention_days
        effects.append(EnsureLogGroup(plan.log_group, s.desired.tags, status={"slowLogRetentionDays": days}))
    effects += parameters.effects  # the parameter group is ready before a step attaches it
    effects += [_drift(change) for change in parameters.drift]
    if (step := decision.step) is not None:
        if step.pending is not None:
            effects.append(WritePending(s.pending_name, step.pending, status={"passwordPending": True}))
        effects.append(ApplyStep(observed.group_id, step))
        assert decision.applying is not None
        effects.append(Post(Event("Normal", "ApplyingChange", decision.applying.message)))
        if step.request.get("ClusterMode") == "compatible":
            effects.append(Post(Event("Warning", "ClusterModeChanging", CLUSTER_MODE_NOTICE)))
        effects += [_drift(change) for change in step.changes if drifted]
    if plan.add_tags or plan.remove_tags:
        if drifted:
            effects += [
                _drift(FieldChange(f"tags.{key}", observed.tags.get(key, "(none)"), value))
                for key, value in sorted(plan.add_tags.items())
            ]
        kept = {k: v for k, v in observed.tags.items() if k not in plan.remove_tags}
        result = {**kept, **plan.add_tags}
        effects.append(ChangeTags(observed.group_id, observed.arn, plan.add_tags, plan.remove_tags, result))
    return effects


CLUSTER_MODE_NOTICE = (
    "Cluster mode is being turned on: until it is enabled both protocols answer; then the connection Secret's"
    " host is the configuration endpoint, sharding is enabled and readerHost is empty, and clients must use a"
    " cluster-aware client (keys must be in db 0)"
)


def _drift(change: FieldChange) -> Post:
    message = (
        f"{change.field} was changed outside the operator: ElastiCache has {change.observed}, the spec says"
        f" {change.wanted}; putting it back"
    )
    return Post(Event("Warning", "DriftCorrected", message))


def _recorded(s: Situation, decision: Decision) -> list[Effect]:
    fields: dict[str, Any] = {"applying": decision.applying.as_status() if decision.applying else None}
    if decision.plan is not None:
        fields["tagKeys"] = sorted(user_tags(s.desired))
        if not (decision.plan.steps or decision.plan.unsupported):  # the group is as the spec says
            fields["requestedEngineVersion"] = s.desired.engine_version
    return [Record(status=fields)]


def _connection(s: Situation, decision: Decision, action: PasswordAction) -> list[Effect]:
    """The connection Secret once the group has endpoints, always with a password AWS accepts; then
    the password journal moves on (published, or settled)."""
    observed, connection = s.observed, s.connection
    if observed is None or connection is None or observed.endpoints is None:
        return []
    effects: list[Effect] = []
    unknown = connection.applied_password is None and s.created_with_another_password and action.kind != "publish"
    if decision.write_secret and not unknown:  # (unknown: the token AWS holds; published once it is rotated)
        data = connection_data(observed.endpoints, observed.sharded, password_to_publish(s, action, connection))
        said = "with the new password" if action.kind == "publish" else "with host, port and password"
        effects.append(WriteConnectionSecret(s.secret_name, data, connection, said, status={"creation": None}))
        if action.kind == "publish" and s.pending is not None and s.pending.call == "CREATE":
            # The connection Secret holds the token the group was created with: nothing is left to settle
            # (no grace period, no SET), so the journal goes now (a crash before: the next visit finishes).
            effects.append(DeletePending(s.pending_name, status={"passwordPending": None}))
        elif action.kind == "publish" and s.pending is not None:
            published = dataclasses.replace(s.pending, published_at=s.now.isoformat())
            effects.append(WritePending(s.pending_name, published))
    if action.kind == "finish":
        effects.append(DeletePending(s.pending_name, status={"passwordPending": None}))
        if s.pending is not None and s.pending.call == "SET":
            effects.append(Post(Event("Normal", "PasswordRotated", "The previous password no longer works")))
    return effects


def password_to_publish(s: Situation, action: PasswordAction, connection: ConnectionSecret) -> str:
    """The password the connection Secret holds after this visit: always one AWS accepts."""
    if action.kind == "publish" and action.token is not None:
        return action.token
    if connection.applied_password is not None:
        return connection.applied_password
    if s.pending is not None:
        return s.pending.token  # the token the group was created with
    return s.password  # a group created before the pending Secret existed


def user_tags(desired: DesiredGroup) -> dict[str, str]:
    return {k: v for k, v in desired.tags.items() if not k.startswith(OWNERSHIP_TAG_PREFIX)}


def disowned(group_id: str) -> Verdict:
    return Verdict(
        "False",
        NOT_OWNED,
        f"Replication group {group_id} no longer carries this RedisCluster's ownership tags; the operator leaves it"
        " alone. Put the tags back to manage it again",
        terminal=True,
    )
