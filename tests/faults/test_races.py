"""Races and hands in the way: spec changed mid-change, Secrets deleted or edited by hand, ownership
tags removed, nodes that vanish during a replacement. The operator converges, and never touches what is
not its own."""

import pytest

from elasticache_operator.core.naming import TAG_UID

from ..support.stack import TOKEN, eventually, group_id_of

pytestmark = pytest.mark.integration

# The resync is long here: what is restored must be restored because the operator noticed, not by a poll.
SLOW_RESYNC = {"ELASTICACHE_OPERATOR_RESYNC_SECONDS": "600"}
NEW_TOKEN = "a-password-changed-by-hand"


@pytest.fixture(scope="module")
def operator(stack):
    with stack.operator("operator", extra_env=SLOW_RESYNC) as process:
        yield process


def test_a_spec_changed_while_aws_modifies_is_applied_after(cluster, aws, namespace, operator):
    created = cluster.create(namespace, "busy", numReplicaNodes=1)
    cluster.wait_ready(namespace, "busy", timeout=60)
    cluster.patch_spec(namespace, "busy", {"instanceSize": "cache.r7g.large"})
    eventually(lambda: aws.group(group_id_of(created))["Status"] == "modifying", 30, message="modifying")
    cluster.patch_spec(namespace, "busy", {"numReplicaNodes": 2, "automatedBackupRetentionDays": 5})
    cluster.wait_settled(namespace, "busy", generation=3, timeout=90)
    group = aws.group(group_id_of(created))
    assert group["CacheNodeType"] == "cache.r7g.large" and len(group["MemberClusters"]) == 3
    assert group["SnapshotRetentionLimit"] == 5


def test_a_connection_secret_edited_or_deleted_by_hand_is_put_back(cluster, namespace, operator):
    cluster.create(namespace, "guarded")
    cluster.wait_ready(namespace, "guarded", timeout=60)
    good = cluster.secret_data(namespace, "guarded-redis")
    cluster.core.patch_namespaced_secret("guarded-redis", namespace, {"stringData": {"host": "evil.example.com"}})
    eventually(lambda: cluster.secret_data(namespace, "guarded-redis") == good, 30, message="edit undone")
    cluster.core.delete_namespaced_secret("guarded-redis", namespace)
    eventually(lambda: cluster.secret_data(namespace, "guarded-redis") == good, 30, message="Secret recreated")


def test_a_deleted_password_secret_is_reported_and_nothing_is_lost(cluster, aws, namespace, operator):
    created = cluster.create(namespace, "keyless")
    cluster.wait_ready(namespace, "keyless", timeout=60)
    cluster.core.delete_namespaced_secret("redis-password", namespace)
    cluster.patch_spec(namespace, "keyless", {"automatedBackupRetentionDays": 1})  # a visit, without a resync
    condition = cluster.wait_reason(namespace, "keyless", "InvalidSpec")
    assert "redis-password" in condition["message"] and "does not exist" in condition["message"]
    assert aws.group(group_id_of(created))["Status"] == "available"
    assert cluster.secret_data(namespace, "keyless-redis")["password"] == TOKEN  # clients keep working
    cluster.password_secret(namespace)
    cluster.wait_settled(namespace, "keyless", generation=2, timeout=90)


def test_a_changed_password_secret_is_rotated_in_without_waiting_for_a_resync(cluster, aws, namespace, operator):
    """The resync here is ten minutes: only the watch on Secrets' metadata can have noticed the change."""
    created = cluster.create(namespace, "rekeyed")
    cluster.wait_ready(namespace, "rekeyed", timeout=60)
    names = lambda: [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]  # noqa: E731
    eventually(lambda: "rekeyed-redis-pending" not in names(), 30, message="creation settled")
    cluster.core.patch_namespaced_secret("redis-password", namespace, {"stringData": {"password": NEW_TOKEN}})
    eventually(
        lambda: cluster.secret_data(namespace, "rekeyed-redis")["password"] == NEW_TOKEN, 60, message="rotated in"
    )
    assert aws.group(group_id_of(created))["AuthTokenEnabled"]


def test_a_group_whose_ownership_tags_were_removed_is_reported_and_never_touched(cluster, aws, namespace, operator):
    created = cluster.create(namespace, "disowned", deletionPolicy="Delete")
    cluster.wait_ready(namespace, "disowned", timeout=60)
    gid = group_id_of(created)
    group = aws.group(gid)
    keys = list(aws.tags(group["ARN"]))
    aws.elasticache.remove_tags_from_resource(ResourceName=group["ARN"], TagKeys=keys)
    since = aws.request_log()[-1]["seq"]
    cluster.patch_spec(namespace, "disowned", {"instanceSize": "cache.r7g.large"})
    condition = cluster.wait_reason(namespace, "disowned", "NotOwned", timeout=60)
    assert gid in condition["message"]
    cluster.delete(namespace, "disowned")
    eventually(lambda: not cluster.exists(namespace, "disowned"), 60, message="released")
    # Not modified, not re-tagged, not deleted (other tests' groups may be changing meanwhile).
    writes = ("ModifyReplicationGroup", "AddTagsToResource", "DeleteReplicationGroup")
    assert [c for c in aws.request_log(since) if c["id"] == gid and c["action"] in writes] == []
    assert aws.group(gid)["CacheNodeType"] == "cache.t4g.micro"
    assert TAG_UID not in aws.tags(group["ARN"])
    aws.delete_group(gid)


def test_a_node_that_cannot_be_described_holds_back_nothing(cluster, aws, namespace, operator):
    """During a node replacement a member listed in MemberClusters may be missing from DescribeCacheClusters:
    a describe of that node fails, the listing of all nodes (which carries the engine version) does not."""
    aws.inject(
        operation="DescribeCacheClusters", code="CacheClusterNotFound", status=404, message="gone", count=-1, named=True
    )
    try:
        cluster.create(namespace, "replaced")
        obj = cluster.wait_ready(namespace, "replaced", timeout=60)
        assert cluster.secret_data(namespace, "replaced-redis")["host"] == obj["status"]["host"]
        assert "AWSError" not in cluster.event_reasons(namespace, "replaced")
    finally:
        aws.clear_faults()
