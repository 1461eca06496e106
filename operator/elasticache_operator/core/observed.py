"""What AWS reports about a replication group, reduced to what the operator compares and shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Endpoints:
    host: str
    reader_host: str
    port: int


@dataclass(frozen=True)
class SlowLogDelivery:
    """The slow-log delivery AWS reports: where to, in which format, and how far it got."""

    log_group: str
    format: str
    status: str  # enabling, active, modifying, disabling, error


@dataclass(frozen=True)
class ObservedGroup:
    group_id: str
    arn: str
    status: str
    node_type: str
    engine: str
    engine_version: str | None
    port: int | None
    sharded: bool
    num_shards: int
    replicas_per_shard: int
    automatic_failover: bool
    snapshot_retention_days: int
    slow_log: SlowLogDelivery | None
    endpoints: Endpoints | None
    member_clusters: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    shard_ids: tuple[str, ...] = ()  # NodeGroupIds, as AWS lists them
    replica_counts: tuple[int, ...] = ()  # per shard; uneven only while a change is under way or was cut short
    auth_token_modified: str = ""  # AuthTokenLastModifiedDate: moves when a ROTATE or SET has been applied
    transit_encryption: bool = True
    security_group_ids: tuple[str, ...] = ()
    slow_log_error: str = ""  # AWS's Message when the slow-log delivery ended in `error` (it did not take)
    replica_ids: tuple[str, ...] = ()  # cache clusters serving as replicas now (CurrentRole), non-sharded only
    primaries: tuple[str, ...] = ()  # each shard's primary now (CurrentRole), in shard_ids' order
    snapshot_window: str = ""
    auto_minor_version_upgrade: bool | None = None  # None: not reported
    # What only member clusters report (DescribeCacheClusters, from the shared listing):
    maintenance_window: str = ""
    notification_topic_arn: str = ""  # "" when none is set (or it is inactive)
    parameter_group: str = ""  # the cache parameter group its nodes use ("" until a node is listed)
    parameter_apply_status: str = ""  # in-sync, applying or pending-reboot
    cluster_mode: str = ""  # ClusterMode: enabled, disabled, or compatible (on its way to enabled)

    @property
    def slow_log_enabled(self) -> bool:
        return self.slow_log is not None


def observed_group(group: dict[str, Any], engine_version: str | None, tags: dict[str, str]) -> ObservedGroup:
    """From one DescribeReplicationGroups entry, plus what it does not carry: the engine
    version (from DescribeCacheClusters of a member) and the tags (ListTagsForResource)."""
    node_groups = group.get("NodeGroups") or []
    sharded = bool(group.get("ClusterEnabled"))
    members = group.get("MemberClusters") or []
    if node_groups and all(g.get("NodeGroupMembers") for g in node_groups):
        counts = tuple(len(g["NodeGroupMembers"]) - 1 for g in node_groups)
    else:
        counts = (max(len(members) // max(len(node_groups), 1) - 1, 0),) * max(len(node_groups), 1)
    return ObservedGroup(
        group_id=group["ReplicationGroupId"],
        arn=group.get("ARN", ""),
        status=group.get("Status", "unknown"),
        node_type=group.get("CacheNodeType", ""),
        engine=group.get("Engine", "redis"),
        engine_version=engine_version,
        port=_port(group, node_groups, sharded),
        sharded=sharded,
        num_shards=len(node_groups) or 1,
        replicas_per_shard=counts[0],
        automatic_failover=group.get("AutomaticFailover") in ("enabled", "enabling"),
        snapshot_retention_days=int(group.get("SnapshotRetentionLimit") or 0),
        slow_log=_slow_log(group),
        endpoints=_endpoints(group, node_groups, sharded),
        member_clusters=tuple(members),
        tags=dict(tags),
        shard_ids=tuple(str(g.get("NodeGroupId", "")) for g in node_groups),
        replica_counts=counts,
        auth_token_modified=str(group.get("AuthTokenLastModifiedDate") or ""),
        transit_encryption=bool(group.get("TransitEncryptionEnabled", True)),
        slow_log_error=_slow_log_error(group),
        replica_ids=_replicas(node_groups, sharded),
        primaries=tuple(_primary_of(g) for g in node_groups),
        snapshot_window=str(group.get("SnapshotWindow") or ""),
        auto_minor_version_upgrade=group.get("AutoMinorVersionUpgrade"),
        cluster_mode=str(group.get("ClusterMode") or ""),
    )


def _slow_log(group: dict[str, Any]) -> SlowLogDelivery | None:
    for config in group.get("LogDeliveryConfigurations") or []:
        if config.get("LogType") == "slow-log" and config.get("Status") not in ("disabling", "disabled", "error"):
            details = (config.get("DestinationDetails") or {}).get("CloudWatchLogsDetails") or {}
            return SlowLogDelivery(details.get("LogGroup", ""), config.get("LogFormat", ""), config.get("Status", ""))
    return None


def _replicas(node_groups: list[dict[str, Any]], sharded: bool) -> tuple[str, ...]:
    if sharded or not node_groups:
        return ()
    members = node_groups[0].get("NodeGroupMembers") or []
    return tuple(m["CacheClusterId"] for m in members if m.get("CurrentRole") == "replica" and m.get("CacheClusterId"))


def _primary_of(node_group: dict[str, Any]) -> str:
    members = node_group.get("NodeGroupMembers") or []
    return next((str(m.get("CacheClusterId")) for m in members if m.get("CurrentRole") == "primary"), "")


def _slow_log_error(group: dict[str, Any]) -> str:
    for config in group.get("LogDeliveryConfigurations") or []:
        if config.get("LogType") == "slow-log" and config.get("Status") == "error":
            return str(config.get("Message") or "the delivery ended in error without a message")
    return ""


def _port(group: dict[str, Any], node_groups: list[dict[str, Any]], sharded: bool) -> int | None:
    endpoint = _primary(group, node_groups, sharded)
    return int(endpoint["Port"]) if endpoint and endpoint.get("Port") else None


def _primary(group: dict[str, Any], node_groups: list[dict[str, Any]], sharded: bool) -> dict[str, Any] | None:
    if sharded:
        return group.get("ConfigurationEndpoint")
    return node_groups[0].get("PrimaryEndpoint") if node_groups else None


def _endpoints(group: dict[str, Any], node_groups: list[dict[str, Any]], sharded: bool) -> Endpoints | None:
    primary = _primary(group, node_groups, sharded)
    if not primary or not primary.get("Address"):
        return None
    reader = "" if sharded else (node_groups[0].get("ReaderEndpoint") or {}).get("Address", "")
    return Endpoints(host=primary["Address"], reader_host=reader, port=int(primary.get("Port") or 0))
