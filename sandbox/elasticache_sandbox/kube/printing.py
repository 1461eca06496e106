"""What `kubectl get` and `kubectl apply` ask the server for besides objects: server-side Tables
(the CRD's printer columns) and the OpenAPI v3 documents kubectl checks before it hands field
validation to the server."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterable
from typing import Any

from .objects import json_path

AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
BUILTIN_COLUMNS: dict[tuple[str, str], list[dict[str, Any]]] = {  # what kubectl get shows for these kinds
    ("", "events"): [
        {"name": "Last Seen", "type": "date", "jsonPath": ".lastTimestamp"},
        {"name": "Type", "type": "string", "jsonPath": ".type"},
        {"name": "Reason", "type": "string", "jsonPath": ".reason"},
        {"name": "Object", "type": "string", "jsonPath": ".involvedObject.name"},
        {"name": "Message", "type": "string", "jsonPath": ".message"},
    ],
    ("", "secrets"): [{"name": "Type", "type": "string", "jsonPath": ".type"}, AGE],
}


def human_age(timestamp: str | None, now: datetime.datetime | None = None) -> str:
    """As kube-apiserver renders `date` columns: 45s, 12m, 3h, 2d."""
    if not timestamp:
        return "<unknown>"
    then = datetime.datetime.fromisoformat(timestamp)
    if then.tzinfo is None:
        then = then.replace(tzinfo=datetime.UTC)
    seconds = int(((now or datetime.datetime.now(datetime.UTC)) - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def table(columns: list[dict[str, Any]], objs: list[dict[str, Any]], resource_version: int) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table: Name, then the columns, each row carrying its object."""

    def cell(obj: dict[str, Any], column: dict[str, Any]) -> Any:
        value = json_path(obj, column["jsonPath"])
        return human_age(value) if column.get("type") == "date" else value

    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0},
            *(
                {
                    "name": c["name"],
                    "type": c.get("type", "string"),
                    "format": "",
                    "priority": c.get("priority", 0),
                    "description": c.get("description", ""),
                }
                for c in columns
            ),
        ],
        "rows": [
            {"cells": [o["metadata"]["name"], *(cell(o, c) for c in columns)], "object": copy.deepcopy(o)} for o in objs
        ],
    }


def openapi_root(group_versions: Iterable[str]) -> dict[str, Any]:
    return {"paths": {gv: {"serverRelativeURL": f"/openapi/v3/{gv}"} for gv in group_versions}}


def openapi_group_version(gv: str, kinds: list[tuple[str, str, str, str, bool]]) -> dict[str, Any]:
    """kubectl's field-validation check: a PATCH operation per kind that takes `fieldValidation`
    (kinds: group, version, plural, kind, namespaced). The server then validates (admission.py)."""
    paths = {}
    for group, version, plural, kind, namespaced in kinds:
        scope = "/namespaces/{namespace}" if namespaced else ""
        paths[f"/{gv}{scope}/{plural}/{{name}}"] = {
            "patch": {
                "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}},
            }
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.26.4"}, "paths": paths}
