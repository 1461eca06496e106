"""`python -m elasticache_sandbox up|down|demo`: the local control plane as processes.

`up` starts the Kubernetes API stand-in, the ElastiCache API stand-in and the operator, each a
process of its own on 127.0.0.1, with pids, logs and a kubeconfig in one state directory; `down`
stops them by pid. The operator is configured only through its normal settings and AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any, TypedDict, cast

if TYPE_CHECKING:
    import redis

ROOT = pathlib.Path(__file__).resolve().parents[2]
STATE = pathlib.Path(os.environ.get("SANDBOX_STATE", ROOT / ".sandbox"))
SERVICES = ("kube-api", "elasticache-api", "operator")
RESTORED = "catalog"  # the example the demo deletes (deletionPolicy: Snapshot) and restores from its final snapshot
PROOF_KEY = "backup:proof"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, process: subprocess.Popen[bytes], name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}; see {STATE / (name + '.log')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not listen on {port} within {timeout}s")


def _start(name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log = (STATE / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    (STATE / f"{name}.pid").write_text(str(process.pid))
    return process


def environment() -> dict[str, str]:
    """What a shell (or the operator) needs to reach the sandbox, from the state directory."""
    env: dict[str, str] = json.loads((STATE / "env.json").read_text())
    return env


def up() -> dict[str, str]:
    if (STATE / "env.json").exists() and all(_alive(name) for name in SERVICES):
        return environment()
    down(quiet=True)
    STATE.mkdir(parents=True, exist_ok=True)
    kube_port, aws_port = _free_port(), _free_port()
    kubeconfig = STATE / "kubeconfig"
    kube = _start(
        "kube-api",
        [
            "-m",
            "elasticache_sandbox.kube",
            "--port",
            str(kube_port),
            "--kubeconfig",
            str(kubeconfig),
            "--crd",
            str(ROOT / "crds"),
        ],
    )
    data_plane = ["--data-dir", str(STATE / "data-plane")] if shutil.which("redis-server") else []
    aws = _start(
        "elasticache-api",
        [
            "-m",
            "elasticache_sandbox.elasticache_api",
            "--port",
            str(aws_port),
            "--create-seconds",
            "3",
            "--modify-seconds",
            "2",
            "--delete-seconds",
            "2",
            *data_plane,
        ],
    )
    _wait_port(kube_port, kube, "kube-api")
    _wait_port(aws_port, aws, "elasticache-api")
    env = {
        "KUBECONFIG": str(kubeconfig),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_REGION": "us-east-1",
    }
    health = _free_port()
    operator_env = {
        **env,
        "ELASTICACHE_OPERATOR_CLUSTER_NAME": "sandbox",
        "ELASTICACHE_OPERATOR_POLL_SECONDS": "1",
        "ELASTICACHE_OPERATOR_RETRY_SECONDS": "5",
        "ELASTICACHE_OPERATOR_RESYNC_SECONDS": "30",
        "ELASTICACHE_OPERATOR_METRICS_PORT": str(_free_port()),
        "ELASTICACHE_OPERATOR_HEALTH_PORT": str(health),
    }
    operator = _start("operator", ["-m", "elasticache_operator"], operator_env)
    _wait_port(health, operator, "operator")
    if data_plane:  # AWS's certificates are publicly trusted; the sandbox's CA must be passed to clients
        env["REDIS_CA"] = str(STATE / "data-plane" / "ca" / "ca.pem")
    (STATE / "env.json").write_text(json.dumps(env, indent=2))
    return env


def _pid(name: str) -> int | None:
    path = STATE / f"{name}.pid"
    return int(path.read_text()) if path.exists() else None


def _alive(name: str) -> bool:
    pid = _pid(name)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def down(quiet: bool = False) -> None:
    for name in reversed(SERVICES):
        pid = _pid(name)
        if pid is not None and _alive(name):
            os.killpg(pid, signal.SIGTERM)
            for _ in range(50):
                if not _alive(name):
                    break
                time.sleep(0.1)
            else:
                os.killpg(pid, signal.SIGKILL)
            if not quiet:
                print(f"stopped {name} ({pid})")
        (STATE / f"{name}.pid").unlink(missing_ok=True)
    (STATE / "env.json").unlink(missing_ok=True)


def _kubectl(env: dict[str, str], *args: str, capture: bool = False) -> str:
    kubectl = shutil.which("kubectl") or str(ROOT / ".tools" / "bin" / "kubectl")
    result = subprocess.run([kubectl, *args], env={**os.environ, **env}, check=True, text=True, capture_output=capture)
    return result.stdout if capture else ""


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def demo() -> None:
    if not shutil.which("redis-server"):
        raise SystemExit("the demo connects to real Redis servers: install redis-server (scripts/bootstrap does)")
    env = up()
    try:
        _step("kubectl apply -f examples/  (single-node, replicated, sharded; each with its password Secret)")
        _kubectl(env, "apply", "-f", str(ROOT / "examples"))
        _step("kubectl wait --for=condition=Ready redisclusters --all")
        _kubectl(env, "wait", "--for=condition=Ready", "redisclusters", "--all", "--timeout=120s")
        _step("kubectl get redisclusters -o wide")
        _kubectl(env, "get", "redisclusters", "-o", "wide")
        clusters = json.loads(_kubectl(env, "get", "redisclusters", "-o", "json", capture=True))["items"]
        for item in clusters:
            data = _print_secret(env, item)
            if "REDIS_CA" in env:
                _use(data, env["REDIS_CA"])
        proof = _write_proof(env, next(i for i in clusters if i["metadata"]["name"] == RESTORED))
        _step(f"kubectl delete rediscluster {RESTORED}  (deletionPolicy: Snapshot)")
        _kubectl(env, "delete", "rediscluster", RESTORED, "--wait=true", "--timeout=120s")
        _print_snapshots(env)
        _restore(env, proof)
    except subprocess.CalledProcessError as e:
        print(
            f"\ndemo failed: {' '.join(map(str, e.cmd))} exited with {e.returncode}; logs in {STATE}", file=sys.stderr
        )
        raise SystemExit(1) from e
    finally:
        down()


def _print_secret(env: dict[str, str], cluster: dict[str, Any]) -> dict[str, str]:
    name = cluster["status"]["connectionSecretName"]
    secret = json.loads(_kubectl(env, "get", "secret", name, "-o", "json", capture=True))
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    _step(f"Secret {name} (for RedisCluster {cluster['metadata']['name']})")
    for key, value in data.items():
        if key == "password":
            value = "*" * len(value)
        elif key == "url":
            value = value.replace(value.split("@")[0].split(":", 2)[2], "****")
        print(f"  {key:<11} {value}")
    return data


class _TLS(TypedDict):
    """The connection settings an app takes from the Secret (and the sandbox CA)."""

    port: int
    password: str
    ssl: bool
    ssl_ca_certs: str
    socket_timeout: float


def _text(reply: object) -> str:
    """A reply as text: without decode_responses, redis-py answers bytes (its types cannot say so)."""
    return cast(bytes, reply).decode()


def _use(data: dict[str, str], ca: str) -> None:
    """What an app does with the Secret alone (plus the sandbox CA): Stacktape's currentTime example."""
    import redis
    from redis.cluster import RedisCluster

    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    tls: _TLS = {
        "port": int(data["port"]),
        "password": data["password"],
        "ssl": True,
        "ssl_ca_certs": ca,
        "socket_timeout": 5,
    }
    if data["sharding"] == "enabled":
        cluster = RedisCluster(host=data["host"], **tls)
        cluster.set("currentTime", now)
        print(f"  RedisCluster SET/GET currentTime -> {_text(cluster.get('currentTime'))}")
        reply = cluster.execute_command(  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            "CLUSTER SLOTS", target_nodes=cluster.RANDOM
        )
        slots = sorted((start, end) for start, end, *_ in reply)
        print(f"  CLUSTER SLOTS: {', '.join(f'{a}-{b}' for a, b in slots)}")
        if slots[0][0] != 0 or slots[-1][1] != 16383:
            raise SystemExit("the sharded cluster does not cover all 16384 slots")
        return
    app = redis.Redis.from_url(data["url"], ssl_ca_certs=ca, socket_timeout=5)
    app.set("currentTime", now)
    print(f"  SET/GET currentTime via url -> {_text(app.get('currentTime'))}")
    if data["readerHost"] and data["readerHost"] != data["host"]:
        reader = redis.Redis(host=data["readerHost"], **tls)
        for _ in range(50):
            if reader.get("currentTime") == now.encode():
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the replica behind readerHost never saw the write")
        print(f"  GET currentTime via readerHost -> {_text(reader.get('currentTime'))}")


