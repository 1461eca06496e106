"""kopf glue, kept thin and the same for every kind of object (`Kind`): each object has one reconcile
loop (a kopf daemon) that runs its kind's `reconcile()` when woken (a spec change, the shared AWS
observation seeing its AWS resource change, its password Secret changing) or when its requeue or
resync time comes; deletion is kopf's on.delete handler, which runs its kind's `finalize()`. The AWS
clients, the observer and the settings are built once (wiring.py) and shared by every kind."""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import kopf

from . import ADOPT_ANNOTATION, API_GROUP, API_VERSION, INSTANCE_LABEL, PLURAL
from .core import naming
from .core.failover import ANNOTATION as FAILOVER_ANNOTATION
from .kube import secret_watch
from .kube.status import changed_fields, merge_status
from .reconcile import Deps, Outcome
from .reconcile.cluster import reconcile as reconcile_cluster
from .reconcile.deletion import finalize as finalize_cluster
from .reconcile.snapshot import PLURAL as SNAPSHOTS
from .reconcile.snapshot import finalize as finalize_snapshot
from .reconcile.snapshot import reconcile as reconcile_snapshot
from .reconcile.snapshot import snapshot_keys
from .settings import Settings
from .wiring import Wakeups, build_deps

SETTINGS = Settings()  # read once: filters and intervals are fixed when the handlers are registered
# Only the objects this installation claims (Settings.instance), like an ingress class.
CLAIMED = {INSTANCE_LABEL: SETTINGS.instance or kopf.ABSENT}
WAITING = "[waiting]"

log = logging.getLogger(__name__)

Body = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """What the glue needs to know of one kind of object; everything else is shared."""

    plural: str
    reconcile: Callable[[Body, Deps], Outcome]
    finalize: Callable[[Body, Deps], Outcome]
    keys: Callable[[Body], set[str]]  # the AWS names whose changes (seen by the observer) wake an object
    password_secret: Callable[[Body], tuple[str, str] | None] = lambda body: None  # a Secret whose change wakes it
    woken_by: Callable[[Body], bool] = lambda body: False  # besides a new generation: a change that needs a visit
    # Status fields that only report what AWS shows (never read back as the operator's memory): while AWS
    # is still working on the object, a change of these alone waits for the next status patch that matters.
    facts: frozenset[str] = frozenset()

    @property
    def resource(self) -> tuple[str, str, str]:
        return (API_GROUP, API_VERSION, self.plural)


def finalizer_name(instance: str) -> str:
    """One finalizer per installation: kopf releases a finalizer of its own name from any object its
    handlers do not claim, so installations sharing a name would release each other's objects."""
    if not instance:
        return f"{API_GROUP}/finalizer"
    name = f"finalizer-{instance}"
    if len(name) > 63:  # a qualified name's name part
        name = "finalizer-" + hashlib.sha256(instance.encode()).hexdigest()[:16]
    return f"{API_GROUP}/{name}"


class NoDiffBase(kopf.DiffBaseStorage):
    """No diff base. kopf keeps a copy of each object's spec (the last-handled-configuration annotation) to
    tell creations from updates for on.create/on.update handlers, and patches it after every change of the
    spec: one write per object and per change. There are none of those handlers here: each object's loop
    compares generations itself, and deletion is told by deletionTimestamp, not by a diff. So every event
    is, to kopf, a creation with no handler to call, and nothing is stored (the annotation an older
    version wrote stays, unread)."""

    def fetch(self, *, body: kopf.Body) -> None:
        return None

    def build(self, *, body: kopf.Body, extra_fields: Any = None) -> Any:
        """No essence either: nothing compares it, and kopf builds it for every event by deep-copying the
        whole object (2 % of the operator's Python time in the 1,000-cluster burst)."""
        return {}

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: Any) -> None:
        pass


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    # Our own finalizer and annotation storage: the status schema is structural and
    # kopf must not write its progress there (kopf issue #321).
    settings.persistence.finalizer = finalizer_name(SETTINGS.instance)
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=API_GROUP)
    settings.persistence.diffbase_storage = NoDiffBase()
    settings.execution.max_workers = SETTINGS.workers
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.request_timeout = 60
    # An API server that answers 5xx for a while (an upgrade, an etcd leader change) is waited out for
    # about four minutes; kopf's default (54 s) would end the whole process after a one-minute outage.
    settings.networking.error_backoffs = (1, 1, 2, 3, 5, 8, 13, 21, 30, 30, 30, 30, 30, 30)
    memo["wakeups"] = wakeups = Wakeups()
    memo["deps"] = deps = build_deps(SETTINGS, wakeups)
    memo["executor"] = concurrent.futures.ThreadPoolExecutor(SETTINGS.workers, thread_name_prefix="reconcile")
    memo["stop_observing"] = stop = threading.Event()
    threading.Thread(target=deps.observer.run, args=(stop,), name="observer", daemon=True).start()
    secret_watch.start(
        deps.secrets.api, wakeups.wake_uids, wakeups.wake_secret, stop, SETTINGS.namespaces, deps.secrets.cache
    )


