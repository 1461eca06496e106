"""What the ElastiCache stand-in serves a shared observer of a whole account: DescribeEvents, the
Resource Groups Tagging API's GetResources, paged listings of groups and cache clusters, and the
faults (rate-based throttling, timeouts) that observer must ride out."""

import random
import re
import time
import uuid
from datetime import UTC, timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

TOKEN = "sandbox-auth-token-16"
NEW_TOKEN = "rotated-auth-token-2026"
SLOW_LOG = {
    "LogType": "slow-log",
    "DestinationType": "cloudwatch-logs",
    "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "/sandbox/slow-log"}},
    "LogFormat": "json",
}
FLEET_SIZE = 120  # more than a page of 100 groups, and of 100 tagged ones
RG = "replication-group"
CC = "cache-cluster"


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(ec, gid=None, **overrides):
    request = dict(
        ReplicationGroupId=gid or uid("ob"),
        ReplicationGroupDescription="observed",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=1,
    )
    request.update(overrides)
    return ec.create_replication_group(**{k: v for k, v in request.items() if v is not None})["ReplicationGroup"]


def status_of(ec, gid):
    try:
        return ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]["Status"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ReplicationGroupNotFoundFault":
            return None
        raise


def wait_for(condition, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_status(ec, gid, wanted, timeout=30.0):
    wait_for(lambda: status_of(ec, gid) == wanted, f"{gid} to be {wanted}", timeout)


def error_of(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def all_pages(call, items, token="Marker", **params):
    """Every page of a listing, by hand (so the test sees each page), and the pages' sizes."""
    found, sizes, marker = [], [], params.pop(token, None)  # a marker given: from that page on
    while True:
        page = call(**params, **({token: marker} if marker else {}))
        found.extend(page[items])
        sizes.append(len(page[items]))
        marker = page.get(token)
        if not marker:
            return found, sizes


def events(ec, **params):
    found, _ = all_pages(ec.describe_events, "Events", **params)
    return found


def messages(ec, source_id, source_type=RG, **params):
    return [e["Message"] for e in events(ec, SourceIdentifier=source_id, SourceType=source_type, **params)]


def slot_count(slots):
    ranges = [part.partition("-") for part in slots.split(",")]
    return sum(int(high or low) - int(low) + 1 for low, _, high in ranges)


def arn(gid):
    return f"arn:aws:elasticache:us-east-1:123456789012:replicationgroup:{gid}"


def tags_for(i):
    """The fleet's tags: every tenth group untagged (as made outside any operator), the rest split
    between two teams, a third of them in production too."""
    if i % 10 == 0:
        return []
    tags = [{"Key": "team", "Value": "a" if i % 2 else "b"}]
    if i % 3 == 0:
        tags.append({"Key": "env", "Value": "prod"})
    return tags


@pytest.fixture(scope="module")
def fleet(elasticache):
    """FLEET_SIZE single-node groups, all available: {id: tags}."""
    ec = elasticache.client()
    run = uuid.uuid4().hex[:6]
    groups = {f"fleet-{run}-{i:03}": tags_for(i) for i in range(FLEET_SIZE)}
    for gid, tags in groups.items():
        create(ec, gid, **({"Tags": tags} if tags else {}))

    def settled():
        listed, _ = all_pages(ec.describe_replication_groups, "ReplicationGroups", MaxRecords=100)
        statuses = {g["ReplicationGroupId"]: g["Status"] for g in listed}
        return all(statuses.get(gid) == "available" for gid in groups)

    wait_for(settled, "the fleet to be available", timeout=60)
    return groups


# --- DescribeEvents ------------------------------------------------------------------------------


def test_a_group_s_life_is_recorded_newest_first(elasticache):
    ec = elasticache.client()
    gid = create(ec, NumCacheClusters=2, AutomaticFailoverEnabled=True)["ReplicationGroupId"]
    wait_status(ec, gid, "available")
    assert messages(ec, gid) == [
        f"Automatic failover has been turned on for replication group {gid}",
        f"Replication group {gid} created",
    ]
    for member, zone in ((f"{gid}-001", "us-east-1a"), (f"{gid}-002", "us-east-1b")):
        assert messages(ec, member, CC) == [
            f"Added cache node 0001 in availability zone {zone}",
            "Cache cluster created",
        ]

    ec.modify_replication_group(
        ReplicationGroupId=gid, CacheNodeType="cache.m7g.large", EngineVersion="7.2", ApplyImmediately=True
    )
    wait_status(ec, gid, "available")
    assert messages(ec, gid)[:2] == [
        "Succeeded applying modification to engine version to 7.2.0.",
        "Succeeded applying modification to cache node type to cache.m7g.large.",
    ]
    assert messages(ec, f"{gid}-002", CC)[0] == "Succeeded applying modification to engine version to 7.2.0."

    ec.modify_replication_group(
        ReplicationGroupId=gid, AutomaticFailoverEnabled=False, SnapshotRetentionLimit=7, ApplyImmediately=True
    )
    wait_status(ec, gid, "available")
    assert set(messages(ec, gid)[:2]) == {
        f"Automatic failover has been turned off for replication group {gid}",
        f"Modified replication group {gid}: SnapshotRetentionLimit 0 to 7",
    }

    ec.delete_replication_group(ReplicationGroupId=gid, FinalSnapshotIdentifier=f"{gid}-final")
    wait_status(ec, gid, None)
    assert messages(ec, gid)[0] == f"Replication group {gid} deleted"  # readable after the group is gone
    snapshot = f"Snapshot succeeded for snapshot with ID '{gid}-final' of replication group with ID '{gid}'"
    member_events = events(ec, SourceType=CC, SourceIdentifier=f"{gid}-001")  # a final snapshot is the primary's
    assert [e["Message"] for e in member_events][:2] == ["Cache cluster deleted", snapshot]
    dates = [e["Date"] for e in events(ec, SourceIdentifier=gid, SourceType=RG)]
    assert dates == sorted(dates, reverse=True)


def test_a_group_that_fails_to_come_up_says_so(elasticache):
    ec = elasticache.client()
    elasticache.inject(operation="CreateReplicationGroup", code="", outcome="create-failed", count=1)
    try:
        gid = create(ec)["ReplicationGroupId"]
    finally:
        elasticache.clear_faults()
    wait_status(ec, gid, "create-failed")
    assert messages(ec, gid) == [f"Failed to create replication group {gid}"]
    failed = "Failed to create the cache cluster due to incompatible network state"
    assert messages(ec, f"{gid}-001", CC) == [failed]
    ec.delete_replication_group(ReplicationGroupId=gid)
    wait_status(ec, gid, None)
    assert messages(ec, gid)[0] == f"Replication group {gid} deleted"
    assert messages(ec, f"{gid}-001", CC) == [failed]  # its node never existed, so it was never deleted


def test_replica_changes_record_their_start_their_end_and_their_nodes(elasticache):
    ec = elasticache.client()
    gid = create(ec, NumCacheClusters=2, AutomaticFailoverEnabled=True)["ReplicationGroupId"]
    wait_status(ec, gid, "available")
    ec.increase_replica_count(ReplicationGroupId=gid, NewReplicaCount=2, ApplyImmediately=True)
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    wait_status(ec, gid, "available")
    completed, started = messages(ec, gid)[:2]
    assert re.fullmatch(f"Increase replica count started for replication group {gid} on {stamp}", started)
    assert re.fullmatch(f"Increase replica count completed for replication group {gid} on {stamp}", completed)
    assert messages(ec, f"{gid}-003", CC) == [
        "Added cache node 0001 in availability zone us-east-1b",
        "Cache cluster created",
    ]

    ec.decrease_replica_count(ReplicationGroupId=gid, ReplicasToRemove=[f"{gid}-002"], ApplyImmediately=True)
    wait_status(ec, gid, "available")
    assert re.fullmatch(
        f"Decrease replica count completed for replication group {gid} on {stamp}", messages(ec, gid)[0]
    )
    assert messages(ec, f"{gid}-002", CC)[0] == "Cache cluster deleted"
    assert messages(ec, f"{gid}-003", CC)[0] != "Cache cluster deleted"


def test_resharding_records_the_scaling_the_new_node_groups_and_the_slots_moved(elasticache):
    ec = elasticache.client()
    gid = create(
        ec,
        NumCacheClusters=None,
        NumNodeGroups=2,
        ReplicasPerNodeGroup=1,
        AutomaticFailoverEnabled=True,
        CacheParameterGroupName="default.redis7.cluster.on",
        Tags=[{"Key": "team", "Value": "sharded"}],
    )["ReplicationGroupId"]
    wait_status(ec, gid, "available")
    ec.modify_replication_group_shard_configuration(ReplicationGroupId=gid, NodeGroupCount=3, ApplyImmediately=True)
    # recorded when asked (the rest when done; the change may be done already on a busy machine)
    assert f"Scaling out replication group {gid} from 2 node groups to 3 node groups" in messages(ec, gid)
    wait_status(ec, gid, "available")
    done = messages(ec, gid)
    scaled = done.index(f"Scaling out replication group {gid} from 2 node groups to 3 node groups")
    after = list(reversed(done[:scaled]))  # oldest first
    assert after[0] == f"Modified replication group {gid} to add 1 new node groups - 0003"
    moved = 0
    for migrating, total in zip(after[1::2], after[2::2], strict=True):
        source, target = re.fullmatch(
            r"Migrating slots from node groups (\d{4}) to (\d{4}) to rebalance slots", migrating
        ).groups()
        count = re.fullmatch(
            rf"Moved a total of (\d+) slots out of \1 slots from shard {source} to shard {target}", total
        )
        assert target == "0003" and count
        moved += int(count.group(1))
    group = ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]
    new_shard = next(ng for ng in group["NodeGroups"] if ng["NodeGroupId"] == "0003")
    assert moved == slot_count(new_shard["Slots"]) > 0
    assert messages(ec, f"{gid}-0003-002", CC) == [
        "Added cache node 0001 in availability zone us-east-1b",
        "Cache cluster created",
    ]
    # the new nodes carry the group's tags, as AWS documents for resharding
    tags = ec.list_tags_for_resource(
        ResourceName=group["ARN"].replace(f"replicationgroup:{gid}", f"cluster:{gid}-0003-001")
    )
    assert tags["TagList"] == [{"Key": "team", "Value": "sharded"}]

    ec.modify_replication_group_shard_configuration(
        ReplicationGroupId=gid, NodeGroupCount=2, NodeGroupsToRemove=["0001"], ApplyImmediately=True
    )
    assert f"Scaling in replication group {gid} from 3 node groups to 2 node groups" in messages(ec, gid)
    wait_status(ec, gid, "available")
    assert messages(ec, gid)[0] == f"Modified replication group {gid} to remove 1 node groups - 0001"
    assert messages(ec, f"{gid}-0001-001", CC)[0] == "Cache cluster deleted"


def test_token_and_log_delivery_changes_are_recorded(elasticache):
    ec = elasticache.client()
    gid = create(ec, TransitEncryptionEnabled=True, AuthToken=TOKEN)["ReplicationGroupId"]
    wait_status(ec, gid, "available")
    ec.modify_replication_group(
        ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )
    wait_status(ec, gid, "available")
    ec.modify_replication_group(
        ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )
    wait_status(ec, gid, "available")
    ec.modify_replication_group(ReplicationGroupId=gid, LogDeliveryConfigurations=[SLOW_LOG], ApplyImmediately=True)
    wait_status(ec, gid, "available")
    assert messages(ec, gid)[:3] == [
        f"Log delivery of slow-log enabled for replication group {gid}",
        f"Auth token update (SET) completed for replication group {gid}",
        f"Auth token update (ROTATE) completed for replication group {gid}",
    ]


def test_events_page_and_filter_by_type_and_time(elasticache, fleet):
    ec = elasticache.client()
    first = create(ec, uid("ev"))["ReplicationGroupId"]
    wait_status(ec, first, "available")
    [created] = events(ec, SourceIdentifier=first, SourceType=RG)
    boundary = created["Date"].astimezone(UTC)
    second = create(ec, uid("ev"))["ReplicationGroupId"]
    wait_status(ec, second, "available")  # at least the create time later than the boundary

    everything, sizes = all_pages(ec.describe_events, "Events", MaxRecords=20)
    assert len(everything) > 3 * FLEET_SIZE and sizes[:-1] == [20] * (len(sizes) - 1)
    keys = [(e["SourceType"], e["SourceIdentifier"], e["Message"], e["Date"]) for e in everything]
    assert len(set(keys)) == len(keys)  # no page repeats another's events
    assert [e["Date"] for e in everything] == sorted((e["Date"] for e in everything), reverse=True)
    default_pages, sizes = all_pages(ec.describe_events, "Events")
    assert default_pages == everything and sizes[0] == 100

    groups_only = events(ec, SourceType=RG, MaxRecords=20)
    assert {e["SourceType"] for e in groups_only} == {RG}
    assert {f"Replication group {gid} created" for gid in fleet} <= {e["Message"] for e in groups_only}

    later = {e["SourceIdentifier"] for e in events(ec, SourceType=RG, StartTime=boundary + timedelta(milliseconds=1))}
    assert second in later and first not in later and not later & set(fleet)
    earlier = {e["SourceIdentifier"] for e in events(ec, SourceType=RG, EndTime=boundary)}
    assert first in earlier and second not in earlier and set(fleet) <= earlier  # EndTime alone: the hour before it
    window = events(ec, SourceType=RG, StartTime=boundary, EndTime=boundary)  # both ends are inclusive
    assert f"Replication group {first} created" in [e["Message"] for e in window]
    assert events(ec) == everything  # the last 60 minutes by default
    assert f"Replication group {second} created" in [e["Message"] for e in events(ec, SourceType=RG, Duration=1)]
    assert events(ec, StartTime=boundary - timedelta(days=20), EndTime=boundary - timedelta(days=15)) == []


def test_an_event_marker_keeps_its_window_and_never_repeats(elasticache, fleet):
    ec = elasticache.client()
    page = ec.describe_events(SourceType=RG, MaxRecords=20)
    before, _ = all_pages(ec.describe_events, "Events", SourceType=RG, MaxRecords=100)
    newcomer = create(ec, uid("ev"))["ReplicationGroupId"]
    wait_status(ec, newcomer, "available")
    rest, _ = all_pages(ec.describe_events, "Events", SourceType=RG, MaxRecords=20, Marker=page["Marker"])
    assert page["Events"] + rest == before  # the newcomer's events are newer than the first page: not in later ones
    assert messages(ec, newcomer) == [f"Replication group {newcomer} created"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"MaxRecords": 19}, "InvalidParameterValue"),
        ({"MaxRecords": 101}, "InvalidParameterValue"),
        ({"Duration": 14 * 24 * 60 + 1}, "InvalidParameterValue"),
        ({"Duration": 0}, "InvalidParameterValue"),
        ({"SourceType": "replication-groups"}, "InvalidParameterValue"),
        ({"Marker": "not-a-marker"}, "InvalidParameterValue"),
        ({"StartTime": "2026-01-02T00:00:00Z", "EndTime": "2026-01-01T00:00:00Z"}, "InvalidParameterCombination"),
    ],
)
def test_event_requests_are_checked(elasticache, params, code):
    assert error_of(lambda: elasticache.client().describe_events(**params))[0] == code


