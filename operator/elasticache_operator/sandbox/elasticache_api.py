"""An ElastiCache API stand-in: moto in server mode, extended where the operator needs AWS's behaviour.

moto 5.2.5 makes every group `available` at once, leaves deleted groups `deleting` forever,
ignores NumCacheClusters, EngineVersion on modify and FinalSnapshotIdentifier, checks no
state and validates nothing, and lists no member clusters. The backend subclass here closes
those gaps following AWS's documented behaviour (botocore's model has the limits and error
codes); a WSGI layer in front injects faults (throttling, 5xx, latency) for tests. Clients
reach it over HTTP through AWS_ENDPOINT_URL, as they would reach AWS.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.core.base_backend import BackendDict
from moto.elasticache import models as moto_models
from moto.elasticache import responses as moto_responses
from moto.elasticache.exceptions import (
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    ReplicationGroupNotFound,
    SnapshotAlreadyExists,
)

from .data_plane import DataPlane, redis_server

GROUP_ID = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,39}(?<!-)$")
AUTH_TOKEN = re.compile(r"^[A-Za-z0-9!&#$^<>-]{16,128}$")
PATCH_VERSIONS = {
    ("redis", "6.0"): "6.0.5",
    ("redis", "6.2"): "6.2.6",
    ("redis", "7.0"): "7.0.7",
    ("redis", "7.1"): "7.1.0",
    ("valkey", "7.2"): "7.2.6",
    ("valkey", "8.0"): "8.0.1",
}
DEFAULT_VERSIONS = {"redis": "7.1", "valkey": "8.0"}


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"


@dataclass
class Timings:
    """How long ElastiCache takes; real AWS takes minutes, the sandbox seconds."""

    create_seconds: float = 2.0
    modify_seconds: float = 1.0
    delete_seconds: float = 1.0


TIMINGS = Timings()


def full_version(engine: str, version: str | None) -> str:
    """AWS answers a major.minor request with the patch release it runs (6.2 → 6.2.6)."""
    version = version or DEFAULT_VERSIONS[engine]
    if version.count(".") >= 2:
        return version
    return PATCH_VERSIONS.get((engine, version), f"{version}.0")


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


@dataclass
class Transition:
    due: float
    status: str | None | Callable[[], str]  # the status to reach; None removes the group
    apply: Callable[[], None] = lambda: None
    ready: Callable[[], bool] = lambda: True  # e.g. the data plane is up


class SandboxElastiCacheBackend(moto_models.ElastiCacheBackend):
    """moto's ElastiCache backend with AWS's validation, state machine and member clusters."""

    data_plane: DataPlane | None = None  # set by install(); None serves endpoints with no server behind

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.transitions: dict[str, Transition] = {}
        self.lock = threading.RLock()

    # --- the state machine ------------------------------------------------------------

    def advance(self) -> None:
        now = time.monotonic()
        with self.lock:
            for group_id, transition in list(self.transitions.items()):
                if transition.due > now or group_id not in self.replication_groups or not transition.ready():
                    continue
                del self.transitions[group_id]
                group = self.replication_groups[group_id]
                transition.apply()
                if transition.status is None:
                    for member in group.member_clusters:
                        self.cache_clusters.pop(member, None)
                    del self.replication_groups[group_id]
                    if self.data_plane is not None:
                        threading.Thread(target=self.data_plane.stop, args=(group_id,), daemon=True).start()
                else:
                    status = transition.status() if callable(transition.status) else transition.status
                    self._set_status(group, status)

    def _set_status(self, group: Any, status: str) -> None:
        group.status = status
        for member in group.member_clusters:
            if member in self.cache_clusters:
                self.cache_clusters[member].cache_cluster_status = status if status != "modifying" else "modifying"

    def _schedule(
        self, group: Any, status: str | None, seconds: float, apply: Callable[[], None] = lambda: None
    ) -> None:
        self.transitions[group.replication_group_id] = Transition(time.monotonic() + seconds, status, apply)

    def _group(self, group_id: str) -> Any:
        self.advance()
        group = self.replication_groups.get((group_id or "").lower())
        if group is None:
            raise ReplicationGroupNotFound(group_id)
        return group

    # --- create -----------------------------------------------------------------------

    def create_replication_group(self, **kwargs: Any) -> Any:  # type: ignore[override]
        validate_create(kwargs)
        kwargs["replication_group_id"] = kwargs["replication_group_id"].lower()
        cluster_mode = (
            kwargs.get("cluster_mode") == "enabled"
            or (kwargs.get("cache_parameter_group_name") or "").endswith(".cluster.on")
            or (kwargs.get("num_node_groups") or 1) > 1
        )
        kwargs["cluster_mode"] = "enabled" if cluster_mode else "disabled"
        if not cluster_mode:
            # moto counts members from replicas_per_node_group; AWS from NumCacheClusters.
            kwargs["replicas_per_node_group"] = (kwargs.get("num_cache_clusters") or 1) - 1
            kwargs["num_node_groups"] = 1
        engine = kwargs.get("engine") or "redis"
        with self.lock:
            group = super().create_replication_group(**kwargs)
            group.engine_version = full_version(engine, kwargs.get("engine_version"))
            group.auth_token = kwargs.get("auth_token")
            for node_group in group.node_groups:
                if "reader_endpoint_address" in node_group:  # AWS reports it; moto only keeps the address
                    node_group["reader_endpoint"] = {
                        "address": node_group["reader_endpoint_address"],
                        "port": group.port,
                    }
            self._create_members(group, kwargs)
            self._set_status(group, "creating")
            outcome = CREATE_OUTCOMES.pop(0) if CREATE_OUTCOMES else "available"
            if self.data_plane is None or outcome != "available":
                self._schedule(group, outcome, TIMINGS.create_seconds)
            else:
                self._serve_with_data_plane(group, kwargs.get("auth_token"))
        return group

    def _serve_with_data_plane(self, group: Any, password: str | None) -> None:
        """Real redis-server processes behind the group; `available` once they answer."""
        assert self.data_plane is not None
        shards = len(group.node_groups)
        replicas = len(group.node_groups[0]["node_group_members"]) - 1
        nodes = self.data_plane.plan(group.replication_group_id, group.port, group.cluster_enabled, shards, replicas)
        for node_group, shard in zip(group.node_groups, nodes.shards, strict=True):
            for member, node in zip(node_group["node_group_members"], shard, strict=True):
                if not group.cluster_enabled:
                    member["read_endpoint"] = {"address": node.ip, "port": node.port}
            if not group.cluster_enabled:
                primary, reader = shard[0], (shard[1] if len(shard) > 1 else shard[0])
                node_group["primary_endpoint_address"] = primary.ip
                node_group["primary_endpoint"] = {"address": primary.ip, "port": primary.port}
                node_group["reader_endpoint_address"] = reader.ip
                node_group["reader_endpoint"] = {"address": reader.ip, "port": reader.port}
        if group.cluster_enabled:
            group.configuration_endpoint = {"address": nodes.shards[0][0].ip, "port": group.port}
        threading.Thread(target=self.data_plane.start, args=(group.replication_group_id, password), daemon=True).start()
        self.transitions[group.replication_group_id] = Transition(
            time.monotonic() + TIMINGS.create_seconds,
            lambda: "create-failed" if nodes.error else "available",
            ready=nodes.ready.is_set,
        )

    def _create_members(self, group: Any, kwargs: dict[str, Any]) -> None:
        for member in group.member_clusters:
            cluster = moto_models.CacheCluster(
                account_id=self.account_id,
                region_name=self.region_name,
                cache_cluster_id=member,
                cache_node_type=group.cache_node_type,
                replication_group_id=group.replication_group_id,
                az_mode=None,
                preferred_availability_zone=None,
                num_cache_nodes=1,
                engine=group.engine,
                engine_version=group.engine_version,
                cache_parameter_group_name=kwargs.get("cache_parameter_group_name"),
                cache_subnet_group_name=kwargs.get("cache_subnet_group_name"),
                transit_encryption_enabled=group.transit_encryption_enabled,
                network_type=None,
                ip_discovery=None,
                snapshot_name=None,
                preferred_maintenance_window=None,
                port=group.port,
                notification_topic_arn=None,
                auto_minor_version_upgrade=None,
                snapshot_retention_limit=group.snapshot_retention_limit,
                snapshot_window=None,
                auth_token=None,
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=None,
                security_group_ids=kwargs.get("security_group_ids"),
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
            self.cache_clusters[member] = cluster

    def describe_replication_groups(self, replication_group_id: str | None = None) -> list[Any]:
        self.advance()
        return super().describe_replication_groups((replication_group_id or "").lower() or None)

    def describe_cache_clusters(self, cache_cluster_id: str | None = None) -> list[Any]:
        self.advance()
        return super().describe_cache_clusters(cache_cluster_id)

    def list_tags_for_resource(self, arn: str) -> dict[str, list[dict[str, str]]]:
        self.advance()
        return super().list_tags_for_resource(arn)

    # --- modify -----------------------------------------------------------------------

    def modify_group(self, params: dict[str, Any]) -> Any:
        with self.lock:
            group = self._group(params.get("ReplicationGroupId", ""))
            if group.status != "available":
                raise InvalidReplicationGroupState(
                    f"Replication group must be in available state to modify, current state is {group.status}"
                )
            changes = modification_changes(group, params)
            if not changes:
                raise InvalidParameterCombinationException("No modifications were requested.")
            self._set_status(group, "modifying")

            def apply() -> None:
                for attribute, value in changes.items():
                    setattr(group, attribute, value)
                for member in group.member_clusters:
                    cluster = self.cache_clusters.get(member)
                    if cluster is not None:
                        cluster.engine_version = group.engine_version
                        cluster.cache_node_type = group.cache_node_type

            self._schedule(group, "available", TIMINGS.modify_seconds, apply)
            return group

    # --- delete -----------------------------------------------------------------------

    def delete_group(self, group_id: str, final_snapshot: str | None) -> Any:
        with self.lock:
            group = self._group(group_id)
            if group.status not in ("available", "create-failed"):
                raise InvalidReplicationGroupState(
                    f"Replication group {group.replication_group_id} is {group.status}; it can be deleted"
                    " only when available"
                )
            if final_snapshot:
                if final_snapshot in self.snapshots:
                    raise SnapshotAlreadyExists(final_snapshot)
                snapshot = self.create_snapshot(final_snapshot, group.replication_group_id, None, None, None)
                snapshot.engine_version = group.engine_version
                snapshot.cache_node_type = group.cache_node_type
            self._set_status(group, "deleting")
            self._schedule(group, None, TIMINGS.delete_seconds)
            return group


def validate_create(kw: dict[str, Any]) -> None:
    """CreateReplicationGroup's documented constraints, with AWS's error codes."""
    group_id = kw.get("replication_group_id") or ""
    if not GROUP_ID.match(group_id):
        raise InvalidParameterValueException(
            "Replication group id must begin with a letter, contain only ASCII letters, digits and hyphens,"
            " be 1 to 40 characters, and contain no two consecutive hyphens nor end with one."
        )
    token = kw.get("auth_token")
    if token is not None:
        if not kw.get("transit_encryption_enabled"):
            raise InvalidParameterCombinationException(
                "The AUTH token is only supported when encryption in-transit is enabled"
            )
        if not AUTH_TOKEN.match(token):
            raise InvalidParameterValueException(
                "Invalid AuthToken provided. Must be 16 to 128 printable characters; the only special characters"
                " allowed are !, &, #, $, ^, <, >, and -."
            )
    failover = bool(kw.get("automatic_failover_enabled"))
    clusters = kw.get("num_cache_clusters")
    if clusters is not None and not 1 <= clusters <= 6:
        raise InvalidParameterValueException("NumCacheClusters must be between 1 and 6.")
    if failover and clusters is not None and clusters < 2:
        raise InvalidParameterCombinationException(
            "Automatic failover requires at least 2 cache clusters (a primary and a replica)."
        )
    replicas = kw.get("replicas_per_node_group")
    if replicas is not None and not 0 <= replicas <= 5:
        raise InvalidParameterValueException("ReplicasPerNodeGroup must be between 0 and 5.")
    shards = kw.get("num_node_groups")
    if shards is not None and not 1 <= shards <= 500:
        raise InvalidParameterValueException("NumNodeGroups must be between 1 and 500.")
    cluster_mode = (kw.get("cache_parameter_group_name") or "").endswith(".cluster.on") or (shards or 1) > 1
    if cluster_mode and not failover:
        raise InvalidParameterCombinationException(
            "Automatic failover must be enabled for Redis (cluster mode enabled) replication groups."
        )
    retention = kw.get("snapshot_retention_limit")
    if retention is not None and not 0 <= retention <= 35:
        raise InvalidParameterValueException("SnapshotRetentionLimit must be between 0 and 35.")
    if len(kw.get("tags") or []) > 50:
        raise InvalidParameterValueException("A resource may carry at most 50 tags.")


def modification_changes(group: Any, params: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    node_type = params.get("CacheNodeType")
    if node_type and node_type != group.cache_node_type:
        changes["cache_node_type"] = node_type
    version = params.get("EngineVersion")
    if version:
        wanted = full_version(group.engine, version)
        if _version_tuple(wanted) < _version_tuple(group.engine_version):
            raise InvalidParameterValueException(
                f"Cannot modify engine version from {group.engine_version} to {version}: downgrades are not supported."
            )
        if _version_tuple(wanted) > _version_tuple(group.engine_version):
            changes["engine_version"] = wanted
    retention = params.get("SnapshotRetentionLimit")
    if retention is not None:
        retention = int(retention)
        if not 0 <= retention <= 35:
            raise InvalidParameterValueException("SnapshotRetentionLimit must be between 0 and 35.")
        if retention != group.snapshot_retention_limit:
            changes["snapshot_retention_limit"] = retention
    failover = params.get("AutomaticFailoverEnabled")
    if failover is not None:
        failover = str(failover).lower() == "true"
        if group.cluster_enabled and not failover:
            raise InvalidParameterCombinationException(
                "Automatic failover cannot be disabled for Redis (cluster mode enabled) replication groups."
            )
        if failover and len(group.member_clusters) < 2:
            raise InvalidParameterCombinationException("Automatic failover requires at least one replica.")
        if ("enabled" if failover else "disabled") != group.automatic_failover:
            changes["automatic_failover"] = "enabled" if failover else "disabled"
    description = params.get("ReplicationGroupDescription")
    if description and description != group.description:
        changes["description"] = description
    return changes


# --- wiring into moto's response class (moto looks actions up on it at request time) ---------


def _modify_replication_group(self: Any) -> Any:
    group = self.elasticache_backend.modify_group(self._get_params())
    return moto_responses.ActionResult({"ReplicationGroup": group})


def _delete_replication_group(self: Any) -> Any:
    group = self.elasticache_backend.delete_group(
        self._get_param("ReplicationGroupId"), self._get_param("FinalSnapshotIdentifier")
    )
    return moto_responses.ActionResult({"ReplicationGroup": group})


def install(data_plane: DataPlane | None = None) -> None:
    """Swap in the sandbox backend and actions; idempotent."""
    SandboxElastiCacheBackend.data_plane = data_plane
    backends = BackendDict(SandboxElastiCacheBackend, "elasticache")
    moto_models.elasticache_backends = backends
    moto_responses.elasticache_backends = backends
    moto_responses.ElastiCacheResponse.modify_replication_group = _modify_replication_group
    moto_responses.ElastiCacheResponse.delete_replication_group = _delete_replication_group


# --- fault injection ---------------------------------------------------------------------


@dataclass
class Fault:
    operation: str  # the API action, e.g. CreateReplicationGroup; "*" for all
    code: str = "Throttling"
    status: int = 400
    message: str = "Rate exceeded"
    count: int = 1  # how many matching requests fail; -1 forever
    delay_seconds: float = 0.0  # latency added before answering (or failing)
    outcome: str = ""  # with code "": the request succeeds, and the group settles in this status (create-failed)


# Statuses that faults with an `outcome` hand to the next groups created (same process as the backend).
CREATE_OUTCOMES: list[str] = []


@dataclass
class FaultInjector:
    """WSGI layer before moto: `POST /_sandbox/faults` adds a fault, `DELETE` clears them,
    `GET /_sandbox/requests` counts the actions served (so tests can prove no call was made)."""

    app: Callable[..., Iterable[bytes]]
    faults: list[Fault] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sandbox/"):
            return self._control(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        form = urllib.parse.parse_qs(body.decode(errors="replace")) if body else {}
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        action = (form.get("Action") or query.get("Action") or [""])[0]
        if action:
            with self.lock:
                self.requests[action] = self.requests.get(action, 0) + 1
                fault = next((f for f in self.faults if f.operation in (action, "*") and f.count != 0), None)
                if fault is not None and fault.count > 0:
                    fault.count -= 1
            if fault is not None:
                time.sleep(fault.delay_seconds)
                if fault.code:
                    return self._error(start_response, fault)
                if fault.outcome:
                    CREATE_OUTCOMES.append(fault.outcome)
        return self.app(environ, start_response)

    @staticmethod
    def _error(start_response: Callable[..., Any], fault: Fault) -> list[bytes]:
        kind = "Receiver" if fault.status >= 500 else "Sender"
        xml = (
            f'<ErrorResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><Error><Type>{kind}</Type>'
            f"<Code>{fault.code}</Code><Message>{fault.message}</Message></Error>"
            "<RequestId>sandbox-fault</RequestId></ErrorResponse>"
        ).encode()
        start_response(f"{fault.status} Injected", [("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))])
        return [xml]

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        with self.lock:
            if path == "/_sandbox/faults" and method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                self.faults.append(Fault(**json.loads(environ["wsgi.input"].read(length) or b"{}")))
            elif path == "/_sandbox/faults" and method == "DELETE":
                self.faults.clear()
            elif path == "/_sandbox/requests" and method == "DELETE":
                self.requests.clear()
            payload = json.dumps({"faults": [f.__dict__ for f in self.faults], "requests": self.requests}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]


def make_app(data_plane: DataPlane | None = None) -> FaultInjector:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    install(data_plane)
    return FaultInjector(DomainDispatcherApplication(create_backend_app))


def serve(port: int, data_dir: str | None) -> None:
    import pathlib
    import signal
    import sys

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    data_plane = None
    if data_dir:
        server_binary = redis_server()
        if server_binary is None:
            raise SystemExit("--data-dir needs redis-server (Debian package redis-server)")
        data_plane = DataPlane(pathlib.Path(data_dir), server_binary)

    def stop(*_: object) -> None:
        if data_plane is not None:
            data_plane.stop_all()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server = make_server("127.0.0.1", port, make_app(data_plane), threaded=True, request_handler=MotoRequestHandler)
    print(
        f"ElastiCache API stand-in on http://127.0.0.1:{server.server_port}"
        + (f", data plane in {data_dir}" if data_dir else ""),
        flush=True,
    )
    server.serve_forever()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--create-seconds", type=float, default=TIMINGS.create_seconds)
    parser.add_argument("--modify-seconds", type=float, default=TIMINGS.modify_seconds)
    parser.add_argument("--delete-seconds", type=float, default=TIMINGS.delete_seconds)
    parser.add_argument("--data-dir", help="run real redis-server processes behind each group, state here")
    args = parser.parse_args()
    TIMINGS.create_seconds, TIMINGS.modify_seconds = args.create_seconds, args.modify_seconds
    TIMINGS.delete_seconds = args.delete_seconds
    serve(args.port, args.data_dir)


if __name__ == "__main__":
    main()
