"""Snapshots and restores under faults: the operator SIGKILLed right after CreateSnapshot, and in the
middle of a restore (the call either sent and carried out after it died, or lost on the way); AWS
throttling DescribeSnapshots, or timing out a CreateSnapshot it carried out; a quota fault across a
restart. Every time: one snapshot per RedisSnapshot, one group per RedisCluster, the data back, and
Ready never reporting a failure that was not one.

This module's stack has the Redis data plane, so a restore is judged by the keys it brings back."""

import pytest
import redis
import requests

from elasticache_operator.core.naming import TAG_UID, snapshot_name

from ..support import stack as stacks
from ..support.stack import eventually, group_id_of
from .test_killed import FATES, groups_of, killed_during

pytestmark = pytest.mark.integration

KEYS = {f"cart:{n}": f"items-{n}" for n in range(50)}
THROTTLES = 6  # refused calls in a row (the operator's client tries each call twice)
FROM_CARTS = {"redisSnapshotName": "carts-now"}
FAILURES = {"AWSError", "Failed", "NotFound", "InvalidSpec"}  # Ready reasons that say something went wrong


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("snapshot-faults-data")


@pytest.fixture(scope="module")
def stack(tmp_path_factory, data_dir):
    logs_dir = tmp_path_factory.mktemp("faults-test_snapshot_faults")
    with stacks.Stack.start("snapfaults", logs_dir, create=1, data_dir=data_dir) as running:
        yield running
        with running.operator("operator-cleanup"):
            running.finish()


@pytest.fixture
def ca_file(data_dir):
    return str(data_dir / "ca" / "ca.pem")


def connect(stack, namespace, name, ca_file):
    """A client made only from the RedisCluster's connection Secret (and the sandbox's CA)."""
    obj = stack.cluster.get(namespace, name)
    data = stack.cluster.secret_data(namespace, obj["status"]["connectionSecretName"])
    return redis.Redis.from_url(data["url"], ssl_ca_certs=ca_file, socket_timeout=5)


def snapshots_of(aws, group_id):
    """Every snapshot ElastiCache holds of this group, as the AWS CLI lists them."""
    return aws.elasticache.describe_snapshots(ReplicationGroupId=group_id)["Snapshots"]


def throttles_left(aws):
    """What the injected faults have still to refuse (all of it went to the operator: the test makes no
    DescribeSnapshots call while they are on)."""
    faults = requests.get(f"{aws.endpoint}/_sandbox/faults", timeout=10).json()["faults"]
    return sum(f["count"] for f in faults)


def last_seq(aws):
    return max((e["seq"] for e in aws.request_log()), default=0)


def calls_since(aws, action, since):
    return [e for e in aws.request_log(since) if e["action"] == action]


def ready_reason(cluster, namespace, name, seen):
    """Ready's reason now (added to `seen`), '' while there is none."""
    reason = cluster.snapshot_condition(namespace, name).get("reason") or ""
    seen.add(reason)
    return reason


def gone(cluster, namespace, name, seen):
    """The RedisSnapshot is gone; until it is, Ready's reason is added to `seen`."""
    if not cluster.snapshot_exists(namespace, name):
        return True
    ready_reason(cluster, namespace, name, seen)
    return False


@pytest.mark.parametrize("fate", sorted(FATES))
def test_killed_right_after_create_snapshot_takes_no_second_snapshot(stack, cluster, aws, namespace, fate):
    with stack.operator("operator-first"):
        source = cluster.create(namespace, "orders", numReplicaNodes=1, enableAutomaticFailover=True)
        cluster.wait_ready(namespace, "orders", timeout=90)
    creates = aws.calls("CreateSnapshot")
    made = {}
    killed_during(
        stack,
        "CreateSnapshot",
        fate,
        creates,
        lambda: made.update(obj=cluster.create_snapshot(namespace, "nightly", redisClusterName="orders")),
    )
    # Killed before the status could say the snapshot was asked for.
    assert not (cluster.get_snapshot(namespace, "nightly").get("status") or {}).get("status")
    meta = made["obj"]["metadata"]
    name = snapshot_name(namespace, "nightly", meta["uid"])

    with stack.operator("operator-restarted"):
        obj = cluster.wait_snapshot(namespace, "nightly", timeout=90)
        reasons = cluster.wait_event(namespace, "nightly", "Available")
    assert obj["status"]["snapshotName"] == name and obj["status"]["sizeBytes"] > 0
    [taken] = snapshots_of(aws, group_id_of(source))
    assert taken["SnapshotName"] == name and taken["SnapshotStatus"] == "available"
    assert aws.tags(taken["ARN"])[TAG_UID] == meta["uid"]
    # Sent: AWS took it and the new operator finds it. Lost: it is asked for once more, and only then taken.
    assert aws.calls("CreateSnapshot") - creates == (1 if fate == "sent" else 2)
    assert not FAILURES & set(reasons)


