"""Leader election on a coordination.k8s.io/v1 Lease: of several replicas, only the leader runs kopf.

Ours, not the official client's `kubernetes.leaderelection` (37.0.1), because there a leader is told to
stop only when a renewal call returns: its LeaseLock calls the API with no request timeout, and
`renew_loop` checks its deadline (on the wall clock, from the start of a round, not from the last
accepted renewal) only between calls, so a renewal that hangs never calls `onstopped_leading` while a
standby takes the Lease a lease duration later. Here every call is bounded by the time left to the
deadline and a watchdog thread stops the leader at that deadline, counted on the monotonic clock from
the sending of the last accepted renewal (tests/unit/test_leader.py,
`test_a_hung_renewal_stops_our_leader_but_not_the_librarys`); the library also cannot stop `acquire()`,
never releases the Lease on shutdown, and its LeaseLock only uses the default global client.

Three parts, from pure to I/O:

- `Elector` decides, given the Lease as read, this replica's identity and the time, what to do:
  wait, create the Lease, take it, renew it, or stop acting. No I/O and no clock of its own (times are
  passed in), so it is unit-tested with a fake clock.
- `KubernetesLeases` reads and writes the Lease (the official client). Every write is guarded: a create
  fails if the Lease exists, a replace carries the resourceVersion that was read, so of two candidates
  that decide to take the same Lease the API server lets exactly one write (the other gets 409).
- `Election` runs them: `acquire()` is the standby loop, `lead()` renews in a thread with a watchdog
  beside it, `release()` hands the Lease over on shutdown.

The timing rules (client-go's, with the leader's side made stricter):

- A candidate never trusts timestamps written by another machine's clock. It notes, on its own
  monotonic clock, when it last saw the Lease change (absent counts as a state too), and takes it only
  once it has seen no change for the Lease's leaseDurationSeconds, or at once if the holder released it.
- The leader renews every retry period. It measures its renew deadline from the moment it *sent* the
  last renewal the server accepted, which is no later than any candidate could have seen that renewal.
  Once the deadline passes without another accepted renewal it must stop acting at once; as the deadline
  is shorter than the lease duration, it has stopped before any candidate may take over.
- A leader that reads a Lease held by someone else, deleted, or written by another process under its
  own name stops at once as well.
"""

from __future__ import annotations

import copy
import datetime
import enum
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

log = logging.getLogger(__name__)

MICROTIME = "%Y-%m-%dT%H:%M:%S.%fZ"  # metav1.MicroTime, as the API server writes it
RELEASED_DURATION_SECONDS = 1  # what a released Lease says (client-go's ReleaseOnCancel does the same)


def microtime(wall: datetime.datetime) -> str:
    return wall.astimezone(datetime.UTC).strftime(MICROTIME)


