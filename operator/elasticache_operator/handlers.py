"""kopf glue, kept thin: every event of a RedisCluster goes to one level-based reconcile()."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import boto3
import kopf
from botocore.config import Config

from . import API_GROUP, API_VERSION, INSTANCE_LABEL, PLURAL, reconcile
from .aws.elasticache import ElastiCache
from .aws.logs import Logs
from .kube.secrets import Secrets
from .settings import Settings

SETTINGS = Settings()  # read once: the timer's interval is fixed when the handlers are registered
RESOURCE = (API_GROUP, API_VERSION, PLURAL)
# Only the RedisClusters this installation claims (Settings.instance), like an ingress class.
CLAIMED = {INSTANCE_LABEL: SETTINGS.instance or kopf.ABSENT}


def build_deps(settings: Settings) -> reconcile.Deps:
    import kubernetes

    try:
        kubernetes.config.load_incluster_config()  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config()  # type: ignore[no-untyped-call]
    config = Config(
        retries={"mode": "standard", "total_max_attempts": settings.aws_max_attempts},
        connect_timeout=5,
        read_timeout=30,
    )
    session = boto3.session.Session(region_name=settings.aws_region)
    return reconcile.Deps(
        elasticache=ElastiCache(session.client("elasticache", config=config)),
        logs=Logs(session.client("logs", config=config)),
        secrets=Secrets(kubernetes.client.CoreV1Api()),
        settings=settings,
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
    memo["deps"] = build_deps(SETTINGS)


@kopf.on.login()
def login(**kwargs: Any) -> Any:
    # Explicit, so a KUBECONFIG set after the kubernetes client was imported is still honoured.
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.probe(id="settings")
def probe(**_: Any) -> dict[str, Any]:
    return {"region": SETTINGS.aws_region, "cluster": SETTINGS.cluster_name, "instance": SETTINGS.instance}


WAITING = "[waiting]"


class _WaitingIsNotAnError(logging.Filter):
    """kopf logs every TemporaryError at ERROR; polling AWS while it creates a group is normal."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and f"failed temporarily: {WAITING}" in record.getMessage():
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


logging.getLogger("kopf.objects").addFilter(_WaitingIsNotAnError())


def _apply(outcome: reconcile.Outcome, body: kopf.Body, patch: kopf.Patch) -> None:
    if outcome.status:
        patch["status"] = outcome.status
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    if outcome.requeue_after is not None:
        message = outcome.verdict.message if outcome.verdict else "retrying"
        raise kopf.TemporaryError(f"{WAITING} {message}" if outcome.waiting else message, delay=outcome.requeue_after)


@kopf.on.resume(*RESOURCE, labels=CLAIMED)
@kopf.on.create(*RESOURCE, labels=CLAIMED)
@kopf.on.update(*RESOURCE, field="spec", labels=CLAIMED)
def on_change(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    _apply(reconcile.reconcile(dict(body), memo["deps"]), body, patch)


@kopf.timer(*RESOURCE, interval=SETTINGS.resync_seconds, initial_delay=SETTINGS.resync_seconds, idle=10, labels=CLAIMED)
def resync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    _apply(reconcile.reconcile(dict(body), memo["deps"]), body, patch)


@kopf.on.delete(*RESOURCE, labels=CLAIMED)
def on_delete(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    outcome = reconcile.finalize(dict(body), memo["deps"])
    _apply(outcome, body, patch)
    if not outcome.done:  # _apply raised already when a requeue was due; this is the safety net
        raise kopf.TemporaryError(f"{WAITING} AWS is deleting the replication group", delay=SETTINGS.poll_seconds)


logging.getLogger("botocore").setLevel(logging.WARNING)
