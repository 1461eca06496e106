"""Faults the ElastiCache stand-in injects on request, and the count of the calls it served.

A WSGI layer in front of moto. `POST /_sandbox/faults` with a JSON `Fault` adds one, `DELETE` clears
them all (and lets go of requests held by timeout faults), `GET` lists them with the request counts;
`GET /_sandbox/requests` counts the actions served (`DELETE` resets the counts and the log), so
tests can prove a call was or was not made. Actions are read from the Query protocol's `Action`
(ElastiCache) and from the JSON protocol's `X-Amz-Target` header (the Resource Groups Tagging API);
errors are answered in the protocol the request used, so botocore parses them as it parses AWS's.

`GET /_sandbox/requests?log=1` adds the request log: one entry per call as it arrived (before any
fault), `{"seq", "time" (wall clock, epoch seconds), "action", "id" (the group the call names, or ""),
"client" (the `X-Sandbox-Client` header, or "")}`, oldest first, the last `LOG_LIMIT` calls;
`&since=SEQ` returns only the newer ones. Benchmarks time calls with it, and tag their own calls with
the header so they can leave them out.
"""

from __future__ import annotations

import collections
import io
import itertools
import json
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field, fields
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

# Statuses that faults with an `outcome` hand to the next groups created (same process as the backend).
CREATE_OUTCOMES: list[str] = []
# How the next ModifyReplicationGroup calls that change a log delivery end: (outcome, AWS's message).
MODIFY_OUTCOMES: list[tuple[str, str]] = []
# How the next snapshots CreateSnapshot takes end ("failed").
SNAPSHOT_OUTCOMES: list[str] = []
LOG_LIMIT = 500_000  # request log entries kept (about 100 bytes each)


@dataclass
class Fault:
    """One fault. A request matches when `operation` is its action (or "*"); a matching request
    fails with probability `rate` (1 by default: every one), drawn from this fault's own random
    generator, seeded with `seed` when given so a run can be repeated exactly; `count` is how many
    requests fail (-1: no limit). The first fault in the list that matches and fires is applied."""

    operation: str  # the API action, e.g. CreateReplicationGroup or GetResources; "*" for all
    code: str = "Throttling"  # "" for a fault that does not fail the call (latency, outcome, timeout)
    status: int = 400
    message: str = "Rate exceeded"
    count: int = 1  # how many matching requests the fault applies to; -1 forever
    delay_seconds: float = 0.0  # latency added before answering (or failing)
    # With code "": the request succeeds, and what it did ends so: for CreateReplicationGroup the group's
    # status (create-failed); for ModifyReplicationGroup "log-delivery-error" (the delivery's Status
    # ends in error, with `message` as its Message, as when a log group's resource policy is missing);
    # for CreateSnapshot the snapshot's status (failed).
    outcome: str = ""
    rate: float = 1.0  # the fraction of matching requests it applies to
    seed: int | None = None  # seeds the draws for `rate`
    timeout_seconds: float = 0.0  # hold the request this long, then hang up without an answer (code unused)
    applied: bool = False  # with timeout_seconds: the call is carried out first (its answer is what gets lost)
    # Only calls that name one resource (CacheClusterId, ReplicationGroupId, SnapshotName) match: AWS
    # answers a describe of one missing node with CacheClusterNotFound, never a listing of all.
    named: bool = False
    rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.operation:
            raise ValueError("operation is required (an action name, or * for all)")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.delay_seconds < 0 or self.timeout_seconds < 0:
            raise ValueError("delay_seconds and timeout_seconds cannot be negative")
        self.rng = random.Random(self.seed)

    def matches(self, action: str, named: bool) -> bool:
        return self.operation in (action, "*") and self.count != 0 and (named or not self.named)

    def fires(self) -> bool:
        return self.rate >= 1.0 or self.rng.random() < self.rate

    def public(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}


NAMING_PARAMETERS = ("CacheClusterId", "ReplicationGroupId", "SnapshotName")


def names_one_resource(environ: WSGIEnvironment, body: bytes) -> bool:
    form = urllib.parse.parse_qs(body.decode(errors="replace")) if body else {}
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    return any(form.get(name) or query.get(name) for name in NAMING_PARAMETERS)


