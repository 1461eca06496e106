"""What a visit decides to do, as values: the shell (`reconcile/effects.py`) carries them out in order,
one small function per kind, and stops at the first that fails. A new capability adds a kind here and
its function there, never a branch in the visit.

Each effect may say what status records once it is done (`status`), so a visit cut short by a failure
reports only what really happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .conditions import Status, Verdict
from .connection import ConnectionSecret
from .desired import SlowLog
from .password import Pending
from .plan import Step


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


@dataclass(frozen=True)
class Effect:
    status: dict[str, Any] = field(default_factory=dict, kw_only=True)  # merged into status once done


@dataclass(frozen=True)
class Post(Effect):
    """An Event about the object."""

    event: Event


@dataclass(frozen=True)
class Record(Effect):
    """Nothing to call: only status changes (the fields are in `status`)."""


@dataclass(frozen=True)
class EnsureLogGroup(Effect):
    """The slow-log group exists with its retention (CloudWatch Logs)."""

    slow_log: SlowLog
    tags: dict[str, str]


@dataclass(frozen=True)
class WritePending(Effect):
    """The password journal (core/password.py), written before the AWS call it records."""

    secret_name: str
    pending: Pending = field(repr=False)


@dataclass(frozen=True)
class DeletePending(Effect):
    secret_name: str


@dataclass(frozen=True)
class CreateGroup(Effect):
    """CreateReplicationGroup; an id already taken (a create of ours that raced) is described instead."""

    group_id: str
    request: dict[str, Any] = field(repr=False)  # carries the AuthToken
    tags: dict[str, str]


@dataclass(frozen=True)
class CheckOwnership(Effect):
    """Before changing or deleting a group: its ownership tags, read now (tag changes raise no ElastiCache
    event). If they are gone, nothing after this effect is done and the visit ends with `disowned`."""

    group_id: str
    arn: str
    disowned: Verdict


@dataclass(frozen=True)
class ApplyStep(Effect):
    """The one AWS change of this visit (plan.py's ordered steps)."""

    group_id: str
    step: Step = field(repr=False)  # an AuthToken step carries the token


@dataclass(frozen=True)
class ChangeTags(Effect):
    group_id: str
    arn: str
    add: dict[str, str]
    remove: tuple[str, ...]
    result: dict[str, str]  # the group's tags afterwards


@dataclass(frozen=True)
class WriteConnectionSecret(Effect):
    """Create or update the connection Secret; an Event says so when it changed (`said`: with what)."""

    secret_name: str
    data: dict[str, str] = field(repr=False)
    current: ConnectionSecret = field(repr=False)  # as read: whether to create or update, from which version
    said: str = ""


@dataclass(frozen=True)
class DeleteGroup(Effect):
    """DeleteReplicationGroup, after a final snapshot if one is named."""

    group_id: str
    final_snapshot: str | None


@dataclass(frozen=True)
class DeleteLogGroup(Effect):
    """The slow-log group, if this RedisCluster's operator created it (its uid tag says so)."""

    name: str
    uid: str


@dataclass(frozen=True)
class Decided:
    """A visit's decision: the verdict, the effects in order, and the status written whatever they do."""

    verdict: Verdict
    effects: tuple[Effect, ...] = ()
    status: dict[str, Any] = field(default_factory=dict)
    requeue_after: float | None = None  # seconds (None: the verdict's default)
    retry: bool = False  # come back after the retry interval: something outside the operator must change
    done: bool = True  # for a deletion: whether the object may go
    conditions: tuple[tuple[str, Status, str, str], ...] = ()  # others than Ready: (type, status, reason, message)
