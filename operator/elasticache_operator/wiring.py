"""What every kind's handlers share, built once at startup: the AWS clients behind one rate limit, the
shared observer, the Kubernetes edges (`build_deps`), and the wake-ups that let the observer and the
Secret watch reach one object's reconcile loop (`Wakeups`)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from botocore.config import Config

from . import USER_AGENT, leader
from .aws.calls import Calls, TokenBucket, count_throttles
from .aws.ec2 import EC2
from .aws.elasticache import ElastiCache
from .aws.logs import Logs
from .aws.observer import Observer, Timing
from .aws.session import new_session
from .aws.tagging import Tagging
from .kube.objects import RedisObjects
from .kube.secret_cache import SecretCache
from .kube.secrets import Secrets
from .kube.security_group_policies import SecurityGroupPolicies
from .kube.status import StatusWriter
from .reconcile import Deps
from .settings import Settings


class Wakeups:
    """Each object's loop waits on an asyncio.Event of its own; spec changes and the observer (from its
    thread) set them. Keyed by uid, and found by the AWS names the observer reports (replication group ids)."""

    def __init__(self) -> None:
        self._loops: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Event, set[str]]] = {}
        self._secret_of: dict[str, tuple[str, str]] = {}  # uid -> its password Secret (namespace, name)
        self._readers: dict[tuple[str, str], set[str]] = {}  # the reverse: Secret -> uids
        self._visited: dict[str, Any] = {}  # uid -> the generation its loop last began to reconcile
        self._lock = threading.Lock()

    def register(self, uid: str, keys: set[str]) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._loops[uid] = (asyncio.get_running_loop(), event, keys)
        return event

    def unregister(self, uid: str) -> None:
        with self._lock:
            self._loops.pop(uid, None)
            self._visited.pop(uid, None)
            self._unfollow(uid)

    def visiting(self, uid: str, generation: Any) -> None:
        """`uid`'s loop begins a visit of this generation: events of it need not wake the loop again."""
        self._visited[uid] = generation

    def visited(self, uid: str) -> Any:
        return self._visited.get(uid)

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

    def wake_keys(self, keys: set[str]) -> None:
        with self._lock:
            entries = [e for e in self._loops.values() if e[2] & keys]
        for loop, event, _ in entries:
            loop.call_soon_threadsafe(event.set)


def build_deps(settings: Settings, wakeups: Wakeups) -> Deps:
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
    session = new_session(settings.aws_region)
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
        wakeups.wake_keys,
        ec2=ec2,
        subnet_group=settings.cache_subnet_group,
    )
    configuration = kubernetes.client.Configuration.get_default_copy()
    # Each worker thread may hold a connection, and the Secret watches hold theirs for minutes.
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, settings.workers + 4)
    api_client = kubernetes.client.ApiClient(configuration)
    api_client.user_agent = USER_AGENT
    custom = kubernetes.client.CustomObjectsApi(api_client)
    return Deps(
        elasticache=elasticache,
        observer=observer,
        logs=Logs(client("logs"), calls),
        secrets=Secrets(kubernetes.client.CoreV1Api(api_client), SecretCache()),  # kept true by secret_watch
        status=StatusWriter(custom),
        settings=settings,
        policies=SecurityGroupPolicies(custom),
        objects=RedisObjects(custom),
        ec2=ec2,
    )
