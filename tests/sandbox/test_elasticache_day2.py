"""The ElastiCache stand-in's day-2 actions follow AWS: online resharding, replica counts, AuthToken
rotation and log delivery, each only from `available`, through `modifying`, with AWS's error codes."""

import re
import time
import uuid

import botocore.session
import pytest
from botocore.exceptions import ClientError

from ..support import sandbox

TOKEN = "sandbox-auth-token-16"
NEW_TOKEN = "rotated-auth-token-2026"
SLOW_LOG = {
    "LogType": "slow-log",
    "DestinationType": "cloudwatch-logs",
    "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "/sandbox/slow-log"}},
    "LogFormat": "json",
}


def group_id():
    return f"d2-{uuid.uuid4().hex[:10]}"


def create(ec, **overrides):
    request = dict(
        ReplicationGroupId=group_id(),
        ReplicationGroupDescription="day 2",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
    )
    request.update(overrides)
    return ec.create_replication_group(**{k: v for k, v in request.items() if v is not None})["ReplicationGroup"]


def create_sharded(ec, shards=3, replicas=1, **overrides):
    return create(
        ec,
        NumCacheClusters=None,
        NumNodeGroups=shards,
        ReplicasPerNodeGroup=replicas,
        CacheParameterGroupName="default.redis7.cluster.on",
        **overrides,
    )


def describe(ec, gid):
    return ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]


