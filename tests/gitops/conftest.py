"""RedisClusters with the statuses the operator's own core writes in each phase."""

import datetime

import pytest

from elasticache_operator.core import conditions as c
from elasticache_operator.core.decide import aws_error, decide, invalid_spec
from elasticache_operator.core.password import PasswordAction

from ..unit.builders import desired, observed


def cluster(verdict=None, generation=2, observed_generation=2, **meta):
    obj = {
        "apiVersion": "redis.elasticache-operator.io/v1alpha1",
        "kind": "RedisCluster",
        "metadata": {"name": "cache", "namespace": "shop", "generation": generation, **meta},
        "spec": {},
    }
    if verdict is not None:
        obj["status"] = {
            "observedGeneration": observed_generation,
            "conditions": c.apply_verdict([], verdict, observed_generation, "2026-11-23T12:00:00Z"),
        }
    return obj


PHASES = {
    # phase: (object, Argo CD health, kstatus)
    "new": (cluster(), "Progressing", "Current"),
    "creating": (cluster(decide(desired(), None, "uid-1").verdict), "Progressing", "InProgress"),
    "available": (cluster(decide(desired(), observed(), "uid-1").verdict), "Healthy", "Current"),
    "modifying": (
        cluster(decide(desired(instanceSize="cache.r7g.large"), observed(), "uid-1").verdict),
        "Progressing",
        "InProgress",
    ),
    "snapshotting": (
        cluster(decide(desired(), observed(status="snapshotting"), "uid-1").verdict),
        "Healthy",
        "InProgress",
    ),
    "spec not yet observed": (
        cluster(decide(desired(), observed(), "uid-1").verdict, observed_generation=1),
        "Progressing",
        "InProgress",
    ),
    "invalid spec": (
        cluster(invalid_spec("numShards greater than 1 requires enableSharding: true")),
        "Degraded",
        "Failed",
    ),
    "not owned": (cluster(decide(desired(), observed(tags={}), "uid-1").verdict), "Degraded", "Failed"),
    "change not supported": (
        cluster(decide(desired(port=6380), observed(), "uid-1").verdict),
        "Degraded",
        "Failed",
    ),
    "scaling": (
        cluster(decide(desired(numReplicaNodes=2), observed(), "uid-1").verdict),
        "Progressing",
        "InProgress",
    ),
    "old password still accepted": (
        cluster(
            decide(
                desired(),
                observed(),
                "uid-1",
                password=PasswordAction(
                    "wait",
                    until=datetime.datetime(2026, 11, 23, 12, 10, tzinfo=datetime.UTC),
                    message="the previous password is accepted until 2026-11-23T12:10:00Z so clients can switch",
                ),
            ).verdict
        ),
        "Healthy",
        "InProgress",
    ),
    "create failed": (
        cluster(decide(desired(), observed(status="create-failed"), "uid-1").verdict),
        "Degraded",
        "Failed",
    ),
    "throttled": (
        cluster(aws_error("CreateReplicationGroup", "Throttling", "Rate exceeded", False)),
        "Progressing",
        "InProgress",
    ),
    "over quota": (
        cluster(aws_error("CreateReplicationGroup", "NodeQuotaForCustomerExceeded", "q", True)),
        "Degraded",
        "Failed",
    ),
    "deleting": (
        cluster(
            decide(desired(), observed(status="deleting"), "uid-1").verdict, deletionTimestamp="2026-11-23T12:00:00Z"
        ),
        "Progressing",
        "Terminating",
    ),
}


@pytest.fixture(params=sorted(PHASES))
def phase(request):
    return request.param, *PHASES[request.param]
