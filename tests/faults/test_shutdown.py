"""SIGTERM: the operator ends within seconds even with AWS calls in flight, and whatever it was doing
is finished by the next one, recorded once."""

import signal
import time

import pytest

from ..support.stack import eventually

pytestmark = pytest.mark.integration


def test_sigterm_ends_the_operator_quickly_and_the_next_one_finishes_the_job(stack, cluster, aws, namespace):
    creates = aws.calls("CreateReplicationGroup")
    aws.inject(operation="CreateReplicationGroup", code="", delay_seconds=4, count=1)
    try:
        with stack.operator("operator-stopped") as process:
            created = cluster.create(namespace, "interrupted")
            eventually(lambda: aws.calls("CreateReplicationGroup") > creates, 30, message="create in flight")
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            stopped_after = time.monotonic() - started
    finally:
        aws.clear_faults()
    assert stopped_after < 8, f"SIGTERM took {stopped_after:.1f}s"  # the call in flight may take 4 s itself
    with stack.operator("operator-next"):
        cluster.wait_ready(namespace, "interrupted", timeout=60)
    uid = created["metadata"]["uid"]
    owned = [g for g in aws.groups() if aws.tags(g["ARN"]).get("elasticache-operator.io/uid") == uid]
    assert len(owned) == 1 and aws.calls("CreateReplicationGroup") - creates == 1