def wait_available(ec, gid, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        group = describe(ec, gid)
        if group["Status"] == "available":
            return group
        time.sleep(0.05)
    raise AssertionError(f"{gid} not available after {timeout}s: {group['Status']}")


def ready(ec, group):
    return wait_available(ec, group["ReplicationGroupId"])


def error_of(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def slots_of(node_group):
    slots = []
    for part in node_group["Slots"].split(","):
        low, _, high = part.partition("-")
        slots.extend(range(int(low), int(high or low) + 1))
    return slots


def assert_slots_cover_everything_once(group):
    every = sorted(slot for node_group in group["NodeGroups"] for slot in slots_of(node_group))
    assert every == list(range(16384))


def members(group):
    return {ng["NodeGroupId"]: [m["CacheClusterId"] for m in ng["NodeGroupMembers"]] for ng in group["NodeGroups"]}


def cache_cluster(ec, name):
    return ec.describe_cache_clusters(CacheClusterId=name)["CacheClusters"][0]


def cache_cluster_exists(ec, name):
    try:
        cache_cluster(ec, name)
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "CacheClusterNotFound"
        return False


# --- online resharding -----------------------------------------------------------------------


def test_adding_shards_gives_them_the_next_ids_and_an_even_share_of_the_slots(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create_sharded(ec, shards=3, replicas=1))["ReplicationGroupId"]
    group = ec.modify_replication_group_shard_configuration(
        ReplicationGroupId=gid, NodeGroupCount=4, ApplyImmediately=True
    )["ReplicationGroup"]
    assert group["Status"] == "modifying"
    assert group["PendingModifiedValues"]["Resharding"]["SlotMigration"]["ProgressPercentage"] == 0.0
    assert {f"{gid}-0004-001", f"{gid}-0004-002"} <= set(group["MemberClusters"])  # listed at once, as AWS does
    group = wait_available(ec, gid)
    assert group["PendingModifiedValues"] == {}
    assert [ng["NodeGroupId"] for ng in group["NodeGroups"]] == ["0001", "0002", "0003", "0004"]
    assert members(group)["0004"] == [f"{gid}-0004-001", f"{gid}-0004-002"]  # as many nodes as the others
    assert_slots_cover_everything_once(group)
    assert [len(slots_of(ng)) for ng in group["NodeGroups"]] == [4096] * 4
    assert cache_cluster(ec, f"{gid}-0004-002")["ReplicationGroupId"] == gid
    assert sorted(group["MemberClusters"]) == sorted(m for ms in members(group).values() for m in ms)


def test_removing_shards_moves_their_slots_to_the_rest_and_deletes_their_nodes(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create_sharded(ec, shards=4, replicas=1))["ReplicationGroupId"]
    group = ec.modify_replication_group_shard_configuration(
        ReplicationGroupId=gid, NodeGroupCount=2, NodeGroupsToRemove=["0001", "0003"], ApplyImmediately=True
    )["ReplicationGroup"]
    assert "0001" in members(group)  # the removed shards serve until their slots have moved
    group = wait_available(ec, gid)
    assert list(members(group)) == ["0002", "0004"]
    assert_slots_cover_everything_once(group)
    assert [len(slots_of(ng)) for ng in group["NodeGroups"]] == [8192, 8192]
    assert not cache_cluster_exists(ec, f"{gid}-0001-001") and not cache_cluster_exists(ec, f"{gid}-0003-002")
    assert sorted(group["MemberClusters"]) == [
        f"{gid}-0002-001",
        f"{gid}-0002-002",
        f"{gid}-0004-001",
        f"{gid}-0004-002",
    ]

    ec.modify_replication_group_shard_configuration(ReplicationGroupId=gid, NodeGroupCount=3, ApplyImmediately=True)
    group = wait_available(ec, gid)
    assert list(members(group)) == ["0001", "0002", "0004"]  # the lowest free id is given again
    assert_slots_cover_everything_once(group)

    ec.modify_replication_group_shard_configuration(
        ReplicationGroupId=gid, NodeGroupCount=1, NodeGroupsToRetain=["0002"], ApplyImmediately=True
    )
    group = wait_available(ec, gid)
    assert list(members(group)) == ["0002"] and group["NodeGroups"][0]["Slots"] == "0-16383"


def test_rebalancing_an_even_group_has_nothing_to_do(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create_sharded(ec, shards=3))["ReplicationGroupId"]
    code, message = error_of(
        lambda: ec.modify_replication_group_shard_configuration(
            ReplicationGroupId=gid, NodeGroupCount=3, ApplyImmediately=True
        )
    )
    assert (code, message) == (
        "InvalidReplicationGroupState",
        "Slots in the replication group are uniformly distributed. Nothing to do.",
    )


@pytest.fixture(scope="module")
def sharded(elasticache):
    """A 3-shard group the validation tests leave as it is (every request they make is refused)."""
    ec = elasticache.client()
    return ready(ec, create_sharded(ec, shards=3, replicas=1))["ReplicationGroupId"]


@pytest.mark.parametrize(
    ("request_", "code", "fragment"),
    [
        ({"NodeGroupCount": 4, "ApplyImmediately": False}, "InvalidParameterValue", "ApplyImmediately"),
        ({"NodeGroupCount": 2}, "InvalidParameterCombination", "Either NodeGroupsToRemove or NodeGroupsToRetain"),
        (
            {"NodeGroupCount": 2, "NodeGroupsToRemove": ["0001"], "NodeGroupsToRetain": ["0002", "0003"]},
            "InvalidParameterCombination",
            "not both",
        ),
        ({"NodeGroupCount": 2, "NodeGroupsToRemove": ["0009"]}, "InvalidParameterValue", "0009 not found"),
        ({"NodeGroupCount": 1, "NodeGroupsToRemove": ["0001"]}, "InvalidParameterValue", "does not match"),
        ({"NodeGroupCount": 2, "NodeGroupsToRetain": ["0001"]}, "InvalidParameterValue", "does not match"),
        ({"NodeGroupCount": 4, "NodeGroupsToRemove": ["0001"]}, "InvalidParameterCombination", "less than"),
        (
            {
                "NodeGroupCount": 2,
                "NodeGroupsToRemove": ["0001"],
                "ReshardingConfiguration": [{"PreferredAvailabilityZones": ["us-east-1a"]}],
            },
            "InvalidParameterCombination",
            "ReshardingConfiguration",
        ),
        ({"NodeGroupCount": 0}, "InvalidParameterValue", "at least 1"),
        ({"NodeGroupCount": 501}, "NodeGroupsPerReplicationGroupQuotaExceeded", "at most 500"),
    ],
)
def test_reshard_requests_are_checked_as_aws_checks_them(elasticache, sharded, request_, code, fragment):
    ec = elasticache.client()
    request = {"ApplyImmediately": True, **request_}
    got, message = error_of(
        lambda: ec.modify_replication_group_shard_configuration(ReplicationGroupId=sharded, **request)
    )
    assert got == code and fragment in message
    assert describe(ec, sharded)["Status"] == "available"


def test_only_cluster_mode_enabled_groups_reshard(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec))["ReplicationGroupId"]
    code, message = error_of(
        lambda: ec.modify_replication_group_shard_configuration(
            ReplicationGroupId=gid, NodeGroupCount=2, ApplyImmediately=True
        )
    )
    assert code == "InvalidParameterValue" and "cluster mode disabled" in message


# --- replicas ----------------------------------------------------------------------------------


def test_replicas_are_added_and_removed_and_the_endpoints_stay(elasticache):
    ec = elasticache.client()
    before = ready(ec, create(ec, NumCacheClusters=2))
    gid = before["ReplicationGroupId"]
    group = ec.increase_replica_count(ReplicationGroupId=gid, NewReplicaCount=3, ApplyImmediately=True)[
        "ReplicationGroup"
    ]
    assert group["Status"] == "modifying"
    assert group["MemberClusters"] == [f"{gid}-001", f"{gid}-002", f"{gid}-003", f"{gid}-004"]
    assert len(group["NodeGroups"][0]["NodeGroupMembers"]) == 2  # the new nodes join once they are up
    group = wait_available(ec, gid)
    [node_group] = group["NodeGroups"]
    assert [m["CacheClusterId"] for m in node_group["NodeGroupMembers"]] == group["MemberClusters"]
    assert [m["CurrentRole"] for m in node_group["NodeGroupMembers"]] == ["primary"] + ["replica"] * 3
    assert all(m["ReadEndpoint"]["Address"] for m in node_group["NodeGroupMembers"])
    assert node_group["PrimaryEndpoint"] == before["NodeGroups"][0]["PrimaryEndpoint"]
    assert node_group["ReaderEndpoint"] == before["NodeGroups"][0]["ReaderEndpoint"]
    assert cache_cluster(ec, f"{gid}-004")["CacheClusterStatus"] == "available"

    group = ec.decrease_replica_count(ReplicationGroupId=gid, ReplicasToRemove=[f"{gid}-002"], ApplyImmediately=True)[
        "ReplicationGroup"
    ]
    assert f"{gid}-002" in group["MemberClusters"]  # until it is gone
    group = wait_available(ec, gid)
    assert group["MemberClusters"] == [f"{gid}-001", f"{gid}-003", f"{gid}-004"]
    assert not cache_cluster_exists(ec, f"{gid}-002")

    ec.decrease_replica_count(ReplicationGroupId=gid, NewReplicaCount=1, ApplyImmediately=True)
    group = wait_available(ec, gid)
    assert group["MemberClusters"] == [f"{gid}-001", f"{gid}-003"]
    assert group["NodeGroups"][0]["ReaderEndpoint"] == before["NodeGroups"][0]["ReaderEndpoint"]

    ec.increase_replica_count(ReplicationGroupId=gid, NewReplicaCount=2, ApplyImmediately=True)
    assert wait_available(ec, gid)["MemberClusters"] == [f"{gid}-001", f"{gid}-002", f"{gid}-003"]  # ids reused


def test_failover_keeps_one_replica_but_a_group_without_it_can_drop_them_all(elasticache):
    ec = elasticache.client()
    with_failover = ready(ec, create(ec, NumCacheClusters=2))["ReplicationGroupId"]
    code, message = error_of(
        lambda: ec.decrease_replica_count(ReplicationGroupId=with_failover, NewReplicaCount=0, ApplyImmediately=True)
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "Must have at least 1 replica when cluster mode is disabled with auto failover enabled.",
    )
    without = ready(ec, create(ec, NumCacheClusters=2, AutomaticFailoverEnabled=False))["ReplicationGroupId"]
    ec.decrease_replica_count(ReplicationGroupId=without, NewReplicaCount=0, ApplyImmediately=True)
    assert wait_available(ec, without)["MemberClusters"] == [f"{without}-001"]


def test_sharded_groups_change_replicas_per_shard(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create_sharded(ec, shards=2, replicas=1))["ReplicationGroupId"]
    ec.increase_replica_count(
        ReplicationGroupId=gid,
        ReplicaConfiguration=[
            {
                "NodeGroupId": "0002",
                "NewReplicaCount": 3,
                "PreferredAvailabilityZones": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1c"],
            }
        ],
        ApplyImmediately=True,
    )
    group = wait_available(ec, gid)
    assert members(group) == {
        "0001": [f"{gid}-0001-001", f"{gid}-0001-002"],
        "0002": [f"{gid}-0002-001", f"{gid}-0002-002", f"{gid}-0002-003", f"{gid}-0002-004"],
    }
    zones = [m["PreferredAvailabilityZone"] for m in group["NodeGroups"][1]["NodeGroupMembers"]]
    assert zones[2:] == ["us-east-1c", "us-east-1c"]
    # Cluster mode enabled may go down to no replicas (AWS: "though you will not be able to fail over").
    ec.decrease_replica_count(ReplicationGroupId=gid, NewReplicaCount=0, ApplyImmediately=True)
    group = wait_available(ec, gid)
    assert members(group) == {"0001": [f"{gid}-0001-001"], "0002": [f"{gid}-0002-001"]}
    assert_slots_cover_everything_once(group)


@pytest.fixture(scope="module")
def replicated(elasticache):
    """A group with two replicas that the validation tests leave as it is."""
    ec = elasticache.client()
    return ready(ec, create(ec, NumCacheClusters=3))["ReplicationGroupId"]


@pytest.mark.parametrize(
    ("increase", "request_", "code", "fragment"),
    [
        (True, {"NewReplicaCount": 3, "ApplyImmediately": False}, "InvalidParameterValue", "not currently supported"),
        (True, {}, "InvalidParameterCombination", "exactly one of"),
        (
            True,
            {"NewReplicaCount": 3, "ReplicaConfiguration": [{"NodeGroupId": "0001", "NewReplicaCount": 3}]},
            "InvalidParameterCombination",
            "exactly one of",
        ),
        (True, {"NewReplicaCount": 6}, "InvalidParameterValue", "greater than 5"),
        (True, {"NewReplicaCount": 2}, "NoOperationFault", "already matches"),
        (True, {"NewReplicaCount": 1}, "InvalidParameterValue", "must be greater than"),
        (
            True,
            {"ReplicaConfiguration": [{"NodeGroupId": "0002", "NewReplicaCount": 3}]},
            "InvalidParameterValue",
            "0002 not found",
        ),
        (
            True,
            {
                "ReplicaConfiguration": [
                    {"NodeGroupId": "0001", "NewReplicaCount": 3, "PreferredAvailabilityZones": ["a"]}
                ]
            },
            "InvalidParameterValue",
            "PreferredAvailabilityZones",
        ),
        (False, {"NewReplicaCount": 3}, "InvalidParameterValue", "must be less than"),
        (False, {"NewReplicaCount": 1, "ReplicasToRemove": ["x-002"]}, "InvalidParameterCombination", "exactly one"),
        (False, {"ReplicasToRemove": ["{gid}-001"]}, "InvalidParameterValue", "it is the primary"),
        (False, {"ReplicasToRemove": ["{gid}-009"]}, "InvalidParameterValue", "is not a member"),
        (False, {"NewReplicaCount": -1}, "InvalidParameterValue", "negative"),
    ],
)
def test_replica_requests_are_checked_as_aws_checks_them(elasticache, replicated, increase, request_, code, fragment):
    ec = elasticache.client()
    request = {"ApplyImmediately": True, **request_}
    if "ReplicasToRemove" in request:
        request["ReplicasToRemove"] = [name.format(gid=replicated) for name in request["ReplicasToRemove"]]
    action = ec.increase_replica_count if increase else ec.decrease_replica_count
    got, message = error_of(lambda: action(ReplicationGroupId=replicated, **request))
    assert got == code and fragment in message
    assert describe(ec, replicated)["Status"] == "available"


# --- AuthToken rotation ------------------------------------------------------------------------


def test_rotate_then_set_goes_through_modifying_each_time(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec))["ReplicationGroupId"]
    created = describe(ec, gid)["AuthTokenLastModifiedDate"]
    group = ec.modify_replication_group(
        ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )["ReplicationGroup"]
    assert group["Status"] == "modifying" and group["PendingModifiedValues"] == {"AuthTokenStatus": "ROTATING"}
    group = wait_available(ec, gid)
    assert group["AuthTokenEnabled"] and group["AuthTokenLastModifiedDate"] > created
    assert group["PendingModifiedValues"] == {}
    code, message = error_of(
        lambda: ec.modify_replication_group(
            ReplicationGroupId=gid, AuthToken=TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
        )
    )
    assert code == "InvalidParameterValue" and "last ROTATE" in message
    group = ec.modify_replication_group(
        ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )["ReplicationGroup"]
    assert group["PendingModifiedValues"] == {"AuthTokenStatus": "SETTING"}
    wait_available(ec, gid)
    code, message = error_of(  # nothing rotated any more: SET is refused until the next ROTATE
        lambda: ec.modify_replication_group(
            ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
        )
    )
    assert code == "InvalidParameterCombination" and "only after ROTATE" in message
    # AuthToken alone rotates (AWS's default strategy); rotating to the newest token again changes nothing.
    group = ec.modify_replication_group(ReplicationGroupId=gid, AuthToken=TOKEN, ApplyImmediately=True)[
        "ReplicationGroup"
    ]
    assert group["PendingModifiedValues"] == {"AuthTokenStatus": "ROTATING"}
    wait_available(ec, gid)
    code, message = error_of(
        lambda: ec.modify_replication_group(ReplicationGroupId=gid, AuthToken=TOKEN, ApplyImmediately=True)
    )
    assert (code, message) == ("InvalidParameterCombination", "No modifications were requested.")


