"""The operator's own kinds read and written beside kopf: the RedisCluster a RedisSnapshot is taken of,
the RedisSnapshot a restore names, and the RedisSnapshot a final snapshot gets."""

from __future__ import annotations

import json
from typing import Any, cast

from kubernetes.client import CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from .. import API_GROUP, API_VERSION
from . import TIMEOUT


class NamespaceTerminating(Exception):
    """The namespace is being deleted: the API server creates nothing new in it (403 NamespaceTerminating)."""


def _terminating(e: ApiException) -> bool:
    try:
        causes = (json.loads(e.body or "{}").get("details") or {}).get("causes") or []
    except ValueError:
        return False
    return any(cause.get("reason") == "NamespaceTerminating" for cause in causes)


class RedisObjects:
    def __init__(self, api: CustomObjectsApi) -> None:
        self.api = api

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            obj = cast(
                dict[str, Any],
                self.api.get_namespaced_custom_object(
                    API_GROUP, API_VERSION, namespace, plural, name, _request_timeout=TIMEOUT
                ),
            )
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        return obj

    def list(self, plural: str, namespace: str, label_selector: str) -> list[dict[str, Any]]:
        answer = cast(
            dict[str, Any],
            self.api.list_namespaced_custom_object(
                API_GROUP, API_VERSION, namespace, plural, label_selector=label_selector, _request_timeout=TIMEOUT
            ),
        )
        return list(answer.get("items") or [])

    def create(self, plural: str, namespace: str, body: dict[str, Any]) -> bool:
        """False when an object of that name exists already; NamespaceTerminating when none can be made."""
        try:
            self.api.create_namespaced_custom_object(
                API_GROUP, API_VERSION, namespace, plural, body, _request_timeout=TIMEOUT
            )
        except ApiException as e:
            if e.status == 409:
                return False
            if e.status == 403 and _terminating(e):
                raise NamespaceTerminating(namespace) from e
            raise
        return True