def test_the_error_codes_are_documented_ones():
    import botocore.session

    model = botocore.session.get_session().get_service_model("elasticache")
    codes = {
        s.metadata.get("error", {}).get("code", s.name) for s in model.operation_model("DescribeEvents").error_shapes
    }
    assert {"InvalidParameterValue", "InvalidParameterCombination"} <= codes
    tagging = botocore.session.get_session().get_service_model("resourcegroupstaggingapi")
    codes = {s.name for s in tagging.operation_model("GetResources").error_shapes}
    assert {"InvalidParameterException", "PaginationTokenExpiredException", "ThrottledException"} <= codes


# --- paged listings ------------------------------------------------------------------------------


def test_groups_and_cache_clusters_list_in_pages(elasticache, fleet):
    ec = elasticache.client()
    for records in (100, 20):
        groups, sizes = all_pages(ec.describe_replication_groups, "ReplicationGroups", MaxRecords=records)
        ids = [g["ReplicationGroupId"] for g in groups]
        assert ids == sorted(set(ids)) and set(fleet) <= set(ids)
        assert sizes[:-1] == [records] * (len(sizes) - 1) and len(sizes) >= 2
    paginated = ec.get_paginator("describe_replication_groups").paginate(PaginationConfig={"PageSize": 50})
    assert [g["ReplicationGroupId"] for page in paginated for g in page["ReplicationGroups"]] == ids

    clusters, sizes = all_pages(ec.describe_cache_clusters, "CacheClusters", MaxRecords=100, ShowCacheNodeInfo=True)
    names = [c["CacheClusterId"] for c in clusters]
    assert names == sorted(set(names)) and {f"{gid}-001" for gid in fleet} <= set(names)
    assert len(sizes) >= 2 and sizes[0] == 100
    node = next(c for c in clusters if c["CacheClusterId"] == f"{min(fleet)}-001")
    assert node["ReplicationGroupId"] == min(fleet) and node["EngineVersion"] == "7.1.0"
    [cache_node] = node["CacheNodes"]
    assert cache_node["CacheNodeId"] == "0001" and cache_node["CacheNodeStatus"] == "available"
    assert cache_node["Endpoint"]["Port"] == 6379 and cache_node["Endpoint"]["Address"]
    assert cache_node["CustomerAvailabilityZone"] == node["PreferredAvailabilityZone"] == "us-east-1a"
    plain, _ = all_pages(ec.describe_cache_clusters, "CacheClusters", MaxRecords=20)
    assert [c["CacheClusterId"] for c in plain] == names and "CacheNodes" not in plain[0]
    assert ec.describe_cache_clusters(ShowCacheClustersNotInReplicationGroups=True)["CacheClusters"] == []
    one = ec.describe_cache_clusters(CacheClusterId=f"{min(fleet)}-001".upper())["CacheClusters"]
    assert [c["CacheClusterId"] for c in one] == [f"{min(fleet)}-001"]  # the id is not case sensitive

    for call in (ec.describe_replication_groups, ec.describe_cache_clusters):
        assert error_of(lambda call=call: call(MaxRecords=19))[0] == "InvalidParameterValue"
        assert error_of(lambda call=call: call(MaxRecords=101))[0] == "InvalidParameterValue"
        assert error_of(lambda call=call: call(Marker="garbage"))[0] == "InvalidParameterValue"