@pytest.mark.parametrize(
    ("request_", "code", "fragment"),
    [
        ({"AuthToken": "too-short", "AuthTokenUpdateStrategy": "ROTATE"}, "InvalidParameterValue", "AuthToken"),
        ({"AuthToken": "has/a/slash/in/it/here", "AuthTokenUpdateStrategy": "ROTATE"}, "InvalidParameterValue", "!, &"),
        (
            {"AuthToken": NEW_TOKEN, "AuthTokenUpdateStrategy": "ROTATE", "ApplyImmediately": False},
            "InvalidParameterCombination",
            "ApplyImmediately",
        ),
        ({"AuthTokenUpdateStrategy": "ROTATE"}, "InvalidParameterCombination", "AuthToken must be specified"),
        (
            {"AuthToken": NEW_TOKEN, "AuthTokenUpdateStrategy": "SET"},
            "InvalidParameterCombination",
            "only after ROTATE",
        ),
        ({"AuthTokenUpdateStrategy": "DELETE"}, "InvalidParameterCombination", "RBAC"),
        ({"AuthTokenUpdateStrategy": "DELETE", "UserGroupIdsToAdd": ["app-users"]}, "UserGroupNotFound", "app-users"),
        ({"AuthToken": NEW_TOKEN, "AuthTokenUpdateStrategy": "DELETE"}, "InvalidParameterCombination", "DELETE"),
        ({"AuthToken": NEW_TOKEN, "AuthTokenUpdateStrategy": "SWAP"}, "InvalidParameterValue", "SET, ROTATE, DELETE"),
    ],
)
def test_token_requests_are_checked_as_aws_checks_them(elasticache, replicated, request_, code, fragment):
    ec = elasticache.client()
    request = {"ApplyImmediately": True, **request_}
    got, message = error_of(lambda: ec.modify_replication_group(ReplicationGroupId=replicated, **request))
    assert got == code and fragment in message
    assert describe(ec, replicated)["Status"] == "available"


