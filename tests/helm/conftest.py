import os
import pathlib
import shutil
import subprocess

import pytest
import yaml

from ..support.processes import ROOT

CHART = ROOT / "helm" / "elasticache-operator"


def helm_binary() -> str:
    found = shutil.which("helm") or str(ROOT / ".tools" / "bin" / "helm")
    if not pathlib.Path(found).exists():
        raise RuntimeError("helm is not installed: run scripts/bootstrap (it installs .tools/bin/helm)")
    return found


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HELM_CACHE_HOME": "/tmp/helm-cache",
        "HELM_CONFIG_HOME": "/tmp/helm-config",
        "HELM_DATA_HOME": "/tmp/helm-data",
    }
    return subprocess.run([helm_binary(), *args], capture_output=True, text=True, check=check, env=env)


VALUE_SETS = {
    "defaults": [],
    "namespaced": ["--set", "watchNamespaces={team-a,team-b}"],
    "monitoring": [
        "--set",
        "monitoring.serviceMonitor.enabled=true",
        "--set",
        "monitoring.prometheusRule.enabled=true",
        "--set",
        "monitoring.grafanaDashboard.enabled=true",
        "--set",
        "podDisruptionBudget.enabled=true",
    ],
    "irsa": [
        "--set-string",
        "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::123456789012:role/eco",
        "--set",
        "serviceAccount.name=elasticache-operator",
        "--set",
        "crds.enabled=false",
        "--set",
        "aws.securityGroupIds={sg-0123abcd}",
        "--set",
        "aws.cacheSubnetGroup=private",
    ],
}


def render(*values: str) -> list[dict]:
    out = helm("template", "eco", str(CHART), "--namespace", "ops", *values).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=sorted(VALUE_SETS))
def rendered(request) -> tuple[str, list[dict]]:
    return request.param, render(*VALUE_SETS[request.param])


def one(objects: list[dict], kind: str, name: str | None = None) -> dict:
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def kinds(objects: list[dict]) -> list[str]:
    return sorted(o["kind"] for o in objects)