@pytest.mark.parametrize("fate", sorted(FATES))
def test_killed_mid_restore_makes_one_group_and_the_snapshot_being_read_waits(
    stack, cluster, aws, namespace, ca_file, fate
):
    with stack.operator("operator-first"):
        cluster.create(namespace, "carts", deletionPolicy="Delete")
        cluster.wait_ready(namespace, "carts", timeout=90)
        app = connect(stack, namespace, "carts", ca_file)
        for key, value in KEYS.items():
            app.set(key, value)
        cluster.create_snapshot(namespace, "carts-now", redisClusterName="carts")
        snapshot = cluster.wait_snapshot(namespace, "carts-now", timeout=90)["status"]
    name = snapshot["snapshotName"]
    assert snapshot["deletionPolicy"] == "Delete" and snapshot["sizeBytes"] > 0
    creates = aws.calls("CreateReplicationGroup")
    made = {}
    killed_during(
        stack,
        "CreateReplicationGroup",
        fate,
        creates,
        lambda: made.update(
            obj=cluster.create(namespace, "carts-back", restoreFrom={"redisSnapshotName": "carts-now"})
        ),
    )
    assert not (cluster.get(namespace, "carts-back").get("status") or {}).get("restoredFrom")
    # The snapshot is deleted while the restore is under way (its finalizer holds it: nobody runs).
    cluster.delete_snapshot(namespace, "carts-now")
    gid = group_id_of(made["obj"])

    def restored_while_the_snapshot_stays():
        """Read in this order, so that a snapshot gone before the group was available is always caught."""
        kept = cluster.snapshot_exists(namespace, "carts-now")
        try:
            in_aws = aws.elasticache.describe_snapshots(SnapshotName=name)["Snapshots"][0]["SnapshotStatus"]
        except aws.elasticache.exceptions.SnapshotNotFoundFault:
            in_aws = None
        group = aws.group(gid)
        available = group is not None and group["Status"] == "available"
        assert available or (kept and in_aws in ("available", "restoring")), (
            f"snapshot {name} deleted (object kept: {kept}, in ElastiCache: {in_aws}) while the group restored"
            f" from it is {group and group['Status']}"
        )
        return available and cluster.condition(namespace, "carts-back").get("status") == "True"

    with stack.operator("operator-restarted"):
        eventually(restored_while_the_snapshot_stays, 120, interval=0.1, message="restored, the snapshot kept")
        obj = cluster.get(namespace, "carts-back")
        # Done: now the snapshot goes, as its deletionPolicy says.
        eventually(lambda: not cluster.snapshot_exists(namespace, "carts-now"), 60, message="RedisSnapshot gone")
    with pytest.raises(aws.elasticache.exceptions.SnapshotNotFoundFault):
        aws.elasticache.describe_snapshots(SnapshotName=name)
    said = " ".join(e.message for e in cluster.core.list_namespaced_event(namespace).items)
    if fate == "lost":  # the restore began only after the restart: the deletion certainly met it
        assert "RedisCluster carts-back is being restored from it" in said
    assert len(groups_of(aws, made["obj"]["metadata"]["uid"])) == 1
    assert aws.calls("CreateReplicationGroup") - creates == (1 if fate == "sent" else 2)
    assert obj["status"]["restoredFrom"] == {"snapshotName": name, "redisSnapshotName": "carts-now"}
    back = connect(stack, namespace, "carts-back", ca_file)
    assert back.dbsize() == len(KEYS)
    assert {key: (back.get(key) or b"").decode() for key in KEYS} == KEYS


