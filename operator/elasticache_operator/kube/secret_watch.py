"""One watch on Secrets' metadata only (`as=PartialObjectMetadata`, as client-go's metadata client
asks), so that a change is acted on in seconds rather than at the next resync:

- a Secret the operator wrote (owned by a RedisCluster) edited or deleted by hand wakes its RedisCluster,
  whose reconcile puts it back;
- a changed password Secret wakes the RedisClusters that reference it, which then read it;
- the SecretCache (secret_cache.py) learns which Secrets it holds are out of date, before anyone is woken;
  the events of the operator's own writes, which it holds already, wake nobody.

The contents of a Secret no RedisCluster references are never fetched."""

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
from .secret_cache import SecretCache

log = logging.getLogger(__name__)
# What client-go's metadata client asks for: metadata only, never the data of the Secrets it follows.
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


def owner_uids(secret: dict[str, Any]) -> set[str]:
    refs = (secret.get("metadata") or {}).get("ownerReferences") or []
    return {r["uid"] for r in refs if r.get("kind") == "RedisCluster" and r.get("uid")}


def start(
    api: CoreV1Api,
    on_owned_change: Callable[[set[str]], None],
    on_secret_change: Callable[[str, str], None],
    stop: threading.Event,
    namespaces: list[str],
    cache: SecretCache | None = None,
) -> None:
    """One watching thread for all namespaces, or one per namespace when the operator is limited to some.
    `on_owned_change(uids)`: a Secret the operator wrote changed; `on_secret_change(namespace, name)`: any did.
    `cache` is told of every listing, every event, and every end of a watch."""
    cache = cache or SecretCache()  # one nobody reads from: the watch's code is the same either way

    def handle(event_type: str, meta: dict[str, Any]) -> None:
        if not cache.changed(event_type, meta):  # first: whoever is woken must not be served the old Secret
            return  # the operator's own write coming back, or a version already read: nothing to do
        if event_type in ("MODIFIED", "DELETED") and (uids := owner_uids({"metadata": meta})):
            on_owned_change(uids)
        if meta.get("namespace") and meta.get("name"):
            on_secret_change(meta["namespace"], meta["name"])

    targets: list[str | None] = list(namespaces) or [None]
    for namespace in targets:
        threading.Thread(
            target=_keep_watching, args=(api, handle, stop, namespace, cache), name="secret-watch", daemon=True
        ).start()


def _keep_watching(
    api: CoreV1Api,
    handle: Callable[[str, dict[str, Any]], None],
    stop: threading.Event,
    namespace: str | None,
    cache: SecretCache,
) -> None:
    """List, then watch from the list's resourceVersion; start over after a 410, a cut stream or a fault.
    Between the end of one watch and the next listing, events may be missed: the cache serves nothing."""
    while not stop.is_set():
        try:
            _watch_once(api, handle, stop, namespace, cache)
        except ApiException as e:
            if e.status != 410:
                log.warning("watching Secrets failed (HTTP %s); again shortly", e.status)
                stop.wait(2)
        except Exception:  # noqa: BLE001 - a cut stream or an unreachable API: again shortly
            log.warning("watching Secrets was interrupted; again shortly")
            stop.wait(2)
        finally:
            cache.lost(namespace)


def _watch_once(
    api: CoreV1Api,
    handle: Callable[[str, dict[str, Any]], None],
    stop: threading.Event,
    namespace: str | None,
    cache: SecretCache,
) -> None:
    kwargs: dict[str, Any] = {}
    if namespace is None:
        method: Any = api.list_secret_for_all_namespaces
    else:
        method, kwargs["namespace"] = api.list_namespaced_secret, namespace
    listing = method(_preload_content=False, _request_timeout=TIMEOUT, _headers={"Accept": METADATA_LIST}, **kwargs)
    listed = json.loads(listing.data)
    cache.listed(namespace, listed.get("items") or [])
    stream = watch.Watch()  # type: ignore[no-untyped-call]
    for event in stream.stream(  # type: ignore[no-untyped-call]
        method,
        resource_version=listed["metadata"]["resourceVersion"],
        timeout_seconds=300,
        _request_timeout=(TIMEOUT[0], 330),  # the server ends the watch at 300 s; silence past 330 s is a dead link
        _headers={"Accept": METADATA},
        **kwargs,
    ):
        if stop.is_set():
            stream.stop()  # type: ignore[no-untyped-call]
            return
        raw = event.get("raw_object") or {}
        if event["type"] == "ERROR":
            raise ApiException(status=raw.get("code", 500))
        handle(event["type"], raw.get("metadata") or {})
