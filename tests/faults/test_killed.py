"""SIGKILL at every step of create, modify, rotation and delete, with the AWS call either sent (it is
carried out after the operator died) or lost (it never reached AWS); then a new operator starts. Every
time: exactly one replication group for the object, no second CreateReplicationGroup, and the final
state is the one the spec asks for."""

import signal
from urllib.parse import unquote, urlsplit

import pytest

from elasticache_operator.core.naming import replication_group_id

from ..support.stack import TOKEN, eventually

pytestmark = pytest.mark.integration

NEW_TOKEN = "the-token-after-the-crash"
# How the call the operator is killed in fares: "sent" is held 3 s, then carried out although nobody
# waits for the answer any more; "lost" is held, then dropped without ever reaching AWS.
FATES = {
    "sent": {"code": "", "delay_seconds": 3},
    "lost": {"code": "", "timeout_seconds": 3},
}


def killed_during(stack, operation, fate, before_calls, trigger):
    """Run `trigger` with an operator, kill it while `operation` is in flight, clear the fault."""
    aws = stack.aws
    aws.inject(operation=operation, count=1, **FATES[fate])
    try:
        with stack.operator("operator-killed") as process:
            trigger()
            eventually(lambda: aws.calls(operation) > before_calls, 30, message=f"{operation} in flight")
            process.send_signal(signal.SIGKILL)
            process.wait()
    finally:
        aws.clear_faults()


def groups_of(aws, uid):
    return [g for g in aws.groups() if aws.tags(g["ARN"]).get("elasticache-operator.io/uid") == uid]


@pytest.mark.parametrize("fate", sorted(FATES))
def test_killed_while_creating(stack, cluster, aws, namespace, fate):
    creates = aws.calls("CreateReplicationGroup")
    made = {}
    killed_during(
        stack,
        "CreateReplicationGroup",
        fate,
        creates,
        lambda: made.update(obj=cluster.create(namespace, "born")),
    )
    uid = made["obj"]["metadata"]["uid"]
    with stack.operator("operator-restarted"):
        cluster.wait_ready(namespace, "born", timeout=90)
        assert len(groups_of(aws, uid)) == 1
        # Sent: AWS has it and the new operator finds it. Lost: it is sent once more, and only then made.
        assert aws.calls("CreateReplicationGroup") - creates == (1 if fate == "sent" else 2)
        assert cluster.secret_data(namespace, "born-redis")["password"] == TOKEN


@pytest.mark.parametrize("fate", sorted(FATES))
def test_killed_while_scaling(stack, cluster, aws, namespace, fate):
    with stack.operator("operator-first"):
        created = cluster.create(namespace, "grows", numReplicaNodes=1, enableAutomaticFailover=True)
        cluster.wait_ready(namespace, "grows", timeout=60)
    increases = aws.calls("IncreaseReplicaCount")
    killed_during(
        stack,
        "IncreaseReplicaCount",
        fate,
        increases,
        lambda: cluster.patch_spec(namespace, "grows", {"numReplicaNodes": 3}),
    )
    with stack.operator("operator-restarted"):
        obj = cluster.wait_settled(namespace, "grows", generation=2, timeout=90)
        group = stack.aws.group(replication_group_id(namespace, "grows", created["metadata"]["uid"]))
        assert len(group["MemberClusters"]) == 4 and obj["status"]["replicasPerShard"] == 3
        assert len(groups_of(aws, created["metadata"]["uid"])) == 1


@pytest.mark.parametrize("fate", sorted(FATES))
@pytest.mark.parametrize("strategy", ["ROTATE", "SET"])
def test_killed_while_rotating_the_password(stack, cluster, aws, namespace, fate, strategy):
    with stack.operator("operator-first"):
        cluster.create(namespace, "rotates")
        cluster.wait_ready(namespace, "rotates", timeout=60)
        eventually(lambda: "rotates-redis-pending" not in secrets(cluster, namespace), 30, message="settled")
    modifies = aws.calls("ModifyReplicationGroup")

    def change_password():
        cluster.core.patch_namespaced_secret("redis-password", namespace, {"stringData": {"password": NEW_TOKEN}})

    if strategy == "ROTATE":
        killed_during(stack, "ModifyReplicationGroup", fate, modifies, change_password)
    else:  # let the ROTATE through; die in the SET that retires the old password
        with stack.operator("operator-rotating"):
            change_password()
            eventually(lambda: aws.calls("ModifyReplicationGroup") > modifies, 60, message="ROTATE sent")
            eventually(lambda: password(cluster, namespace) == NEW_TOKEN, 60, message="published")
        killed_during(stack, "ModifyReplicationGroup", fate, aws.calls("ModifyReplicationGroup"), lambda: None)
    with stack.operator("operator-restarted"):
        eventually(lambda: "rotates-redis-pending" not in secrets(cluster, namespace), 90, message="rotation done")
        assert password(cluster, namespace) == NEW_TOKEN
        url = cluster.secret_data(namespace, "rotates-redis")["url"]
        assert unquote(urlsplit(url).password) == NEW_TOKEN
        cluster.wait_ready(namespace, "rotates", timeout=60)


@pytest.mark.parametrize("fate", sorted(FATES))
def test_killed_while_deleting(stack, cluster, aws, namespace, fate):
    with stack.operator("operator-first"):
        created = cluster.create(namespace, "leaves", deletionPolicy="Snapshot")
        cluster.wait_ready(namespace, "leaves", timeout=60)
    deletes = aws.calls("DeleteReplicationGroup")
    killed_during(stack, "DeleteReplicationGroup", fate, deletes, lambda: cluster.delete(namespace, "leaves"))
    assert cluster.exists(namespace, "leaves")  # the finalizer holds it: nobody confirmed the deletion yet
    gid = replication_group_id(namespace, "leaves", created["metadata"]["uid"])
    with stack.operator("operator-restarted"):
        eventually(lambda: not cluster.exists(namespace, "leaves"), 90, message="CR removed")
    assert aws.group(gid) is None
    finals = [s for s in aws.elasticache.describe_snapshots()["Snapshots"] if s.get("ReplicationGroupId") == gid]
    assert len(finals) == 1 and finals[0]["SnapshotName"].startswith(f"{gid}-final-")


def secrets(cluster, namespace):
    return [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]


def password(cluster, namespace):
    return cluster.secret_data(namespace, "rotates-redis")["password"]
