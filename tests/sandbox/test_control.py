"""`sandbox up` starts the three processes with their state in one directory; `down` stops them by pid."""

import json
import os
import subprocess
import sys

import pytest
import requests

from ..support.processes import ROOT


def sandbox(state, command):
    env = {**os.environ, "SANDBOX_STATE": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "elasticache_sandbox", command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
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
