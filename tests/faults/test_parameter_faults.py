"""spec.parameters under faults: the operator SIGKILLed while it makes or fills the parameter group (before
CreateReplicationGroup), with the call sent or lost; a throttled DescribeCacheParameters. Every time: one
parameter group with the spec's values, one replication group using it, and nothing left after deletion."""

import pytest

from ..support.stack import eventually, group_id_of
from .test_killed import FATES, groups_of, killed_during

pytestmark = pytest.mark.integration

PARAMETERS = {"maxmemory-policy": "allkeys-lru", "timeout": "300"}


def values(aws, name):
    listed = aws.elasticache.describe_cache_parameters(CacheParameterGroupName=name, MaxRecords=100)["Parameters"]
    return {p["ParameterName"]: p.get("ParameterValue") for p in listed}


def custom_groups(aws, gid):
    listed = aws.elasticache.describe_cache_parameter_groups(MaxRecords=100)["CacheParameterGroups"]
    return [g["CacheParameterGroupName"] for g in listed if g["CacheParameterGroupName"].startswith(gid)]


def node_parameter_group(aws, gid):
    member = aws.group(gid)["MemberClusters"][0]
    node = aws.elasticache.describe_cache_clusters(CacheClusterId=member)["CacheClusters"][0]
    return (node.get("CacheParameterGroup") or {}).get("CacheParameterGroupName")


@pytest.mark.parametrize("fate", sorted(FATES))
@pytest.mark.parametrize("operation", ["CreateCacheParameterGroup", "ModifyCacheParameterGroup"])
def test_killed_while_the_parameter_group_is_made(stack, cluster, aws, namespace, operation, fate):
    before, creates = aws.calls(operation), aws.calls("CreateReplicationGroup")
    made = {}
    killed_during(
        stack,
        operation,
        fate,
        before,
        lambda: made.update(
            obj=cluster.create(namespace, "tuned", engineVersion="7.1", deletionPolicy="Delete", parameters=PARAMETERS)
        ),
    )
    assert aws.calls("CreateReplicationGroup") == creates  # the group waits for its parameter group
    gid, uid = group_id_of(made["obj"]), made["obj"]["metadata"]["uid"]
    with stack.operator("operator-restarted"):
        cluster.wait_ready(namespace, "tuned", timeout=90)
        assert custom_groups(aws, gid) == [f"{gid}-redis7"]
        assert {k: values(aws, f"{gid}-redis7")[k] for k in PARAMETERS} == PARAMETERS
        assert len(groups_of(aws, uid)) == 1 and aws.calls("CreateReplicationGroup") == creates + 1
        eventually(lambda: node_parameter_group(aws, gid) == f"{gid}-redis7", 60, message="in use")
        cluster.delete(namespace, "tuned")
        eventually(lambda: not cluster.exists(namespace, "tuned"), 120, message="deleted")
        assert custom_groups(aws, gid) == []


def test_a_throttled_read_of_the_parameters_is_waited_out(stack, cluster, aws, namespace):
    aws.inject(operation="DescribeCacheParameters", code="Throttling", count=4)
    try:
        with stack.operator("operator-throttled"):
            created = cluster.create(namespace, "patient", engineVersion="7.1", parameters=PARAMETERS)
            obj = cluster.wait_ready(namespace, "patient", timeout=90)
            gid = group_id_of(created)
            assert {k: values(aws, f"{gid}-redis7")[k] for k in PARAMETERS} == PARAMETERS
            assert "AWSError" not in cluster.event_reasons(namespace, "patient")
            assert obj["status"]["parameterGroups"] == [f"{gid}-redis7"]
    finally:
        aws.clear_faults()


@pytest.mark.parametrize("fate", sorted(FATES))
def test_killed_while_cluster_mode_goes_on(stack, cluster, aws, namespace, fate):
    """The ClusterMode compatible call sent or lost as the operator dies: the next one reads where the
    group is (disabled, compatible or enabled) and goes on from there, never asking for a step twice."""
    spec = {"engineVersion": "7.1", "numReplicaNodes": 1, "enableAutomaticFailover": True, "deletionPolicy": "Delete"}
    with stack.operator("operator-first"):
        created = cluster.create(namespace, "converting", **spec)
        cluster.wait_ready(namespace, "converting", timeout=90)
    gid = group_id_of(created)
    modifies = aws.calls("ModifyReplicationGroup")
    killed_during(
        stack,
        "ModifyReplicationGroup",
        fate,
        modifies,
        lambda: cluster.patch_spec(namespace, "converting", {"enableSharding": True, "numShards": 2}),
    )
    with stack.operator("operator-restarted"):
        cluster.wait_settled(namespace, "converting", generation=2, timeout=180)
        group = aws.group(gid)
        assert group["ClusterMode"] == "enabled" and len(group["NodeGroups"]) == 2
        # compatible (once more if it was lost) and enabled: never a refused or repeated step
        assert aws.calls("ModifyReplicationGroup") - modifies == (2 if fate == "sent" else 3)
        assert cluster.secret_data(namespace, "converting-redis")["sharding"] == "enabled"
        assert "AWSError" not in cluster.event_reasons(namespace, "converting")
