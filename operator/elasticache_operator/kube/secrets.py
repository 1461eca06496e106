"""Reading the password Secret and writing the connection Secret (kubernetes client, sync)."""

from __future__ import annotations

import base64
from typing import Any

from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

MANAGED_BY = {"app.kubernetes.io/managed-by": "elasticache-operator"}


class SecretProblem(Exception):
    """The user must fix a Secret (missing, key absent, or someone else's); said as a sentence."""


class Secrets:
    def __init__(self, api: CoreV1Api) -> None:
        self.api = api

    def read_value(self, namespace: str, name: str, key: str) -> str:
        try:
            secret = self.api.read_namespaced_secret(name, namespace)
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

    def apply_connection(self, namespace: str, name: str, data: dict[str, str], owner: dict[str, Any]) -> str:
        """Create or update the Secret; 'created', 'updated' or 'unchanged'. Never takes over
        a Secret that belongs to something else."""
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        owner_ref = {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        try:
            current = self.api.read_namespaced_secret(name, namespace)
        except ApiException as e:
            if e.status != 404:
                raise
            body = {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "data": encoded,
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": MANAGED_BY,
                    "ownerReferences": [owner_ref],
                },
            }
            self.api.create_namespaced_secret(namespace, body)
            return "created"
        refs = current.metadata.owner_references or []
        if not any(r.uid == owner_ref["uid"] for r in refs):
            raise SecretProblem(
                f"Secret {name} already exists and does not belong to this RedisCluster;"
                " choose another connectionSecretName"
            )
        if (current.data or {}) == encoded:
            return "unchanged"
        self.api.patch_namespaced_secret(
            name, namespace, {"metadata": {"resourceVersion": current.metadata.resource_version}, "data": encoded}
        )
        return "updated"
