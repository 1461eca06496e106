"""The chart, rendered by the real helm binary with several value sets."""

import json
import re

import kubernetes_validate
import pytest
import yaml

from elasticache_operator import metrics
from elasticache_operator.settings import Settings

from ..support.processes import ROOT
from .conftest import CHART, VALUE_SETS, helm, kinds, one, render

OPERATOR_RULES = {
    ("redis.elasticache-operator.io", "redisclusters"): {"get", "list", "watch", "patch"},
    ("redis.elasticache-operator.io", "redisclusters/status"): {"patch"},
    ("redis.elasticache-operator.io", "redisclusters/finalizers"): {"update"},
    ("redis.elasticache-operator.io", "redissnapshots"): {"get", "list", "watch", "patch", "create"},
    ("redis.elasticache-operator.io", "redissnapshots/status"): {"patch"},
    # list/watch: only its own (by label, app.kubernetes.io/managed-by); delete: the pending password Secret
    ("", "secrets"): {"get", "list", "watch", "create", "patch", "delete"},
    ("", "events"): {"create"},
    ("vpcresources.k8s.aws", "securitygrouppolicies"): {"get", "create", "patch", "delete"},
}
LEADER_ELECTION_RULES = {("coordination.k8s.io", "leases"): {"get", "create", "update"}}


def rules_of(role: dict) -> dict[tuple[str, str], set[str]]:
    result: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                result.setdefault((group, resource), set()).update(rule["verbs"])
    return result


@pytest.mark.parametrize("name", sorted(VALUE_SETS))
def test_lint_strict(name):
    result = helm("lint", "--strict", str(CHART), *VALUE_SETS[name], check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_object_is_valid_kubernetes(rendered):
    _, objects = rendered
    for obj in objects:
        if obj["apiVersion"].startswith("monitoring.coreos.com"):
            continue  # not a built-in kind; shape checked in test_monitoring_objects
        kubernetes_validate.validate(obj, "1.33", strict=True)


def test_no_wildcards_in_rbac(rendered):
    _, objects = rendered
    for role in (o for o in objects if o["kind"] in ("Role", "ClusterRole")):
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], role["metadata"]["name"]


def test_defaults_install_crd_and_cluster_wide_least_privilege():
    objects = render()
    for plural in ("redisclusters", "redissnapshots"):
        crd = one(objects, "CustomResourceDefinition", f"{plural}.redis.elasticache-operator.io")
        source = yaml.safe_load((ROOT / "crds" / f"{plural}.yaml").read_text())
        assert crd["spec"] == source["spec"]
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert rules_of(one(objects, "ClusterRole", "eco-elasticache-operator")) == OPERATOR_RULES
    discovery = rules_of(one(objects, "ClusterRole", "eco-elasticache-operator-discovery"))
    assert discovery == {("apiextensions.k8s.io", "customresourcedefinitions"): {"list", "watch"}}
    assert not [o for o in objects if o["kind"] in ("ServiceMonitor", "PrometheusRule")]
    assert not any(("coordination.k8s.io", "leases") in rules_of(o) for o in objects if o["kind"] == "ClusterRole")
    assert one(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1  # on by default: two replicas


def test_chart_crd_copy_is_the_source_of_truth():
    sources = sorted(p.name for p in (ROOT / "crds").glob("*.yaml"))
    assert sources == sorted(p.name for p in (CHART / "files" / "crds").glob("*.yaml"))
    for name in sources:
        assert (CHART / "files" / "crds" / name).read_text() == (ROOT / "crds" / name).read_text()


def test_crd_keep_can_be_turned_off():
    for crd in [o for o in render("--set", "crds.keep=false") if o["kind"] == "CustomResourceDefinition"]:
        assert "helm.sh/resource-policy" not in (crd["metadata"].get("annotations") or {})


def test_pod_security_and_probes(rendered):
    _, objects = rendered
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [container] = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    health_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "health")
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "health"}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["ELASTICACHE_OPERATOR_HEALTH_PORT"] == str(health_port)
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_every_setting_the_chart_passes_exists(rendered):
    _, objects = rendered
    [container] = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    names = {e["name"] for e in container["env"] if e["name"].startswith("ELASTICACHE_OPERATOR_")}
    fields = {f"ELASTICACHE_OPERATOR_{name.upper()}" for name in Settings.model_fields}
    assert names <= fields, names - fields
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    Settings.model_validate(
        {
            k.removeprefix("ELASTICACHE_OPERATOR_").lower(): v
            for k, v in env.items()
            if k.startswith("ELASTICACHE_OPERATOR_")
        }
    )


