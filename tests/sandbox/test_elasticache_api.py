"""The ElastiCache stand-in follows AWS's documented behaviour where the operator depends on it."""

import time
import uuid

import pytest
from botocore.exceptions import ClientError

TOKEN = "sandbox-auth-token-16"


def group_id():
    return f"t-{uuid.uuid4().hex[:10]}"


def create(ec, gid=None, **overrides):
    request = dict(
        ReplicationGroupId=gid or group_id(),
        ReplicationGroupDescription="test",
        Engine="redis",
        EngineVersion="6.2",
        CacheNodeType="cache.t4g.micro",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
        NumCacheClusters=1,
    )
    request.update(overrides)
    return ec.create_replication_group(**{k: v for k, v in request.items() if v is not None})["ReplicationGroup"]


def wait_status(ec, gid, wanted, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]["Status"]
        except ClientError as e:
            if e.response["Error"]["Code"] == "ReplicationGroupNotFoundFault":
                status = None
            else:
                raise
        if status == wanted:
            return
        time.sleep(0.1)
    raise AssertionError(f"{gid} never reached {wanted}")


def error_code(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_groups_are_created_then_become_available(elasticache):
    ec = elasticache.client()
    group = create(ec, NumCacheClusters=3)
    assert group["Status"] == "creating" and len(group["MemberClusters"]) == 3
    [node_group] = group["NodeGroups"]
    assert node_group["PrimaryEndpoint"]["Port"] == node_group["ReaderEndpoint"]["Port"] == 6379
    wait_status(ec, group["ReplicationGroupId"], "available")
    [member] = ec.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"]
    assert member["EngineVersion"] == "6.2.6" and member["ReplicationGroupId"] == group["ReplicationGroupId"]


def test_ids_are_stored_lowercase(elasticache):
    ec = elasticache.client()
    gid = group_id()
    create(ec, gid.upper())
    assert ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]["ReplicationGroupId"] == gid


def test_sharded_groups_have_node_groups_and_a_configuration_endpoint(elasticache):
    ec = elasticache.client()
    group = create(
        ec,
        NumCacheClusters=None,
        NumNodeGroups=3,
        ReplicasPerNodeGroup=1,
        AutomaticFailoverEnabled=True,
        CacheParameterGroupName="default.redis6.x.cluster.on",
    )
    assert group["ClusterEnabled"] is True and len(group["NodeGroups"]) == 3
    assert all(len(g["NodeGroupMembers"]) == 2 for g in group["NodeGroups"])
    assert group["ConfigurationEndpoint"]["Address"]


@pytest.mark.parametrize(
    ("overrides", "code", "fragment"),
    [
        ({"ReplicationGroupId": "Bad--ID-"}, "InvalidParameterValue", "consecutive hyphens"),
        ({"ReplicationGroupId": "1starts-with-digit"}, "InvalidParameterValue", "begin with a letter"),
        ({"AuthToken": "too-short"}, "InvalidParameterValue", "AuthToken"),
        ({"AuthToken": "has/a/slash/in/it/here"}, "InvalidParameterValue", "AuthToken"),
        ({"TransitEncryptionEnabled": False}, "InvalidParameterCombination", "in-transit"),
        ({"NumCacheClusters": 7}, "InvalidParameterValue", "between 1 and 6"),
        ({"AutomaticFailoverEnabled": True}, "InvalidParameterCombination", "at least 2"),
        (
            {"NumCacheClusters": None, "NumNodeGroups": 2},
            "InvalidParameterCombination",
            "Automatic failover must be enabled",
        ),
        ({"SnapshotRetentionLimit": 36}, "InvalidParameterValue", "between 0 and 35"),
    ],
)
def test_invalid_requests_get_aws_error_codes(elasticache, overrides, code, fragment):
    got_code, message = error_code(lambda: create(elasticache.client(), **overrides))
    assert got_code == code and fragment in message


def test_duplicate_ids_are_refused(elasticache):
    ec = elasticache.client()
    gid = group_id()
    create(ec, gid)
    assert error_code(lambda: create(ec, gid))[0] == "ReplicationGroupAlreadyExists"


def test_modify_needs_available_then_passes_through_modifying(elasticache):
    ec = elasticache.client()
    gid = create(ec)["ReplicationGroupId"]
    code, _ = error_code(
        lambda: ec.modify_replication_group(
            ReplicationGroupId=gid, CacheNodeType="cache.m7g.large", ApplyImmediately=True
        )
    )
    assert code == "InvalidReplicationGroupState"
    wait_status(ec, gid, "available")
    group = ec.modify_replication_group(
        ReplicationGroupId=gid, CacheNodeType="cache.m7g.large", EngineVersion="7.1", ApplyImmediately=True
    )["ReplicationGroup"]
    assert group["Status"] == "modifying"
    wait_status(ec, gid, "available")
    group = ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]
    assert group["CacheNodeType"] == "cache.m7g.large"
    member = ec.describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"][0]
    assert member["EngineVersion"] == "7.1.0"


