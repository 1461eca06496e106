"""Reading the password Secret and writing the connection Secret (kubernetes client, sync)."""

from __future__ import annotations

import base64
from typing import Any

from kubernetes.client import CoreV1Api, V1ObjectMeta, V1OwnerReference, V1Secret
from kubernetes.client.exceptions import ApiException

from ..core.connection import ConnectionSecret
from ..core.password import Call, Pending
from . import TIMEOUT

MANAGED_BY = {"app.kubernetes.io/managed-by": "elasticache-operator"}
PENDING_ANNOTATION = "redis.elasticache-operator.io/"  # prefix of the pending Secret's bookkeeping


class SecretProblem(Exception):
    """The user must fix a Secret (missing, key absent, or someone else's); said as a sentence."""


class Secrets:
    def __init__(self, api: CoreV1Api) -> None:
        self.api = api

    def read_value(self, namespace: str, name: str, key: str) -> str:
        try:
            secret = self.api.read_namespaced_secret(name, namespace, _request_timeout=TIMEOUT)
        except ApiException as e:
            if e.status == 404:
                raise SecretProblem(f"Secret {name} (defaultUserPassword) does not exist in {namespace}") from e
            raise
        encoded = (secret.data or {}).get(key)
        if encoded is None:
            raise SecretProblem(f"Secret {name} has no key {key!r} (defaultUserPassword.secretKeyRef.key)")
        try:
            return base64.b64decode(encoded).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as e:
            raise SecretProblem(f"Secret {name} key {key!r} is not UTF-8 text") from e

    def read_connection(self, namespace: str, name: str, owner_uid: str) -> ConnectionSecret:
        """The connection Secret as it is now: one read serves the password check and the write."""
        try:
            secret = self.api.read_namespaced_secret(name, namespace, _request_timeout=TIMEOUT)
        except ApiException as e:
            if e.status == 404:
                return ConnectionSecret(exists=False, owned=False, data={}, resource_version=None)
            raise
        meta = secret.metadata or V1ObjectMeta()
        owned = any(r.uid == owner_uid for r in meta.owner_references or [])
        data = {k: base64.b64decode(v).decode("utf-8", errors="replace") for k, v in (secret.data or {}).items()}
        return ConnectionSecret(exists=True, owned=owned, data=data, resource_version=meta.resource_version)

    def apply_connection(
        self, namespace: str, name: str, data: dict[str, str], owner: dict[str, Any], current: ConnectionSecret
    ) -> str:
        """Create or update the Secret; 'created', 'updated' or 'unchanged'. Never takes over
        a Secret that belongs to something else."""
        encoded = _encode(data)
        if not current.exists:
            meta = _owned(name, namespace, owner)
            self.api.create_namespaced_secret(
                namespace,
                V1Secret(api_version="v1", kind="Secret", type="Opaque", data=encoded, metadata=meta),
                _request_timeout=TIMEOUT,
            )
            return "created"
        if not current.owned:
            raise SecretProblem(
                f"Secret {name} already exists and does not belong to this RedisCluster;"
                " choose another connectionSecretName"
            )
        if current.data == data:
            return "unchanged"
        self.api.patch_namespaced_secret(
            name,
            namespace,
            {"metadata": {"resourceVersion": current.resource_version}, "data": encoded},
            _request_timeout=TIMEOUT,
        )
        return "updated"

    def read_pending(self, namespace: str, name: str, owner_uid: str) -> Pending | None:
        """The pending Secret (core/password.py): a token on its way to AWS, or None."""
        try:
            secret = self.api.read_namespaced_secret(name, namespace, _request_timeout=TIMEOUT)
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        meta = secret.metadata or V1ObjectMeta()
        if not any(r.uid == owner_uid for r in meta.owner_references or []):
            raise SecretProblem(
                f"Secret {name} already exists and does not belong to this RedisCluster; the operator needs that"
                " name while it changes the password: rename or delete that Secret"
            )
        notes = meta.annotations or {}
        call: Call = (
            "SET"
            if notes.get(PENDING_ANNOTATION + "call") == "SET"
            else ("CREATE" if notes.get(PENDING_ANNOTATION + "call") == "CREATE" else "ROTATE")
        )
        return Pending(
            token=base64.b64decode((secret.data or {}).get("password", "")).decode("utf-8"),
            call=call,
            modified_before=notes.get(PENDING_ANNOTATION + "auth-token-modified-before", ""),
            published_at=notes.get(PENDING_ANNOTATION + "published-at") or None,
        )

    def write_pending(self, namespace: str, name: str, pending: Pending, owner: dict[str, Any]) -> None:
        """Create or replace the pending Secret; it is written before the AWS call it records."""
        notes = {
            PENDING_ANNOTATION + "call": pending.call,
            PENDING_ANNOTATION + "auth-token-modified-before": pending.modified_before,
        }
        if pending.published_at:
            notes[PENDING_ANNOTATION + "published-at"] = pending.published_at
        meta = _owned(name, namespace, owner, notes)
        body = V1Secret(
            api_version="v1", kind="Secret", type="Opaque", data=_encode({"password": pending.token}), metadata=meta
        )
        try:
            self.api.create_namespaced_secret(namespace, body, _request_timeout=TIMEOUT)
        except ApiException as e:
            if e.status != 409:
                raise
            notes.setdefault(PENDING_ANNOTATION + "published-at", None)  # type: ignore[arg-type]
            self.api.patch_namespaced_secret(
                name, namespace, {"metadata": {"annotations": notes}, "data": body.data}, _request_timeout=TIMEOUT
            )

    def delete_pending(self, namespace: str, name: str) -> None:
        try:
            self.api.delete_namespaced_secret(name, namespace, _request_timeout=TIMEOUT)
        except ApiException as e:
            if e.status != 404:
                raise


def _encode(data: dict[str, str]) -> dict[str, bytes | str]:
    return {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}


def _owned(name: str, namespace: str, owner: dict[str, Any], annotations: dict[str, str] | None = None) -> V1ObjectMeta:
    """Metadata of a Secret the RedisCluster owns: Kubernetes deletes it with the RedisCluster."""
    owner_ref = V1OwnerReference(
        api_version=owner["apiVersion"],
        kind=owner["kind"],
        name=owner["metadata"]["name"],
        uid=owner["metadata"]["uid"],
        controller=True,
        block_owner_deletion=True,
    )
    return V1ObjectMeta(
        name=name, namespace=namespace, labels=MANAGED_BY, annotations=annotations, owner_references=[owner_ref]
    )
