"""Writing an object's status from the operator's own reconcile loop (outside kopf's handlers)."""

from __future__ import annotations

from typing import Any

from kubernetes.client import CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from .. import API_GROUP, API_VERSION, PLURAL
from . import TIMEOUT


def changed_fields(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The part of `wanted` that differs from `current` (None removes a field, as in a merge patch)."""
    return {k: v for k, v in wanted.items() if current.get(k) != v and not (v is None and k not in current)}


def merge_status(status: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`status` after a merge patch of `changes` (top-level fields; None removes)."""
    merged = {**status, **changes}
    return {k: v for k, v in merged.items() if v is not None}


class StatusWriter:
    def __init__(self, api: CustomObjectsApi) -> None:
        self.api = api

    def patch(
        self, namespace: str, name: str, current: dict[str, Any], wanted: dict[str, Any], plural: str = PLURAL
    ) -> bool:
        """Merge what changed into .status; nothing is sent when nothing changed. False if the object is gone."""
        changes = changed_fields(current, wanted)
        if not changes:
            return True
        try:
            self.api.patch_namespaced_custom_object_status(
                API_GROUP, API_VERSION, namespace, plural, name, {"status": changes}, _request_timeout=TIMEOUT
            )
        except ApiException as e:
            if e.status == 404:
                return False
            raise
        return True
