"""`python bench/takeover.py [--runs 5] [--lease-duration 15 --renew-deadline 10 --retry-period 2]`:
how long a standby takes to take over when the leader's pod is killed (SIGKILL: the Lease is not
released, it has to expire).

Starts the sandbox's Kubernetes API and ElastiCache stand-ins and two operators with leader election
(each its own process, as tests/support/stack.py does), then, run after run, kills the leader and
measures from the kill until
  - lease: the standby holds the Lease (read from the API every 50 ms), and
  - acting: kopf runs in the new leader (its /healthz is kopf's, no longer the standby's),
then starts the killed one again as a new standby. Prints each run and min/median/max.
Standalone: nothing from bench/ or tests/ is imported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

ROOT = pathlib.Path(__file__).resolve().parents[1]
LEASE, NAMESPACE = "elasticache-operator-bench", "default"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException, OSError):
            if result := check():
                return result
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:g}s")


class Processes:
    """Every process this benchmark starts, stopped (SIGTERM, then SIGKILL) on the way out."""

    def __init__(self, logs: pathlib.Path) -> None:
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={
                    **os.environ,
                    **(env or {}),
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "operator"), os.environ.get("PYTHONPATH")])),
                },
            )
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def sandbox(processes: Processes) -> Iterator[tuple[str, str, str]]:
    """Yields (kubeconfig path, Kubernetes API URL, ElastiCache endpoint)."""
    kube_port, aws_port = free_port(), free_port()
    kubeconfig = processes.logs / "kubeconfig.json"
    kube = processes.start(
        "kube-api",
        ["-m", "elasticache_sandbox.kube", "--port", str(kube_port), "--kubeconfig", str(kubeconfig)]
        + ["--crd", str(ROOT / "crds")],
    )
    aws = processes.start(
        "elasticache",
        ["-m", "elasticache_sandbox.elasticache_api", "--port", str(aws_port)]
        + ["--create-seconds", "1", "--modify-seconds", "0.5", "--delete-seconds", "0.5"],
    )
    for port, process in ((kube_port, kube), (aws_port, aws)):
        wait_until(lambda p=port, pr=process: pr.poll() is None and _listening(p), 60, f"port {port}")
    wait_until(kubeconfig.exists, 30, "kubeconfig written")
    yield str(kubeconfig), f"http://127.0.0.1:{kube_port}", f"http://127.0.0.1:{aws_port}"


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Operator:
    def __init__(self, processes: Processes, identity: str, env: dict[str, str]) -> None:
        self.identity = identity
        self.health_port, self.metrics_port = free_port(), free_port()
        env = {
            **env,
            "ELASTICACHE_OPERATOR_IDENTITY": identity,
            "ELASTICACHE_OPERATOR_HEALTH_PORT": str(self.health_port),
            "ELASTICACHE_OPERATOR_METRICS_PORT": str(self.metrics_port),
        }
        self.process = processes.start(identity, ["-m", "elasticache_operator"], env)

    def health(self) -> dict[str, Any] | None:
        """/healthz's answer: the standby's own ({"leader": false, ...}) or kopf's (its probes)."""
        response = requests.get(f"http://127.0.0.1:{self.health_port}/healthz", timeout=2)
        return response.json() if response.ok else None

    def standing_by(self) -> bool:
        return (self.health() or {}).get("leader") is False

    def acting(self) -> bool:
        answer = self.health()
        return answer is not None and "leader" not in answer


def holder(kube: str) -> str:
    response = requests.get(f"{kube}/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/{LEASE}", timeout=5)
    if response.status_code == 404:
        return ""
    response.raise_for_status()
    return str(response.json()["spec"].get("holderIdentity") or "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lease-duration", type=float, default=15.0, help="seconds (the operator's default)")
    parser.add_argument("--renew-deadline", type=float, default=10.0, help="seconds (the operator's default)")
    parser.add_argument("--retry-period", type=float, default=2.0, help="seconds (the operator's default)")
    args = parser.parse_args()
    logs = pathlib.Path(tempfile.mkdtemp(prefix="takeover-"))
    print(
        f"lease duration {args.lease_duration:g}s, renew deadline {args.renew_deadline:g}s,"
        f" retry period {args.retry_period:g}s; {os.cpu_count()} CPUs; logs in {logs}",
        flush=True,
    )
    processes = Processes(logs)
    lease_times: list[float] = []
    acting_times: list[float] = []
    try:
        with sandbox(processes) as (kubeconfig, kube, aws):
            env = {
                "KUBECONFIG": kubeconfig,
                "AWS_ENDPOINT_URL": aws,
                "AWS_ACCESS_KEY_ID": "sandbox",
                "AWS_SECRET_ACCESS_KEY": "sandbox",
                "AWS_REGION": "us-east-1",
                "ELASTICACHE_OPERATOR_CLUSTER_NAME": "bench",
                "ELASTICACHE_OPERATOR_LOG_FORMAT": "json",
                "ELASTICACHE_OPERATOR_LEADER_ELECTION": "true",
                "ELASTICACHE_OPERATOR_LEASE_NAME": LEASE,
                "ELASTICACHE_OPERATOR_LEASE_NAMESPACE": NAMESPACE,
                "ELASTICACHE_OPERATOR_LEASE_DURATION_SECONDS": str(args.lease_duration),
                "ELASTICACHE_OPERATOR_RENEW_DEADLINE_SECONDS": str(args.renew_deadline),
                "ELASTICACHE_OPERATOR_RETRY_PERIOD_SECONDS": str(args.retry_period),
            }
            operators = {o.identity: o for o in (Operator(processes, f"op-{i}", env) for i in (1, 2))}
            # A new Lease is created once none has appeared for a lease duration.
            first = wait_until(lambda: holder(kube), args.lease_duration + 60, "a first leader")
            wait_until(operators[first].acting, 60, "the first leader running kopf")
            started = 2
            for run in range(1, args.runs + 1):
                leader = operators[holder(kube)]
                [standby] = [o for o in operators.values() if o is not leader]
                wait_until(standby.standing_by, 60, f"{standby.identity} standing by")
                time.sleep(random.uniform(0, args.retry_period))  # killed at any point of its renewal cycle
                leader.process.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                leader.process.wait()
                wait_until(lambda s=standby: holder(kube) == s.identity, args.lease_duration * 3 + 60, "takeover")
                lease_times.append(time.monotonic() - killed)
                wait_until(standby.acting, 60, "the new leader running kopf")
                acting_times.append(time.monotonic() - killed)
                print(
                    f"run {run}: {standby.identity} took over from {leader.identity}:"
                    f" Lease after {lease_times[-1]:.1f}s, acting after {acting_times[-1]:.1f}s",
                    flush=True,
                )
                del operators[leader.identity]
                started += 1
                restarted = Operator(processes, f"op-{started}", env)  # the killed pod, replaced
                operators[restarted.identity] = restarted
    finally:
        processes.stop_all()
    if not lease_times:
        return
    print(
        json.dumps(
            {
                "lease_duration_seconds": args.lease_duration,
                "renew_deadline_seconds": args.renew_deadline,
                "retry_period_seconds": args.retry_period,
                "runs": len(lease_times),
            }
        )
    )
    for what, times in (("Lease taken", lease_times), ("acting (kopf up)", acting_times)):
        print(
            f"{what:>17}: min {min(times):.1f}s  median {statistics.median(times):.1f}s  max {max(times):.1f}s"
            f"  (after SIGKILL of the leader)"
        )


if __name__ == "__main__":
    main()