def test_groups_coming_and_going_between_pages_neither_fail_nor_repeat(elasticache, fleet):
    ec = elasticache.client()
    doomed = create(ec, uid("zzd"))["ReplicationGroupId"]  # sorts after the first page
    wait_status(ec, doomed, "available")
    first = ec.describe_replication_groups(MaxRecords=20)
    seen = [g["ReplicationGroupId"] for g in first["ReplicationGroups"]]
    before, _ = all_pages(ec.describe_replication_groups, "ReplicationGroups", MaxRecords=100)
    ec.delete_replication_group(ReplicationGroupId=doomed)
    wait_status(ec, doomed, None)
    early, late = create(ec, uid("aaa"))["ReplicationGroupId"], create(ec, uid("zzz"))["ReplicationGroupId"]
    rest, _ = all_pages(ec.describe_replication_groups, "ReplicationGroups", MaxRecords=20, Marker=first["Marker"])
    listed = seen + [g["ReplicationGroupId"] for g in rest]
    assert len(listed) == len(set(listed))
    assert doomed not in listed and late in listed and early not in listed  # "aaa" sorts before the marker
    expected = {g["ReplicationGroupId"] for g in before} - {doomed}
    assert expected <= set(listed)

    clusters = ec.describe_cache_clusters(MaxRecords=20)
    wait_status(ec, late, "available")
    ec.delete_replication_group(ReplicationGroupId=late)
    wait_status(ec, late, None)
    newest = create(ec, uid("zzz"))["ReplicationGroupId"]
    rest, _ = all_pages(ec.describe_cache_clusters, "CacheClusters", MaxRecords=20, Marker=clusters["Marker"])
    names = [c["CacheClusterId"] for c in clusters["CacheClusters"] + rest]
    assert len(names) == len(set(names))
    assert f"{late}-001" not in names and f"{newest}-001" in names


