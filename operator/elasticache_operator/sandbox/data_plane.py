"""The sandbox's data plane: real redis-server processes behind every replication group.

Each node gets its own loopback address (127.64.x.y; all of 127/8 is local on Linux), so every
endpoint of a group uses the group's port, as in AWS, and a client that follows CLUSTER SLOTS
reaches the right node. The default user's password is the group's AuthToken and only TLS is
served, with certificates from a CA the sandbox makes (AWS's are publicly trusted; here clients
pass the sandbox CA). Non-sharded groups are a primary with `replicaof` replicas; sharded groups
are a Redis Cluster whose 16384 slots are split over the shards.
"""

from __future__ import annotations

import datetime
import ipaddress
import pathlib
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TOTAL_SLOTS = 16384


class DataPlaneError(Exception):
    pass


def redis_server() -> str | None:
    return shutil.which("redis-server")


@dataclass
class Node:
    ip: str
    port: int
    directory: pathlib.Path
    process: subprocess.Popen[bytes] | None = None


@dataclass
class GroupNodes:
    """Nodes of one group: shards[i][0] is shard i's primary, the rest its replicas."""

    shards: list[list[Node]]
    sharded: bool
    ready: threading.Event = field(default_factory=threading.Event)
    error: str | None = None

    @property
    def nodes(self) -> list[Node]:
        return [node for shard in self.shards for node in shard]