def test_tokens_need_in_transit_encryption(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec, TransitEncryptionEnabled=False, AuthToken=None))["ReplicationGroupId"]
    code, message = error_of(
        lambda: ec.modify_replication_group(
            ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
        )
    )
    assert code == "InvalidParameterCombination" and "in-transit" in message


# --- log delivery ------------------------------------------------------------------------------


def test_slow_log_delivery_is_enabled_changed_and_removed(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec, EngineVersion="6.2"))["ReplicationGroupId"]
    assert describe(ec, gid).get("LogDeliveryConfigurations", []) == []
    group = ec.modify_replication_group(
        ReplicationGroupId=gid, LogDeliveryConfigurations=[SLOW_LOG], ApplyImmediately=True
    )["ReplicationGroup"]
    assert group["Status"] == "modifying"
    assert group["LogDeliveryConfigurations"] == [{**SLOW_LOG, "Status": "enabling"}]
    assert group["PendingModifiedValues"]["LogDeliveryConfigurations"] == [SLOW_LOG]
    assert wait_available(ec, gid)["LogDeliveryConfigurations"] == [{**SLOW_LOG, "Status": "active"}]

    text = {**SLOW_LOG, "LogFormat": "text"}
    group = ec.modify_replication_group(
        ReplicationGroupId=gid, LogDeliveryConfigurations=[text], ApplyImmediately=True
    )["ReplicationGroup"]
    assert group["LogDeliveryConfigurations"] == [{**SLOW_LOG, "Status": "modifying"}]  # the old one until done
    assert wait_available(ec, gid)["LogDeliveryConfigurations"] == [{**text, "Status": "active"}]

    code, message = error_of(  # the same delivery again is no change
        lambda: ec.modify_replication_group(
            ReplicationGroupId=gid, LogDeliveryConfigurations=[text], ApplyImmediately=True
        )
    )
    assert (code, message) == ("InvalidParameterCombination", "No modifications were requested.")

    off = {"LogType": "slow-log", "Enabled": False}
    group = ec.modify_replication_group(ReplicationGroupId=gid, LogDeliveryConfigurations=[off], ApplyImmediately=True)[
        "ReplicationGroup"
    ]
    assert [c["Status"] for c in group["LogDeliveryConfigurations"]] == ["disabling"]
    assert wait_available(ec, gid).get("LogDeliveryConfigurations", []) == []