# --- the Resource Groups Tagging API -----------------------------------------------------------------


def tagging(elasticache):
    return elasticache.client("resourcegroupstaggingapi")


def resources(elasticache, **params):
    found, _ = all_pages(tagging(elasticache).get_resources, "ResourceTagMappingList", "PaginationToken", **params)
    return {r["ResourceARN"]: r["Tags"] for r in found}


def test_get_resources_lists_tagged_groups_in_pages(elasticache, fleet):
    api = tagging(elasticache)
    tagged = {arn(gid): tags for gid, tags in fleet.items() if tags}
    assert len(tagged) > 100
    found, sizes = all_pages(
        api.get_resources,
        "ResourceTagMappingList",
        "PaginationToken",
        ResourceTypeFilters=["elasticache:replicationgroup"],
        ResourcesPerPage=100,
    )
    by_arn = {r["ResourceARN"]: r["Tags"] for r in found}
    assert len(by_arn) == len(found) and sizes[0] == 100 and len(sizes) >= 2
    assert all(by_arn[a] == t for a, t in tagged.items())  # every tagged group, with its tags
    assert not {arn(gid) for gid, tags in fleet.items() if not tags} & set(by_arn)  # never tagged: not listed
    assert all(":replicationgroup:" in a for a in by_arn)
    paginated = api.get_paginator("get_resources").paginate(ResourceTypeFilters=["elasticache:replicationgroup"])
    assert {r["ResourceARN"] for page in paginated for r in page["ResourceTagMappingList"]} == set(by_arn)

    everything = resources(elasticache, ResourceTypeFilters=["elasticache"])  # every ElastiCache type
    nodes = {a.replace(":replicationgroup:", ":cluster:") + "-001": t for a, t in tagged.items()}
    assert all(everything[a] == t for a, t in nodes.items())  # a group's tags are its nodes' too
    assert all(everything[a] == t for a, t in tagged.items())


