"""AWS misbehaving: throttling storms, 5xx, timeouts, no capacity, state races. The operator waits and
retries what is transient, reports what is terminal, and converges once the fault clears."""

import pytest

from ..support.stack import eventually, group_id_of

pytestmark = pytest.mark.integration


def test_a_throttling_storm_on_every_call_is_ridden_out(stack, cluster, aws, namespace, operator):
    throttles = stack.metric("elasticache_operator_aws_api_throttles_total")
    aws.inject(operation="*", code="Throttling", message="Rate exceeded", rate=0.5, seed=11, count=-1)
    try:
        cluster.create(namespace, "stormy", numReplicaNodes=1)
        cluster.wait_ready(namespace, "stormy", timeout=120)
        cluster.patch_spec(namespace, "stormy", {"numReplicaNodes": 2})
        cluster.wait_settled(namespace, "stormy", generation=2, timeout=120)
    finally:
        aws.clear_faults()
    assert "AWSError" not in cluster.event_reasons(namespace, "stormy")  # waiting, never a failure
    assert stack.metric("elasticache_operator_aws_api_throttles_total") - throttles > 5


@pytest.mark.parametrize(
    ("operation", "fault"),
    [
        ("IncreaseReplicaCount", {"code": "InternalFailure", "status": 500, "message": "internal"}),
        ("IncreaseReplicaCount", {"code": "ServiceUnavailable", "status": 503, "message": "unavailable"}),
        ("IncreaseReplicaCount", {"code": "InsufficientCacheClusterCapacity", "message": "no capacity"}),
        ("IncreaseReplicaCount", {"code": "InvalidReplicationGroupState", "message": "not available"}),
        ("IncreaseReplicaCount", {"code": "", "timeout_seconds": 1}),
        ("DescribeEvents", {"code": "InternalFailure", "status": 500, "message": "internal"}),
        ("GetResources", {"code": "", "timeout_seconds": 1}),
    ],
    ids=lambda v: v if isinstance(v, str) else (v.get("code") or "timeout"),
)
def test_transient_faults_are_retried_until_the_change_is_made(cluster, aws, namespace, operator, operation, fault):
    created = cluster.create(namespace, "shaky", numReplicaNodes=1)
    cluster.wait_ready(namespace, "shaky", timeout=60)
    aws.inject(operation=operation, count=4, **fault)
    try:
        cluster.patch_spec(namespace, "shaky", {"numReplicaNodes": 2})
        cluster.wait_settled(namespace, "shaky", generation=2, timeout=120)
    finally:
        aws.clear_faults()
    assert len(aws.group(group_id_of(created))["MemberClusters"]) == 3
    assert cluster.condition(namespace, "shaky", "Stalled")["status"] == "False"


def test_a_terminal_answer_is_reported_and_not_retried_until_the_spec_changes(cluster, aws, namespace, operator):
    created = cluster.create(namespace, "capped", numReplicaNodes=1)
    cluster.wait_ready(namespace, "capped", timeout=60)
    aws.inject(operation="IncreaseReplicaCount", code="NodeQuotaForCustomerExceeded", message="quota", count=-1)
    try:
        cluster.patch_spec(namespace, "capped", {"numReplicaNodes": 2})
        condition = cluster.wait_reason(namespace, "capped", "AWSError", timeout=60)
        assert "NodeQuotaForCustomerExceeded" in condition["message"]
        assert cluster.condition(namespace, "capped", "Stalled")["status"] == "True"
        sent = aws.calls("IncreaseReplicaCount")
        cluster.patch_spec(namespace, "capped", {"tags": {"note": "retry later"}})  # a visit: still refused?
        eventually(lambda: cluster.get(namespace, "capped")["status"]["observedGeneration"] == 3, 60)
        assert aws.calls("IncreaseReplicaCount") == sent + 1  # a new generation tries once more, not forever
    finally:
        aws.clear_faults()
    cluster.patch_spec(namespace, "capped", {"numReplicaNodes": 1})
    cluster.wait_settled(namespace, "capped", generation=4, timeout=60)
    assert len(aws.group(group_id_of(created))["MemberClusters"]) == 2
