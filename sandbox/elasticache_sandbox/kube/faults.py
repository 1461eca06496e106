"""Faults the Kubernetes API stand-in injects on request, as a real kube-apiserver (or the network in
front of it) misbehaves, so tests can show what the operator does when the API server does.

`POST /_sandbox/faults` with a JSON `Fault` adds one, `DELETE /_sandbox/faults` clears them all (held
requests and silenced watches go on at once), `GET /_sandbox/faults` lists them. Every answer is the
listing: `{"faults": [...], "held": N, "silenced": N, "watches": N}`, where `held` counts requests held
unanswered now (their clients still waiting), `silenced` open watches holding back an event, `watches`
open watch streams, and each fault's `fired` how often it was applied, so a test can wait for a
condition ("the request is held") instead of sleeping.

A fault matches a request by `verb` (get, list, watch, create, update (PATCH; alias "patch"), replace
(PUT; alias "put"), delete, a list of them, or "*"), and optionally by `resource` (the plural),
`subresource` ("status"), `namespace` and `name` (a watch's name is also read from its
`fieldSelector=metadata.name=…`). It lasts `count` matching requests (-1: until cleared) and/or
`seconds` from when it was added, whichever ends first; with neither, one request (a hang: every
request, until cleared). The first fault in the list that matches is applied: `error`, `conflict` and
`hang` faults as a request arrives, `cut` and `gone` as a watch starts streaming. Kinds:

- `cut`: open watch streams that match end abruptly (the connection is closed mid-stream, without the
  last chunk of the chunked body and without a final event), and so do new ones, right after their
  response headers, while the fault lasts. `count` counts streams cut.
- `gone`: a watch that resumes from a resourceVersion gets a 200 stream with one `ERROR` event holding
  the 410 `Expired` Status ("too old resource version"), then the stream ends, as kube-apiserver answers
  a resourceVersion older than its watch cache. Watches that start with a list (no resourceVersion, or
  "0") are not affected.
- `conflict`: an update, replace or delete is refused, unapplied, with the 409 `Conflict` Status kube-
  apiserver sends for a stale resourceVersion (`Operation cannot be fulfilled on <plural>.<group>
  "<name>": the object has been modified; please apply your changes to the latest version and try
  again`). Use `subresource: status` for status writes only.
- `error` with `code`: 429 `TooManyRequests` (a `Retry-After` header and `details.retryAfterSeconds`,
  `retry_after_seconds`, 1 by default; `plain: true` sends the text/plain body kube-apiserver's
  max-in-flight and priority-and-fairness filters send instead), 500 `InternalError` (`Internal error
  occurred: <message>`), 503 `ServiceUnavailable` (`apiserver is shutting down`, with `Retry-After`,
  as a server in graceful shutdown answers). The request is not applied.
- `hang`: matching requests get no answer until the fault ends (its `seconds` run out, or the faults
  are cleared); then each is served as if it had just arrived. A request whose client hangs up
  meanwhile (a client-side timeout) is dropped there and then: a write is not applied, ever. While the
  fault lasts, open watches it matches (verb "watch" or "*") send nothing, not even their own end; what
  happened meanwhile follows when it ends. `count` (default: no limit) bounds how many new requests it
  holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import aiohttp.web
import kmock
from kmock._internal import rendering

from .watches import WatchEvent, gone

log = logging.getLogger(__name__)

CONTROL_PATH = "/_sandbox/faults"

VERBS = ("get", "list", "watch", "create", "update", "replace", "delete")
_ALIASES = {"patch": "update", "put": "replace"}
_KIND_VERBS = {
    "cut": {"watch"},
    "gone": {"watch"},
    "conflict": {"update", "replace", "delete"},
    "error": set(VERBS),
    "hang": set(VERBS),
}
_CODES = (429, 500, 503)
_GET_VERBS: dict[kmock.action | None, str] = {kmock.action.WATCH: "watch", kmock.action.LIST: "list"}  # else "get"
TOO_MANY = "Too many requests, please try again later."


@dataclass(frozen=True)
class Call:
    """What a request asks for, as faults match it."""

    verb: str
    group: str | None  # None for paths outside the resource API (discovery, OpenAPI)
    resource: str | None
    subresource: str | None
    namespace: str | None
    name: str | None
    since: str | None = None  # the resourceVersion a watch resumes from

    @classmethod
    def of(cls, request: rendering.Request) -> Call:
        method = str(request.method.value).upper()
        if method == "GET":
            verb = _GET_VERBS.get(request.action, "get")
        else:
            verb = {"POST": "create", "PATCH": "update", "PUT": "replace", "DELETE": "delete"}.get(
                method, method.lower()
            )
        resource = request.resource
        name = request.name
        since = None
        if verb == "watch":
            for term in (request.params.get("fieldSelector") or "").split(","):
                key, _, value = term.partition("=")
                if key.strip() == "metadata.name" and value:
                    name = value.lstrip("=").strip()
            if request.params.get("sendInitialEvents") != "true":
                since = request.params.get("resourceVersion") or None
        return cls(
            verb=verb,
            group=None if resource is None else resource.group or "",
            resource=None if resource is None else resource.plural,
            subresource=request.subresource,
            namespace=request.namespace,
            name=name,
            since=since,
        )

    @property
    def resuming(self) -> bool:
        return self.since not in (None, "", "0")


@dataclass(eq=False)
class Fault:
    """One fault; see the module docstring."""

    kind: str
    verb: str | list[str] = "*"
    resource: str | None = None
    subresource: str | None = None
    namespace: str | None = None
    name: str | None = None
    count: int | None = None  # matching requests it applies to; -1: no limit
    seconds: float | None = None  # how long it lasts from when it is added
    code: int | None = None  # error: 429, 500 or 503
    retry_after_seconds: int | None = None  # error 429 and 503: the Retry-After (1 by default)
    message: str | None = None  # error: the Status message (for 500: the cause)
    plain: bool = False  # error 429: text/plain, as kube-apiserver's max-in-flight and APF filters send it

    verbs: frozenset[str] = field(init=False)
    fired: int = field(default=0, init=False)
    deadline: float | None = field(default=None, init=False)
    ended: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def __post_init__(self) -> None:
        if self.kind not in _KIND_VERBS:
            raise ValueError(f"kind must be one of {', '.join(_KIND_VERBS)}")
        allowed = _KIND_VERBS[self.kind]
        given = [self.verb] if isinstance(self.verb, str) else list(self.verb)
        if not given or not all(isinstance(v, str) for v in given):
            raise ValueError("verb must be a verb, a list of verbs, or *")
        verbs = {_ALIASES.get(v.lower(), v.lower()) for v in given}
        if "*" in verbs:
            verbs = set(allowed)
        if unknown := verbs - set(VERBS):
            raise ValueError(f"unknown verb {sorted(unknown)}; verbs are {', '.join(VERBS)} or *")
        if refused := verbs - allowed:
            raise ValueError(f"a {self.kind} fault applies to {', '.join(sorted(allowed))}, not {sorted(refused)}")
        self.verbs = frozenset(verbs)
        if self.seconds is not None and not self.seconds > 0:
            raise ValueError("seconds must be positive")
        if self.count is None:
            self.count = -1 if self.seconds is not None or self.kind == "hang" else 1
        if not isinstance(self.count, int) or self.count == 0 or self.count < -1:
            raise ValueError("count must be a positive number, or -1 for no limit")
        if self.kind == "error":
            if self.code not in _CODES:
                raise ValueError(f"an error fault needs code {', '.join(map(str, _CODES))}")
            if self.retry_after_seconds is None and self.code in (429, 503):
                self.retry_after_seconds = 1
            if self.plain and self.code != 429:
                raise ValueError("plain is for 429 only")
        elif self.code is not None or self.retry_after_seconds is not None or self.plain:
            raise ValueError("code, retry_after_seconds and plain are for error faults")

    def matches(self, call: Call) -> bool:
        """Whether the fault is meant for this call (whether or not it is still in force)."""
        if call.verb not in self.verbs:
            return False
        if self.resource is not None and self.resource != call.resource:
            return False
        if self.subresource is not None and self.subresource != call.subresource:
            return False
        if self.namespace is not None and self.namespace != call.namespace:
            return False
        if self.name is not None and self.name != call.name:
            return False
        return self.kind != "gone" or call.resuming

    def over(self, now: float) -> bool:
        if self.ended.is_set() or (self.deadline is not None and now >= self.deadline):
            return True
        return self.kind != "hang" and self.count == 0  # a hang lasts until its time is up, held or not

    def use(self) -> None:
        assert self.count is not None
        if self.count > 0:
            self.count -= 1
        self.fired += 1

    def public(self, now: float) -> dict[str, Any]:
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        if self.deadline is not None:
            shown["seconds"] = round(max(0.0, self.deadline - now), 3)  # what is left
        shown["fired"] = self.fired
        return shown


@dataclass(eq=False)
class OpenWatch:
    """A watch stream being served: what it watches, and how to hang up on it."""

    call: Call
    task: asyncio.Task[Any] | None
    transport: asyncio.BaseTransport | None
    cut: bool = False

    def hang_up(self, cancel: bool) -> None:
        """Close the connection without ending the chunked body; `cancel` stops the handler serving it
        (not when the handler itself hangs up)."""
        self.cut = True
        if self.transport is not None:
            self.transport.close()  # what was written still goes out, then the connection ends
        if cancel and self.task is not None:
            self.task.cancel()


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A metav1.Status, as kube-apiserver encodes it."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = details
    body["code"] = code
    return body


def conflict(call: Call) -> dict[str, Any]:
    qualified = f"{call.resource}.{call.group}" if call.group else call.resource
    details = {"name": call.name or "", "group": call.group or "", "kind": call.resource or ""}
    return status(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified} "{call.name}": the object has been modified; please apply'
        " your changes to the latest version and try again",
        {k: v for k, v in details.items() if v},
    )


def _error_response(fault: Fault) -> aiohttp.web.Response:
    headers = {"Retry-After": str(fault.retry_after_seconds)} if fault.retry_after_seconds else {}
    if fault.code == 429:
        if fault.plain:  # Go's http.Error, as the max-in-flight and priority-and-fairness filters call it
            headers.update({"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"})
            return aiohttp.web.Response(status=429, text=(fault.message or TOO_MANY) + "\n", headers=headers)
        details = {"retryAfterSeconds": fault.retry_after_seconds} if fault.retry_after_seconds else None
        body = status(429, "TooManyRequests", fault.message or TOO_MANY, details)
    elif fault.code == 500:
        cause = fault.message or "etcdserver: leader changed"
        body = status(500, "InternalError", f"Internal error occurred: {cause}", {"causes": [{"message": cause}]})
    else:
        body = status(503, "ServiceUnavailable", fault.message or "apiserver is shutting down")
    return aiohttp.web.json_response(body, status=body["code"], headers=headers)


class KubeFaults:
    """The faults in force, the watches being served, and the requests held; see the module docstring.
    Everything runs on the server's event loop, so nothing here needs a lock."""

    def __init__(self, resource_version: Callable[[], int]) -> None:
        self._resource_version = resource_version
        self._faults: list[Fault] = []
        self._watches: set[OpenWatch] = set()
        self.held = 0
        self.silenced = 0

    # --- control ------------------------------------------------------------------------------

    async def control(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.Response:
        if raw_request.path.rstrip("/") != CONTROL_PATH:
            return aiohttp.web.json_response({"error": "not found"}, status=404)
        if raw_request.method == "POST":
            try:
                spec = json.loads(await raw_request.read() or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("a fault is a JSON object")
                self.add(Fault(**spec))
            except (TypeError, ValueError) as e:
                return aiohttp.web.json_response({"error": f"not a fault: {e}"}, status=400)
        elif raw_request.method == "DELETE":
            self.clear()
        elif raw_request.method != "GET":
            return aiohttp.web.json_response({"error": "GET, POST or DELETE"}, status=405)
        return aiohttp.web.json_response(self.listing())

    def add(self, fault: Fault) -> None:
        if fault.seconds is not None:
            fault.deadline = asyncio.get_running_loop().time() + fault.seconds
        self._faults.append(fault)
        if fault.kind == "cut":
            for watch in list(self._watches):
                if fault.count == 0:
                    break
                if not watch.cut and fault.matches(watch.call):
                    fault.use()
                    watch.hang_up(cancel=True)
            self._prune()

    def clear(self) -> None:
        for fault in self._faults:
            fault.ended.set()  # held requests and silenced watches go on
        self._faults.clear()

    def listing(self) -> dict[str, Any]:
        self._prune()
        now = asyncio.get_running_loop().time()
        return {
            "faults": [f.public(now) for f in self._faults],
            "held": self.held,
            "silenced": self.silenced,
            "watches": len(self._watches),
        }

    def _prune(self) -> None:
        now = asyncio.get_running_loop().time()
        for fault in [f for f in self._faults if f.over(now)]:
            fault.ended.set()
            self._faults.remove(fault)

    def _take(self, call: Call, kinds: Iterable[str]) -> Fault | None:
        """The first fault of these kinds that applies to a new request, counted as used."""
        self._prune()
        for fault in self._faults:
            if fault.kind in kinds and fault.count != 0 and fault.matches(call):
                fault.use()
                return fault
        return None

    async def _until_over(self, fault: Fault) -> None:
        loop = asyncio.get_running_loop()
        remaining = None if fault.deadline is None else max(0.0, fault.deadline - loop.time())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(remaining):
                await fault.ended.wait()

    # --- serving ------------------------------------------------------------------------------

    async def intercept(self, request: rendering.Request) -> aiohttp.web.StreamResponse | None:
        """Apply a fault to a request as it arrives: the answer to send instead of serving it, or None
        to serve it (after holding it, for a hang)."""
        if not self._faults:
            return None
        call = Call.of(request)
        fault = self._take(call, ("error", "conflict", "hang"))
        if fault is None:
            return None
        if fault.kind == "error":
            return _error_response(fault)
        if fault.kind == "conflict":
            return aiohttp.web.json_response(conflict(call), status=409)
        self.held += 1
        try:
            await self._until_over(fault)
        finally:
            self.held -= 1
        raw = request._raw_request
        transport = raw.transport if raw is not None else None
        if transport is None or transport.is_closing():
            log.info("dropped a held %s %s: its client hung up", request.method, request.url.path)
            return aiohttp.web.Response(status=504)  # nobody reads it: the connection is gone
        return None

    async def watch(
        self, request: rendering.Request, events: Callable[[], AsyncGenerator[WatchEvent, None]]
    ) -> AsyncIterator[WatchEvent]:
        """Serve a watch stream (`events()`, whose first item sends the response headers) under the
        faults: cut it, answer 410 instead, or hold its events back while a hang lasts."""
        call = Call.of(request)
        fault = self._take(call, ("cut", "gone"))
        if fault is not None and fault.kind == "gone":
            yield b""
            yield gone(call.since, self._resource_version())
            return
        raw = request._raw_request
        watch = OpenWatch(call, asyncio.current_task(), raw.transport if raw is not None else None)
        self._watches.add(watch)
        try:
            stream = events()
            async with contextlib.aclosing(stream):
                started = False
                async for event in stream:
                    if started:
                        await self._hold_watch(call)
                    yield event
                    if fault is not None and not started:  # cut right after the response headers
                        watch.hang_up(cancel=False)
                        return
                    started = True
            await self._hold_watch(call)  # even the end of the stream waits while the server is silent
        finally:
            self._watches.discard(watch)

    async def _hold_watch(self, call: Call) -> None:
        while self._faults:
            self._prune()
            fault = next((f for f in self._faults if f.kind == "hang" and f.matches(call)), None)
            if fault is None:
                return
            self.silenced += 1
            try:
                await self._until_over(fault)
            finally:
                self.silenced -= 1
