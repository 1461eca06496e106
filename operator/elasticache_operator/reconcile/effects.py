"""Carrying out what a visit decided (core/effects.py): one small function per kind of effect, each
knowing its own AWS or Kubernetes call, run in order until one fails. A failure names its operation
itself (AWSCallError.operation, from the call that raised it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .. import metrics
from ..aws.errors import AWSCallError, Kind
from ..core import conditions as c
from ..core import naming
from ..core.decide import aws_error, invalid_spec
from ..core.effects import (
    ApplyStep,
    ChangeTags,
    CheckOwnership,
    CreateGroup,
    Decided,
    DeleteGroup,
    DeleteLogGroup,
    DeletePending,
    Effect,
    EnsureLogGroup,
    Event,
    Post,
    Record,
    WriteConnectionSecret,
    WritePending,
)
from ..kube.secrets import SecretProblem
from . import Outcome, Visit


@dataclass
class Carried:
    """What the effects did: status to record, Events to post, and why they stopped early, if they did."""

    status: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    stopped: c.Verdict | None = None  # an effect found that nothing after it may be done (and why)
    failure: AWSCallError | SecretProblem | None = None  # the call that failed; nothing after it was done


Act = Callable[[Any, Visit, Carried], c.Verdict | None]
_ACTS: dict[type[Effect], Act] = {}
ActT = TypeVar("ActT", bound=Callable[..., c.Verdict | None])


def acts(kind: type[Effect]) -> Callable[[ActT], ActT]:
    """Registers the function that carries out one kind of effect (a capability's module adds its own)."""

    def register(fn: ActT) -> ActT:
        _ACTS[kind] = fn
        return fn

    return register


def carry_out(effects: Iterable[Effect], visit: Visit) -> Carried:
    carried = Carried()
    for effect in effects:
        try:
            stopped = _ACTS[type(effect)](effect, visit, carried)
        except (AWSCallError, SecretProblem) as failure:
            carried.failure = failure
            return carried
        if stopped is not None:
            carried.stopped = stopped
            return carried
        carried.status.update(effect.status)
    return carried


@acts(Post)
def _post(effect: Post, visit: Visit, carried: Carried) -> None:
    carried.events.append(effect.event)


@acts(Record)
def _record(effect: Record, visit: Visit, carried: Carried) -> None:
    """Only status: `carry_out` merges it."""


@acts(EnsureLogGroup)
def _ensure_log_group(effect: EnsureLogGroup, visit: Visit, carried: Carried) -> None:
    visit.deps.logs.ensure_log_group(effect.slow_log.log_group, effect.slow_log.retention_days, effect.tags)


@acts(WritePending)
def _write_pending(effect: WritePending, visit: Visit, carried: Carried) -> None:
    visit.deps.secrets.write_pending(visit.identity.namespace, effect.secret_name, effect.pending, visit.body)


@acts(DeletePending)
def _delete_pending(effect: DeletePending, visit: Visit, carried: Carried) -> None:
    visit.deps.secrets.delete_pending(visit.identity.namespace, effect.secret_name)


@acts(CreateGroup)
def _create_group(effect: CreateGroup, visit: Visit, carried: Carried) -> None:
    observer = visit.deps.observer
    if visit.deps.elasticache.create(effect.request):
        observer.noted_create(effect.group_id, effect.tags)
    else:  # the id is taken: by a create of ours that raced, or by someone else's group
        observer.noted_change(effect.group_id)
        observer.describe(effect.group_id)


@acts(CheckOwnership)
def _check_ownership(effect: CheckOwnership, visit: Visit, carried: Carried) -> c.Verdict | None:
    tags = visit.deps.elasticache.tags(effect.arn)
    visit.deps.observer.noted_change(effect.group_id, tags=tags)
    return None if naming.is_owned(tags, visit.identity.uid) else effect.disowned


@acts(ApplyStep)
def _apply_step(effect: ApplyStep, visit: Visit, carried: Carried) -> None:
    changed = visit.deps.elasticache.apply(effect.group_id, effect.step)
    visit.deps.observer.noted_change(effect.group_id, status="modifying" if changed else None)


@acts(ChangeTags)
def _change_tags(effect: ChangeTags, visit: Visit, carried: Carried) -> None:
    if effect.add:
        visit.deps.elasticache.add_tags(effect.arn, effect.add)
    if effect.remove:
        visit.deps.elasticache.remove_tags(effect.arn, effect.remove)
    visit.deps.observer.noted_change(effect.group_id, tags=effect.result)


@acts(WriteConnectionSecret)
def _write_connection_secret(effect: WriteConnectionSecret, visit: Visit, carried: Carried) -> None:
    namespace = visit.identity.namespace
    written = visit.deps.secrets.apply_connection(
        namespace, effect.secret_name, effect.data, visit.body, effect.current
    )
    if written != "unchanged":
        said = f" {effect.said}" if effect.said else ""
        carried.events.append(Event("Normal", c.CONNECTION_SECRET, f"Secret {effect.secret_name} {written}{said}"))


@acts(DeleteGroup)
def _delete_group(effect: DeleteGroup, visit: Visit, carried: Carried) -> None:
    deleted = visit.deps.elasticache.delete(effect.group_id, effect.final_snapshot)
    visit.deps.observer.noted_change(effect.group_id, status="deleting" if deleted else None)


@acts(DeleteLogGroup)
def _delete_log_group(effect: DeleteLogGroup, visit: Visit, carried: Carried) -> None:
    if visit.deps.logs.delete_log_group_if_owned(effect.name, effect.uid):
        carried.events.append(Event("Normal", "Deleted", f"Slow-log group {effect.name} deleted"))


def act(
    visit: Visit, decided: Decided, fields: dict[str, Any], client_access: tuple[c.Status, str, str] | None = None
) -> Outcome:
    """Carry a decision out and tell how it went: its verdict, or what stopped or failed it."""
    carried = carry_out(decided.effects, visit)
    fields = {**decided.status, **fields, **carried.status}
    if carried.failure is not None:
        return failed(visit, carried.failure, fields)
    if carried.stopped is not None:
        return visit.conclude(carried.stopped, fields)
    requeue = visit.deps.settings.retry_seconds if decided.retry else decided.requeue_after
    return visit.conclude(decided.verdict, fields, requeue, carried.events, client_access, decided.conditions)


def failed(visit: Visit, failure: AWSCallError | SecretProblem, fields: dict[str, Any]) -> Outcome:
    """A Secret the user must fix is an invalid spec; AWS's answer names its own operation; throttling
    is waited out and says nothing new."""
    settings = visit.deps.settings
    if isinstance(failure, SecretProblem):
        return visit.conclude(invalid_spec(str(failure)), fields, settings.retry_seconds)
    if failure.throttled:
        return Outcome(requeue_after=settings.poll_seconds, throttled=True)
    metrics.reconcile_errors_total.inc()
    terminal = failure.kind is Kind.TERMINAL
    delay = None if terminal else settings.poll_seconds if failure.kind is Kind.TRANSIENT else settings.retry_seconds
    return visit.conclude(aws_error(failure.operation, failure.code, failure.message, terminal), fields, delay)
