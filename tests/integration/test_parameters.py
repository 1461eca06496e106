"""spec.parameters against the ElastiCache stand-in: a custom parameter group made before the replication
group and used by it, values AWS would refuse refused before any call, changes and removals applied, a
value changed by hand put back with a Warning, and the group deleted after the replication group."""

import pytest

from ..support.stack import eventually
from .test_day2 import applied_steps
from .test_reconcile import group_id_of

pytestmark = pytest.mark.integration


def user_values(aws, name):
    listed = aws.elasticache.describe_cache_parameters(CacheParameterGroupName=name, MaxRecords=100)["Parameters"]
    return {p["ParameterName"]: p.get("ParameterValue") for p in listed}


def node_group(aws, gid):
    member = aws.group(gid)["MemberClusters"][0]
    node = aws.elasticache.describe_cache_clusters(CacheClusterId=member)["CacheClusters"][0]
    return node.get("CacheParameterGroup") or {}


def parameter_groups(aws):
    return {
        g["CacheParameterGroupName"] for g in aws.elasticache.describe_cache_parameter_groups()["CacheParameterGroups"]
    }


def ready_with(cluster, namespace, name, parameters, **spec):
    """A RedisCluster with parameters, Ready; its replication group's id."""
    cluster.password_secret(namespace)
    created = cluster.create(
        namespace, name, engineVersion="7.1", deletionPolicy="Delete", parameters=parameters, **spec
    )
    cluster.wait_ready(namespace, name, timeout=90)
    return group_id_of(created)


def test_parameters_live_in_a_group_of_their_own_and_follow_the_spec(cluster, aws, namespace):
    cluster.password_secret(namespace)
    parameters = {"maxmemory-policy": "allkeys-lru", "reserved-memory-percent": 30}
    created = cluster.create(namespace, "tuned", engineVersion="7.1", deletionPolicy="Delete", parameters=parameters)
    obj = cluster.wait_ready(namespace, "tuned", timeout=90)
    gid = group_id_of(created)
    mine = f"{gid}-redis7"
    assert obj["status"]["parameterGroups"] == [mine]
    values = user_values(aws, mine)
    assert values["maxmemory-policy"] == "allkeys-lru" and values["reserved-memory-percent"] == "30"
    eventually(lambda: node_group(aws, gid).get("CacheParameterGroupName") == mine, 60, message="the nodes use it")
    applied = eventually(
        lambda: (
            cluster.condition(namespace, "tuned", "ParametersApplied").get("status") == "True"
            and cluster.condition(namespace, "tuned", "ParametersApplied")
        ),
        60,
        message="ParametersApplied",
    )
    assert applied["reason"] == "InEffect"

    # One changed, one removed: set and reset in the group, nothing else asked of AWS.
    modifies = aws.calls("ModifyReplicationGroup")
    cluster.patch_spec(
        namespace, "tuned", {"parameters": {"maxmemory-policy": "volatile-lfu", "reserved-memory-percent": None}}
    )
    eventually(
        lambda: (
            user_values(aws, mine)["maxmemory-policy"] == "volatile-lfu"
            and user_values(aws, mine)["reserved-memory-percent"] == "25"
        ),
        60,
        message="set and reset",
    )
    cluster.wait_settled(namespace, "tuned", generation=2, timeout=60)
    assert aws.calls("ModifyReplicationGroup") == modifies

    # Changed by hand: put back, with a Warning that names it.
    aws.elasticache.modify_cache_parameter_group(
        CacheParameterGroupName=mine,
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "noeviction"}],
    )
    # (read again once per resync interval, a few seconds in these tests)
    eventually(lambda: user_values(aws, mine)["maxmemory-policy"] == "volatile-lfu", 90, message="put back")
    cluster.wait_event(namespace, "tuned", "DriftCorrected", timeout=30)
    drift = [
        e.message
        for e in cluster.core.list_namespaced_event(namespace).items
        if e.involved_object.name == "tuned" and e.reason == "DriftCorrected"
    ]
    assert drift == [
        "parameters.maxmemory-policy was changed outside the operator: ElastiCache has noeviction, the spec says"
        " volatile-lfu; putting it back"
    ]

    cluster.delete(namespace, "tuned")
    eventually(lambda: not cluster.exists(namespace, "tuned"), 120, message="deleted")
    assert mine not in parameter_groups(aws)


def test_a_value_the_family_does_not_take_is_refused_before_any_aws_call(cluster, aws, namespace):
    cluster.password_secret(namespace)
    creates = aws.calls("CreateCacheParameterGroup"), aws.calls("CreateReplicationGroup")
    cluster.create(namespace, "mistuned", engineVersion="7.1", parameters={"maxmemory-policy": "lru-please"})
    cluster.wait_reason(namespace, "mistuned", "InvalidSpec", timeout=60)
    message = cluster.condition(namespace, "mistuned")["message"]
    assert "spec.parameters.maxmemory-policy" in message and "allkeys-lru" in message
    assert (aws.calls("CreateCacheParameterGroup"), aws.calls("CreateReplicationGroup")) == creates