def test_log_delivery_changes_ride_along_with_other_changes(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec, LogDeliveryConfigurations=[SLOW_LOG]))["ReplicationGroupId"]
    assert describe(ec, gid)["LogDeliveryConfigurations"] == [{**SLOW_LOG, "Status": "active"}]
    other = {**SLOW_LOG, "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "/sandbox/other"}}}
    ec.modify_replication_group(
        ReplicationGroupId=gid,
        CacheNodeType="cache.m7g.large",
        LogDeliveryConfigurations=[other],
        ApplyImmediately=True,
    )
    group = wait_available(ec, gid)
    assert group["CacheNodeType"] == "cache.m7g.large"
    assert group["LogDeliveryConfigurations"] == [{**other, "Status": "active"}]


def test_log_delivery_needs_redis_6(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec, EngineVersion="5.0.6"))["ReplicationGroupId"]
    code, message = error_of(
        lambda: ec.modify_replication_group(
            ReplicationGroupId=gid, LogDeliveryConfigurations=[SLOW_LOG], ApplyImmediately=True
        )
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "slow-log log delivery is not available for this redis engine version.",
    )
    code, _ = error_of(lambda: create(ec, EngineVersion="5.0.6", LogDeliveryConfigurations=[SLOW_LOG]))
    assert code == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("deliveries", "apply_immediately", "code", "fragment"),
    [
        ([{**SLOW_LOG, "LogType": "audit-log"}], True, "InvalidParameterValue", "LogType"),
        ([{**SLOW_LOG, "DestinationType": "s3"}], True, "InvalidParameterValue", "DestinationType"),
        ([{**SLOW_LOG, "DestinationDetails": {}}], True, "InvalidParameterValue", "LogGroup is required"),
        ([{**SLOW_LOG, "LogFormat": "xml"}], True, "InvalidParameterValue", "LogFormat"),
        ([SLOW_LOG, SLOW_LOG], True, "InvalidParameterCombination", "more than once"),
        ([SLOW_LOG], False, "InvalidParameterCombination", "ApplyImmediately"),
        ([{"LogType": "slow-log", "Enabled": False}], True, "InvalidParameterCombination", "No modifications"),
    ],
)
def test_log_delivery_requests_are_checked_as_aws_checks_them(
    elasticache, replicated, deliveries, apply_immediately, code, fragment
):
    ec = elasticache.client()
    got, message = error_of(
        lambda: ec.modify_replication_group(
            ReplicationGroupId=replicated, LogDeliveryConfigurations=deliveries, ApplyImmediately=apply_immediately
        )
    )
    assert got == code and fragment in message


# --- what shows while a change is under way, and that every change waits for available -----------


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    """A stand-in whose changes take long enough to look at them midway on any machine."""
    log = tmp_path_factory.mktemp("elasticache-slow") / "elasticache.log"
    with sandbox.elasticache_api(log, create=0.3, modify=6.0, delete=0.3) as api:
        yield api


def test_a_change_under_way_shows_what_it_does_and_blocks_others(slow):
    ec = slow.client()
    sharded = create_sharded(ec, shards=3, replicas=1)["ReplicationGroupId"]
    replicated = create(ec, NumCacheClusters=3, EngineVersion="6.2")["ReplicationGroupId"]
    wait_available(ec, sharded)
    wait_available(ec, replicated)
    ec.modify_replication_group_shard_configuration(ReplicationGroupId=sharded, NodeGroupCount=4, ApplyImmediately=True)
    ec.decrease_replica_count(
        ReplicationGroupId=replicated, ReplicasToRemove=[f"{replicated}-002"], ApplyImmediately=True
    )
    progress = []
    for _ in range(5):
        group = describe(ec, sharded)
        assert group["Status"] == "modifying"
        assert [ng["Status"] for ng in group["NodeGroups"]] == ["modifying"] * 3  # the new shard is not one yet
        progress.append(group["PendingModifiedValues"]["Resharding"]["SlotMigration"]["ProgressPercentage"])
        time.sleep(0.2)
    assert progress == sorted(progress) and 0 < progress[-1] < 100
    assert cache_cluster(ec, f"{sharded}-0004-001")["CacheClusterStatus"] == "creating"
    group = describe(ec, replicated)
    assert group["Status"] == "modifying" and f"{replicated}-002" in members(group)["0001"]
    assert cache_cluster(ec, f"{replicated}-002")["CacheClusterStatus"] == "deleting"
    actions = [
        lambda: ec.modify_replication_group_shard_configuration(
            ReplicationGroupId=sharded, NodeGroupCount=5, ApplyImmediately=True
        ),
        lambda: ec.increase_replica_count(ReplicationGroupId=sharded, NewReplicaCount=2, ApplyImmediately=True),
        lambda: ec.decrease_replica_count(ReplicationGroupId=replicated, NewReplicaCount=0, ApplyImmediately=True),
        lambda: ec.modify_replication_group(
            ReplicationGroupId=replicated, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
        ),
        lambda: ec.modify_replication_group(
            ReplicationGroupId=replicated, LogDeliveryConfigurations=[SLOW_LOG], ApplyImmediately=True
        ),
    ]
    assert [error_of(action)[0] for action in actions] == ["InvalidReplicationGroupState"] * len(actions)
    group = wait_available(ec, sharded, timeout=30)
    assert group["PendingModifiedValues"] == {} and len(group["NodeGroups"]) == 4
    assert cache_cluster(ec, f"{sharded}-0004-001")["CacheClusterStatus"] == "available"
    assert members(wait_available(ec, replicated, timeout=30))["0001"] == [f"{replicated}-001", f"{replicated}-003"]


