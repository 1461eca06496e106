"""The ElastiCache stand-in's backups follow AWS: CreateSnapshot (of a group or of a node), the group
`snapshotting` meanwhile, DescribeSnapshots' filters and pages, DeleteSnapshot, a final snapshot of the
primaries, the 20-a-day quota per node, and the rules for restoring a snapshot into a new group, each
with AWS's error code. No data plane here (test_snapshot_restore.py has the data)."""

import time
import uuid

import botocore.session
import pytest
from botocore.exceptions import ClientError

from ..support import sandbox

TOKEN = "sandbox-auth-token-16"
RG, CC = "replication-group", "cache-cluster"


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    log = tmp_path_factory.mktemp("snapshots") / "elasticache.log"
    with sandbox.elasticache_api(log, create=0.3, modify=0.3, delete=0.3) as api:
        yield api


def uid(prefix="sn"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(ec, gid=None, **overrides):
    request = dict(
        ReplicationGroupId=gid or uid(),
        ReplicationGroupDescription="backups",
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


def wait_for(check, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached in {timeout}s")


def group(ec, gid):
    try:
        return ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ReplicationGroupNotFoundFault":
            return None
        raise


def available(ec, gid):
    return wait_for(lambda: (g := group(ec, gid)) is not None and g["Status"] == "available" and g, f"{gid} available")


def snapshot(ec, name, **params):
    return ec.describe_snapshots(SnapshotName=name, **params)["Snapshots"][0]


def snapshot_status(ec, name):
    try:
        return snapshot(ec, name)["SnapshotStatus"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "SnapshotNotFoundFault":
            return None
        raise


def settled(ec, name, wanted="available"):
    wait_for(lambda: snapshot_status(ec, name) == wanted, f"snapshot {name} {wanted}")
    return snapshot(ec, name, ShowNodeGroupConfig=True)


def error_of(call):
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error["Message"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def code_of(call):
    return error_of(call)[0]


def messages(ec, source_id, source_type):
    events = ec.describe_events(SourceIdentifier=source_id, SourceType=source_type, Duration=60)["Events"]
    return [e["Message"] for e in events]


def test_a_snapshot_is_creating_then_available_and_the_group_snapshotting_meanwhile(aws):
    ec = aws.client()
    gid = create(ec)["ReplicationGroupId"]
    available(ec, gid)
    name = uid("Backup")  # stored lowercase
    taken = ec.create_snapshot(SnapshotName=name, ReplicationGroupId=gid)["Snapshot"]
    assert taken["SnapshotName"] == name.lower() and taken["SnapshotStatus"] == "creating"
    assert [n["CacheSize"] for n in taken["NodeSnapshots"]] == [""]
    assert group(ec, gid)["Status"] == "snapshotting"
    assert code_of(lambda: ec.modify_replication_group(ReplicationGroupId=gid, SnapshotRetentionLimit=2)) == (
        "InvalidReplicationGroupState"
    )
    assert code_of(lambda: ec.create_snapshot(SnapshotName=uid(), ReplicationGroupId=gid)) == (
        "InvalidReplicationGroupState"
    )
    assert code_of(lambda: ec.delete_replication_group(ReplicationGroupId=gid)) == "InvalidReplicationGroupState"
    assert code_of(lambda: ec.delete_snapshot(SnapshotName=name)) == "InvalidSnapshotState"

    done = settled(ec, name.lower())
    assert available(ec, gid)
    assert {k: done[k] for k in ("ReplicationGroupId", "Engine", "EngineVersion", "CacheNodeType")} == {
        "ReplicationGroupId": gid,
        "Engine": "redis",
        "EngineVersion": "7.1.0",
        "CacheNodeType": "cache.t4g.micro",
    }
    assert done["NumNodeGroups"] == 1 and done["AutomaticFailover"] == "enabled" and done["Port"] == 6379
    assert done["SnapshotSource"] == "manual" and done["ARN"].endswith(f":snapshot:{name.lower()}")
    [node] = done["NodeSnapshots"]
    # Read from the replica, sparing the primary the fork; no data plane here, so a token size.
    assert node["CacheClusterId"] == f"{gid}-002" and node["NodeGroupId"] == "0001" and node["CacheNodeId"] == "0001"
    assert node["CacheSize"] == "1 MB" and node["SnapshotCreateTime"] >= node["CacheNodeCreateTime"]
    assert "Slots" not in node["NodeGroupConfiguration"] and node["NodeGroupConfiguration"]["ReplicaCount"] == 1
    assert messages(ec, f"{gid}-002", CC)[0] == (
        f"Snapshot succeeded for snapshot with ID '{name.lower()}' of replication group with ID '{gid}'"
    )
    assert "NodeGroupConfiguration" not in snapshot(ec, name)["NodeSnapshots"][0]  # only when asked for


def test_a_node_of_a_non_sharded_group_can_be_named_and_is_reported(aws):
    ec = aws.client()
    gid = create(ec, NumCacheClusters=3)["ReplicationGroupId"]
    available(ec, gid)
    name = uid()
    taken = ec.create_snapshot(SnapshotName=name, CacheClusterId=f"{gid}-003")["Snapshot"]
    assert taken["CacheClusterId"] == f"{gid}-003" and taken["ReplicationGroupId"] == gid
    assert taken["NumCacheNodes"] == 1
    assert group(ec, gid)["Status"] == "snapshotting"
    done = settled(ec, name)
    assert [n["CacheClusterId"] for n in done["NodeSnapshots"]] == [f"{gid}-003"]
    assert messages(ec, f"{gid}-003", CC)[0] == (
        f"Snapshot succeeded for snapshot with ID '{name}' of cache cluster with ID '{gid}-003'"
    )


def test_a_sharded_group_is_backed_up_shard_by_shard_and_only_as_a_whole(aws):
    ec = aws.client()
    made = create_sharded(ec, shards=3)
    gid = made["ReplicationGroupId"]
    served = {ng["NodeGroupId"]: ng["Slots"] for ng in available(ec, gid)["NodeGroups"]}
    assert code_of(lambda: ec.create_snapshot(SnapshotName=uid(), CacheClusterId=f"{gid}-0002-001")) == (
        "SnapshotFeatureNotSupportedFault"
    )
    name = uid()
    ec.create_snapshot(SnapshotName=name, ReplicationGroupId=gid)
    done = settled(ec, name)
    assert done["NumNodeGroups"] == 3 and "CacheClusterId" not in done
    nodes = done["NodeSnapshots"]
    assert [n["NodeGroupId"] for n in nodes] == ["0001", "0002", "0003"]
    assert [n["CacheClusterId"] for n in nodes] == [f"{gid}-{shard}-002" for shard in ("0001", "0002", "0003")]
    assert {n["NodeGroupId"]: n["NodeGroupConfiguration"]["Slots"] for n in nodes} == served


@pytest.mark.parametrize(
    ("name", "why"),
    [("1backup", "starts with a digit"), ("a--b", "two hyphens"), ("ends-", "a trailing hyphen"), ("a_b", "_")],
)
def test_snapshot_names_are_checked(aws, name, why):
    ec = aws.client()
    gid = create(ec, NumCacheClusters=1, AutomaticFailoverEnabled=False)["ReplicationGroupId"]
    available(ec, gid)
    assert code_of(lambda: ec.create_snapshot(SnapshotName=name, ReplicationGroupId=gid)) == "InvalidParameterValue"


def test_create_snapshot_refuses_as_aws_does(aws):
    ec = aws.client()
    gid = create(ec)["ReplicationGroupId"]
    assert code_of(lambda: ec.create_snapshot(SnapshotName=uid(), ReplicationGroupId=gid)) == (
        "InvalidReplicationGroupState"
    )  # still creating
    assert code_of(lambda: ec.create_snapshot(SnapshotName=uid(), CacheClusterId=f"{gid}-001")) == (
        "InvalidCacheClusterState"
    )
    available(ec, gid)
    name = uid()
    ec.create_snapshot(SnapshotName=name, ReplicationGroupId=gid)
    available(ec, gid)
    assert error_of(lambda: ec.create_snapshot(SnapshotName=name.upper(), ReplicationGroupId=gid))[0] == (
        "SnapshotAlreadyExistsFault"
    )
    assert error_of(lambda: ec.create_snapshot(SnapshotName=uid(), ReplicationGroupId="no-such-group"))[::2] == (
        "ReplicationGroupNotFoundFault",
        404,
    )
    assert error_of(lambda: ec.create_snapshot(SnapshotName=uid(), CacheClusterId="no-such-node"))[::2] == (
        "CacheClusterNotFound",
        404,
    )
    assert code_of(
        lambda: ec.create_snapshot(SnapshotName=uid(), ReplicationGroupId=gid, CacheClusterId=f"{gid}-001")
    ) == ("InvalidParameterCombination")
    assert code_of(lambda: ec.create_snapshot(SnapshotName=uid())) == "InvalidParameterValue"
    tags = [{"Key": f"k{n}", "Value": "v"} for n in range(51)]
    assert code_of(lambda: ec.create_snapshot(SnapshotName=uid(), ReplicationGroupId=gid, Tags=tags)) == (
        "InvalidParameterValue"
    )
    old = create(ec, NumCacheClusters=1, AutomaticFailoverEnabled=False, CacheNodeType="cache.t1.micro")
    available(ec, old["ReplicationGroupId"])
    assert code_of(lambda: ec.create_snapshot(SnapshotName=uid(), ReplicationGroupId=old["ReplicationGroupId"])) == (
        "SnapshotFeatureNotSupportedFault"
    )


def test_twenty_backups_per_node_a_day_then_the_next_node_then_none(aws):
    ec = aws.client()
    gid = create(ec)["ReplicationGroupId"]
    available(ec, gid)
    sources = []
    for _ in range(21):
        name = uid("q")
        ec.create_snapshot(SnapshotName=name, ReplicationGroupId=gid)
        sources.append(settled(ec, name)["NodeSnapshots"][0]["CacheClusterId"])
        available(ec, gid)
    # 20 from the replica, then the primary's own quota; naming the spent replica is refused.
    assert sources == [f"{gid}-002"] * 20 + [f"{gid}-001"]
    assert code_of(lambda: ec.create_snapshot(SnapshotName=uid(), CacheClusterId=f"{gid}-002")) == (
        "SnapshotQuotaExceededFault"
    )
    name = uid()
    ec.create_snapshot(SnapshotName=name, CacheClusterId=f"{gid}-001")  # the primary still has 18
    settled(ec, name)


def every_snapshot(ec, **filters):
    found, marker = [], None
    while True:
        page = ec.describe_snapshots(**filters, **({"Marker": marker} if marker else {}))
        found += page["Snapshots"]
        marker = page.get("Marker")
        if not marker:
            return found


def test_describe_snapshots_filters_and_pages(aws):
    ec = aws.client()
    groups = [create(ec, NumCacheClusters=1, AutomaticFailoverEnabled=False)["ReplicationGroupId"] for _ in range(5)]
    for gid in groups:
        available(ec, gid)
    names = set()
    for round_ in range(5):  # different groups are backed up side by side
        for gid in groups:
            name = f"{gid}-r{round_}"
            ec.create_snapshot(SnapshotName=name, ReplicationGroupId=gid, Tags=[{"Key": "round", "Value": str(round_)}])
            names.add(name)
        for gid in groups:
            available(ec, gid)
    seen, marker, pages = [], None, 0
    while True:
        page = ec.describe_snapshots(MaxRecords=20, **({"Marker": marker} if marker else {}))
        assert len(page["Snapshots"]) <= 20
        seen += [s["SnapshotName"] for s in page["Snapshots"]]
        pages += 1
        marker = page.get("Marker")
        if not marker:
            break
    assert pages >= 2 and len(seen) == len(set(seen)) and names <= set(seen) and seen == sorted(seen)
    assert len(ec.describe_snapshots()["Snapshots"]) == min(50, len(seen))  # 50 a page by default

    assert {s["SnapshotName"] for s in ec.describe_snapshots(ReplicationGroupId=groups[0])["Snapshots"]} == {
        f"{groups[0]}-r{n}" for n in range(5)
    }
    mine = ec.describe_snapshots(CacheClusterId=f"{groups[1]}-001")["Snapshots"]
    assert {s["SnapshotName"] for s in mine} == {f"{groups[1]}-r{n}" for n in range(5)}
    assert names <= {s["SnapshotName"] for s in every_snapshot(ec, SnapshotSource="user")}
    assert every_snapshot(ec, SnapshotSource="system") == []
    tags = ec.list_tags_for_resource(ResourceName=snapshot(ec, f"{groups[2]}-r3")["ARN"])["TagList"]
    assert tags == [{"Key": "round", "Value": "3"}]

    assert error_of(lambda: ec.describe_snapshots(SnapshotName="no-such-snapshot"))[::2] == (
        "SnapshotNotFoundFault",
        404,
    )
    assert code_of(lambda: ec.describe_snapshots(CacheClusterId="no-such-node")) == "CacheClusterNotFound"
    for records in (19, 51):
        assert code_of(lambda records=records: ec.describe_snapshots(MaxRecords=records)) == "InvalidParameterValue"
    assert code_of(lambda: ec.describe_snapshots(SnapshotSource="manual")) == "InvalidParameterValue"
    assert code_of(lambda: ec.describe_snapshots(Marker="not-a-marker")) == "InvalidParameterValue"


def test_delete_snapshot_goes_through_deleting(aws):
    ec = aws.client()
    gid = create(ec, NumCacheClusters=1, AutomaticFailoverEnabled=False)["ReplicationGroupId"]
    available(ec, gid)
    name = uid()
    ec.create_snapshot(SnapshotName=name, ReplicationGroupId=gid, Tags=[{"Key": "team", "Value": "x"}])
    assert code_of(lambda: ec.delete_snapshot(SnapshotName=name)) == "InvalidSnapshotState"  # creating
    arn = settled(ec, name)["ARN"]
    deleting = ec.delete_snapshot(SnapshotName=name.upper())["Snapshot"]
    assert deleting["SnapshotName"] == name and deleting["SnapshotStatus"] == "deleting"
    assert snapshot_status(ec, name) == "deleting"
    assert code_of(lambda: ec.delete_snapshot(SnapshotName=name)) == "InvalidSnapshotState"
    wait_for(lambda: snapshot_status(ec, name) is None, "the snapshot gone")
    assert error_of(lambda: ec.delete_snapshot(SnapshotName=name))[::2] == ("SnapshotNotFoundFault", 404)
    tagged = aws.client("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=["elasticache:snapshot"])
    assert arn not in {r["ResourceARN"] for r in tagged["ResourceTagMappingList"]}


def test_a_snapshot_can_be_made_to_fail(aws):
    ec = aws.client()
    gid = create(ec)["ReplicationGroupId"]
    available(ec, gid)
    aws.inject(operation="CreateSnapshot", code="", outcome="failed", count=1)
    try:
        name = uid()
        assert ec.create_snapshot(SnapshotName=name, ReplicationGroupId=gid)["Snapshot"]["SnapshotStatus"] == (
            "creating"
        )
    finally:
        aws.clear_faults()
    settled(ec, name, "failed")
    available(ec, gid)
    assert messages(ec, f"{gid}-002", CC)[0] == (
        f"Snapshot failed for snapshot with ID '{name}' of replication group with ID '{gid}'"
    )
    assert code_of(lambda: create(ec, SnapshotName=name)) == "InvalidSnapshotState"
    ec.delete_snapshot(SnapshotName=name)  # a failed snapshot can be deleted
    wait_for(lambda: snapshot_status(ec, name) is None, "the failed snapshot gone")
    other = uid()
    ec.create_snapshot(SnapshotName=other, ReplicationGroupId=gid)  # the fault was for one snapshot only
    settled(ec, other)


def test_faults_reach_the_new_actions(aws):
    ec = aws.client()
    aws.inject(operation="DescribeSnapshots", code="Throttling", count=1)
    aws.inject(operation="TestFailover", code="APICallRateForCustomerExceeded", count=1)
    try:
        assert code_of(lambda: ec.describe_snapshots()) == "Throttling"
        ec.describe_snapshots()
        assert code_of(lambda: ec.test_failover(ReplicationGroupId="any", NodeGroupId="0001")) == (
            "APICallRateForCustomerExceeded"
        )
    finally:
        aws.clear_faults()
    assert aws.requests_served()["DescribeSnapshots"] >= 2


def test_the_final_snapshot_is_read_from_the_primaries(aws):
    ec = aws.client()
    gid = create_sharded(ec, shards=2)["ReplicationGroupId"]
    available(ec, gid)
    assert code_of(lambda: ec.delete_replication_group(ReplicationGroupId=gid, FinalSnapshotIdentifier="x--y")) == (
        "InvalidParameterValue"
    )
    taken = uid()
    ec.create_snapshot(SnapshotName=taken, ReplicationGroupId=gid)
    available(ec, gid)
    assert code_of(lambda: ec.delete_replication_group(ReplicationGroupId=gid, FinalSnapshotIdentifier=taken)) == (
        "SnapshotAlreadyExistsFault"
    )
    final = f"{gid}-final"
    assert ec.delete_replication_group(ReplicationGroupId=gid, FinalSnapshotIdentifier=final)["ReplicationGroup"][
        "Status"
    ] == ("deleting")
    assert snapshot(ec, final)["SnapshotStatus"] == "creating"
    wait_for(lambda: group(ec, gid) is None, f"{gid} deleted")
    done = settled(ec, final)
    assert [n["CacheClusterId"] for n in done["NodeSnapshots"]] == [f"{gid}-0001-001", f"{gid}-0002-001"]
    assert messages(ec, f"{gid}-0002-001", CC)[:2] == [
        "Cache cluster deleted",
        f"Snapshot succeeded for snapshot with ID '{final}' of replication group with ID '{gid}'",
    ]


@pytest.fixture(scope="module")
def sources(aws):
    """Snapshots to restore from: a non-sharded one (Redis OSS 7.1, t4g), a sharded one of 3 shards
    with slots split unevenly, and a Valkey one."""
    ec = aws.client()
    plain = create(ec)["ReplicationGroupId"]
    uneven = [{"Slots": "0-999"}, {"Slots": "1000-9999"}, {"Slots": "10000-16383"}]
    sharded = create_sharded(ec, shards=3, NodeGroupConfiguration=uneven)["ReplicationGroupId"]
    valkey = create(ec, Engine="valkey", EngineVersion="8.0")["ReplicationGroupId"]
    names = {}
    for kind, gid in (("plain", plain), ("sharded", sharded), ("valkey", valkey)):
        available(ec, gid)
        names[kind] = f"{gid}-src"
        ec.create_snapshot(SnapshotName=names[kind], ReplicationGroupId=gid)
    for name in names.values():
        settled(ec, name)
    nodes = settled(ec, names["sharded"])["NodeSnapshots"]
    names["sharded_slots"] = [n["NodeGroupConfiguration"]["Slots"] for n in nodes]
    assert names["sharded_slots"] == ["0-999", "1000-9999", "10000-16383"]
    return names


def restore(ec, name, sharded=False, **overrides):
    """CreateReplicationGroup from a snapshot, leaving the version and node type to it unless given."""
    request = {"SnapshotName": name, "EngineVersion": None, "CacheNodeType": None, **overrides}
    return create_sharded(ec, **request) if sharded else create(ec, **request)


def test_a_restore_is_refused_as_aws_documents(aws, sources):
    ec = aws.client()
    assert error_of(lambda: restore(ec, "no-such-snapshot"))[::2] == ("SnapshotNotFoundFault", 404)
    # Cluster mode enabled → disabled: never.
    assert code_of(lambda: restore(ec, sources["sharded"])) == "InvalidParameterCombination"
    # Another shard count needs the slots of every shard, covering 0-16383 once.
    message = error_of(lambda: restore(ec, sources["sharded"], sharded=True, shards=2))[:2]
    assert message[0] == "InvalidParameterCombination" and "Slots must be provided" in message[1]
    for slots in (
        ["0-8191", "8000-16383"],  # overlap
        ["0-8000", "8192-16383"],  # a gap
        ["0-8191", "8192-16384"],  # out of range
        ["0-8191", "the rest"],
        ["0-8191", None],  # one shard without
    ):
        config = [{"Slots": s} if s else {"ReplicaCount": 1} for s in slots]
        assert code_of(
            lambda config=config: restore(ec, sources["sharded"], sharded=True, shards=2, NodeGroupConfiguration=config)
        ) == ("InvalidParameterValue"), slots
    # Never to an earlier engine version; data tiering only into data tiering.
    assert code_of(lambda: restore(ec, sources["plain"], EngineVersion="6.2")) == "InvalidParameterCombination"
    assert code_of(lambda: restore(ec, sources["plain"], CacheNodeType="cache.r6gd.xlarge")) == (
        "InvalidParameterCombination"
    )
    assert code_of(lambda: restore(ec, sources["plain"], SnapshotArns=["arn:aws:s3:::b/x.rdb"])) == (
        "InvalidParameterCombination"
    )
    # A Redis OSS snapshot may seed Valkey; not the other way round.
    assert code_of(lambda: restore(ec, sources["valkey"], Engine="redis")) == "InvalidParameterCombination"
    valkey = restore(ec, sources["plain"], Engine="valkey", EngineVersion="8.0")["ReplicationGroupId"]
    available(ec, valkey)


def test_a_restore_takes_the_snapshots_version_and_type_and_holds_it_restoring(aws, sources):
    ec = aws.client()
    made = restore(ec, sources["plain"], CacheNodeType=None, NumCacheClusters=3)
    gid = made["ReplicationGroupId"]
    assert snapshot_status(ec, sources["plain"]) == "restoring"
    assert code_of(lambda: restore(ec, sources["plain"])) == "InvalidSnapshotState"
    assert code_of(lambda: ec.delete_snapshot(SnapshotName=sources["plain"])) == "InvalidSnapshotState"
    available(ec, gid)
    assert snapshot_status(ec, sources["plain"]) == "available"
    [member] = ec.describe_cache_clusters(CacheClusterId=f"{gid}-001")["CacheClusters"]
    assert member["EngineVersion"] == "7.1.0" and member["CacheNodeType"] == "cache.t4g.micro"
    later = restore(ec, sources["plain"], EngineVersion="7.2", CacheNodeType="cache.m7g.large")["ReplicationGroupId"]
    available(ec, later)
    [member] = ec.describe_cache_clusters(CacheClusterId=f"{later}-001")["CacheClusters"]
    assert member["EngineVersion"] == "7.2.0" and member["CacheNodeType"] == "cache.m7g.large"


def slots(made):
    return [ng["Slots"] for ng in made["NodeGroups"]]


def test_restored_shards_get_the_snapshots_slots_or_those_given(aws, sources):
    ec = aws.client()

    def restored(name, **request):  # one restore of a snapshot at a time: it is `restoring` meanwhile
        made = restore(ec, name, sharded=True, **request)
        available(ec, made["ReplicationGroupId"])
        wait_for(lambda: snapshot_status(ec, name) == "available", f"{name} available again")
        return made

    same = restored(sources["sharded"])  # NumNodeGroups=3, as the snapshot has
    assert slots(same) == sources["sharded_slots"]
    fewer = restored(
        sources["sharded"],
        shards=2,
        NodeGroupConfiguration=[{"Slots": "0-4999", "ReplicaCount": 1}, {"Slots": "5000-16383", "ReplicaCount": 1}],
    )
    assert slots(fewer) == ["0-4999", "5000-16383"]
    unsharded = restored(
        sources["plain"],
        shards=3,
        NodeGroupConfiguration=[{"Slots": "0-99,10000-16383"}, {"Slots": "100-5000"}, {"Slots": "5001-9999"}],
    )
    assert slots(unsharded) == ["0-99,10000-16383", "100-5000", "5001-9999"]
    assert slots(restored(sources["plain"], shards=1)) == ["0-16383"]


def test_a_new_sharded_group_is_checked_for_slots_too(aws):
    ec = aws.client()
    assert code_of(
        lambda: create_sharded(ec, shards=2, NodeGroupConfiguration=[{"Slots": "0-100"}, {"Slots": "101-200"}])
    ) == ("InvalidParameterValue")
    made = create_sharded(ec, shards=2, NodeGroupConfiguration=[{"Slots": "0-10"}, {"Slots": "11-16383"}])
    assert slots(made) == ["0-10", "11-16383"]


def modeled_error_codes(operation):
    model = botocore.session.get_session().get_service_model("elasticache")
    return {
        shape.metadata.get("error", {}).get("code", shape.name)
        for shape in model.operation_model(operation).error_shapes
    }


@pytest.mark.parametrize(
    ("operation", "codes"),
    [
        (
            "CreateSnapshot",
            {
                "SnapshotAlreadyExistsFault",
                "CacheClusterNotFound",
                "ReplicationGroupNotFoundFault",
                "InvalidCacheClusterState",
                "InvalidReplicationGroupState",
                "SnapshotQuotaExceededFault",
                "SnapshotFeatureNotSupportedFault",
                "InvalidParameterCombination",
                "InvalidParameterValue",
            },
        ),
        (
            "DescribeSnapshots",
            {"CacheClusterNotFound", "SnapshotNotFoundFault", "InvalidParameterValue", "InvalidParameterCombination"},
        ),
        ("DeleteSnapshot", {"SnapshotNotFoundFault", "InvalidSnapshotState"}),
        (
            "DeleteReplicationGroup",
            {"SnapshotAlreadyExistsFault", "SnapshotQuotaExceededFault", "InvalidParameterValue"},
        ),
    ],
)
def test_the_backup_codes_are_aws_documented_ones(operation, codes):
    assert codes <= modeled_error_codes(operation)
