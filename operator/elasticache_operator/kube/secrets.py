"""Reading the password Secret and writing the connection Secret (kubernetes client, sync).

Reads go through a SecretCache (secret_cache.py) when one is given: a Secret is fetched again only after
the metadata watch reports a change of it, and what the operator writes is kept as the API answered it."""

from __future__ import annotations

import base64
import json
from typing import Any, cast

from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

from ..core.connection import ConnectionSecret
from ..core.password import Call, Pending
from . import TIMEOUT
from .secret_cache import SecretCache, Stored

MANAGED_BY = {"app.kubernetes.io/managed-by": "elasticache-operator"}
PENDING_ANNOTATION = "redis.elasticache-operator.io/"  # prefix of the pending Secret's bookkeeping


class SecretProblem(Exception):
    """The user must fix a Secret (missing, key absent, or someone else's); said as a sentence."""


class Secrets:
    def __init__(self, api: CoreV1Api, cache: SecretCache | None = None) -> None:
        self.api = api
        self.cache = cache

    # --- reading ------------------------------------------------------------------------------------

    def _read(self, namespace: str, name: str) -> Stored | None:
        """The Secret (None: it does not exist), from the cache while the watch vouches for it."""

        def fetch() -> Stored | None:
            try:
                answer = self.api.read_namespaced_secret(
                    name, namespace, _request_timeout=TIMEOUT, _preload_content=False
                )
            except ApiException as e:
                if e.status == 404:
                    return None
                raise
            return Stored.of(_json(answer))

        return fetch() if self.cache is None else self.cache.get((namespace, name), fetch)

    def read_value(self, namespace: str, name: str, key: str) -> tuple[str, str]:
        """The key's value, and the Secret's resourceVersion (which value a create was sent with)."""
        secret = self._read(namespace, name)
        if secret is None:
            raise SecretProblem(f"Secret {name} (defaultUserPassword) does not exist in {namespace}")
        encoded = secret.data.get(key)
        if encoded is None:
            raise SecretProblem(f"Secret {name} has no key {key!r} (defaultUserPassword.secretKeyRef.key)")
        try:
            return base64.b64decode(encoded).decode("utf-8"), secret.resource_version
        except (ValueError, UnicodeDecodeError) as e:
            raise SecretProblem(f"Secret {name} key {key!r} is not UTF-8 text") from e

    def read_connection(self, namespace: str, name: str, owner_uid: str) -> ConnectionSecret:
        """The connection Secret as it is now: one read serves the password check and the write."""
        secret = self._read(namespace, name)
        if secret is None:
            return ConnectionSecret(exists=False, owned=False, data={}, resource_version=None)
        data = {k: base64.b64decode(v).decode("utf-8", errors="replace") for k, v in secret.data.items()}
        owned = owner_uid in secret.owner_uids
        return ConnectionSecret(exists=True, owned=owned, data=data, resource_version=secret.resource_version)

    def read_pending(self, namespace: str, name: str, owner_uid: str) -> Pending | None:
        """The pending Secret (core/password.py): a token on its way to AWS, or None."""
        secret = self._read(namespace, name)
        if secret is None:
            return None
        if owner_uid not in secret.owner_uids:
            raise SecretProblem(
                f"Secret {name} already exists and does not belong to this RedisCluster; the operator needs that"
                " name while it changes the password: rename or delete that Secret"
            )
        notes = secret.annotations
        call: Call = (
            "SET"
            if notes.get(PENDING_ANNOTATION + "call") == "SET"
            else ("CREATE" if notes.get(PENDING_ANNOTATION + "call") == "CREATE" else "ROTATE")
        )
        return Pending(
            token=base64.b64decode(secret.data.get("password", "")).decode("utf-8"),
            call=call,
            modified_before=notes.get(PENDING_ANNOTATION + "auth-token-modified-before", ""),
            published_at=notes.get(PENDING_ANNOTATION + "published-at") or None,
        )

    # --- writing ------------------------------------------------------------------------------------

    def apply_connection(
        self, namespace: str, name: str, data: dict[str, str], owner: dict[str, Any], current: ConnectionSecret
    ) -> str:
        """Create or update the Secret; 'created', 'updated' or 'unchanged'. Never takes over
        a Secret that belongs to something else."""
        encoded = _encode(data)
        if not current.exists:
            body = _secret(_owned(name, namespace, owner), encoded)
            self._create(namespace, name, body)
            return "created"
        if not current.owned:
            raise SecretProblem(
                f"Secret {name} already exists and does not belong to this RedisCluster;"
                " choose another connectionSecretName"
            )
        if current.data == data:
            return "unchanged"
        patch = {"metadata": {"resourceVersion": current.resource_version}, "data": encoded}
        self._write(namespace, name, lambda: self.api.patch_namespaced_secret(name, namespace, patch, **_RAW))
        return "updated"

    def write_pending(self, namespace: str, name: str, pending: Pending, owner: dict[str, Any]) -> None:
        """Create or replace the pending Secret; it is written before the AWS call it records."""
        notes: dict[str, str | None] = {
            PENDING_ANNOTATION + "call": pending.call,
            PENDING_ANNOTATION + "auth-token-modified-before": pending.modified_before,
        }
        if pending.published_at:
            notes[PENDING_ANNOTATION + "published-at"] = pending.published_at
        encoded = _encode({"password": pending.token})
        body = _secret(_owned(name, namespace, owner, notes), encoded)
        try:
            self._create(namespace, name, body)
        except ApiException as e:
            if e.status != 409:
                raise
            notes.setdefault(PENDING_ANNOTATION + "published-at", None)
            patch = {"metadata": {"annotations": notes}, "data": encoded}
            self._write(namespace, name, lambda: self.api.patch_namespaced_secret(name, namespace, patch, **_RAW))

    def delete_pending(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        basis = self.cache.basis(key) if self.cache else None
        try:
            self.api.delete_namespaced_secret(name, namespace, _request_timeout=TIMEOUT)
        except ApiException as e:
            if e.status != 404:
                raise
        if self.cache:
            self.cache.written(key, basis, None)

    def _create(self, namespace: str, name: str, body: dict[str, Any]) -> None:
        self._write(namespace, name, lambda: self.api.create_namespaced_secret(namespace, cast(Any, body), **_RAW))

    def _write(self, namespace: str, name: str, call: Any) -> None:
        """One create or patch; the cache keeps the Secret the API answered with (or forgets a stale one)."""
        key = (namespace, name)
        basis = self.cache.basis(key) if self.cache else None
        try:
            answer = call()
        except ApiException as e:
            if self.cache and e.status in (404, 409):  # what memory held was not what the API holds
                self.cache.forget(key)
            raise
        if self.cache:
            self.cache.written(key, basis, Stored.of(_json(answer)))


_RAW: dict[str, Any] = {"_request_timeout": TIMEOUT, "_preload_content": False}  # JSON in, no model built


def _json(answer: object) -> dict[str, Any]:
    """The body of a call made with `_preload_content=False` (the urllib3 response, not a model)."""
    return cast(dict[str, Any], json.loads(cast(Any, answer).data))


def _encode(data: dict[str, str]) -> dict[str, str]:
    return {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}


def _secret(metadata: dict[str, Any], data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": metadata, "data": data}


def _owned(
    name: str, namespace: str, owner: dict[str, Any], annotations: dict[str, str | None] | None = None
) -> dict[str, Any]:
    """Metadata of a Secret the RedisCluster owns: Kubernetes deletes it with the RedisCluster."""
    owner_ref = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": MANAGED_BY, "ownerReferences": [owner_ref]}
    if annotations:
        meta["annotations"] = annotations
    return meta
