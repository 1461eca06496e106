"""A Kubernetes API server stand-in: kmock's emulator, taught what kube-apiserver does.

kmock's `KubernetesEmulator` is a test double: it records every request for assertions, matches
each new one against all of them (so a long-lived server slows down with every request), and keeps
objects as plain JSON merges with no uid, resourceVersion, generation, status subresource or
conflict checks. This subclass keeps kmock's HTTP server, request parsing, response rendering and
API discovery, and serves everything else itself, as kube-apiserver does for what the operator,
kubectl and the tests use: object semantics (below), admission from the CRD's schema and CEL rules
(admission.py), watches (watches.py), Tables and OpenAPI (printing.py).

Test-only switch: a request with the header `X-Sandbox-Skip-Admission: true` is stored without the
schema and CEL checks (still pruned and defaulted), like an object stored before its CRD gained a
rule, so tests can show what the operator does with an object admission would refuse today.

Faults on demand (faults.py): `POST /_sandbox/faults` makes the server cut watches, answer 410, 409,
429, 500 or 503, or stop answering for a while, as a real API server (or its network) can.

An audit trail: `GET /_sandbox/audit` lists the resource requests served (user agent, verb, API group,
resource, subresource, namespace, name, label selector), as kube-apiserver's audit log records them, so
tests can check what a client asked for (the operator's RBAC, the Secrets it reads).

Deleting a namespace is done as kube-apiserver and the namespace controller do it: the Namespace turns
`Terminating`, creating objects in it is refused, everything in it is deleted in the background, and
the Namespace goes once nothing is left (objects with finalizers stay until they are removed).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import copy
import datetime
import json
import logging
import re
import secrets
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import aiohttp.web
import attrs
import kmock
from kmock._internal import k8s as kmock_k8s
from kmock._internal import parsing, rendering

from . import printing
from .admission import FieldError, SchemaAdmission, invalid_message, prune_schema_fields, structural_errors
from .faults import CONTROL_PATH, KubeFaults
from .objects import (
    PatchTestFailed,
    field_selector_matches,
    json_patch,
    label_problems,
    label_selector_matches,
    merge_patch,
    name_problem,
)
from .watches import Changes, WatchEvent

log = logging.getLogger(__name__)

NAMESPACES = kmock.resource("", "v1", "namespaces")
CRDS = kmock.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions")

_VERBS = {"create", "delete", "get", "list", "patch", "update", "watch"}
SKIP_ADMISSION = "X-Sandbox-Skip-Admission"
AUDIT_PATH = "/_sandbox/audit"  # GET: the resource requests served, as an audit log (user agent, verb, what)
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")  # kube-apiserver refuses to delete them
NAMESPACE_FINALIZER = "kubernetes"  # the namespace controller's, in a Namespace's spec.finalizers
NAMESPACE_RESYNC_SECONDS = 30.0  # the namespace controller looks again at least this often


def _builtin(kind: str, namespaced: bool, *shortnames: str) -> kmock.ResourceInfo:
    return kmock.ResourceInfo(
        kind=kind, singular=kind.lower(), namespaced=namespaced, shortnames=set(shortnames), verbs=_VERBS
    )


BUILTIN_RESOURCES: dict[str, kmock.ResourceInfo] = {
    "v1/namespaces": _builtin("Namespace", False, "ns"),
    "v1/secrets": _builtin("Secret", True),
    "v1/configmaps": _builtin("ConfigMap", True, "cm"),
    "v1/events": _builtin("Event", True, "ev"),
    "coordination.k8s.io/v1/leases": _builtin("Lease", True),  # leader election (leader.py)
    "apiextensions.k8s.io/v1/customresourcedefinitions": _builtin("CustomResourceDefinition", False, "crd", "crds"),
}

Key = tuple[str, str, str | None, str]  # group, plural, namespace, name

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


@dataclass
class Admit:
    """How one request wants admission done, and the warnings it earned (unknown fields pruned)."""

    validate: bool = True
    strict: bool = False  # fieldValidation=Strict: unknown fields are an error, not a warning
    warnings: list[str] = field(default_factory=list)

    def respond(self, payload: dict[str, Any], status: int = 200) -> rendering.Response:
        headers = {"Warning": ", ".join(f'299 - "{w}"' for w in self.warnings)} if self.warnings else None
        return rendering.Response(status=status, payload=copy.deepcopy(payload), headers=headers)

    @classmethod
    def of(cls, request: rendering.Request) -> Admit:
        return cls(
            validate=request.headers.get(SKIP_ADMISSION, "").lower() != "true",
            strict=request.params.get("fieldValidation") == "Strict",
        )


@attrs.define(kw_only=True)
class KubernetesAPI(kmock.KubernetesEmulator):
    """kmock's emulator with kube-apiserver's object semantics."""

    history_limit: int = 5000  # watch events kept for resumption; older resourceVersions get 410 Gone

    _store: dict[Key, dict[str, Any]] = attrs.field(factory=dict, init=False)
    _audit: collections.deque[dict[str, str]] = attrs.field(
        factory=lambda: collections.deque(maxlen=200_000), init=False
    )
    _changes: Changes = attrs.field(init=False)
    _printer_columns: dict[tuple[str, str], list[dict[str, Any]]] = attrs.field(factory=dict, init=False)
    _admission: dict[tuple[str, str], SchemaAdmission] = attrs.field(factory=dict, init=False)
    _faults: KubeFaults = attrs.field(init=False)
    _namespace_cleanups: dict[str, asyncio.Task[None]] = attrs.field(factory=dict, init=False)  # by uid

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._changes = Changes(self.history_limit)
        self._faults = KubeFaults(lambda: self._changes.rv)
        for key, info in BUILTIN_RESOURCES.items():
            self.resources[key] = copy.deepcopy(info)
        for name in ("default", "kube-system", "kube-public"):
            self._insert(NAMESPACES, None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    # --- request routing ----------------------------------------------------------------------

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        """Serve one request. Unlike kmock's handler, nothing is recorded: a stand-in that runs for
        hours must not keep, or scan, every request it ever served."""
        if raw_request.path == AUDIT_PATH:
            return aiohttp.web.json_response({"items": list(self._audit)})
        if raw_request.path.startswith(CONTROL_PATH):
            return await self._faults.control(raw_request)
        content_type = raw_request.headers.get("Content-Type", "")
        if raw_request.body_exists and "protobuf" in content_type:
            # Only JSON is spoken here; clients (kubectl) then resend as JSON.
            return await self._render_error(
                _error(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {content_type}")
            )
        request = await rendering.Request._parse(raw_request)
        self._record_audit(request)
        if (refused := await self._faults.intercept(request)) is not None:
            return refused
        try:
            payload = await self._route(request)(request)
            return await rendering.Response(payload=payload)(request)
        except rendering.StreamingError as e:  # headers are out: end the stream with the error
            raw_response: aiohttp.web.StreamResponse = e.args[0]
            cause = e.__cause__  # kmock raises it from the Exception the stream raised
            await self._stream_error(cause if isinstance(cause, Exception) else e, raw_response)
            await raw_response.write_eof()
            return raw_response
        except kmock_k8s.KubernetesError as e:
            return await self._render_error(e)
        except Exception as e:  # noqa: BLE001 - answered as a 500 Status, as an API server would
            log.exception("internal error serving %s %s", raw_request.method, raw_request.path)
            return await self._render_error(_error(500, "InternalError", f"an error on the server: {e!r}"))

    def _record_audit(self, request: rendering.Request) -> None:
        """What kube-apiserver's audit log would say of a resource request: who, which verb, on what."""
        resource = request.resource
        if resource is None or not resource.plural:
            return
        method = str(request.method.value).upper()
        if method == "GET":
            verb = "watch" if request.params.get("watch") in ("true", "1") else "get" if request.name else "list"
        else:
            verb = {"POST": "create", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}.get(method, method.lower())
        self._audit.append(
            {
                "userAgent": request.headers.get("User-Agent", ""),
                "verb": verb,
                "apiGroup": resource.group or "",
                "resource": resource.plural,
                "subresource": request.subresource or "",
                "namespace": request.namespace or "",
                "name": request.name or "",
                "labelSelector": request.params.get("labelSelector", ""),
                "as": "PartialObjectMetadata" if _wants_metadata(request) else "",
            }
        )

    def _route(self, request: rendering.Request) -> Callable[[rendering.Request], Awaitable[rendering.Payload]]:
        path, method = request.url.path.rstrip("/") or "/", str(request.method.value).upper()
        if method == "GET":
            discovery = {
                "/": self._serve_root,
                "/version": self._serve_server_version,
                "/api": self._serve_api,
                "/apis": self._serve_apis,
                "/openapi/v3": self._serve_openapi_root,
            }
            if path in discovery:
                return discovery[path]
            if path.startswith("/openapi/v3/"):
                return self._serve_openapi_group_version
            if re.fullmatch(r"/api/[^/]+|/apis/[^/]+/[^/]+", path):
                return self._serve_version
            if re.fullmatch(r"/apis/[^/]+", path):
                return self._serve_group
        if request.resource is not None and request.resource.plural:
            if method == "PUT" and request.name:
                return self._serve_replace
            serving = {
                kmock.action.LIST: self._serve_list,
                kmock.action.WATCH: self._serve_watch,
                kmock.action.FETCH: self._serve_fetch,
                kmock.action.CREATE: self._serve_create,
                kmock.action.UPDATE: self._serve_update,
                kmock.action.DELETE: self._serve_delete,
            }
            if request.action in serving:
                return serving[request.action]
        raise _error(404, "NotFound", "the server could not find the requested resource")

    def _target(self, request: rendering.Request) -> tuple[kmock.resource, str | None, str | None]:
        resource = request.resource
        assert resource is not None
        namespace = request.namespace if self._info(resource).namespaced else None
        return resource, namespace, request.name

    def _key(self, resource: kmock.resource, namespace: str | None, name: str) -> Key:
        return (resource.group or "", resource.plural or "", namespace, name)

    # --- registration -------------------------------------------------------------------------

    def register_crd(self, crd: dict[str, Any]) -> None:
        """Make a CRD's resources discoverable, as the apiextensions server does once it is Established."""
        spec = crd["spec"]
        names = spec["names"]
        for version in spec["versions"]:
            if not version.get("served", True):
                continue
            key = (spec["group"], names["plural"])
            self._printer_columns[key] = version.get("additionalPrinterColumns") or [printing.AGE]
            if schema := (version.get("schema") or {}).get("openAPIV3Schema"):
                self._admission[key] = SchemaAdmission(schema, spec["group"], names["kind"])
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

    def _qualified_kind(self, resource: kmock.resource) -> str:
        kind = self._info(resource).kind or ""
        return f"{kind}.{resource.group}" if resource.group else kind

    async def _serve_version(self, request: rendering.Request) -> rendering.Payload:
        listing = cast(dict[str, Any], await super()._serve_version(request))  # kmock's answer: an APIResourceList
        if listing.get("groupVersion", "").startswith("/"):  # the core group is just "v1"
            listing["groupVersion"] = listing["groupVersion"][1:]
        for entry in listing["resources"]:
            if "/" in entry["name"]:  # subresources have no short names or categories of their own
                entry["shortNames"], entry["categories"] = [], []
        return listing

    def _group_versions(self) -> dict[str, list[tuple[kmock.resource, kmock.ResourceInfo]]]:
        result: dict[str, list[tuple[kmock.resource, kmock.ResourceInfo]]] = {}
        for resource in self._get_resources():
            path = f"apis/{resource.group}/{resource.version}" if resource.group else f"api/{resource.version}"
            result.setdefault(path, []).append((resource, self.resources[resource]))
        return result

    async def _serve_openapi_root(self, request: rendering.Request) -> rendering.Payload:
        return printing.openapi_root(self._group_versions())

    async def _serve_openapi_group_version(self, request: rendering.Request) -> rendering.Payload:
        gv = request.url.path.removeprefix("/openapi/v3/").strip("/")
        kinds = self._group_versions().get(gv)
        if kinds is None:
            raise _error(404, "NotFound", f"no OpenAPI document for {gv}")
        return printing.openapi_group_version(
            gv, [(r.group or "", r.version or "", r.plural or "", i.kind or "", bool(i.namespaced)) for r, i in kinds]
        )

    # --- admission ----------------------------------------------------------------------------

    def _admit(
        self, resource: kmock.resource, obj: dict[str, Any], old: dict[str, Any] | None, how: Admit
    ) -> dict[str, Any]:
        """Prune, default and validate as kube-apiserver does; returns the object to store."""
        name = obj["metadata"].get("name", "")
        if how.validate and (problems := label_problems(obj["metadata"].get("labels") or {})):
            errors = [FieldError("Invalid value", f, v, why) for f, v, why in problems]
            raise self._invalid(resource, name, errors)
        if resource == CRDS:
            self._admit_crd(obj, how)
        admission = self._admission.get((resource.group or "", resource.plural or ""))
        if admission is None:
            return obj
        pruned, unknown = admission.prune(obj)
        if unknown and how.strict:
            info = self._info(resource)
            listed = ", ".join(f'unknown field "{path}"' for path in unknown)
            raise _error(
                400,
                "BadRequest",
                f'{info.kind} in version "{resource.version}" cannot be handled as a {info.kind}:'
                f" strict decoding error: {listed}",
            )
        how.warnings += [f'unknown field \\"{path}\\"' for path in unknown]
        result = admission.default(pruned)
        if how.validate and (errors := admission.validate(result, old)):
            raise self._invalid(resource, name, errors)
        return result

    def _admit_crd(self, crd: dict[str, Any], how: Admit) -> None:
        """A CRD's schemas are decoded as JSONSchemaProps (unknown keys dropped, or refused when strict)
        and must be structural; the CRDs loaded at start-up are held to it as well."""
        if unknown := prune_schema_fields(crd):
            if how.strict:
                listed = ", ".join(f'unknown field "{path}"' for path in unknown)
                raise _error(400, "BadRequest", f"strict decoding error: {listed}")
            how.warnings += [f'unknown field \\"{path}\\"' for path in unknown]
        if errors := structural_errors(crd):
            raise self._invalid(CRDS, crd["metadata"].get("name", ""), errors)

    def _invalid(self, resource: kmock.resource, name: str, errors: list[FieldError]) -> kmock_k8s.KubernetesError:
        info = self._info(resource)
        return _error(
            422,
            "Invalid",
            invalid_message(self._qualified_kind(resource), name, errors),
            name=name,
            group=resource.group or "",
            kind=info.kind,
            causes=[e.cause() for e in errors],
        )

    # --- writes -------------------------------------------------------------------------------

    def _record(self, resource: kmock.resource, kind: str, obj: dict[str, Any]) -> None:
        self._changes.record(resource.group or "", resource.plural or "", kind, obj)

    def _insert(
        self, resource: kmock.resource, namespace: str | None, body: dict[str, Any], how: Admit | None = None
    ) -> dict[str, Any]:
        info = self._info(resource)
        how = how or Admit(validate=False)  # the server's own writes: start-up, garbage collection
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        requested = meta.get("name") or ""  # before generateName: what NamespaceLifecycle admission sees
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        if not meta.get("name"):
            raise _error(422, "Invalid", "metadata.name: Required value: name or generateName is required")
        if problem := name_problem(meta["name"], label=resource == NAMESPACES):
            error = FieldError("Invalid value", "metadata.name", meta["name"], problem)
            raise self._invalid(resource, meta["name"], [error])
        if namespace is not None:
            if meta.get("namespace") not in (None, namespace):
                raise _error(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            home = self._store.get(self._key(NAMESPACES, None, namespace))
            if home is None:
                raise _error(404, "NotFound", f'namespaces "{namespace}" not found')
            if home["metadata"].get("deletionTimestamp"):
                raise _forbidden(
                    resource,
                    requested,
                    f"unable to create new content in namespace {namespace} because it is being terminated",
                    causes=[
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                )
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
        for transient in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(transient, None)
        if "status" in info.subresources:
            obj.pop("status", None)
        obj = self._normalize(resource, obj, None, how)
        if resource == NAMESPACES:  # the namespace strategy's PrepareForCreate
            spec = obj.get("spec") or {}
            finalizers = [f for f in spec.get("finalizers") or [] if f != NAMESPACE_FINALIZER]
            obj["spec"] = {**spec, "finalizers": [*finalizers, NAMESPACE_FINALIZER]}
            obj["status"] = {"phase": "Active"}
        meta = obj["metadata"]
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now(), resourceVersion=self._changes.next_rv())
        if "status" in info.subresources:
            meta["generation"] = 1
        self._store[key] = obj
        self._record(resource, "ADDED", obj)
        if resource == CRDS:
            self.register_crd(obj)
        return obj

    def _normalize(
        self, resource: kmock.resource, obj: dict[str, Any], old: dict[str, Any] | None, how: Admit
    ) -> dict[str, Any]:
        obj = self._admit(resource, obj, old, how)
        if resource.plural == "secrets" and resource.group == "":
            string_data = obj.pop("stringData", None) or {}
            data = obj.get("data") or {}
            data.update({k: base64.b64encode(str(v).encode()).decode() for k, v in string_data.items()})
            obj["data"] = data
            obj.setdefault("type", "Opaque")
        return obj

    def _write(
        self, resource: kmock.resource, key: Key, new: dict[str, Any], subresource: str | None, how: Admit | None = None
    ) -> dict[str, Any]:
        """Store a changed object as the API server would: only the status through /status,
        never the status through the main endpoint, immutable identity, generation on spec changes."""
        old = self._store[key]
        how = how or Admit(validate=False)
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
        if resource == NAMESPACES:
            result = _namespace_update(old, result, subresource)
        meta, old_meta = result.setdefault("metadata", {}), old["metadata"]
        for kept in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "generation"):
            if kept in old_meta:
                meta[kept] = old_meta[kept]
            else:
                meta.pop(kept, None)
        added = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
        if old_meta.get("deletionTimestamp") and added:
            raise _error(
                422,
                "Invalid",
                "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted",
            )
        result = self._normalize(resource, result, old, how)
        meta = result["metadata"]
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if result == old:
            return old  # a no-op write changes nothing, not even the resourceVersion
        if has_status and _body(result) != _body(old):
            meta["generation"] = old_meta.get("generation", 1) + 1
        meta["resourceVersion"] = self._changes.next_rv()
        if meta.get("deletionTimestamp") and not _held(resource, result):
            self._remove(resource, key, result)
            return result
        self._store[key] = result
        self._record(resource, "MODIFIED", result)
        if resource == CRDS:
            self.register_crd(result)  # a changed schema admits from now on, as on a real server
        return result

    def _remove(self, resource: kmock.resource, key: Key, obj: dict[str, Any]) -> None:
        self._store.pop(key, None)
        obj["metadata"]["resourceVersion"] = self._changes.next_rv()
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
            if key in self._store:
                self._delete(self._resource_of(key), key)

    def _delete(self, resource: kmock.resource, key: Key, orphan: bool = False) -> dict[str, Any]:
        if resource == NAMESPACES:
            return self._terminate_namespace(key)
        obj = copy.deepcopy(self._store[key])
        meta = obj["metadata"]
        if orphan:
            self._orphan_dependents(meta["uid"])
        if meta.get("finalizers"):
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = _now()
                meta["deletionGracePeriodSeconds"] = 0
                meta["resourceVersion"] = self._changes.next_rv()
                self._store[key] = obj
                self._record(resource, "MODIFIED", obj)
            return obj
        self._remove(resource, key, obj)
        return obj

    # --- namespaces: kube-apiserver's namespace storage, and the namespace controller ----------

    def _check_namespace_deletion(self, namespace: dict[str, Any]) -> None:
        """What kube-apiserver refuses before deleting a namespace."""
        name = namespace["metadata"]["name"]
        if name in IMMORTAL_NAMESPACES:
            raise _forbidden(NAMESPACES, name, "this namespace may not be deleted")
        if namespace["metadata"].get("deletionTimestamp") and (namespace.get("spec") or {}).get("finalizers"):
            raise _error(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on namespaces "{name}": The system is ensuring all content is removed'
                " from this namespace.  Upon completion, this namespace will automatically be purged by the system.",
                name=name,
                kind="namespaces",
            )

    def _terminate_namespace(self, key: Key) -> dict[str, Any]:
        """The first DELETE of a namespace only marks it: `deletionTimestamp`, phase `Terminating`, the
        `kubernetes` finalizer in spec.finalizers; the namespace controller does the rest."""
        obj = copy.deepcopy(self._store[key])
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            return obj
        meta["deletionTimestamp"] = _now()
        spec = obj.get("spec") or {}
        if NAMESPACE_FINALIZER not in (spec.get("finalizers") or []):
            spec["finalizers"] = [*(spec.get("finalizers") or []), NAMESPACE_FINALIZER]
        obj["spec"] = spec
        obj["status"] = {**(obj.get("status") or {}), "phase": "Terminating"}
        meta["resourceVersion"] = self._changes.next_rv()
        self._store[key] = obj
        self._record(NAMESPACES, "MODIFIED", obj)
        self._start_namespace_controller(meta["name"], meta["uid"])
        return obj

    def _start_namespace_controller(self, name: str, uid: str) -> None:
        if uid in self._namespace_cleanups:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not serving (a test of the object model alone): nobody runs controllers
            return
        task = loop.create_task(self._clean_up_namespace(name, uid), name=f"namespace-controller/{name}")
        self._namespace_cleanups[uid] = task
        task.add_done_callback(lambda _: self._namespace_cleanups.pop(uid, None))

    async def _clean_up_namespace(self, name: str, uid: str) -> None:
        """The namespace controller's part, in the background as kube-controller-manager does it: delete
        everything in the namespace, report what remains in the Namespace's conditions, and once
        nothing is left, remove the `kubernetes` finalizer (through /finalize), so the Namespace goes.
        Objects with finalizers keep it waiting; every change in the namespace wakes it."""
        key = self._key(NAMESPACES, None, name)

        def in_namespace(group: str, plural: str, obj: dict[str, Any]) -> bool:
            if (group, plural) == ("", "namespaces"):
                return bool(obj["metadata"]["name"] == name)
            return bool(obj["metadata"].get("namespace") == name)

        while True:
            namespace = self._store.get(key)
            if namespace is None or namespace["metadata"]["uid"] != uid:
                return
            if NAMESPACE_FINALIZER not in ((namespace.get("spec") or {}).get("finalizers") or []):
                return  # finalized by someone else (kubectl replace --raw …/finalize)
            try:
                if self._empty_namespace(key, name):
                    return
            except Exception:  # noqa: BLE001 - a controller retries; the namespace stays Terminating meanwhile
                log.exception("namespace controller: cleaning up %s failed; again shortly", name)
            events = self._changes.stream(self._changes.rv, in_namespace, NAMESPACE_RESYNC_SECONDS)
            async with contextlib.aclosing(events):
                async for _ in events:
                    break

    def _empty_namespace(self, key: Key, name: str) -> bool:
        """One pass of the namespace controller; True once the Namespace is finalized."""
        for content in [k for k in self._store if k[2] == name]:
            obj = self._store.get(content)
            if obj is not None and not obj["metadata"].get("deletionTimestamp"):
                self._delete(self._resource_of(content), content)
        remaining = [(k, o) for k, o in self._store.items() if k[2] == name]
        self._set_namespace_conditions(key, remaining)
        if remaining:
            return False
        finalized = copy.deepcopy(self._store[key])
        spec = finalized.setdefault("spec", {})
        spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != NAMESPACE_FINALIZER]
        self._write(NAMESPACES, key, finalized, "finalize")
        return True

    def _set_namespace_conditions(self, key: Key, remaining: list[tuple[Key, dict[str, Any]]]) -> None:
        """The conditions the namespace controller reports on a Terminating namespace."""
        resources: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        for (group, plural, _, _), obj in remaining:
            resource = f"{plural}.{group}"  # "configmaps." for the core group, as the controller words it
            resources[resource] = resources.get(resource, 0) + 1
            for finalizer in obj["metadata"].get("finalizers") or []:
                finalizers[finalizer] = finalizers.get(finalizer, 0) + 1
        wanted = [
            (
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered",
            ),
            (
                "NamespaceDeletionGroupVersionParsingFailure",
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed",
            ),
            (
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization",
            ),
            (
                ("NamespaceContentRemaining", "True", "SomeResourcesRemain", "Some resources are remaining: ")
                if resources
                else ("NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed")
            ),
            (
                (
                    "NamespaceFinalizersRemaining",
                    "True",
                    "SomeFinalizersRemain",
                    "Some content in the namespace has finalizers remaining: ",
                )
                if finalizers
                else (
                    "NamespaceFinalizersRemaining",
                    "False",
                    "ContentHasNoFinalizers",
                    "All content-preserving finalizers finished",
                )
            ),
        ]
        listed = {
            "SomeResourcesRemain": ", ".join(sorted(f"{r} has {n} resource instances" for r, n in resources.items())),
            "SomeFinalizersRemain": ", ".join(sorted(f"{f} in {n} resource instances" for f, n in finalizers.items())),
        }
        namespace = self._store[key]
        before = {c.get("type"): c for c in (namespace.get("status") or {}).get("conditions") or []}
        now = _now()
        conditions = []
        for kind, state, reason, message in wanted:
            old = before.get(kind)
            conditions.append(
                {
                    "type": kind,
                    "status": state,
                    "lastTransitionTime": old["lastTransitionTime"] if old and old.get("status") == state else now,
                    "reason": reason,
                    "message": message + listed.get(reason, ""),
                }
            )
        updated = copy.deepcopy(namespace)
        updated["status"] = {**(updated.get("status") or {}), "conditions": conditions}
        self._write(NAMESPACES, key, updated, "status")

    def _orphan_dependents(self, owner_uid: str) -> None:
        for key, obj in list(self._store.items()):
            refs = obj["metadata"].get("ownerReferences") or []
            kept = [r for r in refs if r.get("uid") != owner_uid]
            if len(kept) != len(refs):
                new = copy.deepcopy(obj)
                new["metadata"]["ownerReferences"] = kept
                self._write(self._resource_of(key), key, new, None)

    # --- serving ------------------------------------------------------------------------------
    # Every handler reads and writes the store without awaiting in between: the event loop is the
    # only lock, so no request ever waits on another, and none can be cancelled halfway.

    def _existing(
        self, resource: kmock.resource, namespace: str | None, name: str | None
    ) -> tuple[Key, dict[str, Any]]:
        key = self._key(resource, namespace, name or "")
        if key not in self._store:
            raise _error(404, "NotFound", f'{resource.plural} "{name}" not found', name=name, kind=resource.plural)
        return key, self._store[key]

    def _check_version(self, resource: kmock.resource, body: dict[str, Any], current: dict[str, Any]) -> None:
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            plural = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
            raise _error(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {plural} "{current["metadata"]["name"]}": the object has been'
                " modified; please apply your changes to the latest version and try again",
            )

    async def _serve_create(self, request: rendering.Request) -> rendering.Payload:
        resource, namespace, _ = self._target(request)
        if not isinstance(request.data, dict):
            raise _error(400, "BadRequest", "the request body must be a JSON object")
        how = Admit.of(request)
        return how.respond(self._insert(resource, namespace, request.data, how), status=201)

    async def _serve_fetch(self, request: rendering.Request) -> rendering.Payload:
        resource, namespace, name = self._target(request)
        _, obj = self._existing(resource, namespace, name)
        if _wants_table(request):
            return self._table(resource, [obj])
        return copy.deepcopy(obj)

    def _table(self, resource: kmock.resource, objs: list[dict[str, Any]]) -> dict[str, Any]:
        key = (resource.group or "", resource.plural or "")
        columns = self._printer_columns.get(key) or printing.BUILTIN_COLUMNS.get(key) or [printing.AGE]
        return printing.table(columns, objs, self._changes.rv)

    async def _serve_list(self, request: rendering.Request) -> rendering.Payload:
        resource, namespace, _ = self._target(request)
        info = self._info(resource)
        items = [
            copy.deepcopy(o)
            for k, o in sorted(self._store.items(), key=lambda kv: str(kv[0]))
            if self._matches(request.params, resource, namespace, k, o)
        ]
        if _wants_table(request):
            return self._table(resource, items)
        if _wants_metadata(request):
            items = [_metadata_only(o) for o in items]
            return {
                "apiVersion": "meta.k8s.io/v1",
                "kind": "PartialObjectMetadataList",
                "metadata": {"resourceVersion": str(self._changes.rv)},
                "items": items,
            }
        api_version = f"{resource.group}/{resource.version}" if resource.group else resource.version
        return {
            "apiVersion": api_version,
            "kind": f"{info.kind}List",
            "metadata": {"resourceVersion": str(self._changes.rv)},
            "items": items,
        }

    def _matches(
        self, params: Mapping[str, str], resource: kmock.resource, namespace: str | None, key: Key, obj: dict[str, Any]
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

    # kmock's is an async generator of the events; this one answers a Response around them, for its header.
    async def _serve_watch(self, request: rendering.Request) -> rendering.Response:  # type: ignore[override]
        # client-go refuses watch streams that are not served as JSON.
        events = self._faults.watch(request, lambda: self._watch_events(request))
        if _wants_metadata(request):
            events = _metadata_events(events)
        return rendering.Response(headers={"Content-Type": "application/json"}, payload=events)

    async def _watch_events(self, request: rendering.Request) -> AsyncGenerator[WatchEvent, None]:
        resource, namespace, name = self._target(request)
        params = dict(request.params)
        if name is not None:
            params["fieldSelector"] = ",".join(filter(None, [params.get("fieldSelector"), f"metadata.name={name}"]))
        yield b""
        since = params.get("resourceVersion") or "0"
        timeout = float(params.get("timeoutSeconds") or 1800)
        if since == "0" or params.get("sendInitialEvents") == "true":
            position = self._changes.rv
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
            if gone := self._changes.expired(position):
                yield gone
                return

        def wanted(group: str, plural: str, obj: dict[str, Any]) -> bool:
            key = (group, plural, obj["metadata"].get("namespace"), obj["metadata"]["name"])
            return self._matches(params, resource, namespace, key, obj)

        async for event in self._changes.stream(position, wanted, timeout):
            yield event

    async def _serve_update(self, request: rendering.Request) -> rendering.Payload:
        resource, namespace, name = self._target(request)
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
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
            self._check_version(resource, request.data, current)
            patched = merge_patch(current, request.data)
        else:
            raise _error(
                415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {content_type}"
            )
        how = Admit.of(request)
        return how.respond(self._write(resource, key, patched, request.subresource, how))

    async def _serve_replace(self, request: rendering.Request) -> rendering.Payload:
        resource, namespace, name = self._target(request)
        if not isinstance(request.data, dict):
            raise _error(400, "BadRequest", "the request body must be a JSON object")
        key, current = self._existing(resource, namespace, name)
        self._check_version(resource, request.data, current)
        how = Admit.of(request)
        return how.respond(self._write(resource, key, request.data, request.subresource, how))

    async def _serve_delete(self, request: rendering.Request) -> rendering.Payload:
        resource, namespace, name = self._target(request)
        options = request.data if isinstance(request.data, dict) else {}
        policy = options.get("propagationPolicy") or request.params.get("propagationPolicy") or "Background"
        key, current = self._existing(resource, namespace, name)
        if resource == NAMESPACES:
            self._check_namespace_deletion(current)
        return copy.deepcopy(self._delete(resource, key, orphan=policy == "Orphan"))


def _wants_table(request: rendering.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _wants_metadata(request: rendering.Request) -> bool:
    """`Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1`: metadata only, as
    controllers ask for it to follow objects whose contents they must not read."""
    return "as=PartialObjectMetadata" in request.headers.get("Accept", "")


def _metadata_only(obj: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": obj.get("metadata", {})}


async def _metadata_events(events: AsyncIterator[WatchEvent]) -> AsyncIterator[WatchEvent]:
    async for event in events:
        if isinstance(event, dict) and event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
            event = {**event, "object": _metadata_only(event["object"])}
        yield event


def _forbidden(
    resource: kmock.resource, name: str, why: str, causes: list[dict[str, str]] | None = None
) -> kmock_k8s.KubernetesError:
    """apierrors.NewForbidden, as admission (NamespaceLifecycle) answers."""
    qualified = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
    message = f'{qualified} "{name}" is forbidden: {why}' if name else f"{qualified} is forbidden: {why}"
    details: dict[str, Any] = {
        k: v for k, v in (("name", name), ("group", resource.group), ("kind", resource.plural)) if v
    }
    if causes:
        details["causes"] = causes
    return kmock_k8s.KubernetesError(status=403, reason="Forbidden", message=message, details=details)


def _held(resource: kmock.resource, obj: dict[str, Any]) -> bool:
    """Whether finalizers keep a deleted object: its own, and for a Namespace those in spec.finalizers."""
    if obj["metadata"].get("finalizers"):
        return True
    return resource == NAMESPACES and bool((obj.get("spec") or {}).get("finalizers"))


def _namespace_update(old: dict[str, Any], new: dict[str, Any], subresource: str | None) -> dict[str, Any]:
    """The namespace strategy: /finalize writes spec.finalizers only, /status the status only, the main
    endpoint everything but those two."""
    if subresource == "status":
        return new
    if subresource == "finalize":
        result = copy.deepcopy(old)
        finalizers = (new.get("spec") or {}).get("finalizers") or []
        result["spec"] = {**(old.get("spec") or {}), "finalizers": finalizers}
        if not finalizers:
            result["spec"].pop("finalizers")
        return result
    result = copy.deepcopy(new)
    spec = {k: v for k, v in (result.get("spec") or {}).items() if k != "finalizers"}
    if (old.get("spec") or {}).get("finalizers"):
        spec["finalizers"] = copy.deepcopy(old["spec"]["finalizers"])
    if spec or "spec" in old:
        result["spec"] = spec
    else:
        result.pop("spec", None)
    if "status" in old:
        result["status"] = copy.deepcopy(old["status"])
    else:
        result.pop("status", None)
    return result


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
    files = [f for p in map(pathlib.Path, crd_paths) for f in (sorted(p.glob("*.yaml")) if p.is_dir() else [p])]
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                api._insert(CRDS, None, doc)
    async with kmock.Server(api, port=port) as server:
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
    parser.add_argument(
        "--crd", action="append", default=[], help="CRD manifest, or a folder of them, to register (repeatable)"
    )
    parser.add_argument("--kubeconfig", help="write a kubeconfig for this server here")
    parser.add_argument("--history-limit", type=int, default=5000, help="watch events kept for resumption")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(args.port, args.crd, args.kubeconfig, args.history_limit))
