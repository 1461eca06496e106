"""A Kubernetes API server stand-in: kmock's emulator, taught what kube-apiserver does.

kmock's `KubernetesEmulator` keeps objects as plain JSON merges, with no uid,
resourceVersion, generation, status subresource or conflict checks; kopf cannot even
add its finalizer to it. This subclass keeps kmock's HTTP serving, discovery and its
reaction DSL (reactions still answer first, e.g. to inject a 503) and serves the object
actions itself, as the real API server does for everything the operator and its tests use.
It does not validate objects against CRD schemas or CEL: tests/support/crd.py does that.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import copy
import datetime
import json
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import attrs
import kmock
from kmock._internal import k8s as kmock_k8s
from kmock._internal import parsing, rendering

from .crd_schema import apply_defaults

NAMESPACES = kmock.resource("", "v1", "namespaces")
CRDS = kmock.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")

_VERBS = {"create", "delete", "get", "list", "patch", "update", "watch"}


def _builtin(kind: str, namespaced: bool, *shortnames: str) -> kmock.ResourceInfo:
    return kmock.ResourceInfo(
        kind=kind, singular=kind.lower(), namespaced=namespaced, shortnames=set(shortnames), verbs=_VERBS
    )


BUILTIN_RESOURCES: dict[str, kmock.ResourceInfo] = {
    "v1/namespaces": _builtin("Namespace", False, "ns"),
    "v1/secrets": _builtin("Secret", True),
    "v1/configmaps": _builtin("ConfigMap", True, "cm"),
    "v1/events": _builtin("Event", True, "ev"),
    "apiextensions.k8s.io/v1/customresourcedefinitions": _builtin("CustomResourceDefinition", False, "crd", "crds"),
}

Key = tuple[str, str, str | None, str]  # group, plural, namespace, name

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

_kmock_parse_path = parsing.parse_path


def _parse_path(path: str) -> parsing.ParsedPath:
    """kmock reads /api/v1/namespaces[/NAME] as "namespace NAME" (and fails without a NAME);
    kube-apiserver serves them as the cluster-scoped resource `namespaces`."""
    parts = path.strip("/").split("/")
    if (
        parts[:3] == ["api", "v1", "namespaces"]
        and len(parts) <= 5
        and (len(parts) <= 4 or parts[4] in ("status", "finalize"))
    ):
        name = parts[3] if len(parts) > 3 else None
        return parsing.ParsedPath("", "v1", "namespaces", None, name, parts[4] if len(parts) > 4 else None)
    return _kmock_parse_path(path)


parsing.parse_path = _parse_path  # kmock's Request._parse looks it up on the module at request time


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, reason: str, message: str, **details: Any) -> kmock_k8s.KubernetesError:
    return kmock_k8s.KubernetesError(status=status, reason=reason, message=message, details=details or {"kind": ""})


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class PatchTestFailed(Exception):
    pass


def json_patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902 JSON patch: add, remove, replace, move, copy, test."""
    doc = copy.deepcopy(doc)

    def split(path: str) -> list[str]:
        if path == "":
            return []
        return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]

    def parent(path: str) -> tuple[Any, str]:
        parts = split(path)
        node = doc
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node, parts[-1]

    def get(path: str) -> Any:
        node = doc
        for part in split(path):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def add(path: str, value: Any) -> None:
        node, last = parent(path)
        if isinstance(node, list):
            node.insert(len(node) if last == "-" else int(last), value)
        else:
            node[last] = value

    def remove(path: str) -> Any:
        node, last = parent(path)
        return node.pop(int(last)) if isinstance(node, list) else node.pop(last)

    for op in ops:
        kind, path = op["op"], op["path"]
        try:
            if kind == "test":
                if get(path) != op.get("value"):
                    raise PatchTestFailed(f"test failed at {path}")
            elif kind == "add":
                add(path, copy.deepcopy(op["value"]))
            elif kind == "remove":
                remove(path)
            elif kind == "replace":
                remove(path)
                add(path, copy.deepcopy(op["value"]))
            elif kind == "move":
                add(path, remove(op["from"]))
            elif kind == "copy":
                add(path, copy.deepcopy(get(op["from"])))
            else:
                raise PatchTestFailed(f"unknown op {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise PatchTestFailed(f"{kind} {path}: {e!r}") from e
    return doc


_SET_EXPR = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_selector(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def label_selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """Equality-based and set-based label selectors, as `kubectl -l` sends them."""
    for term in _split_selector(selector):
        term = term.strip()
        if match := _SET_EXPR.match(term):
            key, op, values = match[1], match[2], {v.strip() for v in match[3].split(",")}
            if (op == "in") != (labels.get(key) in values):
                return False
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def field_selector_matches(selector: str, obj: dict[str, Any]) -> bool:
    """`a.b=v`, `a.b==v`, `a.b!=v` on any field (kube-apiserver allows a set per kind; kubectl
    describe uses involvedObject.* on Events, watches use metadata.name)."""
    for term in _split_selector(selector):
        negate = "!=" in term
        key, value = (s.strip() for s in re.split(r"!=|==|=", term, maxsplit=1))
        actual = json_path(obj, key)
        if (str(actual) == value if actual is not None else value == "") == negate:
            return False
    return True


_FILTER = re.compile(r"^(\w+)\[\?\(@\.(\w+)==[\"']([^\"']*)[\"']\)\]$")


def json_path(obj: Any, path: str) -> Any:
    """The JSONPath subset printer columns use: `.a.b` and `.list[?(@.key=="value")].field`."""
    node: Any = obj
    for part in re.findall(r"[^.\[]+(?:\[[^\]]*\])?", path.lstrip(".")):
        if match := _FILTER.match(part):
            items = node.get(match[1]) if isinstance(node, dict) else None
            node = next((i for i in items or [] if isinstance(i, dict) and str(i.get(match[2])) == match[3]), None)
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


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


@attrs.define(kw_only=True)
class KubernetesAPI(kmock.KubernetesEmulator):
    """kmock's emulator with kube-apiserver's object semantics."""

    history_limit: int = 5000  # watch events kept for resumption; older resourceVersions get 410 Gone

    _store: dict[Key, dict[str, Any]] = attrs.field(factory=dict, init=False)
    _rv: int = attrs.field(default=0, init=False)
    _history: collections.deque[tuple[int, str, str, dict[str, Any]]] = attrs.field(init=False)
    _oldest_rv: int = attrs.field(default=0, init=False)
    _changed: asyncio.Condition | None = attrs.field(default=None, init=False)
    _printer_columns: dict[tuple[str, str], list[dict[str, Any]]] = attrs.field(factory=dict, init=False)
    _schemas: dict[tuple[str, str], dict[str, Any]] = attrs.field(factory=dict, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._history = collections.deque(maxlen=self.history_limit)
        self.fallback[kmock.method.PUT] << self._serve_replace
        self.fallback["get", re.compile(r"/openapi/v3/?")] << self._serve_openapi_root
        self.fallback["get", re.compile(r"/openapi/v3/.+")] << self._serve_openapi_group_version
        for key, info in BUILTIN_RESOURCES.items():
            self.resources[key] = copy.deepcopy(info)
        for name in ("default", "kube-system", "kube-public"):
            self._insert(NAMESPACES, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    # --- registration -------------------------------------------------------------------

    def register_crd(self, crd: dict[str, Any]) -> None:
        """Make a CRD's resources discoverable, as the apiextensions server does once it is Established."""
        spec = crd["spec"]
        names = spec["names"]
        for version in spec["versions"]:
            if not version.get("served", True):
                continue
            self._printer_columns[(spec["group"], names["plural"])] = version.get("additionalPrinterColumns") or [AGE]
            if schema := (version.get("schema") or {}).get("openAPIV3Schema"):
                self._schemas[(spec["group"], names["plural"])] = schema
            self.resources[f"{spec['group']}/{version['name']}/{names['plural']}"] = kmock.ResourceInfo(
                kind=names["kind"],
                singular=names.get("singular", names["kind"].lower()),
                namespaced=spec["scope"] == "Namespaced",
                shortnames=set(names.get("shortNames", [])),
                categories=set(names.get("categories", [])),
                subresources=set(version.get("subresources") or {}),
                verbs={"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
            )

    def _info(self, resource: kmock.resource) -> kmock.ResourceInfo:
        for known in self._get_resources():
            if known == resource:
                return self.resources[known] if known in self.resources else kmock.ResourceInfo()
        raise _error(404, "NotFound", f"the server could not find the requested resource ({resource.plural})")

    def _has_status(self, resource: kmock.resource) -> bool:
        return "status" in self._info(resource).subresources

    async def _serve_version(self, request: rendering.Request) -> Any:
        listing = await super()._serve_version(request)
        if listing.get("groupVersion", "").startswith("/"):  # the core group is just "v1"
            listing["groupVersion"] = listing["groupVersion"][1:]
        for entry in listing["resources"]:
            if "/" in entry["name"]:  # subresources have no short names or categories of their own
                entry["shortNames"], entry["categories"] = [], []
        return listing

    # --- OpenAPI v3: just enough for kubectl to hand validation to the server ----------------

    def _group_versions(self) -> dict[str, list[tuple[kmock.resource, kmock.ResourceInfo]]]:
        result: dict[str, list[tuple[kmock.resource, kmock.ResourceInfo]]] = {}
        for resource in self._get_resources():
            path = f"apis/{resource.group}/{resource.version}" if resource.group else f"api/{resource.version}"
            result.setdefault(path, []).append((resource, self.resources[resource]))
        return result

    async def _serve_openapi_root(self, request: rendering.Request) -> Any:
        return {"paths": {gv: {"serverRelativeURL": f"/openapi/v3/{gv}"} for gv in self._group_versions()}}

    async def _serve_openapi_group_version(self, request: rendering.Request) -> Any:
        """kubectl's field-validation check: a PATCH operation per kind that takes `fieldValidation`.
        The stand-in validates nothing itself (tests/support/crd.py checks schemas)."""
        gv = request.url.path.removeprefix("/openapi/v3/").strip("/")
        kinds = self._group_versions().get(gv)
        if kinds is None:
            raise _error(404, "NotFound", f"no OpenAPI document for {gv}")
        paths = {}
        for resource, info in kinds:
            scope = "/namespaces/{namespace}" if info.namespaced else ""
            gvk = {"group": resource.group or "", "version": resource.version, "kind": info.kind}
            paths[f"/{gv}{scope}/{resource.plural}/{{name}}"] = {
                "patch": {
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "OK"}},
                }
            }
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.26.4"}, "paths": paths}

    # --- request routing ----------------------------------------------------------------

    async def _handle(self, request: rendering.Request) -> Any:
        content_type = request.headers.get("Content-Type", "")
        if request.body and "protobuf" in content_type:
            # Only JSON is spoken here; clients (kubectl) then resend as JSON.
            return await self._render_error(
                _error(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {content_type}")
            )
        # Skip the parent's in-place JSON merging: the fallbacks below own the state.
        return await kmock_k8s.KubernetesScaffold._handle(self, request)

    def _target(self, request: rendering.Request) -> tuple[kmock.resource, str | None, str | None]:
        resource = request.resource
        assert resource is not None
        namespace = request.namespace if self._info(resource).namespaced else None
        return resource, namespace, request.name

    def _key(self, resource: kmock.resource, namespace: str | None, name: str) -> Key:
        return (resource.group or "", resource.plural or "", namespace, name)

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    # --- writes ------------------------------------------------------------------------

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _record(self, resource: kmock.resource, kind: str, obj: dict[str, Any]) -> None:
        if len(self._history) == self._history.maxlen:
            self._oldest_rv = self._history[0][0]
        self._history.append(
            (self._rv, resource.group or "", resource.plural or "", {"type": kind, "object": copy.deepcopy(obj)})
        )

    async def _notify(self) -> None:
        async with self._condition():
            self._condition().notify_all()

    def _insert(self, resource: kmock.resource, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        info = self._info(resource)
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        if not meta.get("name"):
            raise _error(422, "Invalid", "metadata.name: Required value: name or generateName is required")
        if namespace is not None:
            if meta.get("namespace") not in (None, namespace):
                raise _error(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            if self._key(NAMESPACES, None, namespace) not in self._store:
                raise _error(404, "NotFound", f'namespaces "{namespace}" not found')
            meta["namespace"] = namespace
        key = self._key(resource, namespace, meta["name"])
        if key in self._store:
            raise _error(
                409,
                "AlreadyExists",
                f'{resource.plural} "{meta["name"]}" already exists',
                name=meta["name"],
                kind=resource.plural,
            )
        obj.setdefault("apiVersion", f"{resource.group}/{resource.version}" if resource.group else resource.version)
        obj.setdefault("kind", info.kind)
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now(), resourceVersion=self._next_rv())
        for transient in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(transient, None)
        if "status" in info.subresources:
            meta["generation"] = 1
            obj.pop("status", None)
        self._normalize(resource, obj)
        self._store[key] = obj
        self._record(resource, "ADDED", obj)
        if resource == CRDS:
            self.register_crd(obj)
        return obj

    def _normalize(self, resource: kmock.resource, obj: dict[str, Any]) -> None:
        if schema := self._schemas.get((resource.group or "", resource.plural or "")):
            defaulted = apply_defaults(schema, obj)
            obj.update({k: v for k, v in defaulted.items() if k != "metadata"})  # callers hold metadata
        if resource.plural == "secrets" and resource.group == "":
            string_data = obj.pop("stringData", None) or {}
            data = obj.get("data") or {}
            data.update({k: base64.b64encode(str(v).encode()).decode() for k, v in string_data.items()})
            obj["data"] = data
            obj.setdefault("type", "Opaque")

    def _write(
        self, resource: kmock.resource, key: Key, new: dict[str, Any], subresource: str | None
    ) -> dict[str, Any]:
        """Store a changed object as the API server would: only the status through /status,
        never the status through the main endpoint, immutable identity, generation on spec changes."""
        old = self._store[key]
        has_status = self._has_status(resource)
        if subresource == "status":
            result = copy.deepcopy(old)
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
        else:
            result = copy.deepcopy(new)
            if has_status:
                if "status" in old:
                    result["status"] = copy.deepcopy(old["status"])
                else:
                    result.pop("status", None)
        meta, old_meta = result.setdefault("metadata", {}), old["metadata"]
        for field in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "generation"):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        added = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
        if old_meta.get("deletionTimestamp") and added:
            raise _error(
                422,
                "Invalid",
                "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted",
            )
        self._normalize(resource, result)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if result == old:
            return old  # a no-op write changes nothing, not even the resourceVersion
        if has_status and _body(result) != _body(old):
            meta["generation"] = old_meta.get("generation", 1) + 1
        meta["resourceVersion"] = self._next_rv()
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self._remove(resource, key, result)
            return result
        self._store[key] = result
        self._record(resource, "MODIFIED", result)
        return result

    def _remove(self, resource: kmock.resource, key: Key, obj: dict[str, Any]) -> None:
        self._store.pop(key, None)
        obj["metadata"]["resourceVersion"] = self._next_rv()
        self._record(resource, "DELETED", obj)
        self._collect_garbage(obj["metadata"]["uid"])

    def _resource_of(self, key: Key) -> kmock.resource:
        group, plural = key[0], key[1]
        for known in self._get_resources():
            if (known.group or "") == group and known.plural == plural:
                return known
        raise KeyError(key)

    def _collect_garbage(self, owner_uid: str) -> None:
        """Background cascading deletion: dependents whose owners are all gone are deleted."""
        live_uids = {o["metadata"]["uid"] for o in self._store.values()}
        for key, obj in list(self._store.items()):
            refs = obj["metadata"].get("ownerReferences") or []
            if not any(r.get("uid") == owner_uid for r in refs):
                continue
            if any(r.get("uid") in live_uids for r in refs):
                continue
            self._delete(self._resource_of(key), key)

    def _delete(self, resource: kmock.resource, key: Key, orphan: bool = False) -> dict[str, Any]:
        obj = copy.deepcopy(self._store[key])
        meta = obj["metadata"]
        if orphan:
            self._orphan_dependents(meta["uid"])
        if meta.get("finalizers"):
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = _now()
                meta["deletionGracePeriodSeconds"] = 0
                meta["resourceVersion"] = self._next_rv()
                self._store[key] = obj
                self._record(resource, "MODIFIED", obj)
            return obj
        self._remove(resource, key, obj)
        return obj

    def _orphan_dependents(self, owner_uid: str) -> None:
        for key, obj in list(self._store.items()):
            refs = obj["metadata"].get("ownerReferences") or []
            kept = [r for r in refs if r.get("uid") != owner_uid]
            if len(kept) != len(refs):
                new = copy.deepcopy(obj)
                new["metadata"]["ownerReferences"] = kept
                self._write(self._resource_of(key), key, new, None)

    # --- serving ------------------------------------------------------------------------

    def _existing(
        self, resource: kmock.resource, namespace: str | None, name: str | None
    ) -> tuple[Key, dict[str, Any]]:
        key = self._key(resource, namespace, name or "")
        if key not in self._store:
            raise _error(404, "NotFound", f'{resource.plural} "{name}" not found', name=name, kind=resource.plural)
        return key, self._store[key]

    def _check_version(self, body: dict[str, Any], current: dict[str, Any]) -> None:
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            raise _error(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on "{current["metadata"]["name"]}": the object has been modified;'
                " please apply your changes to the latest version and try again",
            )

    async def _serve_create(self, request: rendering.Request) -> Any:
        resource, namespace, _ = self._target(request)
        if not isinstance(request.data, dict):
            raise _error(400, "BadRequest", "the request body must be a JSON object")
        async with self._lock:
            obj = self._insert(resource, namespace, request.data)
        await self._notify()
        return kmock.Response(status=201, payload=copy.deepcopy(obj))

    async def _serve_fetch(self, request: rendering.Request) -> Any:
        resource, namespace, name = self._target(request)
        _, obj = self._existing(resource, namespace, name)
        if _wants_table(request):
            return self._table(resource, [obj])
        return copy.deepcopy(obj)

    def _table(self, resource: kmock.resource, objs: list[dict[str, Any]]) -> dict[str, Any]:
        """Server-side printing, which `kubectl get` asks for: the CRD's printer columns."""
        key = (resource.group or "", resource.plural or "")
        columns = self._printer_columns.get(key) or BUILTIN_COLUMNS.get(key) or [AGE]

        def cell(obj: dict[str, Any], column: dict[str, Any]) -> Any:
            value = json_path(obj, column["jsonPath"])
            return human_age(value) if column.get("type") == "date" else value

        return {
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": str(self._rv)},
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
                {"cells": [o["metadata"]["name"], *(cell(o, c) for c in columns)], "object": copy.deepcopy(o)}
                for o in objs
            ],
        }

    async def _serve_list(self, request: rendering.Request) -> Any:
        resource, namespace, _ = self._target(request)
        info = self._info(resource)
        items = [
            copy.deepcopy(o)
            for k, o in sorted(self._store.items(), key=lambda kv: str(kv[0]))
            if self._matches(request.params, resource, namespace, k, o)
        ]
        if _wants_table(request):
            return self._table(resource, items)
        api_version = f"{resource.group}/{resource.version}" if resource.group else resource.version
        return {
            "apiVersion": api_version,
            "kind": f"{info.kind}List",
            "metadata": {"resourceVersion": str(self._rv)},
            "items": items,
        }

    def _matches(
        self, params: Any, resource: kmock.resource, namespace: str | None, key: Key, obj: dict[str, Any]
    ) -> bool:
        if key[:2] != (resource.group or "", resource.plural or ""):
            return False
        if namespace is not None and key[2] != namespace:
            return False
        labels = obj.get("metadata", {}).get("labels") or {}
        if params.get("labelSelector") and not label_selector_matches(params["labelSelector"], labels):
            return False
        if params.get("fieldSelector") and not field_selector_matches(params["fieldSelector"], obj):
            return False
        return True

    async def _serve_watch(self, request: rendering.Request) -> Any:
        # client-go refuses watch streams that are not served as JSON.
        return kmock.Response(headers={"Content-Type": "application/json"}, payload=self._watch_events(request))

    async def _watch_events(self, request: rendering.Request) -> AsyncIterator[Any]:
        resource, namespace, name = self._target(request)
        params = dict(request.params)
        if name is not None:
            params["fieldSelector"] = ",".join(filter(None, [params.get("fieldSelector"), f"metadata.name={name}"]))
        yield b""
        since = params.get("resourceVersion") or "0"
        timeout = float(params.get("timeoutSeconds") or 1800)
        deadline = asyncio.get_running_loop().time() + timeout
        if since == "0" or params.get("sendInitialEvents") == "true":
            position = self._rv
            for key, obj in sorted(self._store.items(), key=lambda kv: str(kv[0])):
                if self._matches(params, resource, namespace, key, obj):
                    yield {"type": "ADDED", "object": copy.deepcopy(obj)}
            if params.get("sendInitialEvents") == "true":
                yield {
                    "type": "BOOKMARK",
                    "object": {
                        "kind": self._info(resource).kind,
                        "apiVersion": resource.version,
                        "metadata": {
                            "resourceVersion": str(position),
                            "annotations": {"k8s.io/initial-events-end": "true"},
                        },
                    },
                }
        else:
            position = int(since)
            if position < self._oldest_rv:
                yield {
                    "type": "ERROR",
                    "object": {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "code": 410,
                        "reason": "Expired",
                        "message": f"too old resource version: {position} ({self._oldest_rv})",
                    },
                }
                return
        while True:
            for rv, group, plural, event in list(self._history):
                if rv <= position:
                    continue
                position = rv
                key = (group, plural, event["object"]["metadata"].get("namespace"), event["object"]["metadata"]["name"])
                if self._matches(params, resource, namespace, key, event["object"]):
                    yield copy.deepcopy(event)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            async with self._condition():
                try:
                    await asyncio.wait_for(self._condition().wait(), timeout=min(remaining, 5.0))
                except TimeoutError:
                    pass

    async def _serve_update(self, request: rendering.Request) -> Any:
        resource, namespace, name = self._target(request)
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        async with self._lock:
            key, current = self._existing(resource, namespace, name)
            if content_type == "application/json-patch+json":
                if not isinstance(request.data, list):
                    raise _error(400, "BadRequest", "a JSON patch must be a list of operations")
                try:
                    patched = json_patch(current, request.data)
                except PatchTestFailed as e:
                    raise _error(422, "Invalid", f"the request is invalid: {e}") from e
            elif content_type in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                # Strategic merge is approximated by a merge patch: lists are replaced, not merged by key.
                if not isinstance(request.data, dict):
                    raise _error(400, "BadRequest", "a merge patch must be a JSON object")
                self._check_version(request.data, current)
                patched = merge_patch(current, request.data)
            else:
                raise _error(
                    415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {content_type}"
                )
            result = self._write(resource, key, patched, request.subresource)
        await self._notify()
        return copy.deepcopy(result)

    async def _serve_replace(self, request: rendering.Request) -> Any:
        resource, namespace, name = self._target(request)
        if not isinstance(request.data, dict):
            raise _error(400, "BadRequest", "the request body must be a JSON object")
        async with self._lock:
            key, current = self._existing(resource, namespace, name)
            self._check_version(request.data, current)
            result = self._write(resource, key, request.data, request.subresource)
        await self._notify()
        return copy.deepcopy(result)

    async def _serve_delete(self, request: rendering.Request) -> Any:
        resource, namespace, name = self._target(request)
        options = request.data if isinstance(request.data, dict) else {}
        policy = options.get("propagationPolicy") or request.params.get("propagationPolicy") or "Background"
        async with self._lock:
            key, _ = self._existing(resource, namespace, name)
            obj = self._delete(resource, key, orphan=policy == "Orphan")
        await self._notify()
        return copy.deepcopy(obj)


def _wants_table(request: rendering.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _body(obj: dict[str, Any]) -> dict[str, Any]:
    """What generation counts: everything except metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def kubeconfig(server: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "sandbox",
        "preferences": {},
        "clusters": [{"name": "sandbox", "cluster": {"server": server}}],
        "users": [{"name": "sandbox", "user": {"token": "sandbox"}}],
        "contexts": [{"name": "sandbox", "context": {"cluster": "sandbox", "user": "sandbox", "namespace": "default"}}],
    }


async def serve(port: int, crd_paths: list[str], kubeconfig_path: str | None, history_limit: int = 5000) -> None:
    import pathlib

    import yaml

    api = KubernetesAPI(history_limit=history_limit)
    for path in crd_paths:
        for doc in yaml.safe_load_all(pathlib.Path(path).read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                async with api._lock:
                    api._insert(CRDS, None, doc)
    async with api, kmock.Server(api, port=port) as server:
        if kubeconfig_path:
            pathlib.Path(kubeconfig_path).write_text(
                json.dumps(kubeconfig(f"http://127.0.0.1:{server.port}"), indent=2)
            )
        print(f"kubernetes API stand-in on http://127.0.0.1:{server.port}", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--crd", action="append", default=[], help="CRD manifest to register (repeatable)")
    parser.add_argument("--kubeconfig", help="write a kubeconfig for this server here")
    parser.add_argument("--history-limit", type=int, default=5000, help="watch events kept for resumption")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.crd, args.kubeconfig, args.history_limit))


if __name__ == "__main__":
    main()
