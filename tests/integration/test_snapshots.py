"""RedisSnapshot: a snapshot taken of a RedisCluster now, or an existing one taken under management;
its status from the shared observation; deletion by its policy; bad input refused without AWS calls."""

import pytest

from ..support.stack import eventually, group_id_of

pytestmark = pytest.mark.integration


def calls(aws, action, since=0):
    return [e for e in aws.request_log(since) if e["action"] == action]


def last_seq(aws):
    return max((e["seq"] for e in aws.request_log()), default=0)


def test_a_snapshot_of_a_cluster_is_taken_once_reported_and_deleted_with_its_object(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "shop", numReplicaNodes=1, enableAutomaticFailover=True)
    cluster.wait_ready(namespace, "shop")
    gid = group_id_of(created)
    since = last_seq(aws)

    cluster.create_snapshot(namespace, "shop-now", redisClusterName="shop")
    obj = cluster.wait_snapshot(namespace, "shop-now")
    status = obj["status"]
    name = status["snapshotName"]
    assert status["source"]["replicationGroupId"] == gid and status["deletionPolicy"] == "Delete"
    assert status["status"] == "available" and status["sizeBytes"] >= 0 and status["sourceCluster"] == "shop"
    [taken] = calls(aws, "CreateSnapshot", since)
    snapshot = aws.elasticache.describe_snapshots(SnapshotName=name)["Snapshots"][0]
    assert snapshot["ReplicationGroupId"] == gid
    roles = {m["CacheClusterId"]: m.get("CurrentRole") for m in aws.group(gid)["NodeGroups"][0]["NodeGroupMembers"]}
    assert roles[snapshot["CacheClusterId"]] == "replica"  # the primary is spared the fork
    assert "TakingSnapshot" in cluster.wait_event(namespace, "shop-now", "Available")

    cluster.delete_snapshot(namespace, "shop-now")
    eventually(lambda: not cluster.snapshot_exists(namespace, "shop-now"), 60, message="RedisSnapshot gone")
    with pytest.raises(aws.elasticache.exceptions.SnapshotNotFoundFault):
        aws.elasticache.describe_snapshots(SnapshotName=name)
    assert len(calls(aws, "CreateSnapshot", since)) == 1


def test_a_missing_cluster_is_waited_for_without_any_aws_call(cluster, aws, namespace):
    since = last_seq(aws)
    cluster.create_snapshot(namespace, "early", redisClusterName="later")
    ready = eventually(
        lambda: (c := cluster.snapshot_condition(namespace, "early")).get("reason") == "SourceNotReady" and c,
        message="SourceNotReady",
    )
    assert ready["status"] == "False" and "RedisCluster later does not exist" in ready["message"]
    assert calls(aws, "CreateSnapshot", since) == []
    cluster.password_secret(namespace)
    cluster.create(namespace, "later")
    cluster.wait_snapshot(namespace, "early", timeout=90)


def test_an_existing_snapshot_is_taken_under_management_and_kept(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "byhand")
    cluster.wait_ready(namespace, "byhand")
    aws.elasticache.create_snapshot(SnapshotName="made-by-hand", ReplicationGroupId=group_id_of(created))
    cluster.create_snapshot(namespace, "adopted", snapshotName="made-by-hand")
    obj = cluster.wait_snapshot(namespace, "adopted")
    assert obj["status"]["deletionPolicy"] == "Retain" and obj["status"]["snapshotName"] == "made-by-hand"

    cluster.delete_snapshot(namespace, "adopted")
    eventually(lambda: not cluster.snapshot_exists(namespace, "adopted"), 60, message="RedisSnapshot gone")
    assert aws.elasticache.describe_snapshots(SnapshotName="made-by-hand")["Snapshots"]
    aws.elasticache.delete_snapshot(SnapshotName="made-by-hand")


def test_a_snapshot_name_aws_does_not_have_is_not_found(cluster, namespace):
    cluster.create_snapshot(namespace, "ghost", snapshotName="no-such-snapshot")
    ready = cluster.wait_snapshot(namespace, "ghost", reason="NotFound")["status"]["conditions"][0]
    assert ready["status"] == "False" and "no snapshot named no-such-snapshot" in ready["message"]