def test_tag_filters_and_across_keys_or_across_values(elasticache, fleet):
    of_type = {"ResourceTypeFilters": ["elasticache:replicationgroup"]}

    def fleet_ids(**params):
        found = resources(elasticache, **of_type, **params)
        return {a.rpartition(":")[2] for a in found} & set(fleet)

    def having(predicate):
        return {gid for gid, tags in fleet.items() if predicate({t["Key"]: t["Value"] for t in tags})}

    assert fleet_ids(TagFilters=[{"Key": "team", "Values": ["a"]}]) == having(lambda t: t.get("team") == "a")
    both = fleet_ids(TagFilters=[{"Key": "team", "Values": ["a", "b"]}])
    assert both == having(lambda t: "team" in t) == fleet_ids(TagFilters=[{"Key": "team"}])
    prod_b = fleet_ids(TagFilters=[{"Key": "team", "Values": ["b"]}, {"Key": "env"}])
    assert prod_b == having(lambda t: t.get("team") == "b" and "env" in t) and prod_b
    assert fleet_ids(TagFilters=[{"Key": "team", "Values": ["c"]}]) == set()
    assert fleet_ids(TagFilters=[{"Key": "Team"}]) == set()  # keys are case sensitive


def test_tag_changes_and_deletions_show_at_once(elasticache, fleet):
    ec, api = elasticache.client(), tagging(elasticache)
    outsider = create(ec, uid("outside"))["ReplicationGroupId"]  # made outside any operator: no tags
    other = create(ec, uid("outside"), Tags=[{"Key": "owner", "Value": "someone-else"}])["ReplicationGroupId"]
    wait_status(ec, outsider, "available")
    wait_status(ec, other, "available")
    groups_of = {"ResourceTypeFilters": ["elasticache:replicationgroup"]}
    listed = resources(elasticache, **groups_of)
    assert arn(outsider) not in listed and listed[arn(other)] == [{"Key": "owner", "Value": "someone-else"}]
    assert ec.list_tags_for_resource(ResourceName=arn(outsider))["TagList"] == []
    assert messages(ec, outsider) == [f"Replication group {outsider} created"]

    added = ec.add_tags_to_resource(ResourceName=arn(outsider), Tags=[{"Key": "team", "Value": "c"}])
    assert added["TagList"] == [{"Key": "team", "Value": "c"}]
    found = resources(elasticache, **groups_of, TagFilters=[{"Key": "team", "Values": ["c"]}])
    assert found == {arn(outsider): [{"Key": "team", "Value": "c"}]}
    node = arn(outsider).replace(":replicationgroup:", ":cluster:") + "-001"
    assert resources(elasticache, ResourceARNList=[node]) == {node: [{"Key": "team", "Value": "c"}]}

    assert ec.remove_tags_from_resource(ResourceName=arn(outsider), TagKeys=["team"])["TagList"] == []
    assert resources(elasticache, **groups_of, TagFilters=[{"Key": "team", "Values": ["c"]}]) == {}
    assert resources(elasticache, **groups_of)[arn(outsider)] == []  # once tagged: listed with no tags

    ec.delete_replication_group(ReplicationGroupId=other)
    wait_status(ec, other, None)
    assert arn(other) not in resources(elasticache, **groups_of)
    kept = min(gid for gid, tags in fleet.items() if tags)
    assert resources(elasticache, ResourceARNList=[arn(other), arn(kept)]) == {arn(kept): fleet[kept]}
    code, _ = error_of(lambda: ec.add_tags_to_resource(ResourceName=arn(other), Tags=[{"Key": "k", "Value": "v"}]))
    assert code == "ReplicationGroupNotFoundFault"  # tags on a deleted group are refused, not kept for later
    recreated = create(ec, other)["ReplicationGroupId"]  # the same id again starts with no tags
    assert ec.list_tags_for_resource(ResourceName=arn(recreated))["TagList"] == []
    assert api.get_resources(ResourceARNList=[arn(recreated)])["ResourceTagMappingList"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"ResourcesPerPage": 101},
        {"ResourcesPerPage": 0},
        {"TagsPerPage": 99},
        {"ResourceARNList": [arn("x")], "TagFilters": [{"Key": "team"}]},
        {"ResourceARNList": [arn("x")], "ResourceTypeFilters": ["elasticache"]},
        {"ResourceARNList": [arn(f"x{i}") for i in range(101)]},
        {"TagFilters": [{"Key": "team", "Values": [str(i) for i in range(21)]}]},
        {"PaginationToken": "not-a-token"},
        {"ExcludeCompliantResources": True},
    ],
)
def test_get_resources_requests_are_checked(elasticache, params):
    assert error_of(lambda: tagging(elasticache).get_resources(**params))[0] == "InvalidParameterException"