def test_throttled_snapshot_listings_are_waited_out(stack, cluster, aws, namespace):
    with stack.operator("operator"):
        source = cluster.create(namespace, "hot")
        cluster.wait_ready(namespace, "hot", timeout=90)
        throttles = stack.metric("elasticache_operator_aws_api_throttles_total")
        since, seen = last_seq(aws), set()
        # Every DescribeSnapshots is refused a while, as the snapshot is taken and again as it is deleted:
        # the describe of a new one, the listings that follow it, the finalizer's.
        aws.inject(operation="DescribeSnapshots", code="Throttling", count=THROTTLES)
        try:
            cluster.create_snapshot(namespace, "busy-day", redisClusterName="hot")
            eventually(
                lambda: ready_reason(cluster, namespace, "busy-day", seen) == "Available",
                120,
                interval=0.1,
                message="Available while throttled",
            )
            assert throttles_left(aws) == 0
            aws.inject(operation="DescribeSnapshots", code="Throttling", count=THROTTLES)
            cluster.delete_snapshot(namespace, "busy-day")
            eventually(lambda: gone(cluster, namespace, "busy-day", seen), 120, 0.1, "deleted while throttled")
            assert throttles_left(aws) == 0
            throttled = stack.metric("elasticache_operator_aws_api_throttles_total") - throttles
        finally:
            aws.clear_faults()
    assert throttled == 2 * THROTTLES  # every one met by the operator, and counted as throttling
    assert not FAILURES & seen, seen  # waited out, never reported as a failure
    assert "AWSError" not in cluster.event_reasons(namespace, "busy-day")
    assert len(calls_since(aws, "CreateSnapshot", since)) == 1
    assert len(calls_since(aws, "DeleteSnapshot", since)) == 1
    assert snapshots_of(aws, group_id_of(source)) == []


def test_a_create_snapshot_that_times_out_after_aws_took_it_takes_no_second(stack, cluster, aws, namespace):
    with stack.operator("operator"):
        source = cluster.create(namespace, "slow")
        cluster.wait_ready(namespace, "slow", timeout=90)
        since = last_seq(aws)
        aws.inject(operation="CreateSnapshot", code="", timeout_seconds=2, applied=True, count=1)
        try:
            cluster.create_snapshot(namespace, "slow-now", redisClusterName="slow")
            obj = cluster.wait_snapshot(namespace, "slow-now", timeout=90)
        finally:
            aws.clear_faults()
        reasons = cluster.wait_event(namespace, "slow-now", "Available")
    # The answer was lost and the call made again: AWS says it has the snapshot, and that is taken as done.
    assert len(calls_since(aws, "CreateSnapshot", since)) >= 2
    [taken] = snapshots_of(aws, group_id_of(source))
    assert taken["SnapshotName"] == obj["status"]["snapshotName"]
    assert not FAILURES & set(reasons)


def test_a_quota_fault_is_not_retried_after_a_restart(stack, cluster, aws, namespace):
    with stack.operator("operator-first"):
        cluster.create(namespace, "full")
        cluster.wait_ready(namespace, "full", timeout=90)
    since = last_seq(aws)
    aws.inject(operation="CreateSnapshot", code="SnapshotQuotaExceededFault", message="quota", count=-1)
    try:
        creates = aws.calls("CreateSnapshot")
        with stack.operator("operator-second"):
            cluster.create_snapshot(namespace, "one-too-many", redisClusterName="full")
            cluster.wait_snapshot(namespace, "one-too-many", reason="AWSError")
            cluster.wait_event(namespace, "one-too-many", "AWSError")
        assert aws.calls("CreateSnapshot") == creates + 1
        with stack.operator("operator-restarted"):
            # A few resyncs of the new operator, each a visit of every object: none asks again.
            listings = aws.calls("DescribeReplicationGroups")
            eventually(lambda: aws.calls("DescribeReplicationGroups") >= listings + 4, 60, message="resyncs")
            assert aws.calls("CreateSnapshot") == creates + 1
            assert cluster.event_reasons(namespace, "one-too-many").count("AWSError") == 1
            ready = cluster.snapshot_condition(namespace, "one-too-many")
            assert ready["reason"] == "AWSError" and "SnapshotQuotaExceededFault" in ready["message"]
            # Never taken: deleting it has nothing to delete in ElastiCache.
            cluster.delete_snapshot(namespace, "one-too-many")
            eventually(lambda: not cluster.snapshot_exists(namespace, "one-too-many"), 60, message="deleted")
    finally:
        aws.clear_faults()
    assert calls_since(aws, "DeleteSnapshot", since) == []
