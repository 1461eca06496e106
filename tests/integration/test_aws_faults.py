"""AWS faults: transient ones are retried with backoff, terminal ones stop until the spec changes."""

import time

import pytest

from ..support.stack import eventually

pytestmark = pytest.mark.integration


def test_throttling_is_waited_out_never_reported_as_a_failure(cluster, aws, namespace, stack):
    cluster.password_secret(namespace)
    throttles = stack.metric("elasticache_operator_aws_api_throttles_total")
    aws.inject(operation="CreateReplicationGroup", code="Throttling", message="Rate exceeded", count=6)
    try:
        cluster.create(namespace, "throttled")
        cluster.wait_ready(namespace, "throttled", timeout=60)
    finally:
        aws.clear_faults()
    assert "AWSError" not in cluster.event_reasons(namespace, "throttled")
    assert stack.metric("elasticache_operator_aws_api_throttles_total") - throttles >= 6  # each attempt counted


def test_terminal_error_stops_calls_until_the_spec_changes(cluster, aws, namespace):
    cluster.password_secret(namespace)
    aws.inject(
        operation="CreateReplicationGroup",
        code="NodeQuotaForCustomerExceeded",
        message="Quota exceeded for customer",
        count=-1,
    )
    try:
        cluster.create(namespace, "overquota")
        condition = cluster.wait_reason(namespace, "overquota", "AWSError")
        assert "NodeQuotaForCustomerExceeded" in condition["message"]
        assert cluster.condition(namespace, "overquota", "Stalled")["status"] == "True"
        calls = aws.calls("CreateReplicationGroup")
        time.sleep(4)  # longer than the resync interval (3 s) and the retry delay (1 s)
        assert aws.calls("CreateReplicationGroup") == calls
    finally:
        aws.clear_faults()
    cluster.patch_spec(namespace, "overquota", {"instanceSize": "cache.t4g.small"})
    cluster.wait_settled(namespace, "overquota", generation=2)


def test_create_failed_is_terminal_and_the_group_is_deleted_without_a_snapshot(cluster, aws, namespace):
    cluster.password_secret(namespace)
    aws.inject(operation="CreateReplicationGroup", code="", outcome="create-failed", count=1)
    try:
        cluster.create(namespace, "unlucky")  # deletionPolicy defaults to Snapshot
        condition = cluster.wait_reason(namespace, "unlucky", "CreateFailed")
    finally:
        aws.clear_faults()
    assert condition["status"] == "False"
    assert cluster.condition(namespace, "unlucky", "Stalled")["status"] == "True"
    assert "unlucky-redis" not in [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]
    gid = cluster.get(namespace, "unlucky")["status"]["replicationGroupId"]
    cluster.delete(namespace, "unlucky")
    eventually(lambda: not cluster.exists(namespace, "unlucky"), 30, message="CR removed")
    assert aws.group(gid) is None
    assert not [s for s in aws.elasticache.describe_snapshots()["Snapshots"] if s.get("ReplicationGroupId") == gid]
