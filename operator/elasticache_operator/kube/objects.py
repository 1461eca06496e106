"""The operator's own kinds read and written beside kopf: the RedisCluster a RedisSnapshot is taken of,
the RedisSnapshot a restore names, and the RedisSnapshot a final snapshot gets."""

from __future__ import annotations

from typing import Any, cast

from kubernetes.client import CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from .. import API_GROUP, API_VERSION
from . import TIMEOUT


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
        """False when an object of that name exists already."""
        try:
            self.api.create_namespaced_custom_object(
                API_GROUP, API_VERSION, namespace, plural, body, _request_timeout=TIMEOUT
            )
        except ApiException as e:
            if e.status == 409:
                return False
            raise
        return True
