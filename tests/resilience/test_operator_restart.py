"""The operator can die at any moment and start again without duplicating or losing anything.

This module runs a stack of its own, so that it alone controls the operator process."""

import pathlib
import signal

import pytest

from elasticache_operator.core.naming import replication_group_id

from ..support import stack as stacks
from ..support.stack import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs_dir: pathlib.Path = tmp_path_factory.mktemp("restart-logs")
    with stacks.Stack.start("restart", logs_dir, create=2) as running:
        yield running
        with running.operator("operator-cleanup"):
            running.finish()


@pytest.fixture
def aws(stack):
    return stack.aws


def groups_owned_by(aws, uid):
    groups = aws.elasticache.describe_replication_groups()["ReplicationGroups"]
    return [g for g in groups if aws.tags(g["ARN"]).get("elasticache-operator.io/uid") == uid]


def test_killed_in_the_middle_of_creating_then_restarted(stack, aws):
    cluster = stack.cluster
    namespace = cluster.namespace()
    cluster.password_secret(namespace)
    # The create request is slow to answer: the operator dies while it waits for AWS.
    aws.inject(operation="CreateReplicationGroup", code="", delay_seconds=2, count=1)
    try:
        with stack.operator("operator-first") as first:
            created = cluster.create(namespace, "survivor")
            eventually(lambda: aws.calls("CreateReplicationGroup") == 1, 20, message="create requested")
            first.send_signal(signal.SIGKILL)
            first.wait()
    finally:
        aws.clear_faults()
    uid = created["metadata"]["uid"]
    eventually(
        lambda: groups_owned_by(aws, uid), 20, message="AWS finished the request the operator never saw answered"
    )

    with stack.operator("operator-second"):
        cluster.wait_ready(namespace, "survivor", timeout=60)
        assert len(groups_owned_by(aws, uid)) == 1
        assert aws.calls("CreateReplicationGroup") == 1  # the restarted operator found the group by its id
        assert cluster.secret_data(namespace, "survivor-redis")["host"]


def test_deletion_started_before_a_restart_finishes_after_it(stack, aws):
    cluster = stack.cluster
    namespace = cluster.namespace()
    cluster.password_secret(namespace)
    with stack.operator("operator-third") as operator:
        created = cluster.create(namespace, "leaving", deletionPolicy="Snapshot")
        cluster.wait_ready(namespace, "leaving", timeout=60)
        operator.send_signal(signal.SIGKILL)
        operator.wait()
    cluster.delete(namespace, "leaving")  # nobody is there to act on it: the finalizer holds the object
    assert cluster.exists(namespace, "leaving")
    uid = created["metadata"]["uid"]
    with stack.operator("operator-fourth"):
        eventually(lambda: not cluster.exists(namespace, "leaving"), 60, message="CR removed after restart")
    assert groups_owned_by(aws, uid) == []
    group_id = replication_group_id(namespace, "leaving", uid)
    snapshots = aws.elasticache.describe_snapshots()["Snapshots"]
    assert [s["ReplicationGroupId"] for s in snapshots if s["SnapshotName"].startswith(f"{group_id}-final-")] == [
        group_id
    ]