@kopf.on.cleanup()
def stop_observing(memo: kopf.Memo, **_: Any) -> None:
    memo["stop_observing"].set()
    memo["executor"].shutdown(wait=False, cancel_futures=True)


@kopf.on.login()
def login(**kwargs: Any) -> Any:
    # Explicit, so a KUBECONFIG set after the kubernetes client was imported is still honoured.
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.probe(id="settings")
def probe(**_: Any) -> dict[str, Any]:
    return {"region": SETTINGS.aws_region, "cluster": SETTINGS.cluster_name, "instance": SETTINGS.instance}


class _WaitingIsNotAnError(logging.Filter):
    """kopf logs every TemporaryError at ERROR; waiting for AWS to delete a group is normal."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and f"failed temporarily: {WAITING}" in record.getMessage():
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


logging.getLogger("kopf.objects").addFilter(_WaitingIsNotAnError())


def register(kind: Kind) -> None:
    """One kind's handlers: a wake-up on spec changes, the reconcile loop, and deletion."""

    def needs_a_visit(body: kopf.Body, memo: kopf.Memo, **_: Any) -> bool:
        """A generation its loop has not visited yet (nor the status observed), or a change the kind says
        needs a visit. The events of kopf's own patches and of the status the loop writes, which race
        ahead of that status, need none. A filter, so kopf spends nothing more on those events: it calls
        filters in its event loop, and invokes a handler (a task, a log line) only when this is True."""
        meta, status = body["metadata"], body.get("status", {})
        generation = meta.get("generation")
        unseen = generation not in (status.get("observedGeneration"), memo["wakeups"].visited(meta["uid"]))
        return unseen or kind.woken_by(dict(body))

    @kopf.on.event(*kind.resource, labels=CLAIMED, when=needs_a_visit, id="spec_changed")
    async def spec_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        """Its loop reconciles now rather than at its next turn."""
        memo["wakeups"].wake(body["metadata"]["uid"])

    @kopf.daemon(*kind.resource, labels=CLAIMED, cancellation_timeout=10, id="reconcile_loop")
    async def reconcile_loop(body: kopf.Body, stopped: kopf.DaemonStopped, memo: kopf.Memo, **kw: Any) -> None:
        await _loop(kind, body, stopped, memo, kw["logger"])

    @kopf.on.delete(*kind.resource, labels=CLAIMED, id="on_delete")
    def on_delete(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
        outcome = kind.finalize(dict(body), memo["deps"])
        if outcome.status:
            patch["status"] = outcome.status
        _post_events(outcome, body)
        if not outcome.done:
            message = outcome.verdict.message if outcome.verdict else "AWS is deleting it"
            delay = outcome.requeue_after or SETTINGS.poll_seconds
            raise kopf.TemporaryError(f"{WAITING} {message}" if outcome.waiting else message, delay=delay)


async def _loop(
    kind: Kind,
    body: kopf.Body,
    stopped: kopf.DaemonStopped,
    memo: kopf.Memo,
    logger: logging.Logger | logging.LoggerAdapter[Any],
) -> None:
    """Reconcile now, then whenever woken or due; write the status only when it changed, and only facts
    while AWS works (`Kind.facts`) once the work ends or `resync_seconds` pass."""
    meta = body["metadata"]
    wakeups: Wakeups = memo["wakeups"]
    wake = wakeups.register(meta["uid"], kind.keys(dict(body)))
    delay = 0.0
    written: dict[str, Any] = {}  # this loop is the status's only writer: what it wrote is true even
    held_since: float | None = None  # since when facts have been left unwritten
    said: str | None = None  # what the log last said this object waits for
    try:  # before the watch brings it back, so a quick second turn never decides on an older status
        while not stopped:
            await _sleep(wake, stopped, delay)
            if stopped:
                return
            wake.clear()
            snapshot = copy.deepcopy(dict(body))
            wakeups.visiting(meta["uid"], snapshot["metadata"].get("generation"))
            wakeups.follow_secret(meta["uid"], kind.password_secret(snapshot))
            snapshot["status"] = merge_status(snapshot.get("status") or {}, written)
            now = time.monotonic()
            hold = held_since is None or now - held_since < SETTINGS.resync_seconds
            try:
                outcome, wrote = await _visit(kind, snapshot, memo, hold)
                if wrote:
                    written = merge_status(written, changed_fields(snapshot["status"], outcome.status))
                    held_since = None
                else:
                    held_since = (held_since or now) if changed_fields(snapshot["status"], outcome.status) else None
            except Exception:  # noqa: BLE001 - logged; the loop tries again after retry_seconds
                log.exception("reconciling %s/%s failed", meta["namespace"], meta["name"])
                wakeups.visiting(meta["uid"], None)  # not done: any event of the object may wake it again
                delay = SETTINGS.retry_seconds
                continue
            _post_events(outcome, body)
            waiting = f"{WAITING} {outcome.verdict.message if outcome.verdict else 'AWS is throttling calls'}"
            if outcome.waiting and waiting != said:  # once per thing waited for, not once per visit
                logger.info(waiting)
            said = waiting if outcome.waiting else None
            delay = outcome.requeue_after if outcome.requeue_after is not None else SETTINGS.resync_seconds
    finally:
        memo["wakeups"].unregister(meta["uid"])


async def _visit(kind: Kind, snapshot: Body, memo: kopf.Memo, hold: bool) -> tuple[Outcome, bool]:
    """One reconcile and its status patch, in one turn of a worker thread (AWS and Kubernetes clients
    block); whether the status was written. `hold`: facts alone may wait (`worth_writing`)."""
    deps: Deps = memo["deps"]

    def reconcile_and_patch() -> tuple[Outcome, bool]:
        outcome = kind.reconcile(snapshot, deps)
        meta, current = snapshot["metadata"], snapshot["status"]
        if not outcome.status or not worth_writing(kind.facts if hold else frozenset(), current, outcome):
            return outcome, False
        deps.status.patch(meta["namespace"], meta["name"], current, outcome.status, plural=kind.plural)
        return outcome, True

    return await asyncio.get_running_loop().run_in_executor(memo["executor"], reconcile_and_patch)


def worth_writing(facts: frozenset[str], current: Body, outcome: Outcome) -> bool:
    """Whether a visit's status is worth a patch now. Not when nothing changed; nor, while AWS is working
    on the object (Outcome.waiting), when only `facts` (an endpoint, a shard count) and the wording of
    conditions changed: those go with the next patch that matters, at the latest the one that ends the
    work (Ready changes then). Anything the operator reads back, a condition's status or reason, or
    observedGeneration is written at once."""
    changes = changed_fields(current, outcome.status)
    if not changes:
        return False
    if not outcome.waiting:
        return True
    return not all(
        key in facts or (key == "conditions" and _same_conditions(current.get(key), value))
        for key, value in changes.items()
    )


def _same_conditions(before: Any, after: Any) -> bool:
    """The same conditions with the same status, reason and generation (the messages may differ)."""

    def said(conditions: Any) -> dict[str, tuple[Any, ...]]:
        return {
            c.get("type"): (c.get("status"), c.get("reason"), c.get("observedGeneration")) for c in conditions or []
        }

    return said(before) == said(after)


def _post_events(outcome: Outcome, body: kopf.Body) -> None:
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)