def test_day_two_actions_need_an_available_group(elasticache):
    ec = elasticache.client()
    elasticache.inject(operation="CreateReplicationGroup", code="", outcome="create-failed", count=1)
    try:
        failed = create_sharded(ec, shards=2)["ReplicationGroupId"]
    finally:
        elasticache.clear_faults()
    deadline = time.monotonic() + 20
    while describe(ec, failed)["Status"] != "create-failed" and time.monotonic() < deadline:
        time.sleep(0.05)
    actions = [
        lambda: ec.modify_replication_group_shard_configuration(
            ReplicationGroupId=failed, NodeGroupCount=3, ApplyImmediately=True
        ),
        lambda: ec.increase_replica_count(ReplicationGroupId=failed, NewReplicaCount=2, ApplyImmediately=True),
        lambda: ec.decrease_replica_count(ReplicationGroupId=failed, NewReplicaCount=0, ApplyImmediately=True),
        lambda: ec.modify_replication_group(
            ReplicationGroupId=failed, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
        ),
        lambda: ec.modify_replication_group(
            ReplicationGroupId=failed, LogDeliveryConfigurations=[SLOW_LOG], ApplyImmediately=True
        ),
    ]
    assert [error_of(action)[0] for action in actions] == ["InvalidReplicationGroupState"] * len(actions)
    code, _ = error_of(
        lambda: ec.increase_replica_count(ReplicationGroupId="no-such-group", NewReplicaCount=2, ApplyImmediately=True)
    )
    assert code == "ReplicationGroupNotFoundFault"


def modeled_error_codes(operation):
    """The error codes botocore's service model lists for an operation (AWS's documented errors)."""
    model = botocore.session.get_session().get_service_model("elasticache")
    return {
        shape.metadata.get("error", {}).get("code", shape.name)
        for shape in model.operation_model(operation).error_shapes
    }


@pytest.mark.parametrize(
    ("operation", "codes"),
    [
        (
            "ModifyReplicationGroupShardConfiguration",
            {
                "InvalidParameterValue",
                "InvalidParameterCombination",
                "InvalidReplicationGroupState",
                "NodeGroupsPerReplicationGroupQuotaExceeded",
                "ReplicationGroupNotFoundFault",
            },
        ),
        (
            "IncreaseReplicaCount",
            {
                "InvalidParameterValue",
                "InvalidParameterCombination",
                "InvalidReplicationGroupState",
                "NoOperationFault",
                "ReplicationGroupNotFoundFault",
            },
        ),
        (
            "DecreaseReplicaCount",
            {
                "InvalidParameterValue",
                "InvalidParameterCombination",
                "InvalidReplicationGroupState",
                "NoOperationFault",
                "ReplicationGroupNotFoundFault",
            },
        ),
        (
            "ModifyReplicationGroup",
            {
                "InvalidParameterValue",
                "InvalidParameterCombination",
                "InvalidReplicationGroupState",
                "UserGroupNotFound",
                "ReplicationGroupNotFoundFault",
            },
        ),
    ],
)
def test_the_day_two_codes_are_aws_documented_ones(operation, codes):
    assert codes <= modeled_error_codes(operation)


# --- Redis OSS → Valkey in place -------------------------------------------------------------------------------


def test_redis_oss_becomes_valkey_in_place_one_way(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec))["ReplicationGroupId"]
    request = {"ReplicationGroupId": gid, "ApplyImmediately": True}
    assert error_of(lambda: ec.modify_replication_group(Engine="valkey", **request)) == (
        "InvalidParameterCombination",
        "EngineVersion must be specified when changing the engine to valkey.",
    )
    assert error_of(lambda: ec.modify_replication_group(Engine="valkey", EngineVersion="7.1", **request))[0] == (
        "InvalidParameterValue"
    )
    group = ec.modify_replication_group(Engine="valkey", EngineVersion="8.0", **request)["ReplicationGroup"]
    assert group["Status"] == "modifying"
    group = wait_available(ec, gid)
    assert group["Engine"] == "valkey"
    for member in group["MemberClusters"]:
        cluster = cache_cluster(ec, member)
        assert (cluster["Engine"], cluster["EngineVersion"]) == ("valkey", "8.0.1")
        assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "default.valkey8"
    assert error_of(lambda: ec.modify_replication_group(Engine="redis", EngineVersion="7.1", **request)) == (
        "InvalidParameterCombination",
        "Cannot change the engine from valkey to redis: a replication group can be upgraded from Redis OSS to"
        " Valkey, not back.",
    )
    # Valkey 7.2 → 8.0 is an ordinary upgrade afterwards; no downgrade.
    code, message = error_of(lambda: ec.modify_replication_group(EngineVersion="7.2", **request))
    assert code == "InvalidParameterValue" and "downgrade" in message


