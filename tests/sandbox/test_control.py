"""`sandbox up` starts the three processes with their state in one directory; `down` stops them by pid;
`demo` runs the whole product and proves a deleted cluster comes back from its final snapshot."""

import json
import os
import re
import subprocess
import sys

import pytest
import requests

from ..support.processes import ROOT
from ..support.sandbox import NO_REDIS


def sandbox(state, command, timeout=120):
    env = {**os.environ, "SANDBOX_STATE": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "elasticache_sandbox", command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


@pytest.mark.timeout(180)
def test_up_then_down(tmp_path):
    state = tmp_path / "sandbox"
    result = sandbox(state, "up")
    try:
        assert result.returncode == 0, result.stderr
        env = json.loads((state / "env.json").read_text())
        assert "export KUBECONFIG=" in result.stdout and (state / "kubeconfig").exists()
        pids = {name: int((state / f"{name}.pid").read_text()) for name in ("kube-api", "elasticache-api", "operator")}
        assert all(alive(pid) for pid in pids.values())
        assert requests.get(f"{env['AWS_ENDPOINT_URL']}/_sandbox/requests", timeout=5).ok
        assert sandbox(state, "up").returncode == 0  # idempotent: reuses what runs
        assert {n: int((state / f"{n}.pid").read_text()) for n in pids} == pids
    finally:
        down = sandbox(state, "down")
    assert down.returncode == 0 and "stopped operator" in down.stdout
    assert not any(alive(pid) for pid in pids.values())
    assert not (state / "env.json").exists()


@pytest.mark.timeout(600)
def test_the_demo_brings_a_deleted_cluster_back_from_its_final_snapshot(tmp_path):
    if NO_REDIS:
        pytest.skip(f"the demo reads its keys back: {NO_REDIS}")
    result = sandbox(tmp_path / "sandbox", "demo", timeout=540)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    written = re.search(r"SET backup:proof '([^']+)'", out)
    read = re.search(r"GET backup:proof -> '([^']*)'", out)
    assert written and read and read[1] == written[1], out[-3000:]  # the key came back
    assert re.search(r"^catalog-final\s+True\s+default-catalog-\S+\s+\d+\s+Retain", out, re.M), out[-3000:]
    assert "restoreFrom: {redisSnapshotName: catalog-final}" in out
    # The steps that were there before still ran, in order.
    steps = [line for line in out.splitlines() if line.startswith("== ")]
    titles = [
        "kubectl apply -f examples/",
        "kubectl get redisclusters -o wide",
        "SET backup:proof in catalog",
        "kubectl delete rediscluster catalog",
        "ElastiCache snapshots",
        "kubectl get redissnapshots",
        "kubectl apply -f catalog-restored.yaml",
        "GET backup:proof from the restored catalog",
    ]
    found = [next((i for i, step in enumerate(steps) if title in step), -1) for title in titles]
    assert -1 not in found and found == sorted(found), steps