def test_a_pagination_token_belongs_to_its_query(elasticache, fleet):
    api = tagging(elasticache)
    page = api.get_resources(ResourceTypeFilters=["elasticache:replicationgroup"], ResourcesPerPage=10)
    assert len(page["ResourceTagMappingList"]) == 10 and page["PaginationToken"]
    code, _ = error_of(
        lambda: api.get_resources(ResourceTypeFilters=["elasticache"], PaginationToken=page["PaginationToken"])
    )
    assert code == "InvalidParameterException"
    by_tags, token, weights = [], None, []
    while True:
        page = api.get_resources(TagsPerPage=100, **({"PaginationToken": token} if token else {}))
        by_tags.extend(page["ResourceTagMappingList"])
        weights.append(sum(max(1, len(r["Tags"])) for r in page["ResourceTagMappingList"]))
        token = page["PaginationToken"]
        if not token:
            break
    assert all(weight <= 100 for weight in weights) and len(weights) >= 3  # a page holds at most 100 tags
    assert max(weights) > 95  # ... and is filled up to that
    assert len({r["ResourceARN"] for r in by_tags}) == len(by_tags)


def test_moto_s_other_tagging_operations_still_work(elasticache, fleet):
    api = tagging(elasticache)
    assert {"team", "env"} <= set(api.get_tag_keys()["TagKeys"])
    assert {"a", "b"} <= set(api.get_tag_values(Key="team")["TagValues"])
    target = arn(max(gid for gid, tags in fleet.items() if not tags))
    assert api.tag_resources(ResourceARNList=[target], Tags={"via": "tagging-api"})["FailedResourcesMap"] == {}
    assert resources(elasticache, TagFilters=[{"Key": "via"}]) == {target: [{"Key": "via", "Value": "tagging-api"}]} | {
        target.replace(":replicationgroup:", ":cluster:") + "-001": [{"Key": "via", "Value": "tagging-api"}]
    }
    api.untag_resources(ResourceARNList=[target], TagKeys=["via"])
    assert resources(elasticache, TagFilters=[{"Key": "via"}]) == {}