def test_valkey_needs_a_valkey_group_in_place_of_a_custom_one(elasticache):
    ec = elasticache.client()
    mine = f"pg-{uuid.uuid4().hex[:10]}"
    ec.create_cache_parameter_group(CacheParameterGroupName=mine, CacheParameterGroupFamily="redis7", Description="x")
    gid = ready(ec, create(ec, CacheParameterGroupName=mine))["ReplicationGroupId"]
    request = {"ReplicationGroupId": gid, "Engine": "valkey", "EngineVersion": "7.2", "ApplyImmediately": True}
    assert error_of(lambda: ec.modify_replication_group(**request)) == (
        "InvalidParameterCombination",
        "Expected a parameter group of family valkey7 but found one of family redis7",
    )
    wrong = f"pg-{uuid.uuid4().hex[:10]}"
    ec.create_cache_parameter_group(CacheParameterGroupName=wrong, CacheParameterGroupFamily="valkey8", Description="x")
    assert error_of(lambda: ec.modify_replication_group(CacheParameterGroupName=wrong, **request))[0] == (
        "InvalidParameterCombination"
    )
    valkey = f"pg-{uuid.uuid4().hex[:10]}"
    ec.create_cache_parameter_group(
        CacheParameterGroupName=valkey, CacheParameterGroupFamily="valkey7", Description="x"
    )
    ec.modify_replication_group(CacheParameterGroupName=valkey, **request)
    group = wait_available(ec, gid)
    assert group["Engine"] == "valkey"
    assert cache_cluster(ec, group["MemberClusters"][0])["CacheParameterGroup"]["CacheParameterGroupName"] == valkey
    ec.delete_cache_parameter_group(CacheParameterGroupName=mine)  # the Redis OSS group is free again


def test_only_redis_oss_5_0_6_and_later_becomes_valkey(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec, EngineVersion="5.0.5"))["ReplicationGroupId"]
    code, message = error_of(
        lambda: ec.modify_replication_group(
            ReplicationGroupId=gid, Engine="valkey", EngineVersion="8.0", ApplyImmediately=True
        )
    )
    assert code == "InvalidParameterCombination" and "5.0.6" in message


# --- cluster mode: disabled → compatible → enabled -------------------------------------------------------------


def test_cluster_mode_goes_disabled_compatible_enabled_and_never_back(elasticache):
    ec = elasticache.client()
    gid = ready(ec, create(ec))["ReplicationGroupId"]
    request = {"ReplicationGroupId": gid, "ApplyImmediately": True}
    assert describe(ec, gid)["ClusterMode"] == "disabled"
    assert error_of(lambda: ec.modify_replication_group(ClusterMode="enabled", **request)) == (
        "InvalidParameterCombination",
        "To modify cluster mode from Disabled to Enabled, you must first set the cluster mode to Compatible.",
    )
    assert error_of(lambda: ec.modify_replication_group(ClusterMode="sharded", **request))[0] == "InvalidParameterValue"
    code, _ = error_of(
        lambda: ec.modify_replication_group(ClusterMode="compatible", SnapshotRetentionLimit=2, **request)
    )
    assert code == "InvalidParameterCombination"
    group = ec.modify_replication_group(ClusterMode="compatible", **request)["ReplicationGroup"]
    assert group["Status"] == "modifying" and group["PendingModifiedValues"]["ClusterMode"] == "compatible"
    group = wait_available(ec, gid)
    assert (group["ClusterMode"], group["ClusterEnabled"]) == ("compatible", False)
    assert group["ConfigurationEndpoint"]["Address"] and group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    first = cache_cluster(ec, group["MemberClusters"][0])
    assert first["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7.cluster.on"
    # Nothing else while compatible.
    code, _ = error_of(lambda: ec.modify_replication_group(SnapshotRetentionLimit=2, **request))
    assert code == "InvalidParameterCombination"
    code, _ = error_of(lambda: ec.increase_replica_count(NewReplicaCount=2, **request))
    assert code == "InvalidParameterCombination"
    assert error_of(lambda: ec.modify_replication_group(ClusterMode="disabled", **request))[0] == (
        "InvalidParameterCombination"
    )
    ec.modify_replication_group(ClusterMode="enabled", **request)
    group = wait_available(ec, gid)
    assert (group["ClusterMode"], group["ClusterEnabled"]) == ("enabled", True)
    assert group["NodeGroups"][0]["Slots"] == "0-16383" and "PrimaryEndpoint" not in group["NodeGroups"][0]
    assert error_of(lambda: ec.modify_replication_group(ClusterMode="disabled", **request))[0] == (
        "InvalidParameterCombination"
    )
    # Now a cluster mode enabled group like any other: it reshards.
    ec.modify_replication_group_shard_configuration(ReplicationGroupId=gid, NodeGroupCount=2, ApplyImmediately=True)
    group = wait_available(ec, gid)
    assert len(group["NodeGroups"]) == 2
    assert_slots_cover_everything_once(group)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"EngineVersion": "6.2"}, "7.0"),
        ({"Engine": "valkey", "EngineVersion": "7.2", "AutomaticFailoverEnabled": False}, "automatic failover"),
        ({"NumCacheClusters": 1, "AutomaticFailoverEnabled": False}, "automatic failover"),
    ],
)
def test_cluster_mode_compatible_needs_what_aws_needs(elasticache, overrides, fragment):
    ec = elasticache.client()
    gid = ready(ec, create(ec, **overrides))["ReplicationGroupId"]
    code, message = error_of(
        lambda: ec.modify_replication_group(ReplicationGroupId=gid, ClusterMode="compatible", ApplyImmediately=True)
    )
    assert code == "InvalidParameterCombination" and fragment in message


