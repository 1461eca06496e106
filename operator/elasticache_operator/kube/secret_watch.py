"""Watching the Secrets the operator writes (label app.kubernetes.io/managed-by=elasticache-operator,
selected by the API server, so no other Secret is ever read): one edited or deleted by hand wakes its
RedisCluster, whose reconcile puts it back, instead of waiting for the next resync."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from kubernetes import watch
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

from . import TIMEOUT
from .secrets import MANAGED_BY

log = logging.getLogger(__name__)
SELECTOR = ",".join(f"{k}={v}" for k, v in MANAGED_BY.items())


def owner_uids(secret: dict[str, Any]) -> set[str]:
    refs = (secret.get("metadata") or {}).get("ownerReferences") or []
    return {r["uid"] for r in refs if r.get("kind") == "RedisCluster" and r.get("uid")}


def start(api: CoreV1Api, on_change: Callable[[set[str]], None], stop: threading.Event, namespaces: list[str]) -> None:
    """One watching thread for all namespaces, or one per namespace when the operator is limited to some."""
    targets: list[str | None] = list(namespaces) or [None]
    for namespace in targets:
        threading.Thread(
            target=_keep_watching, args=(api, on_change, stop, namespace), name="secret-watch", daemon=True
        ).start()


def _keep_watching(
    api: CoreV1Api, on_change: Callable[[set[str]], None], stop: threading.Event, namespace: str | None
) -> None:
    """List, then watch from the list's resourceVersion; start over after a 410, a cut stream or a fault."""
    while not stop.is_set():
        try:
            _watch_once(api, on_change, stop, namespace)
        except ApiException as e:
            if e.status != 410:
                log.warning("watching the operator's Secrets failed (HTTP %s); again shortly", e.status)
                stop.wait(2)
        except Exception:  # noqa: BLE001 - a cut stream or an unreachable API: again shortly
            log.warning("watching the operator's Secrets was interrupted; again shortly")
            stop.wait(2)


def _watch_once(
    api: CoreV1Api, on_change: Callable[[set[str]], None], stop: threading.Event, namespace: str | None
) -> None:
    kwargs: dict[str, Any] = {"label_selector": SELECTOR}
    if namespace is None:
        method: Any = api.list_secret_for_all_namespaces
    else:
        method, kwargs["namespace"] = api.list_namespaced_secret, namespace
    listing = json.loads(method(_preload_content=False, _request_timeout=TIMEOUT, **kwargs).data)
    stream = watch.Watch()  # type: ignore[no-untyped-call]
    for event in stream.stream(  # type: ignore[no-untyped-call]
        method,
        resource_version=listing["metadata"]["resourceVersion"],
        timeout_seconds=300,
        _request_timeout=(TIMEOUT[0], 330),  # the server ends the watch at 300 s; silence past 330 s is a dead link
        **kwargs,
    ):
        if stop.is_set():
            stream.stop()  # type: ignore[no-untyped-call]
            return
        raw = event.get("raw_object") or {}
        if event["type"] == "ERROR":
            raise ApiException(status=raw.get("code", 500))
        if event["type"] in ("MODIFIED", "DELETED") and (uids := owner_uids(raw)):
            on_change(uids)