def request_call(environ: WSGIEnvironment, body: bytes) -> tuple[str, bool, str]:
    """The API action a request calls, whether it speaks the JSON protocol (X-Amz-Target), and the
    replication group it names (Query protocol only; else ""): its ReplicationGroupId, or for the tag
    calls the id at the end of its ResourceName ARN."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rpartition(".")[2], True, ""
    form = urllib.parse.parse_qs(body.decode(errors="replace")) if body else {}
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    action = (form.get("Action") or query.get("Action") or [""])[0]
    group_id = (form.get("ReplicationGroupId") or query.get("ReplicationGroupId") or [""])[0]
    arn = (form.get("ResourceName") or query.get("ResourceName") or [""])[0]
    if not group_id and ":replicationgroup:" in arn:
        group_id = arn.rpartition(":")[2]
    return action, False, group_id


@dataclass
class FaultInjector:
    """WSGI layer before moto; see the module docstring."""

    app: WSGIApplication
    faults: list[Fault] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    log: collections.deque[tuple[int, float, str, str, str]] = field(
        default_factory=lambda: collections.deque(maxlen=LOG_LIMIT)
    )  # (seq, wall-clock time, action, ReplicationGroupId, client)
    seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)  # set when the faults are cleared

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sandbox/"):
            return self._control(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        arrived = time.time()
        action, json_protocol, group_id = request_call(environ, body)
        if not action:
            return self.app(environ, start_response)
        client = environ.get("HTTP_X_SANDBOX_CLIENT", "")
        with self.lock:
            self.requests[action] = self.requests.get(action, 0) + 1
            self.seq += 1
            self.log.append((self.seq, arrived, action, group_id, client))
            named = any(f.named for f in self.faults) and names_one_resource(environ, body)
            fault = next((f for f in self.faults if f.matches(action, named) and f.fires()), None)
            if fault is not None and fault.count > 0:
                fault.count -= 1
            released = self.released
        if fault is None:
            return self.app(environ, start_response)
        if fault.delay_seconds:
            released.wait(fault.delay_seconds)
        if fault.timeout_seconds:
            return self._time_out(environ, fault, released)
        if fault.code:
            return self._error(start_response, fault, json_protocol)
        if fault.outcome and action == "ModifyReplicationGroup":
            MODIFY_OUTCOMES.append((fault.outcome, fault.message))
        elif fault.outcome and action == "CreateSnapshot":
            SNAPSHOT_OUTCOMES.append(fault.outcome)
        elif fault.outcome:
            CREATE_OUTCOMES.append(fault.outcome)
        return self.app(environ, start_response)

    def _time_out(self, environ: WSGIEnvironment, fault: Fault, released: threading.Event) -> Iterable[bytes]:
        """Hold the request past the client's read timeout, then hang up without answering (the
        client sees a read timeout, or the connection closed if its timeout is longer)."""
        if fault.applied:
            answer = self.app(environ, lambda *_args, **_kwargs: lambda _data: None)
            try:
                for _ in answer:
                    pass
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
        released.wait(fault.timeout_seconds)
        connection = environ.get("werkzeug.socket")
        if connection is not None:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("sandbox timeout fault: the request was held and dropped")

    def _log_since(self, since: str) -> list[dict[str, Any]]:
        """The log entries after `since` (a seq); the caller holds the lock."""
        try:
            after = int(since)
        except ValueError:
            after = 0
        skip = max(0, after - self.log[0][0] + 1) if self.log else 0  # seq grows by one per entry
        return [
            {"seq": q, "time": t, "action": a, "id": i, "client": c}
            for q, t, a, i, c in itertools.islice(self.log, skip, None)
        ]

    @staticmethod
    def _error(start_response: StartResponse, fault: Fault, json_protocol: bool) -> list[bytes]:
        if json_protocol:
            body = json.dumps({"__type": fault.code, "message": fault.message}).encode()
            content_type = "application/x-amz-json-1.1"
        else:
            kind = "Receiver" if fault.status >= 500 else "Sender"
            body = (
                f'<ErrorResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><Error><Type>{kind}</Type>'
                f"<Code>{fault.code}</Code><Message>{fault.message}</Message></Error>"
                "<RequestId>sandbox-fault</RequestId></ErrorResponse>"
            ).encode()
            content_type = "text/xml"
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("x-amzn-RequestId", "sandbox")]
        start_response(f"{fault.status} Injected", headers)
        return [body]

    def _control(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        status = "200 OK"
        with self.lock:
            if path == "/_sandbox/faults" and method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                try:
                    self.faults.append(Fault(**json.loads(environ["wsgi.input"].read(length) or b"{}")))
                except (TypeError, ValueError) as e:
                    payload = json.dumps({"error": f"not a fault: {e}"}).encode()
                    start_response("400 Bad Request", [("Content-Type", "application/json")])
                    return [payload]
            elif path == "/_sandbox/faults" and method == "DELETE":
                self.faults.clear()
                self.released.set()  # held and delayed requests go on at once
                self.released = threading.Event()
            elif path == "/_sandbox/requests" and method == "DELETE":
                self.requests.clear()
                self.log.clear()
            elif path not in ("/_sandbox/faults", "/_sandbox/requests") or method != "GET":
                status = "404 Not Found"
            answer: dict[str, Any] = {"faults": [f.public() for f in self.faults], "requests": self.requests}
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            if path == "/_sandbox/requests" and method == "GET" and query.get("log", ["0"])[0] not in ("", "0"):
                answer["log"] = self._log_since(query.get("since", ["0"])[0])
            payload = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]
