"""Two operators elect a leader on a Lease: only the leader acts; when it dies a standby takes over
within the lease duration, without doubling what the dead leader had in flight, and when it is
stopped (SIGTERM, as in a rollout) it releases the Lease so the standby takes over at once.

This module runs a stack of its own, so that it alone controls the operator processes."""

import contextlib
import pathlib
import signal
import time

import pytest
import requests
from kubernetes.client.exceptions import ApiException

from ..support import stack as stacks
from ..support.stack import eventually

pytestmark = pytest.mark.integration

LEASE_NAMESPACE = "default"
# How much later than the lease duration a takeover may come on a busy 2-core machine: the standby's
# round (1 s here) plus slow answers from the API and slow scheduling of both processes.
MARGIN = 6.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs_dir: pathlib.Path = tmp_path_factory.mktemp("election-logs")
    with stacks.Stack.start("election", logs_dir, create=2) as running:
        yield running
        with running.operator("operator-cleanup"):
            running.finish()


def election(identity: str, lease: str, duration: float, deadline: float, retry: float = 1) -> dict[str, str]:
    return {
        "ELASTICACHE_OPERATOR_LEADER_ELECTION": "true",
        "ELASTICACHE_OPERATOR_LEASE_NAME": lease,
        "ELASTICACHE_OPERATOR_LEASE_NAMESPACE": LEASE_NAMESPACE,
        "ELASTICACHE_OPERATOR_IDENTITY": identity,
        "ELASTICACHE_OPERATOR_LEASE_DURATION_SECONDS": str(duration),
        "ELASTICACHE_OPERATOR_RENEW_DEADLINE_SECONDS": str(deadline),
        "ELASTICACHE_OPERATOR_RETRY_PERIOD_SECONDS": str(retry),
    }


def lease_spec(stack, name: str) -> dict:
    try:
        lease = stack.cluster.custom.get_namespaced_custom_object(
            "coordination.k8s.io", "v1", LEASE_NAMESPACE, "leases", name
        )
    except ApiException as e:
        if e.status == 404:
            return {}
        raise
    return lease.get("spec") or {}


def holder(stack, lease: str) -> str:
    return lease_spec(stack, lease).get("holderIdentity") or ""


def leading(process) -> float:
    """The process's elasticache_operator_leader gauge, as Prometheus would scrape it."""
    text = requests.get(process.metrics_url, timeout=10).text
    [value] = [line.split()[1] for line in text.splitlines() if line.startswith("elasticache_operator_leader ")]
    return float(value)


@contextlib.contextmanager
def two_operators(stack, lease: str, duration: float, deadline: float):
    """Two candidates for one Lease; yields {identity: process} once one of them leads, and the leader."""
    names = (f"{lease}-a", f"{lease}-b")
    try:
        with (
            stack.operator(names[0], election(names[0], lease, duration, deadline)) as a,
            stack.operator(names[1], election(names[1], lease, duration, deadline)) as b,
        ):
            processes = dict(zip(names, (a, b), strict=True))
            # A new Lease is created only once none has appeared for a lease duration.
            first = eventually(lambda: holder(stack, lease), duration + 30, message="a leader elected")
            eventually(
                lambda: [leading(processes[n]) for n in names] == [float(n == first) for n in names],
                15,
                message="the leader's metric says 1, the standby's 0",
            )
            yield processes, first
    finally:
        with contextlib.suppress(ApiException):
            stack.cluster.custom.delete_namespaced_custom_object(
                "coordination.k8s.io", "v1", LEASE_NAMESPACE, "leases", lease
            )


def groups_owned_by(aws, uid):
    groups = aws.elasticache.describe_replication_groups()["ReplicationGroups"]
    return [g for g in groups if aws.tags(g["ARN"]).get("elasticache-operator.io/uid") == uid]


def test_a_standby_takes_over_from_a_killed_leader_without_doubling_its_create(stack):
    cluster, aws = stack.cluster, stack.aws
    namespace = cluster.namespace()
    cluster.password_secret(namespace)
    duration, deadline = 6.0, 4.0
    creates = aws.calls("CreateReplicationGroup")
    with two_operators(stack, "eco-killed", duration, deadline) as (processes, first):
        [second] = set(processes) - {first}
        # The leader's create request is slow to answer: the leader dies while AWS works on it.
        aws.inject(operation="CreateReplicationGroup", code="", delay_seconds=3, count=1)
        try:
            created = cluster.create(namespace, "takeover")
            eventually(lambda: aws.calls("CreateReplicationGroup") == creates + 1, 30, message="create requested")
            processes[first].send_signal(signal.SIGKILL)
            killed = time.monotonic()
            processes[first].wait()
            eventually(
                lambda: holder(stack, "eco-killed") == second,
                duration + MARGIN,
                interval=0.1,
                message=f"{second} took the Lease",
            )
            took = time.monotonic() - killed
        finally:
            aws.clear_faults()
        print(f"takeover after SIGKILL: {took:.1f}s (lease duration {duration:g}s)")
        # Not before the dead leader's last renewal could have expired, and not much after.
        assert duration - deadline <= took <= duration + MARGIN
        assert lease_spec(stack, "eco-killed")["leaseTransitions"] == 1
        assert leading(processes[second]) == 1
        uid = created["metadata"]["uid"]
        cluster.wait_ready(namespace, "takeover", timeout=60)
        assert len(groups_owned_by(aws, uid)) == 1
        assert aws.calls("CreateReplicationGroup") == creates + 1  # the new leader found the group by its id
        assert cluster.secret_data(namespace, "takeover-redis")["host"]


def test_a_leader_stopped_with_sigterm_hands_over_at_once(stack):
    cluster = stack.cluster
    namespace = cluster.namespace()
    cluster.password_secret(namespace)
    duration, deadline = 15.0, 10.0  # long, so that a takeover by expiry could not pass for a hand-over
    with two_operators(stack, "eco-stopped", duration, deadline) as (processes, first):
        [second] = set(processes) - {first}
        cluster.create(namespace, "before")
        cluster.wait_ready(namespace, "before", timeout=60)  # the leader acts
        processes[first].send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        eventually(
            lambda: holder(stack, "eco-stopped") == second, duration, interval=0.1, message=f"{second} took the Lease"
        )
        took = time.monotonic() - stopped
        print(f"takeover after SIGTERM: {took:.1f}s (lease duration {duration:g}s)")
        assert took < duration
        assert processes[first].wait(timeout=30) == 0
        log = (stack.logs_dir / f"{first}.log").read_text()
        assert "released the Lease" in log
        cluster.create(namespace, "after")
        cluster.wait_ready(namespace, "after", timeout=60)  # the new leader acts
        assert leading(processes[second]) == 1


def test_a_leader_that_could_not_renew_stops_at_once(stack):
    """A leader paused past its renew deadline (a frozen node, a stalled process) is replaced once the
    Lease expires; when it runs again it finds its deadline passed and exits (1) instead of acting."""
    duration, deadline = 6.0, 4.0
    with two_operators(stack, "eco-paused", duration, deadline) as (processes, first):
        [second] = set(processes) - {first}
        processes[first].send_signal(signal.SIGSTOP)
        try:
            eventually(
                lambda: holder(stack, "eco-paused") == second,
                duration + MARGIN,
                interval=0.1,
                message=f"{second} took the Lease",
            )
        finally:
            processes[first].send_signal(signal.SIGCONT)
        assert processes[first].wait(timeout=30) == 1
        log = (stack.logs_dir / f"{first}.log").read_text()
        assert "lost the leadership" in log and "released the Lease" not in log
        assert holder(stack, "eco-paused") == second and leading(processes[second]) == 1