def parse_time(value: object) -> datetime.datetime | None:
    """A MicroTime as any client or server may write it (Z or an offset, any fraction); None if not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Record:
    """A Lease's spec, the part leader election reads and writes. Times are compared as instants, not
    as strings, so a server that writes them back in another form still returns the same record."""

    holder: str  # "" when nobody holds it (released)
    duration_seconds: int
    acquire_time: datetime.datetime | None
    renew_time: datetime.datetime | None
    transitions: int

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Record:
        return cls(
            holder=spec.get("holderIdentity") or "",
            duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=parse_time(spec.get("acquireTime")),
            renew_time=parse_time(spec.get("renewTime")),
            transitions=int(spec.get("leaseTransitions") or 0),
        )

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"leaseDurationSeconds": self.duration_seconds, "leaseTransitions": self.transitions}
        if self.holder:
            spec["holderIdentity"] = self.holder
        if self.acquire_time is not None:
            spec["acquireTime"] = microtime(self.acquire_time)
        if self.renew_time is not None:
            spec["renewTime"] = microtime(self.renew_time)
        return spec


class Act(enum.Enum):
    WAIT = "wait"  # someone else holds it (or nobody has for long enough yet): look again later
    CREATE = "create"  # no Lease, and none has appeared for a lease duration: create it, held by me
    TAKE = "take"  # released, or not renewed for its duration: write myself in over the record read
    RENEW = "renew"  # I am the leader: write a new renewTime
    STOP = "stop"  # I was the leader and may no longer be: stop acting now


@dataclass(frozen=True)
class Decision:
    act: Act
    write: Record | None = None  # what to write, for CREATE, TAKE and RENEW
    why: str = ""


class Elector:
    """The decisions of one candidate (one process). Not thread-safe: `Election` serialises calls."""

    def __init__(
        self, identity: str, lease_duration: float, renew_deadline: float, retry_period: float, history: int = 16
    ) -> None:
        if not identity:
            raise ValueError("a leader election identity cannot be empty")
        if not 0 < retry_period < renew_deadline < lease_duration:
            raise ValueError(
                "leader election needs retry period < renew deadline < lease duration"
                f" (got {retry_period}, {renew_deadline}, {lease_duration})"
            )
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.leader = False
        self._observed: Record | None = None
        self._observed_at: float | None = None  # None: nothing observed yet (not even an absent Lease)
        self._renewed_at = 0.0  # send time of the last write the server accepted, while leader
        self._mine: dict[Record, float] = {}  # records this process wrote or tried to, by send time
        self._history = history

    @property
    def duration_seconds(self) -> int:
        """The leaseDurationSeconds this candidate writes (an integer in the API; rounded up)."""
        return math.ceil(self.lease_duration)

    def deadline(self) -> float | None:
        """While leader: the monotonic time by which another renewal must be accepted, or stop."""
        return self._renewed_at + self.renew_deadline if self.leader else None

    def must_stop(self, now: float) -> bool:
        deadline = self.deadline()
        return deadline is not None and now >= deadline

    def decide(self, lease: Record | None, now: float, wall: datetime.datetime) -> Decision:
        """What to do about the Lease as just read (None: it does not exist) at `now` (monotonic,
        taken after the read) and `wall` (the time written into the Lease, for people and tools)."""
        self._adopt(lease, now)
        if self._observed_at is None or lease != self._observed:
            self._observed, self._observed_at = lease, now
        stamp = wall.astimezone(datetime.UTC)  # written with microseconds: it reads back the same
        if self.leader:
            if self.must_stop(now):
                return Decision(Act.STOP, why=f"the Lease was not renewed within {self.renew_deadline:g}s")
            if lease is None:
                return Decision(Act.STOP, why="the Lease was deleted")
            if lease.holder != self.identity:
                return Decision(Act.STOP, why=f"the Lease is held by {lease.holder or 'nobody'}")
            if lease not in self._mine:
                return Decision(Act.STOP, why=f"the Lease was written by another process as {self.identity}")
            return Decision(Act.RENEW, replace(lease, renew_time=stamp, duration_seconds=self.duration_seconds))
        unchanged_for = now - self._observed_at
        if lease is None:
            if unchanged_for < self.lease_duration:
                return Decision(
                    Act.WAIT, why=f"no Lease yet; creating it once none has appeared for {self.lease_duration:g}s"
                )
            return Decision(Act.CREATE, Record(self.identity, self.duration_seconds, stamp, stamp, 0), "no Lease")
        duration = lease.duration_seconds or self.lease_duration
        if lease.holder and unchanged_for < duration:
            # Even a Lease naming me: a previous process of mine may have written it; it must expire.
            return Decision(Act.WAIT, why=f"held by {lease.holder}")
        why = "released by its holder" if not lease.holder else f"{lease.holder} did not renew it for {duration:g}s"
        return Decision(
            Act.TAKE, Record(self.identity, self.duration_seconds, stamp, stamp, lease.transitions + 1), why
        )

    def next_check(self, now: float) -> float:
        """Seconds until a candidate should read the Lease again: the retry period, or less when the
        Lease it watches expires sooner (so a takeover is not late by up to a retry period)."""
        if self.leader or self._observed_at is None:
            return self.retry_period
        duration = self.lease_duration
        if self._observed is not None:
            if not self._observed.holder:
                return self.retry_period
            duration = self._observed.duration_seconds or self.lease_duration
        return max(0.01, min(self.retry_period, self._observed_at + duration - now))

    def attempt(self, record: Record, sent_at: float) -> None:
        """About to send `record`: if its answer is lost but the write happened, it is still mine."""
        self._mine[record] = sent_at
        if len(self._mine) > self._history:
            oldest = min(self._mine, key=self._mine.__getitem__)
            del self._mine[oldest]

    def accepted(self, record: Record, sent_at: float) -> bool:
        """The server accepted `record`, sent at `sent_at`. Returns True if this made me the leader."""
        gained = not self.leader
        self.leader = True
        self._renewed_at = max(self._renewed_at, sent_at)
        self._mine[record] = sent_at
        self._observed, self._observed_at = record, sent_at
        return gained

    def _adopt(self, lease: Record | None, now: float) -> None:
        """The Lease as read is a write of mine whose answer was lost: it was accepted after all."""
        if lease is None or lease not in self._mine:
            return
        sent_at = self._mine[lease]
        if now < sent_at + self.renew_deadline and (not self.leader or sent_at > self._renewed_at):
            self.accepted(lease, sent_at)

    def release(self, lease: Record | None, wall: datetime.datetime) -> Record | None:
        """What to write to hand the Lease over (holder cleared, expired at once), if it is still mine."""
        if not self.leader or lease is None or lease.holder != self.identity or lease not in self._mine:
            return None
        stamp = wall.astimezone(datetime.UTC)
        return Record("", RELEASED_DURATION_SECONDS, stamp, stamp, lease.transitions)

    def released(self) -> None:
        self.leader = False


# --- the API calls ------------------------------------------------------------------------------


_leading: Elector | None = None  # set while this process leads: AWS changes check it before they start


def may_act() -> bool:
    """False once this process's leadership may have lapsed (its renew deadline passed): the process is
    about to end, and no AWS change may start that a new leader could be starting too."""
    return _leading is None or not _leading.must_stop(time.monotonic())


class LeaseConflict(Exception):
    """The write lost a race: the Lease was created or changed since it was read (HTTP 409)."""


class LeaseStore(Protocol):
    """Where the Lease lives. `read` returns its record and its whole body (None if there is none)."""

    def read(self, timeout: float) -> tuple[Record, dict[str, Any]] | None: ...

    def create(self, record: Record, timeout: float) -> None: ...

    def replace(self, lease: dict[str, Any], record: Record, timeout: float) -> None: ...


class KubernetesLeases:
    """A coordination.k8s.io/v1 Lease through the official client. Its CustomObjectsApi, which serves
    any group's objects by path, sends and returns plain JSON; CoordinationV1Api would turn the body
    into a V1Lease and write the times back through datetime.isoformat(), which leaves out a zero
    fraction that the API server's MicroTime requires."""

    GROUP, VERSION, PLURAL = "coordination.k8s.io", "v1", "leases"

    def __init__(self, api: Any, namespace: str, name: str) -> None:
        self.api, self.namespace, self.name = api, namespace, name  # api: a kubernetes.client.CustomObjectsApi

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    def read(self, timeout: float) -> tuple[Record, dict[str, Any]] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            response = self.api.get_namespaced_custom_object(
                self.GROUP,
                self.VERSION,
                self.namespace,
                self.PLURAL,
                self.name,
                _request_timeout=timeout,
                _preload_content=False,
            )
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        lease: dict[str, Any] = json.loads(response.data)
        return Record.from_spec(lease.get("spec") or {}), lease

    def create(self, record: Record, timeout: float) -> None:
        body = {
            "apiVersion": f"{self.GROUP}/{self.VERSION}",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": record.spec(),
        }
        self._guarded(self.api.create_namespaced_custom_object, body, timeout)

    def replace(self, lease: dict[str, Any], record: Record, timeout: float) -> None:
        """PUT the Lease as read, with the record's fields: its metadata.resourceVersion makes the
        write conditional. Fields of the spec this module does not know are kept."""
        body = copy.deepcopy(lease)
        ours = ("holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaseTransitions")
        spec = {k: v for k, v in (body.get("spec") or {}).items() if k not in ours}
        body["spec"] = {**spec, **record.spec()}
        self._guarded(self.api.replace_namespaced_custom_object, body, timeout, self.name)

    def _guarded(self, call: Callable[..., Any], body: dict[str, Any], timeout: float, *name: str) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            call(
                self.GROUP,
                self.VERSION,
                self.namespace,
                self.PLURAL,
                *name,
                body,
                _request_timeout=timeout,
                _preload_content=False,
            )
        except ApiException as e:
            if e.status == 409:
                raise LeaseConflict(str(e.reason)) from e
            raise