# --- faults for load -----------------------------------------------------------------------------


def test_a_seeded_rate_fault_fails_the_same_calls_every_time(elasticache):
    ec = elasticache.client(attempts=1)
    calls, rate, seed = 200, 0.5, 7
    elasticache.inject(operation="DescribeCacheClusters", code="Throttling", status=400, rate=rate, count=-1, seed=seed)
    try:
        failed = []
        for _ in range(calls):
            try:
                ec.describe_cache_clusters(MaxRecords=20)
                failed.append(False)
            except ClientError as e:
                assert e.response["Error"]["Code"] == "Throttling"
                failed.append(True)
    finally:
        elasticache.clear_faults()
    assert 0.35 * calls < sum(failed) < 0.65 * calls  # roughly the fraction asked
    draws = random.Random(seed)
    assert failed == [draws.random() < rate for _ in range(calls)]  # and exactly the seeded draws
    ec.describe_cache_clusters(MaxRecords=20)  # cleared


def test_a_throttling_storm_is_ridden_out_by_a_retrying_client(elasticache):
    before = elasticache.requests_served()
    elasticache.inject(operation="*", code="Throttling", status=400, rate=0.5, count=-1, seed=11)
    try:
        ec = elasticache.client(attempts=10)
        for _ in range(8):
            ec.describe_replication_groups(MaxRecords=20)
        api = elasticache.client("resourcegroupstaggingapi", attempts=10)
        for _ in range(4):
            api.get_resources(ResourcesPerPage=5)
        with pytest.raises(ClientError) as caught:  # without retries, some call soon meets the storm
            for _ in range(50):
                elasticache.client("resourcegroupstaggingapi").get_resources(ResourcesPerPage=5)
        assert caught.value.response["Error"]["Code"] == "Throttling"  # a JSON error, parsed as such
    finally:
        elasticache.clear_faults()
    after = elasticache.requests_served()
    assert after["DescribeReplicationGroups"] - before.get("DescribeReplicationGroups", 0) > 8  # retried


