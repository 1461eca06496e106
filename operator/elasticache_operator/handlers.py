"""kopf glue, kept thin: every RedisCluster has one reconcile loop (a kopf daemon) that runs
`reconcile()` when woken (a spec change, the shared AWS observation seeing its group change) or when
its requeue or resync time comes; deletion is kopf's on.delete handler, which runs `finalize()`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import hashlib
import logging
import threading
from typing import Any

import boto3
import kopf
from botocore.config import Config

from . import ADOPT_ANNOTATION, API_GROUP, API_VERSION, INSTANCE_LABEL, PLURAL, USER_AGENT, leader, reconcile
from .aws.calls import Calls, TokenBucket, count_throttles
from .aws.ec2 import EC2
from .aws.elasticache import ElastiCache
from .aws.logs import Logs
from .aws.observer import Observer, Timing
from .aws.tagging import Tagging
from .core import naming
from .kube import secret_watch
from .kube.secrets import Secrets
from .kube.security_group_policies import SecurityGroupPolicies
from .kube.status import StatusWriter, changed_fields, merge_status
from .settings import Settings

SETTINGS = Settings()  # read once: filters and intervals are fixed when the handlers are registered
RESOURCE = (API_GROUP, API_VERSION, PLURAL)
# Only the RedisClusters this installation claims (Settings.instance), like an ingress class.
CLAIMED = {INSTANCE_LABEL: SETTINGS.instance or kopf.ABSENT}
WAITING = "[waiting]"

log = logging.getLogger(__name__)


class Wakeups:
    """Each RedisCluster's loop waits on an asyncio.Event of its own; spec changes and the observer
    (from its thread) set them. Keyed by uid, and found by replication group id for the observer."""

    def __init__(self) -> None:
        self._loops: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Event, set[str]]] = {}
        self._secret_of: dict[str, tuple[str, str]] = {}  # uid -> its password Secret (namespace, name)
        self._readers: dict[tuple[str, str], set[str]] = {}  # the reverse: Secret -> uids
        self._lock = threading.Lock()

    def register(self, uid: str, group_ids: set[str]) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._loops[uid] = (asyncio.get_running_loop(), event, group_ids)
        return event

    def unregister(self, uid: str) -> None:
        with self._lock:
            self._loops.pop(uid, None)
            self._unfollow(uid)

    def follow_secret(self, uid: str, secret: tuple[str, str] | None) -> None:
        """`uid` reads this password Secret (None: none): a change to it wakes `uid`."""
        with self._lock:
            self._unfollow(uid)
            if secret is not None:
                self._secret_of[uid] = secret
                self._readers.setdefault(secret, set()).add(uid)

    def _unfollow(self, uid: str) -> None:
        secret = self._secret_of.pop(uid, None)
        if secret is not None and (readers := self._readers.get(secret)) is not None:
            readers.discard(uid)
            if not readers:
                del self._readers[secret]

    def wake_secret(self, namespace: str, name: str) -> None:
        with self._lock:
            uids = set(self._readers.get((namespace, name), ()))
        self.wake_uids(uids)

    def wake(self, uid: str) -> None:
        with self._lock:
            entry = self._loops.get(uid)
        if entry is not None:
            entry[0].call_soon_threadsafe(entry[1].set)

    def wake_uids(self, uids: set[str]) -> None:
        for uid in uids:
            self.wake(uid)

    def wake_groups(self, group_ids: set[str]) -> None:
        with self._lock:
            entries = [e for e in self._loops.values() if e[2] & group_ids]
        for loop, event, _ in entries:
            loop.call_soon_threadsafe(event.set)


def build_deps(settings: Settings, wakeups: Wakeups) -> reconcile.Deps:
    import kubernetes

    try:
        kubernetes.config.load_incluster_config()  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config()  # type: ignore[no-untyped-call]
    config = Config(
        retries={"mode": "adaptive", "total_max_attempts": settings.aws_max_attempts},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=max(10, settings.workers),  # each worker thread may hold a connection
    )
    session = boto3.session.Session(region_name=settings.aws_region)
    calls = Calls(
        TokenBucket(settings.aws_calls_per_second, settings.aws_burst), settings.max_concurrent_writes, leader.may_act
    )

    def client(service: str) -> Any:
        return count_throttles(session.client(service, config=config))

    elasticache = ElastiCache(client("elasticache"), calls)
    timing = Timing(
        settings.resync_seconds, settings.events_seconds, settings.idle_events_seconds, settings.busy_listing_seconds
    )
    ec2 = EC2(client("ec2"), calls) if settings.manage_security_groups else None
    observer = Observer(
        elasticache,
        Tagging(client("resourcegroupstaggingapi"), calls),
        settings.cluster_name,
        timing,
        wakeups.wake_groups,
        ec2=ec2,
        subnet_group=settings.cache_subnet_group,
    )
    configuration = kubernetes.client.Configuration.get_default_copy()
    # Each worker thread may hold a connection, and the Secret watches hold theirs for minutes.
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, settings.workers + 4)
    api_client = kubernetes.client.ApiClient(configuration)
    api_client.user_agent = USER_AGENT
    custom = kubernetes.client.CustomObjectsApi(api_client)
    return reconcile.Deps(
        elasticache=elasticache,
        observer=observer,
        logs=Logs(client("logs"), calls),
        secrets=Secrets(kubernetes.client.CoreV1Api(api_client)),
        status=StatusWriter(custom),
        settings=settings,
        policies=SecurityGroupPolicies(custom),
        ec2=ec2,
    )


def finalizer_name(instance: str) -> str:
    """One finalizer per installation: kopf releases a finalizer of its own name from any object its
    handlers do not claim, so installations sharing a name would release each other's objects."""
    if not instance:
        return f"{API_GROUP}/finalizer"
    name = f"finalizer-{instance}"
    if len(name) > 63:  # a qualified name's name part
        name = "finalizer-" + hashlib.sha256(instance.encode()).hexdigest()[:16]
    return f"{API_GROUP}/{name}"


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    # Our own finalizer and annotation storage: the status schema is structural and
    # kopf must not write its progress there (kopf issue #321).
    settings.persistence.finalizer = finalizer_name(SETTINGS.instance)
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=API_GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=API_GROUP, key="last-handled-configuration"
    )
    settings.execution.max_workers = SETTINGS.workers
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.request_timeout = 60
    # An API server that answers 5xx for a while (an upgrade, an etcd leader change) is waited out for
    # about four minutes; kopf's default (54 s) would end the whole process after a one-minute outage.
    settings.networking.error_backoffs = (1, 1, 2, 3, 5, 8, 13, 21, 30, 30, 30, 30, 30, 30)
    memo["wakeups"] = Wakeups()
    memo["deps"] = deps = build_deps(SETTINGS, memo["wakeups"])
    memo["executor"] = concurrent.futures.ThreadPoolExecutor(SETTINGS.workers, thread_name_prefix="reconcile")
    memo["stop_observing"] = stop = threading.Event()
    threading.Thread(target=deps.observer.run, args=(stop,), name="observer", daemon=True).start()
    wakeups = memo["wakeups"]
    secret_watch.start(deps.secrets.api, wakeups.wake_uids, wakeups.wake_secret, stop, SETTINGS.namespaces)


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