def test_the_schema_refuses_cluster_enabled_and_bad_names(cluster, namespace):
    refusal = cluster.refusal(lambda: cluster.create(namespace, "x", parameters={"cluster-enabled": "yes"}))
    assert "cluster-enabled follows enableSharding" in refusal["message"]
    refusal = cluster.refusal(lambda: cluster.create(namespace, "y", parameters={"MaxMemory": "1"}))
    assert "parameter names are lowercase" in refusal["message"]


def test_redis_moves_to_valkey_in_place_with_its_parameters(cluster, aws, namespace):
    gid = ready_with(cluster, namespace, "moving", {"maxmemory-policy": "allkeys-lfu"})
    before = cluster.get(namespace, "moving")
    secret = cluster.secret_data(namespace, "moving-redis")

    cluster.patch_spec(namespace, "moving", {"engine": "valkey", "engineVersion": "8.0"})
    obj = cluster.wait_settled(namespace, "moving", generation=2, timeout=120)
    group = aws.group(gid)
    assert group["Engine"] == "valkey" and obj["status"]["engineVersion"].startswith("8.0")
    assert eventually(lambda: node_group(aws, gid).get("CacheParameterGroupName") == f"{gid}-valkey8", 60)
    assert user_values(aws, f"{gid}-valkey8")["maxmemory-policy"] == "allkeys-lfu"
    eventually(lambda: f"{gid}-redis7" not in parameter_groups(aws), 60, message="the Redis OSS group deleted")
    assert cluster.secret_data(namespace, "moving-redis") == secret  # same endpoint, same password
    assert obj["status"]["host"] == before["status"]["host"]

    refusal = cluster.refusal(lambda: cluster.patch_spec(namespace, "moving", {"engine": "redis"}))
    assert "engine can only move from redis to valkey" in refusal["message"]


def test_a_parameter_that_needs_a_reboot_is_reported_until_the_nodes_are_rebooted(cluster, aws, namespace):
    gid = ready_with(cluster, namespace, "reboot", {"maxmemory-policy": "allkeys-lru"})
    eventually(lambda: cluster.condition(namespace, "reboot", "ParametersApplied").get("status") == "True", 60)

    changed = {"maxmemory-policy": "allkeys-lru", "acl-pubsub-default": "resetchannels"}  # requires-reboot
    cluster.patch_spec(namespace, "reboot", {"parameters": changed})
    waiting = eventually(
        lambda: (
            (condition := cluster.condition(namespace, "reboot", "ParametersApplied")).get("reason") == "PendingReboot"
            and condition
        ),
        60,
        message="PendingReboot",
    )
    assert waiting["status"] == "False" and waiting["message"].startswith("acl-pubsub-default wait for a reboot")
    assert cluster.get(namespace, "reboot")["status"]["parametersPendingReboot"] == ["acl-pubsub-default"]
    assert cluster.condition(namespace, "reboot")["status"] == "True"  # Ready all the same: it serves
    assert aws.calls("RebootCacheCluster") == 0  # never on its own

    node = aws.group(gid)["MemberClusters"][0]
    aws.elasticache.reboot_cache_cluster(CacheClusterId=node, CacheNodeIdsToReboot=["0001"])
    eventually(
        lambda: cluster.condition(namespace, "reboot", "ParametersApplied").get("status") == "True",
        120,
        message="in effect",
    )
    assert not cluster.get(namespace, "reboot")["status"].get("parametersPendingReboot")


def test_cluster_mode_goes_on_in_place_and_the_secret_follows(cluster, aws, namespace):
    spec = {"numReplicaNodes": 1, "enableAutomaticFailover": True}
    gid = ready_with(cluster, namespace, "growing", {"maxmemory-policy": "allkeys-lru"}, **spec)
    assert cluster.secret_data(namespace, "growing-redis")["sharding"] == "disabled"

    cluster.patch_spec(namespace, "growing", {"enableSharding": True, "numShards": 2})
    obj = cluster.wait_settled(namespace, "growing", generation=2, timeout=180)
    group = aws.group(gid)
    assert group["ClusterEnabled"] and group["ClusterMode"] == "enabled" and len(group["NodeGroups"]) == 2
    steps = applied_steps(cluster, namespace, "growing")
    assert [s.split(": ", 1)[1].split(" (")[0].split(",")[0] for s in steps] == [
        "ModifyReplicationGroup cluster mode compatible",
        "ModifyReplicationGroup cluster mode enabled",
        "ModifyReplicationGroupShardConfiguration 1→2 shards",
    ]
    data = eventually(lambda: (d := cluster.secret_data(namespace, "growing-redis"))["sharding"] == "enabled" and d, 60)
    assert data["host"] == group["ConfigurationEndpoint"]["Address"] == obj["status"]["host"]
    assert data["readerHost"] == ""  # no reader endpoint in cluster mode
    mine = f"{gid}-redis7-cluster-on"
    assert node_group(aws, gid).get("CacheParameterGroupName") == mine
    assert user_values(aws, mine)["cluster-enabled"] == "yes"
    eventually(lambda: f"{gid}-redis7" not in parameter_groups(aws), 60, message="the old group deleted")

    refusal = cluster.refusal(
        lambda: cluster.patch_spec(namespace, "growing", {"enableSharding": False, "numShards": 1})
    )
    assert "enableSharding can only be turned on" in refusal["message"]