def _free(ip: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((ip, port))
            return True
        except OSError:
            return False


class CertificateAuthority:
    def __init__(self, directory: pathlib.Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.cert_path = directory / "ca.pem"
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "elasticache-operator sandbox CA")])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, name: str, ips: list[str], directory: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
        """A server certificate valid for these addresses; (cert, key) paths."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), *(x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips)]
                ),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        cert_path, key_path = directory / "tls.crt", directory / "tls.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_path.chmod(0o600)
        return cert_path, key_path


class DataPlane:
    """Starts and stops the redis-server processes of replication groups."""

    def __init__(self, directory: pathlib.Path, server: str) -> None:
        self.directory = directory
        self.server = server
        self.cli = shutil.which("redis-cli") or "redis-cli"
        self.ca = CertificateAuthority(directory / "ca")
        self.groups: dict[str, GroupNodes] = {}
        self.lock = threading.Lock()
        self._next_ip = 0

    def _allocate_ip(self, port: int) -> str:
        """The next loopback address whose port (and cluster bus port) nothing else holds,
        so several sandboxes, or leftovers of one, never collide."""
        while True:
            with self.lock:
                self._next_ip += 1
                n = self._next_ip
            if n >= 250 * 250:
                raise DataPlaneError("no free loopback address left in 127.64.0.0/16")
            ip = f"127.64.{n // 250}.{n % 250 + 1}"
            if all(_free(ip, p) for p in (port, port + 10000)):
                return ip

    def plan(self, group_id: str, port: int, sharded: bool, shards: int, replicas: int) -> GroupNodes:
        """Allocate addresses now (so the endpoints are known at once); start() brings them up."""
        base = self.directory / "groups" / group_id
        layout = [
            [Node(self._allocate_ip(port), port, base / f"{s + 1:04}-{n + 1:03}") for n in range(replicas + 1)]
            for s in range(shards)
        ]
        group = GroupNodes(layout, sharded)
        with self.lock:
            self.groups[group_id] = group
        return group

    def start(self, group_id: str, password: str | None) -> None:
        """Bring a planned group up; runs in a thread of its own, sets `ready` or `error`."""
        group = self.groups[group_id]
        try:
            cert, key = self.ca.issue(
                group_id, [n.ip for n in group.nodes], self._mkdir(self.directory / "groups" / group_id)
            )
            for shard in group.shards:
                primary = shard[0]
                for node in shard:
                    self._launch(
                        node, cert, key, password, group.sharded, None if group.sharded or node is primary else primary
                    )
            for node in group.nodes:
                self._wait_listening(node, password)
            if group.sharded:
                self._form_cluster(group, password)
            else:
                for replica in (n for shard in group.shards for n in shard[1:]):
                    self._wait_synced(replica, password)
            group.ready.set()
        except Exception as e:  # noqa: BLE001 - reported through the group, as AWS reports create-failed
            group.error = f"{type(e).__name__}: {e}"
            group.ready.set()

    def stop(self, group_id: str) -> None:
        with self.lock:
            group = self.groups.pop(group_id, None)
        if group is None:
            return
        for node in group.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in group.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
        shutil.rmtree(self.directory / "groups" / group_id, ignore_errors=True)

    def stop_all(self) -> None:
        for group_id in list(self.groups):
            self.stop(group_id)

    @staticmethod
    def _mkdir(path: pathlib.Path) -> pathlib.Path:
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _launch(
        self,
        node: Node,
        cert: pathlib.Path,
        key: pathlib.Path,
        password: str | None,
        sharded: bool,
        primary: Node | None,
    ) -> None:
        self._mkdir(node.directory)
        config = [
            f"bind {node.ip}",
            "port 0",
            f"tls-port {node.port}",
            f"tls-cert-file {cert}",
            f"tls-key-file {key}",
            f"tls-ca-cert-file {self.ca.cert_path}",
            "tls-auth-clients no",
            "tls-replication yes",
            f"dir {node.directory}",
            'save ""',
            "appendonly no",
            "repl-diskless-sync-delay 0",
            "protected-mode no",
            "loglevel warning",
            f"logfile {node.directory / 'redis.log'}",
        ]
        if password:
            config += [f"requirepass {password}", f"masterauth {password}"]
        if sharded:
            config += [
                "cluster-enabled yes",
                "cluster-config-file nodes.conf",
                "tls-cluster yes",
                "cluster-node-timeout 5000",
                f"cluster-announce-ip {node.ip}",
            ]
        if primary is not None:
            config.append(f"replicaof {primary.ip} {primary.port}")
        conf = node.directory / "redis.conf"
        conf.write_text("\n".join(config) + "\n")
        node.process = subprocess.Popen([self.server, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _redis_cli(self, node: Node, password: str | None, *command: str, timeout: float = 10) -> str:
        args = [self.cli, "--tls", "--cacert", str(self.ca.cert_path), "-h", node.ip, "-p", str(node.port)]
        if password:
            args += ["--no-auth-warning", "-a", password]
        result = subprocess.run([*args, *command], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise DataPlaneError(f"redis-cli {' '.join(command)} on {node.ip}: {result.stderr.strip()}")
        return result.stdout

    def _wait_listening(self, node: Node, password: str | None, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node.process is not None and node.process.poll() is not None:
                log = node.directory / "redis.log"
                raise DataPlaneError(
                    f"redis-server on {node.ip} exited: {log.read_text()[-500:] if log.exists() else ''}"
                )
            try:
                if "PONG" in self._redis_cli(node, password, "PING", timeout=2):
                    return
            except (DataPlaneError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.1)
        raise DataPlaneError(f"redis-server on {node.ip}:{node.port} did not answer in {timeout}s")

    def _wait_synced(self, replica: Node, password: str | None, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "master_link_status:up" in self._redis_cli(replica, password, "INFO", "replication"):
                return
            time.sleep(0.1)
        raise DataPlaneError(f"replica {replica.ip} did not sync in {timeout}s")

    def _form_cluster(self, group: GroupNodes, password: str | None) -> None:
        """Split the slots evenly over the shard primaries, then attach each shard's replicas."""
        primaries = [shard[0] for shard in group.shards]
        first = primaries[0]
        for node in group.nodes[1:]:
            self._redis_cli(node, password, "CLUSTER", "MEET", first.ip, str(first.port))
        for index, primary in enumerate(primaries):
            start = index * TOTAL_SLOTS // len(primaries)
            end = (index + 1) * TOTAL_SLOTS // len(primaries) - 1
            self._redis_cli(primary, password, "CLUSTER", "ADDSLOTSRANGE", str(start), str(end))
        self._wait_for(
            lambda: all(self._known_nodes(n, password) == len(group.nodes) for n in group.nodes), "all nodes to meet"
        )
        for shard in group.shards:
            primary_id = self._redis_cli(shard[0], password, "CLUSTER", "MYID").strip()
            for replica in shard[1:]:
                self._wait_for(
                    lambda r=replica, p=primary_id: p in self._redis_cli(r, password, "CLUSTER", "NODES"),
                    "replica to learn its primary",
                )
                self._redis_cli(replica, password, "CLUSTER", "REPLICATE", primary_id)
        self._wait_for(
            lambda: all("cluster_state:ok" in self._redis_cli(n, password, "CLUSTER", "INFO") for n in group.nodes),
            "cluster_state:ok",
        )
        for replica in (n for shard in group.shards for n in shard[1:]):
            self._wait_synced(replica, password)

    def _known_nodes(self, node: Node, password: str | None) -> int:
        info = self._redis_cli(node, password, "CLUSTER", "INFO")
        return int(next(line.split(":")[1] for line in info.splitlines() if line.startswith("cluster_known_nodes")))

    @staticmethod
    def _wait_for(check: object, what: str, timeout: float = 30) -> None:
        assert callable(check)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.2)
        raise DataPlaneError(f"timed out waiting for {what}")