def _post_events(outcome: reconcile.Outcome, body: kopf.Body) -> None:
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)


@kopf.on.event(*RESOURCE, labels=CLAIMED)
def spec_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """A new generation (or none observed yet), or an adopt annotation naming another group than the
    status does: its loop reconciles now rather than at its next turn."""
    status = body.get("status", {})
    adopt = (body["metadata"].get("annotations") or {}).get(ADOPT_ANNOTATION)
    if status.get("observedGeneration") != body["metadata"].get("generation") or (
        adopt and adopt != status.get("replicationGroupId")
    ):
        memo["wakeups"].wake(body["metadata"]["uid"])


@kopf.daemon(*RESOURCE, labels=CLAIMED, cancellation_timeout=10)
async def reconcile_loop(
    body: kopf.Body,
    stopped: kopf.DaemonStopped,
    memo: kopf.Memo,
    logger: logging.Logger | logging.LoggerAdapter[Any],
    **_: Any,
) -> None:
    """Reconcile now, then whenever woken or due; write the status only when it changed."""
    deps: reconcile.Deps = memo["deps"]
    meta = body["metadata"]
    identity_group = naming.replication_group_id(meta["namespace"], meta["name"], meta["uid"])
    groups = {identity_group, body.get("status", {}).get("replicationGroupId") or identity_group}
    wake = memo["wakeups"].register(meta["uid"], groups)
    loop = asyncio.get_running_loop()
    delay = 0.0
    written: dict[str, Any] = {}  # this loop is the status's only writer: what it wrote is true even
    try:  # before the watch brings it back, so a quick second turn never decides on an older status
        while not stopped:
            await _sleep(wake, stopped, delay)
            if stopped:
                return
            wake.clear()
            snapshot = copy.deepcopy(dict(body))
            memo["wakeups"].follow_secret(meta["uid"], _password_secret(snapshot))
            snapshot["status"] = merge_status(snapshot.get("status") or {}, written)
            try:
                outcome = await loop.run_in_executor(memo["executor"], reconcile.reconcile, snapshot, deps)
                if outcome.status:
                    current = snapshot["status"]
                    await loop.run_in_executor(
                        memo["executor"], deps.status.patch, meta["namespace"], meta["name"], current, outcome.status
                    )
                    written = merge_status(written, changed_fields(current, outcome.status))
            except Exception:  # noqa: BLE001 - logged; the loop tries again after retry_seconds
                log.exception("reconciling %s/%s failed", meta["namespace"], meta["name"])
                delay = SETTINGS.retry_seconds
                continue
            _post_events(outcome, body)
            if outcome.waiting:
                logger.info(f"{WAITING} {outcome.verdict.message if outcome.verdict else 'AWS is throttling calls'}")
            delay = outcome.requeue_after if outcome.requeue_after is not None else SETTINGS.resync_seconds
    finally:
        memo["wakeups"].unregister(meta["uid"])


def _password_secret(body: dict[str, Any]) -> tuple[str, str] | None:
    """The (namespace, name) of the Secret a RedisCluster takes its password from, if it names one."""
    ref = ((body.get("spec") or {}).get("defaultUserPassword") or {}).get("secretKeyRef") or {}
    return (body["metadata"]["namespace"], ref["name"]) if ref.get("name") else None


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


@kopf.on.delete(*RESOURCE, labels=CLAIMED)
def on_delete(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    outcome = reconcile.finalize(dict(body), memo["deps"])
    if outcome.status:
        patch["status"] = outcome.status
    _post_events(outcome, body)
    if not outcome.done:
        message = outcome.verdict.message if outcome.verdict else "AWS is deleting the replication group"
        delay = outcome.requeue_after or SETTINGS.poll_seconds
        raise kopf.TemporaryError(f"{WAITING} {message}" if outcome.waiting else message, delay=delay)


logging.getLogger("botocore").setLevel(logging.WARNING)