# --- running it -----------------------------------------------------------------------------------


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def wall(self) -> datetime.datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)


class Election:
    """Runs an `Elector` against a `LeaseStore`: the standby loop, then renewal while leading."""

    def __init__(
        self,
        elector: Elector,
        store: LeaseStore,
        clock: Clock | None = None,
        on_leader: Callable[[bool], None] = lambda _: None,
        name: str = "",
    ) -> None:
        self.elector, self.store = elector, store
        self.clock: Clock = clock or SystemClock()
        self.on_leader = on_leader  # told True when leadership is gained, False when released
        self.name = name or str(store)
        self.holder: str | None = None  # the holder as last read ("" nobody), for logs and health answers
        self.last_round = self.clock.monotonic()  # when a round (read, decide, write) last ended
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._complaint = ""

    # A round: read, decide, write.

    def step(self) -> Decision:
        """One round. Errors from the API are logged and count as a round that did not renew."""
        try:
            return self._step()
        except Exception as e:  # noqa: BLE001 - the API is unreachable or refused: try again next round
            self._complain(f"leader election: the Lease {self.name} could not be read or written: {e}")
            return Decision(Act.WAIT, why=str(e))
        finally:
            self.last_round = self.clock.monotonic()

    def _step(self) -> Decision:
        was_leader = self.elector.leader
        decision = Decision(Act.WAIT, why="a write whose answer was lost went through")
        try:
            decision = self._round()
            return decision
        finally:
            if self.elector.leader and not was_leader:
                self.holder = self.elector.identity
                why = decision.why if decision.act is not Act.RENEW else "a write whose answer was lost went through"
                log.info(
                    "leader election: became the leader as %s (Lease %s: %s)", self.elector.identity, self.name, why
                )
                self.on_leader(True)

    def _round(self) -> Decision:
        read = self.store.read(self._timeout())
        lease, body = read if read is not None else (None, None)
        with self._lock:
            decision = self.elector.decide(lease, self.clock.monotonic(), self.clock.wall())
        self._observe_holder(lease, decision)
        if decision.write is None:
            return decision
        with self._lock:
            sent_at = self.clock.monotonic()
            self.elector.attempt(decision.write, sent_at)
        try:
            if body is None:
                self.store.create(decision.write, self._timeout())
            else:
                self.store.replace(body, decision.write, self._timeout())
        except LeaseConflict:
            log.debug("leader election: lost a race for the Lease %s; reading it again", self.name)
            return Decision(Act.WAIT, why="another candidate wrote the Lease first")
        with self._lock:
            self.elector.accepted(decision.write, sent_at)
        self._complaint = ""
        return decision

    def _timeout(self) -> float:
        """A leader waits for the API no longer than its deadline; a standby, a lease duration."""
        with self._lock:
            deadline = self.elector.deadline()
        if deadline is None:
            return self.elector.lease_duration
        return max(0.1, deadline - self.clock.monotonic())

    def _observe_holder(self, lease: Record | None, decision: Decision) -> None:
        holder = lease.holder if lease is not None else ""
        if decision.act is Act.WAIT and (holder != self.holder or self.holder is None):
            log.info(
                "leader election: standing by as %s (Lease %s: %s)", self.elector.identity, self.name, decision.why
            )
        self.holder = holder

    def _complain(self, message: str) -> None:
        """Log an API failure once, not every round while it lasts."""
        if message != self._complaint:
            log.warning(message)
            self._complaint = message

    # Standing by, leading, handing over.

    def acquire(self, stopping: threading.Event) -> bool:
        """Stand by until this process leads (True) or `stopping` is set (False)."""
        while not stopping.is_set():
            decision = self.step()
            if self.elector.leader:
                return True
            if decision.act is Act.STOP:  # cannot happen for a candidate; be safe anyway
                return False
            with self._lock:
                wait = self.elector.next_check(self.clock.monotonic())
            stopping.wait(wait)
        return False

    def lead(self, on_lost: Callable[[str], None]) -> None:
        """Renew every retry period in a thread; a watchdog calls `on_lost` (which must stop all
        acting, e.g. end the process) the moment the deadline passes or a renewal finds the Lease lost."""
        self._stopping.clear()
        lost = threading.Lock()

        def stop_acting(why: str) -> None:
            if lost.acquire(blocking=False):  # once, from whichever thread notices first
                on_lost(why)

        def renew() -> None:
            next_round = self.clock.monotonic() + self.elector.retry_period
            while not self._stopping.wait(max(0.0, next_round - self.clock.monotonic())):
                next_round = self.clock.monotonic() + self.elector.retry_period
                decision = self.step()
                if decision.act is Act.STOP and not self._stopping.is_set():
                    stop_acting(decision.why)
                    return

        def watch() -> None:
            while not self._stopping.is_set():
                with self._lock:
                    deadline = self.elector.deadline()
                    late = self.elector.must_stop(self.clock.monotonic())
                if deadline is None:
                    return
                if late:
                    stop_acting(f"the Lease was not renewed within {self.elector.renew_deadline:g}s")
                    return
                self._stopping.wait(max(0.01, deadline - self.clock.monotonic()))

        self._threads = [
            threading.Thread(target=renew, name="lease-renewal", daemon=True),
            threading.Thread(target=watch, name="lease-watchdog", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop renewing (the Lease stays held until it expires or is released)."""
        self._stopping.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        self._threads = []

    def release(self) -> bool:
        """Hand the Lease over at once (after everything that acts has stopped): clear the holder, so
        a standby takes it on its next round instead of waiting for it to expire."""
        with self._lock:
            if not self.elector.leader:
                return False
        try:
            read = self.store.read(self._timeout())
            with self._lock:
                record = self.elector.release(read[0] if read else None, self.clock.wall())
            if read is None or record is None:
                log.warning("leader election: not releasing the Lease %s: it is no longer mine", self.name)
                return False
            self.store.replace(read[1], record, self._timeout())
        except Exception as e:  # noqa: BLE001 - it expires on its own
            log.warning("leader election: could not release the Lease %s (it expires on its own): %s", self.name, e)
            return False
        with self._lock:
            self.elector.released()
        self.holder = ""
        log.info("leader election: released the Lease %s as %s", self.name, self.elector.identity)
        self.on_leader(False)
        return True