def test_a_quota_fault_is_reported_once_and_not_retried(cluster, aws, namespace):
    cluster.password_secret(namespace)
    cluster.create(namespace, "busy")
    cluster.wait_ready(namespace, "busy")
    aws.inject(operation="CreateSnapshot", code="SnapshotQuotaExceededFault", message="quota", count=-1)
    try:
        since = last_seq(aws)
        cluster.create_snapshot(namespace, "toomany", redisClusterName="busy")
        ready = cluster.wait_snapshot(namespace, "toomany", reason="AWSError")["status"]
        stalled = next(c for c in ready["conditions"] if c["type"] == "Stalled")
        assert stalled["status"] == "True" and "SnapshotQuotaExceededFault" in stalled["message"]
        cluster.wait_event(namespace, "toomany", "AWSError")
        baseline = len(calls(aws, "CreateSnapshot", since))
        cluster.wait_ready(namespace, "busy")  # another visit of the operator passes meanwhile
        assert baseline == 1 and len(calls(aws, "CreateSnapshot", since)) == 1
    finally:
        aws.clear_faults()


def test_admission_refuses_two_sources_and_a_changed_spec(cluster, namespace):
    refused = cluster.refusal(
        lambda: cluster.create_snapshot(namespace, "both", redisClusterName="a", snapshotName="b")
    )
    assert refused["code"] == 422 and "exactly one of redisClusterName and snapshotName" in refused["message"]
    cluster.create_snapshot(namespace, "fixed", snapshotName="some-snapshot")
    refused = cluster.refusal(
        lambda: cluster.custom.patch_namespaced_custom_object(
            "redis.elasticache-operator.io",
            "v1alpha1",
            namespace,
            "redissnapshots",
            "fixed",
            {"spec": {"snapshotName": "another"}},
        )
    )
    assert refused["code"] == 422 and "cannot be changed after creation" in refused["message"]


def test_a_cluster_restored_from_a_redis_snapshot_says_where_its_data_came_from(cluster, aws, namespace):
    cluster.password_secret(namespace)
    cluster.create(namespace, "origin")
    cluster.wait_ready(namespace, "origin")
    cluster.create_snapshot(namespace, "origin-now", redisClusterName="origin")
    name = cluster.wait_snapshot(namespace, "origin-now")["status"]["snapshotName"]

    cluster.create(namespace, "copy", restoreFrom={"redisSnapshotName": "origin-now"})
    obj = cluster.wait_ready(namespace, "copy", timeout=90)
    assert obj["status"]["restoredFrom"] == {"snapshotName": name, "redisSnapshotName": "origin-now"}
    assert "Restoring" in cluster.event_reasons(namespace, "copy")
    refused = cluster.refusal(lambda: cluster.patch_spec(namespace, "copy", {"restoreFrom": None}))
    assert (
        refused["code"] == 422 and "restoreFrom can only be set when the RedisCluster is created" in refused["message"]
    )


def test_a_restore_aws_would_refuse_is_refused_before_any_call(cluster, aws, namespace):
    cluster.password_secret(namespace)
    cluster.create(namespace, "shards", enableSharding=True, numShards=2, numReplicaNodes=1, engineVersion="7.1")
    cluster.wait_ready(namespace, "shards")
    cluster.create_snapshot(namespace, "shards-now", redisClusterName="shards")
    cluster.wait_snapshot(namespace, "shards-now")
    since = last_seq(aws)

    cluster.create(namespace, "flat", engineVersion="7.1", restoreFrom={"redisSnapshotName": "shards-now"})
    ready = cluster.wait_reason(namespace, "flat", "InvalidSpec")
    assert "sharded" in ready["message"] and "enableSharding: true" in ready["message"]
    cluster.create(namespace, "nowhere", restoreFrom={"redisSnapshotName": "no-such-snapshot"})
    ready = cluster.wait_reason(namespace, "nowhere", "InvalidSpec")
    assert ready["message"] == "restoreFrom: RedisSnapshot no-such-snapshot does not exist in this namespace"
    cluster.wait_event(namespace, "nowhere", "InvalidSpec")
    assert calls(aws, "CreateReplicationGroup", since) == []
