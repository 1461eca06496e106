"""Leader election's decisions (leader.py), with a fake clock and an in-memory Lease that keeps the API
server's one promise that matters here: a write carrying a stale resourceVersion is refused."""

import contextlib
import copy
import datetime
import json
import random
import threading
import time

import pytest
from kubernetes.client.exceptions import ApiException
from kubernetes.leaderelection import electionconfig
from kubernetes.leaderelection import leaderelection as library

from elasticache_operator.leader import Act, Election, Elector, LeaseConflict, Record

START = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)
D, R, P = 6.0, 4.0, 1.0  # lease duration, renew deadline, retry period


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> datetime.datetime:
        return START + datetime.timedelta(seconds=self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Leases:
    """One Lease, stored as the API server stores it: create fails if it exists, replace fails on a
    stale resourceVersion. `down` makes every call fail; `lose_answers` applies writes but raises."""

    def __init__(self) -> None:
        self.lease: dict | None = None
        self.version = 0
        self.down = False
        self.lose_answers = False

    def read(self, timeout):
        self._reachable()
        if self.lease is None:
            return None
        return Record.from_spec(self.lease["spec"]), copy.deepcopy(self.lease)

    def create(self, record, timeout):
        self._reachable()
        if self.lease is not None:
            raise LeaseConflict("exists")
        self.version += 1
        self.lease = {"metadata": {"name": "l", "resourceVersion": str(self.version)}, "spec": record.spec()}
        self._answer()

    def replace(self, lease, record, timeout):
        self._reachable()
        if self.lease is None or lease["metadata"]["resourceVersion"] != self.lease["metadata"]["resourceVersion"]:
            raise LeaseConflict("modified")
        self.version += 1
        self.lease = {**lease, "metadata": {**lease["metadata"], "resourceVersion": str(self.version)}}
        self.lease["spec"] = {**lease["spec"], **record.spec()}
        if not record.holder:
            self.lease["spec"].pop("holderIdentity", None)
        self._answer()

    def holder(self) -> str:
        return Record.from_spec(self.lease["spec"]).holder if self.lease else ""

    def _reachable(self) -> None:
        if self.down:
            raise ConnectionError("the API server is unreachable")

    def _answer(self) -> None:
        if self.lose_answers:
            raise TimeoutError("the answer was lost")


def elector(identity="a"):
    return Elector(identity, D, R, P)


def at(seconds):
    return START + datetime.timedelta(seconds=seconds)


def record(holder, renew=1, transitions=0, duration=6):
    return Record(holder, duration, at(0), at(renew), transitions)


def test_timings_must_leave_the_leader_time_to_stop_before_a_takeover():
    with pytest.raises(ValueError, match="renew deadline < lease duration"):
        Elector("a", 10, 10, 2)
    with pytest.raises(ValueError):
        Elector("a", 15, 10, 10)
    with pytest.raises(ValueError):
        Elector("", 15, 10, 2)


def test_a_missing_lease_is_created_only_once_none_has_appeared_for_a_lease_duration():
    e, clock = elector(), Clock()
    assert e.decide(None, clock.now, clock.wall()).act is Act.WAIT
    clock.advance(D - 0.1)
    assert e.decide(None, clock.now, clock.wall()).act is Act.WAIT
    clock.advance(0.1)
    decision = e.decide(None, clock.now, clock.wall())
    assert decision.act is Act.CREATE
    assert decision.write == Record("a", 6, clock.wall(), clock.wall(), 0)
    assert decision.write.spec() == {
        "holderIdentity": "a",
        "leaseDurationSeconds": 6,
        "acquireTime": "2026-11-23T12:01:46.000000Z",
        "renewTime": "2026-11-23T12:01:46.000000Z",
        "leaseTransitions": 0,
    }


def test_times_are_compared_as_instants_whatever_form_the_server_writes_them_in():
    spec = {"holderIdentity": "a", "leaseDurationSeconds": 6, "acquireTime": "2026-11-23T12:00:00.000000Z"}
    same = {**spec, "acquireTime": "2026-11-23T12:00:00+00:00"}
    assert Record.from_spec(spec) == Record.from_spec(same)
    assert Record.from_spec(Record.from_spec(spec).spec()) == Record.from_spec(spec)
    assert Record.from_spec({"renewTime": "not a time"}).renew_time is None


def test_a_renewed_lease_is_never_taken():
    e, clock = elector(), Clock()
    for i in range(20):
        assert e.decide(record("b", renew=i), clock.now, clock.wall()).act is Act.WAIT
        clock.advance(D - 0.5)  # each renewal seen just before the last one would expire


def test_an_unrenewed_lease_is_taken_after_its_duration_measured_on_my_own_clock():
    e, clock = elector(), Clock()
    held = record("b", transitions=3, duration=10)  # the holder's duration, not mine, counts
    assert e.decide(held, clock.now, clock.wall()).act is Act.WAIT
    clock.advance(9.9)
    assert e.decide(held, clock.now, clock.wall()).act is Act.WAIT
    assert e.next_check(clock.now) == pytest.approx(0.1)  # looks again right when it expires
    clock.advance(0.1)
    decision = e.decide(held, clock.now, clock.wall())
    assert decision.act is Act.TAKE and decision.write.holder == "a" and decision.write.transitions == 4
    assert decision.write.acquire_time == decision.write.renew_time


def test_a_released_lease_is_taken_at_once():
    e, clock = elector(), Clock()
    decision = e.decide(record("", transitions=2, duration=1), clock.now, clock.wall())
    assert decision.act is Act.TAKE and decision.write.transitions == 3


def test_a_lease_naming_me_from_an_earlier_process_still_has_to_expire():
    e, clock = elector(), Clock()
    assert e.decide(record("a"), clock.now, clock.wall()).act is Act.WAIT
    clock.advance(D)
    assert e.decide(record("a"), clock.now, clock.wall()).act is Act.TAKE


def test_the_leader_renews_keeping_acquire_time_and_transitions():
    e, clock = elector(), Clock()
    clock.advance(D)
    e.decide(None, clock.now - D, clock.wall())
    created = e.decide(None, clock.now, clock.wall()).write
    e.attempt(created, clock.now)
    assert e.accepted(created, clock.now) is True
    clock.advance(P)
    decision = e.decide(created, clock.now, clock.wall())
    assert decision.act is Act.RENEW
    assert decision.write.renew_time > created.renew_time
    assert (decision.write.acquire_time, decision.write.transitions) == (created.acquire_time, 0)


def leading(clock):
    e = elector()
    mine = Record("a", 6, at(0), at(0), 1)
    e.attempt(mine, clock.now)
    e.accepted(mine, clock.now)
    return e, mine


@pytest.mark.parametrize(
    ("lease", "why"),
    [
        (None, "deleted"),
        (record("b"), "held by b"),
        (record(""), "held by nobody"),
        (Record("a", 6, at(0), at(3), 1), "another process as a"),
    ],
)
def test_the_leader_stops_when_the_lease_is_no_longer_its_own(lease, why):
    clock = Clock()
    e, _ = leading(clock)
    clock.advance(P)
    decision = e.decide(lease, clock.now, clock.wall())
    assert decision.act is Act.STOP and why in decision.why


def test_the_leader_stops_at_its_renew_deadline_counted_from_sending_the_last_accepted_renewal():
    clock = Clock()
    e, mine = leading(clock)
    assert e.deadline() == clock.now + R
    clock.advance(R - 0.01)
    assert not e.must_stop(clock.now)
    clock.advance(0.01)
    assert e.must_stop(clock.now)
    assert e.decide(mine, clock.now, clock.wall()).act is Act.STOP


def test_a_write_whose_answer_was_lost_is_recognised_as_mine():
    clock, store = Clock(), Leases()
    store.create(record("b"), 1)
    e = elector()
    election = Election(e, store, clock, name="ns/l")
    election.step()
    clock.advance(D)
    store.lose_answers = True
    election.step()  # the take went through, but the answer never came
    assert store.holder() == "a" and not e.leader
    store.lose_answers = False
    clock.advance(P)
    assert election.step().act is Act.RENEW and e.leader


def test_release_clears_the_holder_and_keeps_the_transitions():
    clock, store, changes = Clock(), Leases(), []
    election = Election(elector(), store, clock, on_leader=changes.append)
    clock.advance(D)
    while not election.elector.leader:
        election.step()
        clock.advance(P)
    assert election.release() is True
    spec = store.lease["spec"]
    assert "holderIdentity" not in spec and spec["leaseDurationSeconds"] == 1 and spec["leaseTransitions"] == 0
    assert changes == [True, False] and not election.elector.leader
    assert election.release() is False  # once


def test_release_leaves_a_lease_someone_else_took():
    clock, store = Clock(), Leases()
    e, mine = leading(clock)
    store.create(record("b"), 1)
    assert Election(e, store, clock).release() is False
    assert store.holder() == "b"


def test_the_watchdog_stops_a_leader_that_cannot_renew():
    """The threads, on the real clock: with the API gone, `on_lost` is called once, at the deadline."""
    store = Leases()
    election = Election(Elector("a", 0.6, 0.3, 0.05), store)
    assert election.acquire(threading.Event())
    reasons, called = [], threading.Event()
    store.down = True
    election.lead(on_lost=lambda why: (reasons.append(why), called.set()))
    assert called.wait(30)
    election.stop()
    assert reasons == ["the Lease was not renewed within 0.3s"]


def test_the_renewal_stops_a_leader_that_finds_the_lease_taken():
    store = Leases()
    store.create(record("", duration=1), 1)  # released: taken at once
    election = Election(Elector("a", 60, 40, 0.05), store)
    assert election.acquire(threading.Event())
    reasons, called = [], threading.Event()
    store.lease["spec"]["holderIdentity"] = "b"  # as if it had been taken
    election.lead(on_lost=lambda why: (reasons.append(why), called.set()))
    assert called.wait(30)
    election.stop()
    assert reasons == ["the Lease is held by b"]


def test_a_standby_waits_for_a_renewing_leader_and_takes_over_after_it_stops():
    clock, store = Clock(), Leases()
    a, b = Election(elector("a"), store, clock), Election(elector("b"), store, clock)
    for _ in range(int(D / P) + 1):
        a.step()
        b.step()
        clock.advance(P)
    assert {a.elector.leader, b.elector.leader} == {True, False}
    first, second = (a, b) if a.elector.leader else (b, a)
    for _ in range(30):  # the leader renews every round: the standby never takes over
        first.step()
        second.step()
        clock.advance(P)
    assert store.holder() == first.elector.identity and not second.elector.leader
    killed_at = clock.now  # the leader stops renewing
    while not second.elector.leader:
        second.step()
        clock.advance(P)
    assert D <= clock.now - killed_at <= D + 2 * P
    assert store.lease["spec"]["leaseTransitions"] == 1


@pytest.mark.parametrize("seed", range(40))
def test_two_candidates_never_act_at_once(seed):
    """Random interleavings of two candidates' rounds, with API failures, lost answers and stalls (a
    process that does not run for a while, as a paused or partitioned pod): at no instant may both act.
    A leader may act from the round it knows it leads until its renew deadline (or until it stops)."""
    rng = random.Random(seed)
    clock, store = Clock(), Leases()
    candidates = [Election(Elector(name, D, R, P), store, clock) for name in "ab"]
    stalled_until = {"a": 0.0, "b": 0.0}
    acting: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
    for _ in range(800):
        clock.advance(rng.uniform(0.05, 0.6))
        store.down = rng.random() < 0.1
        store.lose_answers = rng.random() < 0.1
        for election in rng.sample(candidates, 2):
            name = election.elector.identity
            if rng.random() < 0.02:
                stalled_until[name] = clock.now + rng.uniform(1, 12)
            if clock.now < stalled_until[name]:
                continue
            if election.elector.must_stop(clock.now):  # the watchdog ends the process; it restarts
                election.elector = Elector(name, D, R, P)
            decision = election.step()
            if decision.act is Act.STOP:
                election.elector = Elector(name, D, R, P)
            elif election.elector.leader:
                acting[name].append((clock.now, election.elector.deadline()))
    a, b = merge(acting["a"]), merge(acting["b"])
    assert a and b, "both led at some point"
    for start_a, end_a in a:
        for start_b, end_b in b:
            assert end_a <= start_b or end_b <= start_a, ((start_a, end_a), (start_b, end_b))


def merge(intervals):
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


# --- a renewal that hangs: ours against the official client's kubernetes.leaderelection -------------


class HangingLeases(Leases):
    """Leases whose replace, once `hang` is set, blocks as a request whose connection went silent,
    until `unblock` (then fails as a request that timed out)."""

    def __init__(self) -> None:
        super().__init__()
        self.hang = False
        self.hung = threading.Event()
        self.unblock = threading.Event()
        self.timeouts: list[float] = []

    def replace(self, lease, record, timeout):
        if not self.hang:
            return super().replace(lease, record, timeout)
        self.timeouts.append(timeout)
        self.hung.set()
        self.unblock.wait()
        raise TimeoutError("the request timed out")


class Closed(Exception):
    """Ends a library candidate's thread: neither its acquire() nor its renew_loop() can be stopped."""


class LibraryLock:
    """What the library's LeaseLock is to it (get, create, update), over one record shared by the
    candidates: get answers 404 as LeaseLock does while there is none, and an update is refused if the
    record changed since this lock last read it (LeaseLock's replace carries the resourceVersion it
    read). With `hang`, every update after this candidate took the lock blocks, as a renewal whose
    connection went silent, until the test ends."""

    name, namespace = "l", "ns"

    def __init__(self, shared: dict, identity: str, clock, hang: bool = False) -> None:
        self.shared, self.identity, self.clock, self.hang = shared, identity, clock, hang
        self.leading = False
        self.hung_at: float | None = None  # the library's time when an update started to hang
        self.hung = threading.Event()
        self.closed = threading.Event()
        self.read_version = -1

    def get(self, name, namespace):
        self._open()
        with self.shared["lock"]:
            if self.shared["record"] is None:
                missing = ApiException(status=404, reason="Not Found")
                missing.body = json.dumps({"kind": "Status", "code": 404})
                return False, missing
            self.read_version = self.shared["version"]
            return True, copy.copy(self.shared["record"])

    def create(self, name, namespace, election_record):
        self._open()
        with self.shared["lock"]:
            if self.shared["record"] is not None:
                return False
            self._store(election_record)
        return True

    def update(self, name, namespace, updated_record):
        self._open()
        if self.hang and self.leading:
            self.hung_at = self.clock.time()
            self.hung.set()
            self.closed.wait()
            raise Closed
        with self.shared["lock"]:
            if self.shared["version"] != self.read_version:
                return False
            self._store(updated_record)
        return True

    def close(self) -> None:
        self.closed.set()

    def _store(self, record) -> None:
        self.shared["record"] = copy.copy(record)
        self.shared["version"] += 1
        self.read_version = self.shared["version"]
        self.leading = record.holder_identity == self.identity

    def _open(self) -> None:
        if self.closed.is_set():
            raise Closed


class FastTime:
    """The library's clock, 20 times fast: it reads only time.time() and waits only with time.sleep(),
    so with this in place of its `time` module it runs the chart's timings (15 s, 10 s, 2 s) in a
    twentieth of the time, unchanged otherwise."""

    SPEED = 20.0

    def __init__(self) -> None:
        self.wall, self.start = time.time(), time.monotonic()

    def time(self) -> float:
        return self.wall + (time.monotonic() - self.start) * self.SPEED

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.SPEED)