def _connection(env: dict[str, str], cluster: str) -> dict[str, str]:
    """A RedisCluster's connection Secret, decoded."""
    obj = json.loads(_kubectl(env, "get", "rediscluster", cluster, "-o", "json", capture=True))
    name = obj["status"]["connectionSecretName"]
    secret = json.loads(_kubectl(env, "get", "secret", name, "-o", "json", capture=True))
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def _app(data: dict[str, str], ca: str) -> redis.Redis:
    """What an app connects with: the Secret's url alone, and the sandbox's CA."""
    import redis

    return redis.Redis.from_url(data["url"], ssl_ca_certs=ca, socket_timeout=5)


def _write_proof(env: dict[str, str], cluster: dict[str, Any]) -> str:
    """A key written through the connection Secret, to be read back from the restored cluster."""
    name = cluster["metadata"]["name"]
    value = f"written to {name} before it was deleted, at {datetime.datetime.now(datetime.UTC):%H:%M:%S}Z"
    _step(f"SET {PROOF_KEY} in {name}, through its Secret")
    _app(_connection(env, name), env["REDIS_CA"]).set(PROOF_KEY, value)
    print(f"  SET {PROOF_KEY} {value!r}")
    return value


def _restore(env: dict[str, str], proof: str) -> None:
    """Back from the final snapshot in one step: a new RedisCluster restored from `<name>-final`."""
    import yaml

    final = f"{RESTORED}-final"
    _step(f"kubectl get redissnapshots  ({final}: the data of the deleted {RESTORED})")
    _kubectl(env, "wait", "--for=condition=Ready", f"redissnapshot/{final}", "--timeout=120s")
    _kubectl(env, "get", "redissnapshots")
    docs = yaml.safe_load_all((ROOT / "examples" / "replicated.yaml").read_text())
    cluster = next(d for d in docs if d["kind"] == "RedisCluster" and d["metadata"]["name"] == RESTORED)
    cluster["spec"]["restoreFrom"] = {"redisSnapshotName": final}
    manifest = STATE / f"{RESTORED}-restored.yaml"
    manifest.write_text(yaml.safe_dump(cluster, sort_keys=False))
    _step(f"kubectl apply -f {manifest.name}  (examples/replicated.yaml's {RESTORED}, plus restoreFrom)")
    print(f"  restoreFrom: {{redisSnapshotName: {final}}}")
    _kubectl(env, "apply", "-f", str(manifest))
    _kubectl(env, "wait", "--for=condition=Ready", f"rediscluster/{RESTORED}", "--timeout=180s")
    _kubectl(env, "get", "redisclusters", RESTORED)
    _step(f"GET {PROOF_KEY} from the restored {RESTORED}, through its new Secret")
    got = _app(_connection(env, RESTORED), env["REDIS_CA"]).get(PROOF_KEY)
    print(f"  GET {PROOF_KEY} -> {_text(got) if got is not None else '(nil)'!r}")
    if got is None or _text(got) != proof:
        raise SystemExit(f"the restored {RESTORED} does not hold the key written before the deletion")


def _print_snapshots(env: dict[str, str]) -> None:
    import boto3

    client = boto3.client(
        "elasticache",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    snapshots = client.describe_snapshots()["Snapshots"]
    if not snapshots:
        raise SystemExit("no final snapshot was recorded")
    _step("ElastiCache snapshots (aws elasticache describe-snapshots)")
    for snapshot in snapshots:
        print(f"  {snapshot['SnapshotName']}  of {snapshot['ReplicationGroupId']}  ({snapshot['SnapshotStatus']})")


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m elasticache_sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "demo"])
    args = parser.parse_args(argv)
    if args.command == "up":
        env = up()
        print("sandbox is up; to use it:")
        for key, value in env.items():
            print(f"  export {key}={value}")
        print(f"logs in {STATE}; stop with: python -m elasticache_sandbox down")
    elif args.command == "down":
        down()
    else:
        demo()