def test_a_rate_fault_with_a_count_fails_that_many_calls(elasticache):
    ec = elasticache.client(attempts=1)
    elasticache.inject(operation="DescribeReplicationGroups", code="Throttling", rate=0.5, count=3, seed=3)
    failures = 0
    try:
        for _ in range(40):
            try:
                ec.describe_replication_groups(MaxRecords=20)
            except ClientError:
                failures += 1
    finally:
        elasticache.clear_faults()
    assert failures == 3


def raw_client(elasticache, read_timeout):
    return boto3.client(
        "elasticache",
        endpoint_url=elasticache.endpoint,
        region_name="us-east-1",
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
        config=Config(read_timeout=read_timeout, connect_timeout=5, retries={"total_max_attempts": 1}),
    )


def test_a_timeout_fault_holds_the_call_past_the_client_s_read_timeout(elasticache):
    elasticache.inject(operation="DescribeReplicationGroups", code="", timeout_seconds=30, count=1)
    try:
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            raw_client(elasticache, read_timeout=1).describe_replication_groups(MaxRecords=20)
        assert time.monotonic() - started < 20
    finally:
        elasticache.clear_faults()  # lets the held request go
    raw_client(elasticache, read_timeout=5).describe_replication_groups(MaxRecords=20)

    elasticache.inject(operation="DescribeReplicationGroups", code="", timeout_seconds=0.3, count=1)
    try:  # a client that waits longer than the hold sees the connection closed, not an answer
        with pytest.raises(ConnectionClosedError):
            raw_client(elasticache, read_timeout=20).describe_replication_groups(MaxRecords=20)
    finally:
        elasticache.clear_faults()


def test_an_applied_timeout_loses_only_the_answer(elasticache):
    ec = elasticache.client()
    gid = uid("lost")
    elasticache.inject(operation="CreateReplicationGroup", code="", timeout_seconds=30, applied=True, count=1)
    try:
        with pytest.raises(ReadTimeoutError):
            create(raw_client(elasticache, read_timeout=1), gid)
    finally:
        elasticache.clear_faults()
    assert status_of(ec, gid) in ("creating", "available")  # the create went through
    assert error_of(lambda: create(ec, gid))[0] == "ReplicationGroupAlreadyExists"


def test_a_bad_fault_is_refused(elasticache):
    import requests

    response = requests.post(f"{elasticache.endpoint}/_sandbox/faults", json={"operation": "*", "rate": 2}, timeout=10)
    assert response.status_code == 400
    response = requests.post(f"{elasticache.endpoint}/_sandbox/faults", json={"operation": "*", "nope": 1}, timeout=10)
    assert response.status_code == 400
    assert requests.get(f"{elasticache.endpoint}/_sandbox/faults", timeout=10).json()["faults"] == []
