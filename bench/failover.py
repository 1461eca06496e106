"""`python -m bench.failover [--phase-seconds 15]`: a client writing and reading through a TestFailover,
of a replicated group (cluster mode disabled, a primary and a replica) and of a sharded one (cluster
mode enabled, one of its shards), as an application rehearsing a failover would see it.

Starts the ElastiCache stand-in with its Redis data plane (no operator, no Kubernetes: the groups are
created with boto3), and runs bench/traffic.py's application beside each group: redis-py over TLS to the
primary endpoint (redis.Redis) or to the configuration endpoint (RedisCluster), setting a session key
and getting a random earlier one, command after command. The phases: traffic before; the failover, from
the TestFailover call until the group is `available` again; traffic after. Prints, per phase, p50/p90/
p95/p99 latency and failed commands; the longest time without an acknowledged write and when writes
resumed, counted from the TestFailover call; and the acknowledged writes lost (every key written is
read back at the end). Writes them to their section of docs/data-plane.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import pathlib
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .traffic import DOC, Application, phase_table, wait_until, write_section

TOKEN = "failover-bench-token"
MODIFY_SECONDS = 2.0  # the stand-in's test failover: half before the promotion, half for the recovery


@dataclass(frozen=True)
class Scenario:
    name: str
    sharded: bool
    shard: str = "0001"  # the node group tested


SCENARIOS = (Scenario("replicated (1 shard, 1 + 1 nodes)", False), Scenario("sharded (2 shards of 1 + 1)", True))


@dataclass(frozen=True)
class WriteGap:
    """The longest time without an acknowledged write, and when writes resumed after it; both in
    seconds, `resumed` counted from the failover call (None: not within the window)."""

    longest: float
    resumed: float | None


def write_gap(acknowledged: list[float], called: float, ended: float) -> WriteGap:
    """From the acknowledgement times of the writes (wall clock): the longest stretch without one that
    ends after `called` (the TestFailover call) and begins before `ended` (the group available again),
    counted from the last write acknowledged before the call."""
    previous = max((t for t in acknowledged if t <= called), default=called)
    longest, resumed = 0.0, None
    for when in sorted(t for t in acknowledged if t > called):
        if previous >= ended:
            return WriteGap(longest, resumed)
        if when - previous > longest:
            longest, resumed = when - previous, when - called
        previous = when
    if previous < ended and ended - previous > longest:  # nothing acknowledged since `previous`
        return WriteGap(ended - previous, None)
    return WriteGap(longest, resumed)


def summary(scenario: Scenario, gap: WriteGap, failed: int, lost: int, written: int) -> str:
    resumed = (
        f"writes resumed {gap.resumed:.2f} s after the call" if gap.resumed is not None else "writes never resumed"
    )
    return (
        f"TestFailover of node group {scenario.shard}: longest time without an acknowledged write "
        f"{gap.longest:.2f} s, {resumed}; failed commands {failed}; acknowledged writes {written}, lost {lost}"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def stand_in(state: pathlib.Path) -> Iterator[str]:
    """The ElastiCache stand-in with its data plane, in a process group of its own; yields its URL."""
    port = free_port()
    log = (state / "elasticache.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "elasticache_sandbox.elasticache_api",
            "--port",
            str(port),
            "--data-dir",
            str(state / "data-plane"),
            "--create-seconds",
            "1",
            "--modify-seconds",
            str(MODIFY_SECONDS),
            "--delete-seconds",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def listening() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the stand-in exited with {process.returncode}: see {log.name}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
            return False

        wait_until(listening, 60, "the ElastiCache stand-in listening")
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # its own group: the stand-in stops its servers itself
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.failover", description=__doc__.splitlines()[0])
    parser.add_argument("--phase-seconds", type=float, default=15.0, help="traffic before and after each failover")
    parser.add_argument("--out", type=pathlib.Path, default=DOC, help="the document whose section it writes")
    args = parser.parse_args(argv)
    state = pathlib.Path(tempfile.mkdtemp(prefix="bench-failover-"))
    print(f"stand-in state and log in {state}", flush=True)
    with stand_in(state) as endpoint:
        results = [run(endpoint, state, scenario, args.phase_seconds) for scenario in SCENARIOS]
    options = " ".join(sys.argv[1:] if argv is None else argv)
    command = f"`python -m bench.failover {options}`".replace(" `", "`")
    sections = "\n\n".join(f"### {scenario.name}\n\n```\n{text}\n```" for scenario, text, _ in results)
    write_section(
        args.out,
        "failover",
        f"## TestFailover under a client writing through the primary\n\n{command} on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}: the ElastiCache stand-in with its Redis data plane and the client share "
        "the machine; no operator (the groups are made with boto3). An application sets a session key and gets a "
        "random earlier one, command after command, with redis-py over TLS: through the primary endpoint "
        "(redis.Redis, which retries a command once its connection drops) for the replicated group, through "
        "the configuration endpoint (RedisCluster, following MOVED) for the sharded one. The failover phase "
        "runs from the TestFailover call until the group is available again (the stand-in's test failover "
        f"takes {MODIFY_SECONDS:g} s and until the old primary has resynced). The stand-in pauses writes on the "
        "primary until the replica has caught up before promoting it, as Redis's own FAILOVER does, so an "
        "acknowledged write is never lost; a failover AWS makes after a node failure may lose the writes "
        "not yet replicated. These are the stand-in's figures, on loopback: on AWS the primary endpoint's DNS "
        "name has to follow the promoted replica, and clients wait for it longer.\n\n" + sections + "\n",
    )
    print(f"\nwrote {args.out}")
    return 0 if all(lost == 0 for _, _, lost in results) else 1


def run(endpoint: str, state: pathlib.Path, scenario: Scenario, phase_seconds: float) -> tuple[Scenario, str, int]:
    import boto3
    import redis
    from redis.cluster import RedisCluster

    ec = boto3.client(
        "elasticache",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    gid = f"bench-failover-{'sharded' if scenario.sharded else 'replicated'}"
    layout: dict[str, Any] = (
        {"NumNodeGroups": 2, "ReplicasPerNodeGroup": 1, "CacheParameterGroupName": "default.redis7.cluster.on"}
        if scenario.sharded
        else {"NumCacheClusters": 2}
    )
    ec.create_replication_group(
        ReplicationGroupId=gid,
        ReplicationGroupDescription="failover benchmark",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
        AutomaticFailoverEnabled=True,
        **layout,
    )

    def group() -> dict[str, Any]:
        return dict(ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0])

    wait_until(lambda: group()["Status"] == "available", 300, f"{gid} available")
    described = group()
    address = described["ConfigurationEndpoint"] if scenario.sharded else described["NodeGroups"][0]["PrimaryEndpoint"]
    ca_file = str(state / "data-plane" / "ca" / "ca.pem")
    cls: Callable[..., Any] = RedisCluster if scenario.sharded else redis.Redis

    def connect() -> Any:
        return cls(
            host=address["Address"],
            port=address["Port"],
            password=TOKEN,
            ssl=True,
            ssl_ca_certs=ca_file,
            socket_timeout=5,
            socket_connect_timeout=5,
        )

    print(f"{scenario.name}: {gid}", flush=True)
    app = Application(connect)
    phases: list[tuple[str, float, float]] = []
    app.start()
    try:
        began = time.time()
        time.sleep(phase_seconds)
        phases.append(("before", began, time.time()))
        called = time.time()
        ec.test_failover(ReplicationGroupId=gid, NodeGroupId=scenario.shard)
        wait_until(lambda: group()["Status"] == "available", 300, f"{gid} available after the failover")
        ended = time.time()
        phases.append(("failover", called, ended))
        print(f"  failover: {ended - called:.1f} s", flush=True)
        time.sleep(phase_seconds)
        phases.append(("after", ended, time.time()))
    finally:
        app.stop()
    lost = app.lost(connect())
    gap = write_gap(app.acknowledged, called, ended)
    failed = sum(1 for when, _, ok in app.samples if not ok and called <= when < ended)
    text = phase_table(app, phases, lost) + "\n" + summary(scenario, gap, failed, len(lost), len(app.written))
    print(text, flush=True)
    ec.delete_replication_group(ReplicationGroupId=gid)
    return scenario, text, len(lost)


if __name__ == "__main__":
    sys.exit(main())