async def _sleep(wake: asyncio.Event, stopped: kopf.DaemonStopped, delay: float) -> None:
    """Until woken, stopped, or `delay` seconds pass; cancellable at any point."""
    if delay <= 0 or wake.is_set():
        return
    waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stopped.wait())]
    try:
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _cluster_groups(body: Body) -> set[str]:
    """The replication groups whose changes wake a RedisCluster: its own, and the one it manages."""
    meta = body["metadata"]
    own = naming.replication_group_id(meta["namespace"], meta["name"], meta["uid"])
    return {own, (body.get("status") or {}).get("replicationGroupId") or own}


def _password_secret(body: Body) -> tuple[str, str] | None:
    """The (namespace, name) of the Secret a RedisCluster takes its password from, if it names one."""
    ref = ((body.get("spec") or {}).get("defaultUserPassword") or {}).get("secretKeyRef") or {}
    return (body["metadata"]["namespace"], ref["name"]) if ref.get("name") else None


def _annotated(body: Body) -> bool:
    """The adopt annotation names another group than the status does, or a failover test is asked for."""
    annotations, status = body["metadata"].get("annotations") or {}, body.get("status") or {}
    adopt, test = annotations.get(ADOPT_ANNOTATION), annotations.get(FAILOVER_ANNOTATION)
    moved = bool(adopt) and adopt != status.get("replicationGroupId")
    return moved or (bool(test) and test != (status.get("lastFailoverTest") or {}).get("value"))


# core/decide.py status_fields, less engineVersion (the core reads it back: version_reported)
FACTS = frozenset(
    "arn status sharding shards replicasPerShard host readerHost port maintenanceWindow snapshotWindow".split()
)
REDIS_CLUSTERS = Kind(
    PLURAL, reconcile_cluster, finalize_cluster, _cluster_groups, _password_secret, _annotated, facts=FACTS
)
REDIS_SNAPSHOTS = Kind(SNAPSHOTS, reconcile_snapshot, finalize_snapshot, snapshot_keys)
for _kind in (REDIS_CLUSTERS, REDIS_SNAPSHOTS):
    register(_kind)

logging.getLogger("botocore").setLevel(logging.WARNING)