def test_namespaced_install_uses_roles_per_namespace():
    objects = render(*VALUE_SETS["namespaced"])
    discovery = rules_of(one(objects, "ClusterRole", "eco-elasticache-operator-discovery"))
    assert discovery[("", "namespaces")] == {"list", "watch"}  # kopf follows the namespaces it watches
    roles = [o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == "eco-elasticache-operator"]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    assert all(rules_of(r) == OPERATOR_RULES for r in roles)
    bindings = [o["metadata"] for o in objects if o["kind"] == "RoleBinding"]
    assert sorted((b["namespace"], b["name"]) for b in bindings) == [
        ("ops", "eco-elasticache-operator-leader-election"),  # the Lease is in the release namespace
        ("team-a", "eco-elasticache-operator"),
        ("team-b", "eco-elasticache-operator"),
    ]
    assert not any(("", "secrets") in rules_of(o) for o in objects if o["kind"] == "ClusterRole")
    [container] = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "ELASTICACHE_OPERATOR_NAMESPACES", "value": "team-a,team-b"} in container["env"]


def test_irsa_and_predictable_service_account():
    objects = render(*VALUE_SETS["irsa"])
    account = one(objects, "ServiceAccount")
    assert account["metadata"]["name"] == "elasticache-operator"
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].endswith(":role/eco")
    assert one(objects, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "elasticache-operator"
    assert "CustomResourceDefinition" not in kinds(objects)
    binding = one(objects, "ClusterRoleBinding", "eco-elasticache-operator")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "elasticache-operator", "namespace": "ops"}]


def test_security_groups_can_be_left_to_the_user():
    objects = render("--set", "aws.manageSecurityGroups=false")
    rules = rules_of(one(objects, "ClusterRole", "eco-elasticache-operator"))
    assert ("vpcresources.k8s.aws", "securitygrouppolicies") not in rules
    [container] = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "ELASTICACHE_OPERATOR_MANAGE_SECURITY_GROUPS", "value": "false"} in container["env"]


def test_a_second_installation_claims_only_its_instance():
    objects = render("--set", "instance=eu-account", "--set", "crds.enabled=false")
    assert "CustomResourceDefinition" not in kinds(objects)
    [container] = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "ELASTICACHE_OPERATOR_INSTANCE", "value": "eu-account"} in container["env"]
    [default] = one(render(), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "ELASTICACHE_OPERATOR_INSTANCE", "value": ""} in default["env"]


def test_aggregated_roles_let_namespace_users_manage_redisclusters():
    objects = render()
    view = one(objects, "ClusterRole", "eco-elasticache-operator-view")
    edit = one(objects, "ClusterRole", "eco-elasticache-operator-edit")
    assert view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    assert edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    assert rules_of(edit)[("redis.elasticache-operator.io", "redisclusters")] >= {"create", "update", "patch", "delete"}


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",), "info": ("_info",)}


def known_metrics() -> set[str]:
    """Every series name the operator's metrics module exposes."""
    names = set()
    for collector in vars(metrics).values():
        if hasattr(collector, "_name") and hasattr(collector, "collect"):
            for family in collector.collect():
                names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def test_monitoring_objects():
    objects = render(*VALUE_SETS["monitoring"])
    monitor = one(objects, "ServiceMonitor")
    service = one(objects, "Service")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["spec"]["selector"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"] == "metrics"
    rules = one(objects, "PrometheusRule")["spec"]["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == {
        "ElastiCacheOperatorReconcileErrors",
        "ElastiCacheRedisClustersNotReady",
        "ElastiCacheAWSThrottling",
    }
    dashboard = json.loads(one(objects, "ConfigMap")["data"]["elasticache-operator.json"])
    exprs = [r["expr"] for r in rules] + [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"elasticache_operator_[a-z_]+", e)}
    assert used and used <= known_metrics(), used - known_metrics()
    assert one(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("bogus", "1"),
        ("replicaCount", "-1"),
        ("leaderElection.bogus", "1"),
        ("topologySpreadConstraints[0].whenUnsatisfiable", "Sometimes"),
        ("aws.securityGroupIds", "{nope}"),
        ("logging.format", "xml"),
        ("image.surprise", "x"),
        ("instance", "not a label value"),
    ],
)
def test_values_schema_refuses_unknown_or_bad_values(flag, value):
    result = helm("template", "eco", str(CHART), "--set", f"{flag}={value}", check=False)
    assert result.returncode != 0 and "schema" in (result.stderr + result.stdout).lower()


