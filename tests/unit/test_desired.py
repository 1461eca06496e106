from elasticache_operator.core.desired import Placement, create_request, default_parameter_group
from elasticache_operator.core.naming import TAG_UID

from .builders import IDENTITY, desired

PLACEMENT = Placement(subnet_group="private", security_group_ids=("sg-1",))


def request(**fields):
    return create_request(desired(**fields), "a-valid-auth-token", PLACEMENT, "shop/cache")


def test_single_node_group():
    r = request()
    assert r["ReplicationGroupId"] == IDENTITY.group_id
    assert r["NumCacheClusters"] == 1 and "NumNodeGroups" not in r
    assert r["AutomaticFailoverEnabled"] is False
    assert (r["CacheNodeType"], r["Engine"], r["EngineVersion"], r["Port"]) == ("cache.t4g.micro", "redis", "6.2", 6379)
    assert r["CacheSubnetGroupName"] == "private" and r["SecurityGroupIds"] == ["sg-1"]


def test_encryption_and_auth_are_always_on():
    r = request()
    assert r["TransitEncryptionEnabled"] is True and r["AtRestEncryptionEnabled"] is True
    assert r["AuthToken"] == "a-valid-auth-token"


def test_replicated_group_counts_primary_plus_replicas():
    r = request(numReplicaNodes=2, enableAutomaticFailover=True)
    assert r["NumCacheClusters"] == 3 and r["AutomaticFailoverEnabled"] is True


def test_sharded_group_uses_node_groups_and_a_cluster_mode_parameter_group():
    r = request(enableSharding=True, numShards=3, numReplicaNodes=1, engineVersion="7.1")
    assert (r["NumNodeGroups"], r["ReplicasPerNodeGroup"]) == (3, 1)
    assert "NumCacheClusters" not in r
    assert r["AutomaticFailoverEnabled"] is True  # AWS requires it in cluster mode
    assert r["CacheParameterGroupName"] == "default.redis7.cluster.on"


def test_cluster_mode_parameter_group_families():
    assert default_parameter_group("redis", "6.2", sharded=True) == "default.redis6.x.cluster.on"
    assert default_parameter_group("redis", "5.0.6", sharded=True) == "default.redis5.0.cluster.on"
    assert default_parameter_group("valkey", "8.0", sharded=True) == "default.valkey8.cluster.on"


def test_tags_carry_user_tags_and_ownership():
    tags = {t["Key"]: t["Value"] for t in request(tags={"team": "checkout"})["Tags"]}
    assert tags["team"] == "checkout" and tags[TAG_UID] == "uid-1"


def test_slow_log_goes_to_a_log_group_of_the_group():
    [delivery] = request(logging={"format": "text"})["LogDeliveryConfigurations"]
    assert delivery["LogType"] == "slow-log" and delivery["LogFormat"] == "text"
    assert (
        delivery["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"]
        == f"/elasticache/{IDENTITY.group_id}/slow-log"
    )
    assert "LogDeliveryConfigurations" not in request(logging={"disabled": True})
