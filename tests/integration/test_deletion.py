"""Deleting a RedisCluster does what its deletionPolicy says, and only once AWS confirms."""

import pytest

from ..support.stack import GARBAGE_COLLECTOR, eventually
from .test_reconcile import group_id_of

pytestmark = pytest.mark.integration


def ready_cluster(cluster, namespace, name, policy):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, name, deletionPolicy=policy)
    cluster.wait_ready(namespace, name)
    return group_id_of(created)


def test_delete_policy_removes_the_group_without_a_snapshot(cluster, aws, namespace):
    gid = ready_cluster(cluster, namespace, "doomed", "Delete")
    cluster.delete(namespace, "doomed")
    eventually(lambda: not cluster.exists(namespace, "doomed"), message="CR removed")
    assert aws.group(gid) is None  # the finalizer held the CR until AWS confirmed
    snapshots = [s for s in aws.elasticache.describe_snapshots()["Snapshots"] if s.get("ReplicationGroupId") == gid]
    assert snapshots == []


def test_the_connection_secret_goes_with_its_owner(cluster):
    cluster.require_controller(GARBAGE_COLLECTOR)  # before making anything: a skip leaves nothing behind
    namespace = cluster.namespace()
    ready_cluster(cluster, namespace, "owner", "Delete")
    secret = cluster.core.read_namespaced_secret("owner-redis", namespace)
    [ref] = secret.metadata.owner_references
    assert ref.kind == "RedisCluster" and ref.controller and ref.block_owner_deletion
    cluster.delete(namespace, "owner")
    eventually(
        lambda: "owner-redis" not in [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items],
        message="connection Secret collected",
    )


def test_snapshot_policy_takes_a_final_snapshot(cluster, aws, namespace):
    gid = ready_cluster(cluster, namespace, "keepdata", "Snapshot")
    cluster.delete(namespace, "keepdata")
    eventually(lambda: not cluster.exists(namespace, "keepdata"), message="CR removed")
    assert aws.group(gid) is None
    [snapshot] = [s for s in aws.elasticache.describe_snapshots()["Snapshots"] if s.get("ReplicationGroupId") == gid]
    assert snapshot["SnapshotName"].startswith(f"{gid}-final-")
    assert any(
        snapshot["SnapshotName"] in (e.message or "") for e in cluster.core.list_namespaced_event(namespace).items
    )
    # The way back: a RedisSnapshot names it, kept whatever happens to it, owned by nothing.
    final = cluster.wait_snapshot(namespace, "keepdata-final")
    assert final["spec"] == {"snapshotName": snapshot["SnapshotName"], "deletionPolicy": "Retain"}
    assert final["metadata"]["labels"]["redis.elasticache-operator.io/source-cluster"] == "keepdata"
    assert not final["metadata"].get("ownerReferences") and final["status"]["deletionPolicy"] == "Retain"

    gid = group_id_of(cluster.create(namespace, "keepdata", deletionPolicy="Snapshot"))  # the same name, later
    cluster.wait_ready(namespace, "keepdata")
    cluster.delete(namespace, "keepdata")
    second = cluster.wait_snapshot(namespace, "keepdata-final-2", timeout=90)
    assert second["spec"]["snapshotName"].startswith(f"{gid}-final-")
    assert cluster.get_snapshot(namespace, "keepdata-final")["spec"] == final["spec"]  # the first one is untouched


def test_retain_policy_leaves_the_group_and_its_tags(cluster, aws, namespace):
    gid = ready_cluster(cluster, namespace, "keeper", "Retain")
    cluster.delete(namespace, "keeper")
    eventually(lambda: not cluster.exists(namespace, "keeper"), message="CR removed")
    group = aws.group(gid)
    assert group is not None and group["Status"] == "available"
    assert aws.tags(group["ARN"])["elasticache-operator.io/name"] == "keeper"
    aws.delete_group(gid)  # what a user would do by hand once the data is no longer needed


def test_deletion_waits_for_a_group_that_is_still_creating(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "hasty", deletionPolicy="Delete")
    gid = group_id_of(created)
    eventually(lambda: aws.group(gid), message="group requested")
    cluster.delete(namespace, "hasty")
    eventually(lambda: not cluster.exists(namespace, "hasty"), message="CR removed")
    assert aws.group(gid) is None
