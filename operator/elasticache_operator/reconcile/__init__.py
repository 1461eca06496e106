"""The reconcile shells: read → ask the pure core → act (reconcile/effects.py) → describe the outcome.
One module per kind of object (cluster.py: RedisCluster, with access.py, adoption.py and deletion.py
for its capabilities); what every kind shares is here: the dependencies (AWS clients, the shared
observer, the Kubernetes edges, the settings), one lock per object, and `Visit`, which turns a
verdict into status, conditions, Events and a requeue. No kopf here: the handlers carry an Outcome
out (a status patch, Events, the next turn)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .. import metrics
from ..aws.ec2 import EC2
from ..aws.elasticache import ElastiCache
from ..aws.logs import Logs
from ..aws.observer import Observer
from ..core import conditions as c
from ..core import naming
from ..core.desired import Identity
from ..core.effects import Event
from ..core.observed import ObservedGroup
from ..kube.objects import RedisObjects
from ..kube.secrets import Secrets
from ..kube.security_group_policies import SecurityGroupPolicies
from ..kube.status import StatusWriter
from ..settings import Settings

__all__ = ["Deps", "Event", "Outcome", "Visit", "confirmed", "forget", "locked"]


@dataclass
class Outcome:
    status: dict[str, Any] = field(default_factory=dict)  # merged into .status
    events: list[Event] = field(default_factory=list)
    requeue_after: float | None = None
    done: bool = True  # for deletion: whether the finalizer may go
    verdict: c.Verdict | None = None  # what the status says, for the handlers' log line
    throttled: bool = False  # AWS throttled a call: try again later, nothing else changed

    @property
    def waiting(self) -> bool:
        """AWS is working as expected, or asked to slow down (not an error being retried)."""
        progressing = self.verdict is not None and self.verdict.progressing and self.verdict.reason != c.AWS_ERROR
        return progressing or self.throttled


@dataclass
class Deps:
    """What every kind's shell shares: one set of AWS clients (one rate limit), one observer, one settings."""

    elasticache: ElastiCache
    observer: Observer
    logs: Logs
    secrets: Secrets
    status: StatusWriter
    settings: Settings
    policies: SecurityGroupPolicies
    objects: RedisObjects
    ec2: EC2 | None = None  # None: security groups are not the operator's to manage
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def locked(uid: str) -> threading.Lock:
    """Handlers and the resync timer may run at once for one object; AWS calls must not."""
    with _locks_guard:
        return _locks.setdefault(uid, threading.Lock())


def forget(uid: str) -> None:
    with _locks_guard:
        _locks.pop(uid, None)


def confirmed(visit: Visit, observed: ObservedGroup | None) -> ObservedGroup | None:
    """A group the shared observation shows without this object's ownership tags, read again with its
    tags before anyone acts on that: a resync lists groups and tags in separate calls, so a group deleted
    or changed between them shows up torn (its status without its tags)."""
    if observed is None or naming.is_owned(observed.tags, visit.identity.uid):
        return observed
    return visit.deps.observer.describe(observed.group_id, fresh_tags=True)


def stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Visit:
    """One visit of one object: who it is, what its status says, and how a verdict is told."""

    body: dict[str, Any]
    deps: Deps
    counted: bool = True  # in the RedisClusters-by-phase gauge (other kinds are not)

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.body["metadata"])

    @cached_property
    def identity(self) -> Identity:
        meta = self.body["metadata"]
        return Identity(meta["namespace"], meta["name"], meta["uid"], self.deps.settings.cluster_name)

    @property
    def status(self) -> dict[str, Any]:
        return dict(self.body.get("status") or {})

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.body.get("spec") or {})

    @property
    def generation(self) -> int | None:
        generation = self.body["metadata"].get("generation")
        return int(generation) if generation is not None else None

    def conclude(
        self,
        verdict: c.Verdict,
        fields: dict[str, Any],
        requeue: float | None = None,
        events: list[Event] | None = None,
        client_access: tuple[c.Status, str, str] | None = None,
        more: tuple[tuple[str, c.Status, str, str], ...] = (),
    ) -> Outcome:
        """Status with conditions, an Event if Ready changed, and the requeue for this verdict."""
        now = stamp(self.deps.now())
        previous = c.ready_of(self.status.get("conditions") or [])
        conditions = c.apply_verdict(list(self.status.get("conditions") or []), verdict, self.generation, now)
        if client_access is not None:
            conditions = c.set_condition(conditions, c.CLIENT_ACCESS, *client_access, self.generation, now)
        for type_, state, reason, message in more:  # a capability's own condition (ParametersApplied)
            conditions = c.set_condition(conditions, type_, state, reason, message, self.generation, now)
        events = transition_events(previous, verdict, list(events or []))
        status = {**fields, "observedGeneration": self.generation, "conditions": conditions}
        if fields:  # this installation manages the object: say so, so another one never takes it for its own
            status["operatorInstance"] = self.deps.settings.instance
        if requeue is None and verdict.progressing:
            requeue = self.deps.settings.poll_seconds
        metrics.reconcile_total.labels(_result(verdict)).inc()
        if self.counted:
            metrics.record_phase(self.identity.uid, verdict.reason)
        return Outcome(status=status, events=events, requeue_after=requeue, verdict=verdict)


def transition_events(previous: tuple[str | None, str | None], verdict: c.Verdict, events: list[Event]) -> list[Event]:
    """An Event for a change of Ready, first, then what the visit did. Each is a write, so: an object's
    first condition, when it only says the work has begun (Creating), is told by the status alone; and the
    connection Secret written as Ready turns True is said in Ready's own Event."""
    if previous == (verdict.ready, verdict.reason):
        return events
    warning = verdict.terminal or verdict.reason == c.AWS_ERROR
    if previous == (None, None) and verdict.ready == "False" and verdict.progressing and not warning:
        return events
    message = verdict.message
    secret = next((e for e in events if e.reason == c.CONNECTION_SECRET), None)
    if secret is not None and verdict.ready == "True":
        events.remove(secret)
        message = f"{message}; {secret.message}"
    return [Event("Warning" if warning else "Normal", verdict.reason, message), *events]


def _result(verdict: c.Verdict) -> str:
    if verdict.reason == c.AWS_ERROR:
        return "error"
    if verdict.ready == "True":
        return "ready"
    return "stalled" if verdict.terminal else "progressing"
