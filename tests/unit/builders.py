"""Test data in the shapes AWS and the spec really have."""

from elasticache_operator.core.desired import Identity, desired_group
from elasticache_operator.core.naming import log_group_name, ownership_tags
from elasticache_operator.core.observed import observed_group
from elasticache_operator.core.spec import parse_spec

IDENTITY = Identity(namespace="shop", name="cache", uid="uid-1", cluster_name="prod")
PASSWORD_REF = {"secretKeyRef": {"name": "redis-password", "key": "password"}}


def spec(**fields):
    return parse_spec({"instanceSize": "cache.t4g.micro", "defaultUserPassword": PASSWORD_REF, **fields})


def desired(**fields):
    return desired_group(spec(**fields), IDENTITY)


def described_group(
    *,
    status="available",
    sharded=False,
    shards=1,
    replicas=0,
    node_type="cache.t4g.micro",
    port=6379,
    failover=False,
    retention=0,
    slow_log=True,
    log_format="json",
    replica_counts=None,
    auth_token_modified=None,
    group_id=None,
):
    """One DescribeReplicationGroups entry as AWS returns it."""
    group_id = group_id or IDENTITY.group_id
    node_groups = []
    for shard in range(shards):
        count = replica_counts[shard] if replica_counts else replicas
        members = [{"CacheClusterId": f"{group_id}-{shard + 1:04}-{n + 1:03}"} for n in range(count + 1)]
        node_group = {"NodeGroupId": f"{shard + 1:04}", "Status": "available", "NodeGroupMembers": members}
        if not sharded:
            node_group["PrimaryEndpoint"] = {"Address": f"master.{group_id}.cache.amazonaws.com", "Port": port}
            node_group["ReaderEndpoint"] = {"Address": f"replica.{group_id}.cache.amazonaws.com", "Port": port}
        node_groups.append(node_group)
    group = {
        "ReplicationGroupId": group_id,
        "ARN": f"arn:aws:elasticache:us-east-1:123456789012:replicationgroup:{group_id}",
        "Status": status,
        "Engine": "redis",
        "CacheNodeType": node_type,
        "ClusterEnabled": sharded,
        "NodeGroups": node_groups,
        "MemberClusters": [m["CacheClusterId"] for g in node_groups for m in g["NodeGroupMembers"]],
        "AutomaticFailover": "enabled" if failover else "disabled",
        "SnapshotRetentionLimit": retention,
        "LogDeliveryConfigurations": [
            {
                "LogType": "slow-log",
                "DestinationType": "cloudwatch-logs",
                "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": log_group_name(group_id)}},
                "LogFormat": log_format,
                "Status": "active",
            }
        ]
        if slow_log
        else [],
    }
    if auth_token_modified:
        group["AuthTokenLastModifiedDate"] = auth_token_modified
    if sharded:
        group["ConfigurationEndpoint"] = {"Address": f"clustercfg.{group_id}.cache.amazonaws.com", "Port": port}
    return group


def observed(engine_version="6.2.6", tags=None, **group_fields):
    tags = ownership_tags("shop", "cache", "uid-1", "prod") if tags is None else tags
    return observed_group(described_group(**group_fields), engine_version, tags)
