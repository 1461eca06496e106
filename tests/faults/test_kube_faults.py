"""The Kubernetes API misbehaving: watch streams cut, 410 Gone on resume, 409 on status patches, 429/500/503
for a while, no answer at all for a minute. No change is lost and every object converges; and deleting a
namespace full of RedisClusters honours each one's deletion policy."""

import pytest

from ..support.stack import NAMESPACE_CONTROLLER, eventually, group_id_of

pytestmark = pytest.mark.integration


def ready_then_changed(cluster, aws, namespace, name, faults, *fault_list):
    """A Ready object whose spec changes just as the faults start (they hit the test's own requests too,
    so the change goes first); the change must still be made, and the status catch up."""
    created = cluster.create(namespace, name, numReplicaNodes=1)
    cluster.wait_ready(namespace, name, timeout=60)
    with faults:
        cluster.patch_spec(namespace, name, {"numReplicaNodes": 2})
        for fault in fault_list:
            faults.inject(**fault)
        faults.wait_for(lambda state: all(f["fired"] > 0 for f in state["faults"]), timeout=60)
        # Timed faults run their full time (a minute of silence is a minute), and only then are cleared.
        timed = sum(f.get("seconds") or 0 for f in fault_list)
        faults.wait_for(lambda state: all(f.get("seconds") in (None, 0) for f in state["faults"]), timeout=timed + 30)
    cluster.wait_settled(namespace, name, generation=2, timeout=120)
    assert len(aws.group(group_id_of(created))["MemberClusters"]) == 3


CUT = {"kind": "cut", "verb": "watch", "resource": "redisclusters", "count": 1}


@pytest.mark.parametrize(
    "faults",
    [
        [{"kind": "cut", "verb": "watch", "resource": "redisclusters", "seconds": 5}],
        [{"kind": "gone", "verb": "watch", "resource": "redisclusters", "count": 2}, CUT],  # cut, then 410 on resume
        [{"kind": "conflict", "verb": "update", "resource": "redisclusters", "subresource": "status", "count": 5}],
        [{"kind": "error", "code": 429, "verb": "*", "seconds": 8, "retry_after_seconds": 1}],
        [{"kind": "error", "code": 500, "verb": "*", "seconds": 8}],
        [{"kind": "error", "code": 503, "verb": "*", "seconds": 8}],
    ],
    ids=["cut-watches", "410-on-resume", "409-on-status", "429", "500", "503"],
)
def test_no_change_is_lost_to_a_misbehaving_api(stack, cluster, aws, namespace, operator, faults):
    ready_then_changed(cluster, aws, namespace, "weathered", stack.kube_faults(), *faults)
    assert operator.poll() is None  # and the operator is still running


def test_an_api_that_answers_nothing_for_a_minute_is_waited_out(stack, cluster, aws, namespace, operator):
    ready_then_changed(
        cluster, aws, namespace, "patient", stack.kube_faults(), {"kind": "hang", "verb": "*", "seconds": 60}
    )
    assert operator.poll() is None


def test_a_namespace_deleted_with_redisclusters_in_it_honours_each_policy(cluster, aws, operator):
    cluster.require_controller(NAMESPACE_CONTROLLER)  # before making anything: a skip leaves nothing behind
    namespace = cluster.namespace()
    cluster.password_secret(namespace)
    made = {
        policy: cluster.create(namespace, policy.lower(), deletionPolicy=policy)
        for policy in ("Delete", "Snapshot", "Retain")
    }
    for policy in made:
        cluster.wait_ready(namespace, policy.lower(), timeout=60)
    cluster.core.delete_namespace(namespace)
    eventually(
        lambda: namespace not in [n.metadata.name for n in cluster.core.list_namespace().items],
        120,
        message="namespace gone",
    )
    snapshots = {s.get("ReplicationGroupId") for s in aws.elasticache.describe_snapshots()["Snapshots"]}
    assert aws.group(group_id_of(made["Delete"])) is None and group_id_of(made["Delete"]) not in snapshots
    assert aws.group(group_id_of(made["Snapshot"])) is None and group_id_of(made["Snapshot"]) in snapshots
    assert aws.group(group_id_of(made["Retain"]))["Status"] == "available"
    aws.delete_group(group_id_of(made["Retain"]))