def test_cluster_mode_compatible_needs_a_cluster_enabled_group_in_place_of_a_custom_one(elasticache):
    ec = elasticache.client()
    mine, cluster_on = (f"pg-{uuid.uuid4().hex[:10]}" for _ in range(2))
    for name in (mine, cluster_on):
        ec.create_cache_parameter_group(
            CacheParameterGroupName=name, CacheParameterGroupFamily="redis7", Description="x"
        )
    ec.modify_cache_parameter_group(
        CacheParameterGroupName=cluster_on,
        ParameterNameValues=[{"ParameterName": "cluster-enabled", "ParameterValue": "yes"}],
    )
    gid = ready(ec, create(ec, CacheParameterGroupName=mine))["ReplicationGroupId"]
    request = {"ReplicationGroupId": gid, "ClusterMode": "compatible", "ApplyImmediately": True}
    code, message = error_of(lambda: ec.modify_replication_group(**request))
    assert code == "InvalidParameterCombination" and message.startswith(
        "Cluster mode should be enabled in parameter group"
    )
    assert error_of(lambda: ec.modify_replication_group(CacheParameterGroupName=mine, **request)) == (
        "InvalidParameterCombination",
        "Cluster mode should be enabled in parameter group, but found it is disabled.",
    )
    ec.modify_replication_group(CacheParameterGroupName=cluster_on, **request)
    group = wait_available(ec, gid)
    assert cache_cluster(ec, group["MemberClusters"][1])["CacheParameterGroup"]["CacheParameterGroupName"] == cluster_on


# --- windows, minor upgrades, notifications --------------------------------------------------------------------


def test_windows_and_notifications_are_reported_by_the_member_clusters(elasticache):
    ec = elasticache.client()
    topic = "arn:aws:sns:us-east-1:123456789012:cache-events"
    group = ready(
        ec,
        create(
            ec,
            PreferredMaintenanceWindow="sun:23:00-mon:01:30",
            SnapshotWindow="05:00-06:00",
            NotificationTopicArn=topic,
        ),
    )
    assert group["SnapshotWindow"] == "05:00-06:00" and group["AutoMinorVersionUpgrade"] is True
    member = cache_cluster(ec, group["MemberClusters"][1])
    assert member["PreferredMaintenanceWindow"] == "sun:23:00-mon:01:30" and member["SnapshotWindow"] == "05:00-06:00"
    assert member["NotificationConfiguration"] == {"TopicArn": topic, "TopicStatus": "active"}
    gid = group["ReplicationGroupId"]
    ec.modify_replication_group(
        ReplicationGroupId=gid,
        PreferredMaintenanceWindow="wed:02:00-wed:03:00",
        SnapshotWindow="04:00-05:00",
        AutoMinorVersionUpgrade=False,
        NotificationTopicStatus="inactive",
        ApplyImmediately=True,
    )
    group = wait_available(ec, gid)
    member = cache_cluster(ec, group["MemberClusters"][0])
    assert member["PreferredMaintenanceWindow"] == "wed:02:00-wed:03:00" and member["SnapshotWindow"] == "04:00-05:00"
    assert member["AutoMinorVersionUpgrade"] is False and group["AutoMinorVersionUpgrade"] is False
    assert member["NotificationConfiguration"]["TopicStatus"] == "inactive"
    # Unset, AWS chooses: well-formed, an hour long, apart.
    chosen = cache_cluster(ec, ready(ec, create(ec))["MemberClusters"][0])
    assert re.fullmatch(r"[a-z]{3}:\d\d:00-[a-z]{3}:\d\d:00", chosen["PreferredMaintenanceWindow"])
    assert re.fullmatch(r"\d\d:00-\d\d:00", chosen["SnapshotWindow"])


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({"PreferredMaintenanceWindow": "sun:05:00-sun:05:30"}, "InvalidParameterValue"),
        ({"PreferredMaintenanceWindow": "sunday:05:00-sunday:06:00"}, "InvalidParameterValue"),
        ({"SnapshotWindow": "5:00-6:00"}, "InvalidParameterValue"),
        ({"SnapshotWindow": "05:00-05:59"}, "InvalidParameterValue"),
        (
            {"PreferredMaintenanceWindow": "sun:05:00-sun:07:00", "SnapshotWindow": "06:00-07:00"},
            "InvalidParameterCombination",
        ),
        ({"NotificationTopicArn": "not-an-arn"}, "InvalidParameterValue"),
        ({"NotificationTopicStatus": "paused"}, "InvalidParameterValue"),
    ],
)
def test_window_requests_are_checked(elasticache, replicated, request_, code):
    ec = elasticache.client()
    assert (
        error_of(lambda: ec.modify_replication_group(ReplicationGroupId=replicated, ApplyImmediately=True, **request_))[
            0
        ]
        == code
    )
