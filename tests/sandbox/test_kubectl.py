"""The real kubectl against the Kubernetes API stand-in, as a user of the sandbox drives it."""

import json
import shutil
import subprocess

import pytest

from elasticache_sandbox.kube.server import kubeconfig

from ..support.processes import ROOT


@pytest.fixture(scope="module")
def kubectl(kube_api, tmp_path_factory):
    binary = shutil.which("kubectl") or str(ROOT / ".tools" / "bin" / "kubectl")
    home = tmp_path_factory.mktemp("kubectl-home")
    config = home / "kubeconfig"
    config.write_text(json.dumps(kubeconfig(kube_api.base)))

    def run(*args, check=True):
        env = {"KUBECONFIG": str(config), "HOME": str(home), "PATH": "/usr/bin:/bin"}
        return subprocess.run([binary, *args], capture_output=True, text=True, env=env, check=check, timeout=60)

    return run


def test_apply_with_validation_get_and_delete(kubectl):
    kubectl("create", "namespace", "--dry-run=client", "-o", "json", "demo")  # client-side only: no protobuf
    out = kubectl("apply", "-f", str(ROOT / "examples" / "single-node.yaml")).stdout
    assert "rediscluster.redis.elasticache-operator.io/sessions created" in out
    again = kubectl("apply", "-f", str(ROOT / "examples" / "single-node.yaml")).stdout
    assert "rediscluster.redis.elasticache-operator.io/sessions unchanged" in again
    table = kubectl("get", "redisclusters", "-o", "wide").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "HOST", "SHARDS", "REPLICAS", "STATUS", "AGE"]
    assert table[1].split()[0] == "sessions"
    obj = json.loads(kubectl("get", "ecredis", "sessions", "-o", "json").stdout)  # the CRD's short name
    assert obj["spec"]["deletionPolicy"] == "Delete" and obj["spec"]["numShards"] == 1
    assert "deleted" in kubectl("delete", "-f", str(ROOT / "examples" / "single-node.yaml")).stdout
    assert kubectl("get", "rediscluster", "sessions", check=False).returncode != 0