def test_notes_say_what_to_do_next():
    result = helm("install", "eco", str(CHART), "--dry-run=client", "--namespace", "ops", *VALUE_SETS["irsa"])
    assert "IRSA role: arn:aws:iam::123456789012:role/eco" in result.stdout
    assert "docs/iam-policy.json" in result.stdout and "kubectl get redisclusters" in result.stdout
    assert "did not install the CRD" in result.stdout


def env_of(objects: list[dict]) -> dict[str, dict]:
    [container] = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container["env"]}


def test_replicas_elect_a_leader_on_a_lease_in_the_release_namespace(rendered):
    name, objects = rendered
    env = env_of(objects)
    assert env["ELASTICACHE_OPERATOR_LEADER_ELECTION"]["value"] == "true"
    assert env["ELASTICACHE_OPERATOR_LEASE_NAME"]["value"] == "eco-elasticache-operator"
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}  # the identity
    assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}  # the Lease's
    timings = [
        env[f"ELASTICACHE_OPERATOR_{t}_SECONDS"]["value"] for t in ("LEASE_DURATION", "RENEW_DEADLINE", "RETRY_PERIOD")
    ]
    assert timings == ["15", "10", "2"]
    role = one(objects, "Role", "eco-elasticache-operator-leader-election")
    assert role["metadata"]["namespace"] == "ops" and rules_of(role) == LEADER_ELECTION_RULES
    # get and update only on this release's Lease; create cannot be limited by name.
    assert {tuple(r["verbs"]): r.get("resourceNames") for r in role["rules"]} == {
        ("create",): None,
        ("get", "update"): ["eco-elasticache-operator"],
    }
    binding = one(objects, "RoleBinding", "eco-elasticache-operator-leader-election")
    assert binding["metadata"]["namespace"] == "ops"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    account = one(objects, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": "ops"}]
    others = [o for o in objects if o["kind"] in ("Role", "ClusterRole") and o is not role]
    assert not any(("coordination.k8s.io", "leases") in rules_of(o) for o in others), name


def test_replicas_are_spread_across_nodes_unless_told_otherwise():
    [spread] = one(render(), "Deployment")["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert spread == {
        "maxSkew": 1,
        "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {
            "matchLabels": {"app.kubernetes.io/name": "elasticache-operator", "app.kubernetes.io/instance": "eco"}
        },
    }
    zones = render(
        "--set",
        "topologySpreadConstraints[0].maxSkew=1",
        "--set",
        "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
        "--set",
        "topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule",
    )
    [spread] = one(zones, "Deployment")["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone" and spread["labelSelector"]["matchLabels"]
    none = render("--set-json", "topologySpreadConstraints=[]")
    assert "topologySpreadConstraints" not in one(none, "Deployment")["spec"]["template"]["spec"]


def test_without_leader_election_one_replica_is_recreated():
    objects = render("--set", "leaderElection.enabled=false", "--set", "replicaCount=1")
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    env = env_of(objects)
    assert not {"ELASTICACHE_OPERATOR_LEADER_ELECTION", "POD_NAME", "POD_NAMESPACE"} & set(env)
    assert not [o for o in objects if o["kind"] in ("Role", "RoleBinding")]


def test_several_replicas_need_leader_election_and_consistent_timings():
    result = helm(
        "template", "eco", str(CHART), "--set", "leaderElection.enabled=false", "--set", "replicaCount=2", check=False
    )
    assert result.returncode != 0 and "replicaCount" in result.stderr
    result = helm("template", "eco", str(CHART), "--set", "leaderElection.renewDeadlineSeconds=15", check=False)
    assert result.returncode != 0
    assert "retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds" in result.stderr