def test_a_hung_renewal_stops_our_leader_but_not_the_librarys(monkeypatch):
    """A leader whose renewal hangs (the API server, or the network to it, stops answering) must stop
    acting before any standby may take over. The library's leader is never told to stop: its renew
    loop waits on the hung call (no request timeout) and looks at its deadline only between calls, so
    a standby takes the Lease after the lease duration while the leader still leads, and it still has
    not been stopped once the renew deadline plus the lease duration have passed. Ours is stopped by
    its watchdog at the renew deadline, with the renewal still hung and long before a takeover."""
    lease_duration, renew_deadline, retry_period = 15, 10, 2  # the chart's defaults
    clock = FastTime()
    monkeypatch.setattr(library, "time", clock)
    shared = {"lock": threading.Lock(), "record": None, "version": 0}
    locks = {"a": LibraryLock(shared, "a", clock, hang=True), "b": LibraryLock(shared, "b", clock)}
    started = {name: threading.Event() for name in locks}
    stopped = {name: threading.Event() for name in locks}

    def candidate(name: str) -> threading.Thread:
        config = electionconfig.Config(
            locks[name],
            lease_duration,
            renew_deadline,
            retry_period,
            onstarted_leading=started[name].set,
            onstopped_leading=stopped[name].set,
        )

        def run() -> None:
            with contextlib.suppress(Closed):
                library.LeaderElection(config).run()

        thread = threading.Thread(target=run, name=f"library-candidate-{name}", daemon=True)
        thread.start()
        return thread

    threads = [candidate("a")]
    try:
        assert started["a"].wait(30) and locks["a"].hung.wait(30)  # a leads, and its first renewal hangs
        threads.append(candidate("b"))
        assert started["b"].wait(60), "the standby took over after the lease duration"
        assert shared["record"].holder_identity == "b"
        late = locks["a"].hung_at + renew_deadline + lease_duration
        stopped["a"].wait(max(0.0, late - clock.time()) / clock.SPEED + 0.1)
        assert clock.time() >= late
        assert not stopped["a"].is_set(), "the library stopped its leader"  # two leaders: a and b
    finally:
        for lock in locks.values():
            lock.close()
        for thread in threads:
            thread.join(30)
    assert not any(thread.is_alive() for thread in threads)

    # Ours, in the same situation (a renew deadline of 0.5 s, for a short test).
    store = HangingLeases()
    store.create(record("", duration=1), 1)  # released: taken at once
    election = Election(Elector("a", lease_duration, 0.5, 0.1), store)
    assert election.acquire(threading.Event())
    reasons, lost_at, lost = [], [], threading.Event()

    def on_lost(why: str) -> None:
        reasons.append(why)
        lost_at.append(time.monotonic())
        lost.set()

    store.hang = True
    election.lead(on_lost)
    try:
        assert lost.wait(30)
        assert store.hung.is_set() and not store.unblock.is_set()  # stopped with the renewal still hung
        assert reasons == ["the Lease was not renewed within 0.5s"]
        last_accepted_sent_at = election.elector.deadline() - 0.5
        assert lost_at[0] >= election.elector.deadline()
        assert lost_at[0] < last_accepted_sent_at + lease_duration  # before any standby may take over
        assert store.timeouts and max(store.timeouts) <= 0.5  # and the call itself gives up by then
    finally:
        store.unblock.set()
        election.stop()
