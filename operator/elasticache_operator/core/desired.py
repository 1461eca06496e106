"""Spec → the replication group AWS should hold, and the CreateReplicationGroup request for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import naming
from .spec import RedisClusterSpec


@dataclass(frozen=True)
class Identity:
    """Who a replication group is for; everything AWS-side is named from this."""

    namespace: str
    name: str
    uid: str
    cluster_name: str  # the Kubernetes cluster, from settings: several clusters may share an account

    @property
    def group_id(self) -> str:
        return naming.replication_group_id(self.namespace, self.name, self.uid)


@dataclass(frozen=True)
class DesiredGroup:
    group_id: str
    engine: str
    engine_version: str
    node_type: str
    port: int
    sharded: bool
    num_shards: int
    replicas_per_shard: int
    automatic_failover: bool
    snapshot_retention_days: int
    tags: dict[str, str] = field(default_factory=dict)
    slow_log: SlowLog | None = None
    security_group_ids: tuple[str, ...] | None = None  # None: not managed (the group keeps what it has)
    maintenance_window: str | None = None  # None: AWS's choice, never fought over
    snapshot_window: str | None = None
    auto_minor_version_upgrade: bool = True
    notification_topic_arn: str | None = None
    parameter_group: str | None = None  # None: whatever group it has (AWS's default, or one set outside)


@dataclass(frozen=True)
class SlowLog:
    log_group: str
    format: str
    retention_days: int


@dataclass(frozen=True)
class Placement:
    """Where groups go in the account; from settings, not from the spec."""

    subnet_group: str | None = None
    security_group_ids: tuple[str, ...] = ()


def desired_group(spec: RedisClusterSpec, identity: Identity, group_id: str | None = None) -> DesiredGroup:
    group_id = group_id or identity.group_id
    ownership = naming.ownership_tags(identity.namespace, identity.name, identity.uid, identity.cluster_name)
    return DesiredGroup(
        group_id=group_id,
        engine=spec.engine,
        engine_version=spec.effective_engine_version,
        node_type=spec.instance_size,
        port=spec.port,
        sharded=spec.enable_sharding,
        num_shards=spec.num_shards if spec.enable_sharding else 1,
        replicas_per_shard=spec.num_replica_nodes,
        automatic_failover=spec.automatic_failover,
        snapshot_retention_days=spec.automated_backup_retention_days,
        tags={**spec.tags, **ownership},
        slow_log=None
        if spec.logging.disabled
        else SlowLog(naming.log_group_name(group_id), spec.logging.format, spec.logging.retention_days),
        maintenance_window=spec.maintenance_window,
        snapshot_window=spec.snapshot_window,
        auto_minor_version_upgrade=spec.auto_minor_version_upgrade,
        notification_topic_arn=spec.notification_topic_arn,
    )


def family_of(engine: str, version: str) -> str:
    """The cache parameter group family of an engine version: redis6.x, redis7, valkey7, valkey8, …"""
    major, minor = (version.split(".") + ["0"])[:2]
    if engine == "valkey":
        return f"valkey{major}"
    if major == "6":
        return "redis6.x"
    if major.isdigit() and int(major) >= 7:
        return f"redis{major}"
    return f"redis{major}.{minor}"


def default_parameter_group(engine: str, version: str, sharded: bool) -> str:
    """AWS's own group for the family: `default.redis7`, or `default.redis7.cluster.on` when sharded."""
    return f"default.{family_of(engine, version)}" + (".cluster.on" if sharded else "")


def create_request(desired: DesiredGroup, auth_token: str, placement: Placement, description: str) -> dict[str, Any]:
    """CreateReplicationGroup kwargs; TLS and at-rest encryption are always on (an AuthToken needs TLS)."""
    request: dict[str, Any] = {
        "ReplicationGroupId": desired.group_id,
        "ReplicationGroupDescription": description,
        "Engine": desired.engine,
        "EngineVersion": desired.engine_version,
        "CacheNodeType": desired.node_type,
        "Port": desired.port,
        "TransitEncryptionEnabled": True,
        "AtRestEncryptionEnabled": True,
        "AuthToken": auth_token,
        "AutomaticFailoverEnabled": desired.automatic_failover,
        "SnapshotRetentionLimit": desired.snapshot_retention_days,
        "Tags": [{"Key": k, "Value": v} for k, v in sorted(desired.tags.items())],
    }
    if desired.sharded:
        request["NumNodeGroups"] = desired.num_shards
        request["ReplicasPerNodeGroup"] = desired.replicas_per_shard
        request["CacheParameterGroupName"] = default_parameter_group(desired.engine, desired.engine_version, True)
    else:
        request["NumCacheClusters"] = desired.replicas_per_shard + 1
    if desired.parameter_group:
        request["CacheParameterGroupName"] = desired.parameter_group
    if placement.subnet_group:
        request["CacheSubnetGroupName"] = placement.subnet_group
    if placement.security_group_ids:
        request["SecurityGroupIds"] = list(placement.security_group_ids)
    if desired.slow_log:
        request["LogDeliveryConfigurations"] = [slow_log_delivery(desired.slow_log)]
    request["AutoMinorVersionUpgrade"] = desired.auto_minor_version_upgrade
    for key, value in (
        ("PreferredMaintenanceWindow", desired.maintenance_window),
        ("SnapshotWindow", desired.snapshot_window),
        ("NotificationTopicArn", desired.notification_topic_arn),
    ):
        if value:
            request[key] = value
    return request


def slow_log_delivery(slow_log: SlowLog) -> dict[str, Any]:
    return {
        "LogType": "slow-log",
        "DestinationType": "cloudwatch-logs",
        "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": slow_log.log_group}},
        "LogFormat": slow_log.format,
    }
