"""What the operator asks the Kubernetes API for, read from the API stand-in's audit trail over a whole
lifecycle (leader election, creation, scoping with a SecurityGroupPolicy, rotation, a snapshot and a
restore from it, deletion with a final snapshot): the chart's
RBAC allows every request and grants no verb the operator never uses; and of all Secrets, the operator
reads only those RedisClusters name and those it writes itself."""

import json

import pytest
import requests

from ..helm.conftest import CHART, helm
from ..support.stack import eventually, stand_in
from .test_security import ROTATED

pytestmark = pytest.mark.integration

# Rules needed without a request of their own: kube-apiserver's OwnerReferencesPermissionEnforcement
# admission plugin wants `update` on redisclusters/finalizers for blockOwnerDeletion on owned Secrets.
ADMISSION_ONLY = {("redis.elasticache-operator.io", "redisclusters/finalizers", "update")}
POLICY_CRD = "securitygrouppolicies.vpcresources.k8s.aws"


def chart_rules():
    """(apiGroup, resource, verb) the chart grants the operator, with leader election on."""
    rendered = helm("template", "eco", str(CHART), "--namespace", "ops").stdout
    import yaml

    granted = set()
    for obj in yaml.safe_load_all(rendered):
        if not obj or obj["kind"] not in ("ClusterRole", "Role") or "aggregate" in json.dumps(obj["metadata"]):
            continue
        if obj["metadata"]["name"].endswith(("-view", "-edit")):
            continue
        for rule in obj["rules"]:
            granted |= {(g, r, v) for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    return granted


def audit(stack):
    server = json.loads(open(stack.kubeconfig).read())["clusters"][0]["cluster"]["server"]
    return requests.get(f"{server}/_sandbox/audit", timeout=30).json()["items"]


def test_the_chart_grants_what_the_operator_uses_and_it_reads_only_its_secrets(stack, cluster, aws, namespace):
    if not stand_in():
        pytest.skip(
            "this test reads every request the operator made from the Kubernetes API stand-in's audit trail;"
            " a real API server's audit log is not reachable from a test (tests/helm checks the chart's rules"
            " without one)"
        )
    election = {
        "ELASTICACHE_OPERATOR_LEADER_ELECTION": "true",
        "ELASTICACHE_OPERATOR_LEASE_NAMESPACE": "default",
        "ELASTICACHE_OPERATOR_LEASE_NAME": f"eco-{stack.instance}",
        "ELASTICACHE_OPERATOR_LEASE_DURATION_SECONDS": "4",
        "ELASTICACHE_OPERATOR_RENEW_DEADLINE_SECONDS": "3",
        "ELASTICACHE_OPERATOR_RETRY_PERIOD_SECONDS": "1",
    }
    cluster.core.create_namespaced_secret(namespace, {"metadata": {"name": "unrelated"}, "stringData": {"k": "v"}})
    from ..integration.test_access import POLICY_CRD as policy_crd

    made_crd = False
    try:
        cluster.extensions.create_custom_resource_definition(policy_crd)
        made_crd = True
    except Exception:  # noqa: BLE001 - there already
        pass
    try:
        with stack.operator("operator-audited", extra_env=election):
            cluster.create(
                namespace,
                "audited",
                deletionPolicy="Snapshot",
                accessibility={"accessibilityMode": "scoping-workloads-in-vpc"},
            )
            eventually(
                lambda: cluster.condition(namespace, "audited", "ClientAccess").get("reason") == "ScopedToWorkloads",
                90,
                message="scoped, with its SecurityGroupPolicy",
            )
            policy = ("vpcresources.k8s.aws", "v1beta1", namespace, "securitygrouppolicies", "audited-redis-clients")
            cluster.custom.patch_namespaced_custom_object(*policy, {"spec": {"securityGroups": {"groupIds": ["sg-0"]}}})
            eventually(  # changed by hand, put back
                lambda: (
                    cluster.custom.get_namespaced_custom_object(*policy)["spec"]["securityGroups"]["groupIds"]
                    != ["sg-0"]
                ),
                60,
                message="SecurityGroupPolicy restored",
            )
            cluster.core.patch_namespaced_secret("redis-password", namespace, {"stringData": {"password": ROTATED}})
            names = lambda: [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]  # noqa: E731
            eventually(lambda: "audited-redis-pending" in names(), 60, message="rotation under way")
            eventually(lambda: "audited-redis-pending" not in names(), 60, message="rotation done")
            cluster.patch_spec(namespace, "audited", {"accessibility": {"accessibilityMode": "vpc"}})
            eventually(lambda: cluster.condition(namespace, "audited", "ClientAccess").get("reason") == "WholeVPC", 60)
            cluster.create_snapshot(namespace, "audited-now", redisClusterName="audited")
            cluster.wait_snapshot(namespace, "audited-now", timeout=90)
            cluster.create(namespace, "copy", deletionPolicy="Delete", restoreFrom={"redisSnapshotName": "audited-now"})
            cluster.wait_ready(namespace, "copy", timeout=90)
            cluster.delete(namespace, "audited")
            eventually(lambda: not cluster.exists(namespace, "audited"), 60, message="deleted")
            cluster.wait_snapshot(namespace, "audited-final", timeout=60)  # the way back, as a RedisSnapshot
    finally:
        if made_crd:
            cluster.extensions.delete_custom_resource_definition(POLICY_CRD)

    mine = [r for r in audit(stack) if r["userAgent"].startswith(("kopf/", "elasticache-operator"))]
    assert mine, "no request of the operator's was audited"
    used = {
        (r["apiGroup"], r["resource"] + (f"/{r['subresource']}" if r["subresource"] else ""), r["verb"]) for r in mine
    }
    granted = chart_rules()
    assert used - granted == set(), "the operator needs rules the chart lacks"
    assert granted - used - ADMISSION_ONLY == set(), "the chart grants what the operator never uses"

    secret_reads = [r for r in mine if r["resource"] == "secrets" and r["verb"] == "get"]
    assert {r["name"] for r in secret_reads} <= {
        "redis-password",
        "audited-redis",
        "audited-redis-pending",
        "copy-redis",
        "copy-redis-pending",
    }
    # Secrets are listed and watched for the operator's own (by label), or for their metadata only.
    assert all(
        "app.kubernetes.io/managed-by=elasticache-operator" in r["labelSelector"] or r["as"] == "PartialObjectMetadata"
        for r in mine
        if r["resource"] == "secrets" and r["verb"] in ("list", "watch")
    )
    assert not [r for r in mine if r["name"] == "unrelated"]