def test_identical_modify_and_downgrade_are_refused(elasticache):
    ec = elasticache.client()
    gid = create(ec)["ReplicationGroupId"]
    wait_status(ec, gid, "available")
    code, message = error_code(
        lambda: ec.modify_replication_group(ReplicationGroupId=gid, EngineVersion="6.2", ApplyImmediately=True)
    )
    assert (code, message) == ("InvalidParameterCombination", "No modifications were requested.")
    code, _ = error_code(
        lambda: ec.modify_replication_group(ReplicationGroupId=gid, EngineVersion="6.0", ApplyImmediately=True)
    )
    assert code == "InvalidParameterValue"


def test_delete_records_the_final_snapshot_and_the_group_goes_away(elasticache):
    ec = elasticache.client()
    gid = create(ec)["ReplicationGroupId"]
    assert error_code(lambda: ec.delete_replication_group(ReplicationGroupId=gid))[0] == "InvalidReplicationGroupState"
    wait_status(ec, gid, "available")
    group = ec.delete_replication_group(ReplicationGroupId=gid, FinalSnapshotIdentifier=f"{gid}-final")[
        "ReplicationGroup"
    ]
    assert group["Status"] == "deleting"
    [snapshot] = ec.describe_snapshots(SnapshotName=f"{gid}-final")["Snapshots"]
    assert snapshot["ReplicationGroupId"] == gid
    wait_status(ec, gid, None)
    assert not [m for m in ec.describe_cache_clusters()["CacheClusters"] if m.get("ReplicationGroupId") == gid]


def test_describe_paginates(elasticache):
    ec = elasticache.client()
    for _ in range(25):
        create(ec)
    first = ec.describe_replication_groups(MaxRecords=20)
    assert len(first["ReplicationGroups"]) == 20 and first["Marker"]
    rest = ec.describe_replication_groups(MaxRecords=20, Marker=first["Marker"])
    assert not {g["ReplicationGroupId"] for g in first["ReplicationGroups"]} & {
        g["ReplicationGroupId"] for g in rest["ReplicationGroups"]
    }


def test_faults_are_injected_per_operation_and_counted(elasticache):
    ec = elasticache.client()
    elasticache.inject(operation="DescribeReplicationGroups", code="Throttling", message="Rate exceeded", count=1)
    try:
        assert error_code(lambda: ec.describe_replication_groups())[0] == "Throttling"
        ec.describe_replication_groups()  # only one request was to fail
        elasticache.inject(
            operation="DescribeCacheClusters", code="InternalFailure", status=500, message="boom", count=1
        )
        assert error_code(lambda: ec.describe_cache_clusters())[0] == "InternalFailure"
        assert elasticache.client(attempts=3).describe_cache_clusters()  # a retrying client gets through
    finally:
        elasticache.clear_faults()
    assert elasticache.requests_served()["DescribeReplicationGroups"] >= 2


def modeled_error_codes(operation):
    """The error codes botocore's service model lists for an operation (AWS's documented errors)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("elasticache")
    return {
        shape.metadata.get("error", {}).get("code", shape.name)
        for shape in model.operation_model(operation).error_shapes
    }


@pytest.mark.parametrize(
    ("operation", "codes"),
    [
        (
            "CreateReplicationGroup",
            {"InvalidParameterValue", "InvalidParameterCombination", "ReplicationGroupAlreadyExists"},
        ),
        (
            "ModifyReplicationGroup",
            {
                "InvalidReplicationGroupState",
                "InvalidParameterCombination",
                "InvalidParameterValue",
                "ReplicationGroupNotFoundFault",
            },
        ),
        (
            "DeleteReplicationGroup",
            {"InvalidReplicationGroupState", "SnapshotAlreadyExistsFault", "ReplicationGroupNotFoundFault"},
        ),
    ],
)
def test_the_codes_the_stand_in_raises_are_aws_documented_ones(operation, codes):
    assert codes <= modeled_error_codes(operation)


def test_latency_is_injected(elasticache):
    ec = elasticache.client()
    elasticache.inject(operation="DescribeCacheClusters", code="", delay_seconds=0.5, count=1)
    try:
        started = time.monotonic()
        ec.describe_cache_clusters()
        assert time.monotonic() - started >= 0.5
    finally:
        elasticache.clear_faults()


def test_a_create_can_be_made_to_end_in_create_failed(elasticache):
    ec = elasticache.client()
    elasticache.inject(operation="CreateReplicationGroup", code="", outcome="create-failed", count=1)
    try:
        gid = create(ec)["ReplicationGroupId"]
    finally:
        elasticache.clear_faults()
    wait_status(ec, gid, "create-failed")
    code, _ = error_code(
        lambda: ec.modify_replication_group(
            ReplicationGroupId=gid, CacheNodeType="cache.m7g.large", ApplyImmediately=True
        )
    )
    assert code == "InvalidReplicationGroupState"
    ec.delete_replication_group(ReplicationGroupId=gid)  # a failed group can be deleted
    wait_status(ec, gid, None)
    other = create(ec)["ReplicationGroupId"]  # the fault was for one create only
    wait_status(ec, other, "available")
