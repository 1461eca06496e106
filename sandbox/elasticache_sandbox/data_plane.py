"""The sandbox's data plane: real redis-server processes behind every replication group.

Each node gets its own loopback address (127.64.x.y; all of 127/8 is local on Linux), so every
endpoint of a group uses the group's port, as in AWS, and a client that follows CLUSTER SLOTS
reaches the right node. The default user's password is the group's AuthToken and only TLS is
served, with certificates from a CA the sandbox makes (AWS's are publicly trusted; here clients
pass the sandbox CA). Non-sharded groups are a primary with `replicaof` replicas; sharded groups
are a Redis Cluster whose 16384 slots are split over the shards.

The group's endpoints (primary and reader, or configuration when sharded) are addresses of their
own, served by forwarders (forwarder.py) that pick a current node per connection, so they keep
their address while shards and replicas come and go, as AWS's DNS names do. Every node's
certificate names those addresses too.

Day-2 changes follow what ElastiCache does online: shards are added (started, met, then given
slots migrated key by key) or removed (slots migrated away, then forgotten and stopped), slots are
rebalanced, replicas are added (synced before they count) or removed, and AuthTokens are rotated
(both passwords valid) or set (only the new one). Each runs in a thread and reports through a Job.

Engine parameters: every node starts with its cache parameter group's values (those one may set) as
redis.conf directives (server_settings(): the per-class output buffer limits become one
client-output-buffer-limit directive; NOT_APPLIED lists those redis-server has no directive for, kept in the
group only). apply_parameters() sets changed immediate ones on every node with CONFIG SET; reboot() restarts
nodes with every value (those that wait for a reboot too), each coming back empty as AWS says of a reboot.
An engine change (Redis OSS → Valkey) does not touch the servers: only redis-server is installed here.

Cluster mode: to_cluster() turns a cluster mode disabled group into a Redis Cluster of one shard holding all
16384 slots, keys kept: the primary saves its data as it shuts down (SHUTDOWN SAVE) and loads it back with
cluster-enabled yes, the replicas restart empty and sync as cluster replicas, and a configuration endpoint
joins the primary and reader ones. Keys outside database 0 fail it before anything changes. Clients see the
primary restart (a short outage, not modelled away); afterwards the primary endpoint serves plain clients
(every slot is on that node) and the configuration endpoint cluster-aware ones.

Backups and failover:

- `snapshot()` writes one real RDB file per shard, `BGSAVE` on the node the backup is read from (a
  replica once it has applied what its primary had when the backup was asked for, so the backup is
  the group as of that moment), then copied to `<data dir>/snapshots/<name>/<node group>.rdb`; any
  redis-server can load it.
- A group restored from a snapshot starts with its data: a cluster mode disabled group's nodes each
  load the RDB at startup; a cluster mode enabled group is formed empty, then every key of every RDB
  (each loaded into a scratch redis-server of its own) is moved by DUMP/RESTORE, TTLs kept, to the
  shard that owns its slot, whatever the snapshot's shard count; data in a database other than 0 fails
  the restore, as cluster mode supports db 0 only.
- `failover()` (TestFailover) promotes a replica. Cluster mode disabled: writes on the primary are
  paused until the replica has caught up (no acknowledged write is lost), the replica is promoted, the
  primary endpoint leads to it from then on, the other replicas follow it, and the old primary's node
  is replaced (restarted as a replica, which drops its clients, so they reconnect through the primary
  endpoint to the new primary) and resynced. Cluster mode enabled: `CLUSTER FAILOVER` on the replica
  (the same coordinated handoff, done by Redis), after which the old primary serves on as a replica.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import itertools
import pathlib
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

from .forwarder import Forwarder

TOTAL_SLOTS = 16384
# Cache parameters redis-server has no directive for: ElastiCache's own (memory reserved for backups,
# writes on a replica closing the connection, renamed commands, its endpoint types), Valkey 8's
# (extended-redis-compatibility, the command log, search) and cluster-enabled, which the cluster mode
# decides. They are kept in the parameter group and never reach a server.
NOT_APPLIED = frozenset(
    {
        "cluster-enabled",
        "close-on-replica-write",
        "cluster-preferred-endpoint-type",
        "commandlog-large-reply-max-len",
        "commandlog-large-request-max-len",
        "commandlog-reply-larger-than",
        "commandlog-request-larger-than",
        "extended-redis-compatibility",
        "rename-commands",
        "reserved-memory-percent",
        "search-default-timeout-ms",
        "search-enable-partial-results",
        "search-fanout-target-mode",
    }
)
OUTPUT_BUFFER = re.compile(r"^client-output-buffer-limit-(normal|pubsub)-(hard-limit|soft-limit|soft-seconds)$")
MIGRATE_BATCH = 256  # slots handled per round of pipelined CLUSTER SETSLOT calls
ADDRESSES = 250 * 250  # 127.64.0.1 to 127.64.249.250
WAIT_SECONDS = 60.0  # generous: the test machines are small and busy


Moves = list[tuple[int, str, str]]  # (slot, from node group, to node group)


class DataPlaneError(Exception):
    pass


def redis_server() -> str | None:
    return shutil.which("redis-server")


# --- slot arithmetic, shared with the API model so NodeGroups[].Slots says what the servers do ---


def even_slots(count: int) -> list[list[int]]:
    """AWS's split at creation: contiguous ranges, the first shards one slot larger (0-5461, 5462-10922, …)."""
    base, extra = divmod(TOTAL_SLOTS, count)
    split, start = [], 0
    for index in range(count):
        size = base + (1 if index < extra else 0)
        split.append(list(range(start, start + size)))
        start += size
    return split


def format_slots(slots: Iterable[int]) -> str:
    """Slots as NodeGroup.Slots shows them: 0-5461,8000,9000-9100."""
    ranges: list[str] = []
    ordered = sorted(slots)
    start = previous = None
    for slot in [*ordered, None]:
        if slot is not None and previous is not None and slot == previous + 1:
            previous = slot
            continue
        if start is not None:
            ranges.append(f"{start}-{previous}" if previous != start else f"{start}")
        start = previous = slot
    return ",".join(ranges)


def parse_slots(text: str | None) -> list[int]:
    slots: list[int] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        low, _, high = part.strip().partition("-")
        slots.extend(range(int(low), int(high or low) + 1))
    return slots


def reshard_moves(owned: dict[str, list[int]], keep: list[str]) -> Moves:
    """(slot, from, to) moves that spread all slots evenly over the shards in `keep`, moving as
    few as possible: shards leaving give everything, shards over their share give their highest
    slots, shards under it take the lowest slots given."""
    base, extra = divmod(TOTAL_SLOTS, len(keep))
    by_size = sorted(keep, key=lambda s: (-len(owned.get(s, [])), s))  # the largest keep the extra slot
    target = {shard: base + (1 if index < extra else 0) for index, shard in enumerate(by_size)}
    given: list[tuple[int, str]] = []
    for shard, slots in owned.items():
        excess = len(slots) - target.get(shard, 0)
        if excess > 0:
            given.extend((slot, shard) for slot in sorted(slots)[-excess:])
    given.sort()
    moves: Moves = []
    pool = iter(given)
    for shard in sorted(keep):
        for _ in range(target[shard] - len(owned.get(shard, []))):
            slot, source = next(pool)
            moves.append((slot, source, shard))
    return moves


def server_settings(values: Mapping[str, str | None]) -> dict[str, str]:
    """A cache parameter group's values as redis-server directives: the same names, but for the
    per-class output buffer limits, which are one directive (`client-output-buffer-limit`, every class
    in one value), and what redis-server cannot apply (NOT_APPLIED), left out."""
    settings: dict[str, str] = {}
    buffers: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        if value is None or name in NOT_APPLIED:
            continue
        match = OUTPUT_BUFFER.match(name)
        if match:
            buffers.setdefault(match[1], {})[match[2]] = value
        else:
            settings[name] = value
    if buffers:
        settings["client-output-buffer-limit"] = " ".join(
            f"{kind} {parts.get('hard-limit', '0')} {parts.get('soft-limit', '0')} {parts.get('soft-seconds', '0')}"
            for kind, parts in sorted(buffers.items())
        )
    return settings


def _conf_value(value: str) -> str:
    """A value as redis.conf quotes it (empty values and spaces included)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def uniform(owned: dict[str, list[int]]) -> bool:
    sizes = [len(slots) for slots in owned.values()]
    return max(sizes) - min(sizes) <= 1


# --- the nodes -----------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    name: str  # the cache cluster id, e.g. group-0002-001 or group-003
    ip: str
    port: int
    directory: pathlib.Path
    process: subprocess.Popen[bytes] | None = None
    node_id: str = ""  # its Redis Cluster node id, once known


@dataclass(eq=False)
class Shard:
    id: str  # the node group id, "0001"
    nodes: list[Node]  # nodes[0] is the primary
    slots: list[int] = field(default_factory=list)  # sharded groups only
    leaving: bool = False

    @property
    def primary(self) -> Node:
        return self.nodes[0]

    @property
    def replicas(self) -> list[Node]:
        return self.nodes[1:]


@dataclass
class Job:
    """One change of the data plane: done once the servers reflect it (or it failed)."""

    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None
    progress: float = 0.0  # percent, for slot migrations


@dataclass
class SnapshotJob(Job):
    """A backup being written: per node group, the RDB file, its size and when its data was read."""

    files: dict[str, pathlib.Path] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    taken: dict[str, datetime.datetime] = field(default_factory=dict)


@dataclass
class FailoverJob(Job):
    """A test failover: `promoted` once the replica is the primary (and the endpoints lead to it);
    `done` once the old primary has recovered as a replica."""

    promoted: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class GroupNodes:
    """The servers of one group. Lists are replaced, never changed in place, so forwarders and
    readers always see a whole topology."""

    group_id: str
    port: int
    sharded: bool
    shards: list[Shard]
    tokens: list[str]  # valid AuthTokens, newest last; "" stands for "no password needed"
    endpoints: dict[str, str]  # "primary"/"reader", or "configuration": address
    directory: pathlib.Path
    seed: list[pathlib.Path] = field(default_factory=list)  # RDB files the group starts with (a restore)
    parameters: dict[str, str] = field(default_factory=dict)  # directives every node (re)starts with
    created: Job = field(default_factory=Job)
    forwarders: list[Forwarder] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def nodes(self) -> list[Node]:
        return [node for shard in self.shards for node in shard.nodes]

    @property
    def ready(self) -> threading.Event:
        return self.created.done

    @property
    def error(self) -> str | None:
        return self.created.error

    @property
    def password(self) -> str | None:
        """The password admin connections use: the newest token, if any."""
        return next((t for t in reversed(self.tokens) if t), None)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def shard(self, shard_id: str) -> Shard:
        return next(s for s in self.shards if s.id == shard_id)

    # where the endpoints lead, decided per connection
    def primary_target(self) -> tuple[str, int] | None:
        shards = self.shards
        return (shards[0].primary.ip, self.port) if shards else None

    def reader_target(self) -> tuple[str, int] | None:
        shards = self.shards
        if not shards:
            return None
        candidates = shards[0].replicas or [shards[0].primary]
        node = candidates[next(self._turn) % len(candidates)]
        return node.ip, self.port

    def configuration_target(self) -> tuple[str, int] | None:
        staying = [s for s in self.shards if not s.leaving]
        return (staying[0].primary.ip, self.port) if staying else None


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


def _acl_rules(tokens: list[str]) -> list[str]:
    """The default user's rules for these tokens: any of them authenticates."""
    if not tokens or "" in tokens:
        return ["on", "nopass", "~*", "&*", "+@all"]
    return ["on", "resetpass", *(f">{t}" for t in tokens), "~*", "&*", "+@all"]


class DataPlane:
    """Starts, changes and stops the redis-server processes of replication groups."""

    def __init__(self, directory: pathlib.Path, server: str) -> None:
        self.directory = directory
        self.server = server
        self.ca = CertificateAuthority(directory / "ca")
        self.groups: dict[str, GroupNodes] = {}
        self.lock = threading.Lock()
        # Each data plane starts at a random place in the range: sandboxes running side by side (test
        # workers) would otherwise both find the same address free and race to bind it.
        self._first_ip = random.randrange(ADDRESSES)
        self._next_ip = 0

    def _allocate_ip(self, port: int) -> str:
        """The next loopback address whose port (and cluster bus port) nothing else holds,
        so several sandboxes, or leftovers of one, never collide."""
        while True:
            with self.lock:
                self._next_ip += 1
                n = self._next_ip
            if n >= ADDRESSES:
                raise DataPlaneError("no free loopback address left in 127.64.0.0/16")
            n = (self._first_ip + n) % ADDRESSES
            ip = f"127.64.{n // 250}.{n % 250 + 1}"
            if all(_free(ip, p) for p in (port, port + 10000)):
                return ip

    def _new_node(self, group: GroupNodes, name: str) -> Node:
        return Node(name, self._allocate_ip(group.port), group.port, group.directory / name)

    # --- create and delete ---------------------------------------------------------------

    def plan(
        self,
        group_id: str,
        port: int,
        sharded: bool,
        layout: list[tuple[str, list[str], list[int]]],
        tokens: list[str],
        seed: list[pathlib.Path] | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> GroupNodes:
        """Allocate addresses now (so the endpoints are known at once); start() brings them up.
        `layout` is (node group id, member names with the primary first, slots) per shard; `seed`, the
        RDB files of the snapshot the group is restored from; `parameters`, the directives of its cache
        parameter group (server_settings())."""
        base = self.directory / "groups" / group_id
        endpoint_names = ["configuration"] if sharded else ["primary", "reader"]
        endpoints = {name: self._allocate_ip(port) for name in endpoint_names}
        group = GroupNodes(group_id, port, sharded, [], list(tokens), endpoints, base, list(seed or []))
        group.parameters = dict(parameters or {})
        group.shards = [
            Shard(shard_id, [self._new_node(group, name) for name in names], list(slots))
            for shard_id, names, slots in layout
        ]
        with self.lock:
            self.groups[group_id] = group
        return group

    def start(self, group_id: str) -> None:
        """Bring a planned group up; runs in a thread of its own, sets `ready` or `error`."""
        group = self.groups[group_id]
        self._do(group, group.created, self._start)

    def _start(self, group: GroupNodes, job: Job) -> None:
        for shard in group.shards:
            for node in shard.nodes:
                if group.seed and not group.sharded:  # each node loads the snapshot's RDB as it starts
                    node.directory.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(group.seed[0], node.directory / "dump.rdb")
                self._launch(group, node, None if group.sharded or node is shard.primary else shard.primary)
        for node in group.nodes:
            self._wait_listening(group, node)
        if group.sharded:
            self._form_cluster(group)
            if group.seed:
                self._import(group, group.seed)
        else:
            for replica in (n for shard in group.shards for n in shard.replicas):
                self._wait_synced(group, replica)
        self._serve_endpoints(group)

    def stop(self, group_id: str) -> None:
        with self.lock:
            group = self.groups.pop(group_id, None)
        if group is None:
            return
        for forwarder in group.forwarders:
            forwarder.stop()
        self._terminate(group.nodes)
        shutil.rmtree(group.directory, ignore_errors=True)

    def stop_all(self) -> None:
        for group_id in list(self.groups):
            self.stop(group_id)

    def _serve_endpoints(self, group: GroupNodes) -> None:
        targets: dict[str, Callable[[], tuple[str, int] | None]] = {
            "primary": group.primary_target,
            "reader": group.reader_target,
            "configuration": group.configuration_target,
        }
        for name, ip in group.endpoints.items():
            forwarder = Forwarder(ip, group.port, targets[name], f"{group.group_id} {name}")
            forwarder.start()
            group.forwarders.append(forwarder)

    # --- day-2 changes, each a Job run in a thread ------------------------------------------

    def add_shards(self, group_id: str, shards: list[tuple[str, list[str]]], moves: Moves) -> Job:
        """New shards (node group id, member names) join the cluster; then `moves` give them slots."""
        group = self.groups[group_id]
        new = [Shard(shard_id, [self._new_node(group, name) for name in names]) for shard_id, names in shards]
        return self._do(group, Job(), self._add_shards, new, moves)

    def remove_shards(self, group_id: str, shard_ids: list[str], moves: Moves) -> Job:
        group = self.groups[group_id]
        return self._do(group, Job(), self._remove_shards, shard_ids, moves)

    def move_slots(self, group_id: str, moves: Moves) -> Job:
        group = self.groups[group_id]
        return self._do(group, Job(), self._move_slots, moves)

    def add_replicas(self, group_id: str, replicas: dict[str, list[str]]) -> Job:
        """New replicas (member names per node group id) are started and synced."""
        group = self.groups[group_id]
        new = {shard_id: [self._new_node(group, name) for name in names] for shard_id, names in replicas.items()}
        return self._do(group, Job(), self._add_replicas, new)

    def remove_replicas(self, group_id: str, names: list[str]) -> Job:
        group = self.groups[group_id]
        return self._do(group, Job(), self._remove_replicas, names)

    def set_tokens(self, group_id: str, tokens: list[str]) -> Job:
        """After this, exactly these AuthTokens authenticate on every node."""
        group = self.groups[group_id]
        return self._do(group, Job(), self._set_tokens, tokens)

    def snapshot(self, group_id: str, sources: list[tuple[str, str]], directory: pathlib.Path) -> SnapshotJob:
        """An RDB file per (node group id, node name) in `sources`, read from that node, into `directory`."""
        group = self.groups[group_id]
        job = SnapshotJob()
        self._do(group, job, self._snapshot, sources, directory)
        return job

    def failover(self, group_id: str, shard_id: str, replica: str) -> FailoverJob:
        """Make `replica` the primary of its shard, as TestFailover does (see the module docstring)."""
        group = self.groups[group_id]
        job = FailoverJob()
        self._do(group, job, self._failover, shard_id, replica)
        return job

    def apply_parameters(self, group_id: str, settings: Mapping[str, str]) -> Job:
        """CONFIG SET, on every node, of the directives that differ from those in force (a cache
        parameter group's `immediate` parameters); nodes started later start with them."""
        group = self.groups[group_id]
        return self._do(group, Job(), self._apply_parameters, dict(settings))

    def reboot(self, group_id: str, names: list[str], settings: Mapping[str, str]) -> Job:
        """RebootCacheCluster (cluster mode disabled): the nodes restart with these directives (every
        parameter of the group, those that wait for a reboot too). A rebooted node comes back empty, as
        AWS says of a reboot; a replica then syncs from its primary again."""
        group = self.groups[group_id]
        return self._do(group, Job(), self._reboot, list(names), dict(settings))

    def to_cluster(self, group_id: str) -> tuple[str, Job]:
        """A cluster mode disabled group becomes a Redis Cluster of one shard holding all 16384 slots,
        its data kept (ModifyReplicationGroup ClusterMode=compatible). The configuration endpoint's
        address is allocated now; the job restarts the nodes with cluster-enabled yes."""
        group = self.groups[group_id]
        address = self._allocate_ip(group.port)
        return address, self._do(group, Job(), self._to_cluster, address)

    def snapshot_directory(self, name: str) -> pathlib.Path:
        return self.directory / "snapshots" / name

    def node_ip(self, group_id: str, name: str) -> str:
        return self.groups[group_id].node(name).ip

    def _do(self, group: GroupNodes, job: Job, work: Callable[..., None], *args: Any) -> Job:
        def run() -> None:
            try:
                with group.lock:  # one change at a time per group
                    work(group, job, *args)
            except Exception as e:  # noqa: BLE001 - reported through the job, as AWS reports a failed change
                job.error = f"{type(e).__name__}: {e}"
                print(f"data plane: {group.group_id}: {work.__name__} failed: {job.error}", file=sys.stderr, flush=True)
            finally:
                job.done.set()

        threading.Thread(target=run, name=f"data plane {group.group_id}", daemon=True).start()
        return job

    def _add_shards(self, group: GroupNodes, job: Job, new: list[Shard], moves: Moves) -> None:
        for shard in new:
            for node in shard.nodes:
                self._launch(group, node, None)
        for shard in new:
            for node in shard.nodes:
                self._wait_listening(group, node)
        seed = group.shards[0].primary
        group.shards = [*group.shards, *new]
        for shard in new:
            for node in shard.nodes:
                self._command(group, node, "CLUSTER", "MEET", seed.ip, str(seed.port))
        self._wait_all_known(group)
        for shard in new:
            self._replicate(group, shard, shard.replicas)
        joining = [node for shard in new for node in shard.nodes]
        self._wait_for(  # a node that has not yet learnt every slot's owner answers CLUSTERDOWN
            lambda: all("cluster_state:ok" in str(self._command(group, n, "CLUSTER", "INFO")) for n in joining),
            "the new nodes to see every slot served",
        )
        self._migrate(group, job, moves)
        for shard in new:
            for replica in shard.replicas:
                self._wait_synced(group, replica)
        self._wait_roles(group)

    def _remove_shards(self, group: GroupNodes, job: Job, shard_ids: list[str], moves: Moves) -> None:
        leaving = [group.shard(shard_id) for shard_id in shard_ids]
        for shard in leaving:
            shard.leaving = True  # the configuration endpoint stops leading to them
        self._migrate(group, job, moves)
        gone = [node for shard in leaving for node in [*shard.replicas, shard.primary]]
        group.shards = [s for s in group.shards if not s.leaving]
        self._forget(group, gone)
        self._terminate(gone)

    def _move_slots(self, group: GroupNodes, job: Job, moves: Moves) -> None:
        self._migrate(group, job, moves)

    def _add_replicas(self, group: GroupNodes, job: Job, new: dict[str, list[Node]]) -> None:
        for shard_id, nodes in new.items():
            primary = group.shard(shard_id).primary
            for node in nodes:
                self._launch(group, node, None if group.sharded else primary)
        for nodes in new.values():
            for node in nodes:
                self._wait_listening(group, node)
        if group.sharded:
            seed = group.shards[0].primary
            for nodes in new.values():
                for node in nodes:
                    self._command(group, node, "CLUSTER", "MEET", seed.ip, str(seed.port))
            everyone = len(group.nodes) + sum(len(nodes) for nodes in new.values())
            self._wait_all_known(group, [*group.nodes, *(n for nodes in new.values() for n in nodes)], everyone)
            for shard_id, nodes in new.items():
                self._replicate(group, group.shard(shard_id), nodes)
        for nodes in new.values():
            for node in nodes:
                self._wait_synced(group, node)
        for shard_id, nodes in new.items():  # only now does the reader endpoint lead to them
            shard = group.shard(shard_id)
            shard.nodes = [*shard.nodes, *nodes]
        if group.sharded:
            self._wait_roles(group)

    def _remove_replicas(self, group: GroupNodes, job: Job, names: list[str]) -> None:
        gone = [group.node(name) for name in names]
        for shard in group.shards:  # the reader endpoint stops leading to them at once
            shard.nodes = [n for n in shard.nodes if n not in gone]
        if group.sharded:
            self._forget(group, gone)
        self._terminate(gone)
        if not group.sharded:
            primary = group.shards[0].primary
            expected = len(group.shards[0].replicas)
            self._wait_for(
                lambda: self._info(group, primary, "replication").get("connected_slaves") == expected,
                f"{primary.name} to count {expected} replicas",
            )

    def _set_tokens(self, group: GroupNodes, job: Job, tokens: list[str]) -> None:
        """Old and new tokens both valid first; then replicas authenticate with the newest;
        then only the new ones remain, so no client or replica is ever locked out midway."""
        both = [t for t in group.tokens if t not in tokens] + list(tokens)
        for node in group.nodes:
            self._command(group, node, "ACL", "SETUSER", "default", *_acl_rules(both))
        group.tokens = both
        newest = next((t for t in reversed(tokens) if t), "")
        for node in group.nodes:
            self._command(group, node, "CONFIG", "SET", "masterauth", newest)
        for node in group.nodes:
            self._command(group, node, "ACL", "SETUSER", "default", *_acl_rules(tokens))
        group.tokens = list(tokens)

    def _apply_parameters(self, group: GroupNodes, job: Job, settings: dict[str, str]) -> None:
        changed = {name: value for name, value in settings.items() if group.parameters.get(name) != value}
        for node in group.nodes:
            for name, value in changed.items():
                self._command(group, node, "CONFIG", "SET", name, value)
        group.parameters.update(changed)

    def _reboot(self, group: GroupNodes, job: Job, names: list[str], settings: dict[str, str]) -> None:
        group.parameters.update(settings)
        shard = group.shards[0]
        for name in names:
            node = group.node(name)
            primary = None if node is shard.primary else shard.primary
            self._stop_process(node)
            (node.directory / "dump.rdb").unlink(missing_ok=True)  # a reboot loses the node's data
            self._launch(group, node, primary)
            self._wait_listening(group, node)
        for replica in shard.replicas:
            self._wait_synced(group, replica)

    def _to_cluster(self, group: GroupNodes, job: Job, address: str) -> None:
        [shard] = group.shards
        primary = shard.primary
        elsewhere = [db for db in self._info(group, primary, "keyspace") if db != "db0"]
        if elsewhere:
            raise DataPlaneError(f"keys in {', '.join(sorted(elsewhere))}: cluster mode supports only database 0")
        group.endpoints = {**group.endpoints, "configuration": address}  # the nodes' certificates name it
        group.sharded = True
        shard.slots = list(range(TOTAL_SLOTS))
        # The primary writes its data as it stops (SHUTDOWN SAVE: no write can come after), and loads it
        # again as a cluster node; the replicas come back empty and sync from it.
        try:
            self._command(group, primary, "SHUTDOWN", "SAVE", timeout=60)
        except DataPlaneError:
            pass  # the server closes the connection as it exits
        if primary.process is not None:
            primary.process.wait(timeout=60)
        self._launch(group, primary, None)
        self._wait_listening(group, primary)
        # Loading keys in cluster mode claims their slots already; the node takes the others.
        claimed = {slot for slots in self._slot_view(group, primary).values() for slot in parse_slots(slots)}
        missing = [slot for slot in range(TOTAL_SLOTS) if slot not in claimed]
        if missing:
            ranges = [bound for part in format_slots(missing).split(",") for bound in _bounds(part)]
            self._command(group, primary, "CLUSTER", "ADDSLOTSRANGE", *ranges)
        for replica in shard.replicas:
            self._stop_process(replica)
            (replica.directory / "dump.rdb").unlink(missing_ok=True)  # a cluster replica must start empty
            self._launch(group, replica, None)
        for replica in shard.replicas:
            self._wait_listening(group, replica)
            self._command(group, replica, "CLUSTER", "MEET", primary.ip, str(primary.port))
        self._wait_all_known(group)
        self._replicate(group, shard, shard.replicas)
        self._wait_converged(group)
        for replica in shard.replicas:
            self._wait_synced(group, replica)
        self._wait_roles(group)
        forwarder = Forwarder(address, group.port, group.configuration_target, f"{group.group_id} configuration")
        forwarder.start()
        group.forwarders.append(forwarder)

    def _snapshot(
        self, group: GroupNodes, job: SnapshotJob, sources: list[tuple[str, str]], directory: pathlib.Path
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for shard_id, name in sources:
            node = group.node(name)
            primary = group.shard(shard_id).primary
            if node is not primary:  # a copy of the group as it was when asked: the replica catches up first
                self._wait_caught_up(group, primary, node)
            before = self._info(group, node, "persistence")
            counter = "rdb_saves" if "rdb_saves" in before else "rdb_last_save_time"  # rdb_saves: Redis 7.0 on
            self._command(group, node, "BGSAVE", "SCHEDULE")  # SCHEDULE: after a save already running

            def saved(node: Node = node, counter: str = counter, last: int = int(before[counter])) -> bool:
                info = self._info(group, node, "persistence")
                return int(info.get(counter, 0)) > last and not info.get("rdb_bgsave_in_progress")

            self._wait_for(saved, f"{name} to write its RDB")
            if self._info(group, node, "persistence").get("rdb_last_bgsave_status") != "ok":
                raise DataPlaneError(f"BGSAVE on {name} failed: see {node.directory / 'redis.log'}")
            target = directory / f"{shard_id}.rdb"
            shutil.copyfile(node.directory / "dump.rdb", target)
            job.files[shard_id] = target
            job.sizes[shard_id] = target.stat().st_size
            job.taken[shard_id] = datetime.datetime.now(datetime.UTC)

    def _failover(self, group: GroupNodes, job: FailoverJob, shard_id: str, name: str) -> None:
        shard = group.shard(shard_id)
        old, new = shard.primary, group.node(name)
        others = [n for n in shard.replicas if n is not new]
        if group.sharded:
            # Redis's coordinated manual failover: the primary pauses its clients until the replica
            # has caught up, the replica takes the slots over, and the old primary becomes its replica.
            self._command(group, new, "CLUSTER", "FAILOVER")
            self._wait_for(
                lambda: self._info(group, new, "replication").get("role") == "master", f"{name} to take over"
            )
            shard.nodes = [new, *others, old]
            self._wait_converged(group)
            job.promoted.set()
            self._wait_roles(group)
            for replica in [*others, old]:
                self._wait_synced(group, replica)
            return
        self._hand_over(group, old, new)
        shard.nodes = [new, *others]  # new connections to the primary endpoint reach the new primary
        for replica in others:
            self._command(group, replica, "REPLICAOF", new.ip, str(new.port))
        self._stop_process(old)  # the old primary's node is replaced: its clients are disconnected
        job.promoted.set()
        (old.directory / "dump.rdb").unlink(missing_ok=True)  # it comes back empty and syncs
        self._launch(group, old, new)
        self._wait_listening(group, old)
        for replica in [*others, old]:
            self._wait_synced(group, replica)
        shard.nodes = [new, *others, old]  # recovered: the reader endpoint leads to it again

    def _hand_over(self, group: GroupNodes, old: Node, new: Node) -> None:
        """Pause writes on the primary until the replica has everything, then promote the replica."""
        self._command(group, old, "CLIENT", "PAUSE", str(int(WAIT_SECONDS * 1000)), "WRITE")
        try:
            self._wait_caught_up(group, old, new, timeout=10)
        except DataPlaneError as e:  # promoted anyway, as a failover would be; the writes not copied are lost
            print(f"data plane: {group.group_id}: {e}", file=sys.stderr, flush=True)
        self._command(group, new, "REPLICAOF", "NO", "ONE")

    def _wait_caught_up(self, group: GroupNodes, primary: Node, replica: Node, timeout: float = WAIT_SECONDS) -> None:
        """Until the replica has applied everything the primary had written when asked."""
        offset = int(self._info(group, primary, "replication").get("master_repl_offset", 0))
        self._wait_for(
            lambda: int(self._info(group, replica, "replication").get("slave_repl_offset", -1)) >= offset,
            f"{replica.name} to catch up with {primary.name}",
            timeout=timeout,
        )

    def _import(self, group: GroupNodes, files: list[pathlib.Path]) -> None:
        """Every key of these RDB files into the shard that owns its slot, by DUMP/RESTORE, TTLs kept."""
        owner = {slot: shard for shard in group.shards for slot in shard.slots}
        targets = {shard.id: self._client(group, shard.primary, timeout=60, decode=False) for shard in group.shards}
        try:
            for path in files:
                with self._scratch(group, path) as source:
                    elsewhere = [db for db in source.info("keyspace") if db != "db0"]
                    if elsewhere:
                        raise DataPlaneError(
                            f"the snapshot holds keys in {', '.join(sorted(elsewhere))}: a cluster mode enabled"
                            " replication group supports only database 0"
                        )
                    cursor = 0
                    while True:
                        cursor, keys = source.scan(cursor, count=1000)
                        self._copy_keys(source, keys, owner, targets)
                        if not cursor:
                            break
            for shard in group.shards:  # the replicas hold the data too before the group is available
                if shard.replicas:
                    targets[shard.id].execute_command("WAIT", len(shard.replicas), 60000)  # type: ignore[no-untyped-call]
        except redis.RedisError as e:
            raise DataPlaneError(f"restoring the snapshot into {group.group_id}: {e}") from e
        finally:
            for client in targets.values():
                client.close()

    @staticmethod
    def _copy_keys(
        source: redis.Redis, keys: list[Any], owner: dict[int, Shard], targets: dict[str, redis.Redis]
    ) -> None:
        dumped = _pipeline(source, [command for key in keys for command in (("DUMP", key), ("PTTL", key))])
        batches: dict[str, list[tuple[Any, ...]]] = {}
        for key, payload, ttl in zip(keys, dumped[::2], dumped[1::2], strict=True):
            if payload is None or ttl == -2:  # expired meanwhile
                continue
            shard = owner[key_slot(key)]
            batches.setdefault(shard.id, []).append(("RESTORE", key, max(int(ttl), 0), payload))
        for shard_id, commands in batches.items():
            _pipeline(targets[shard_id], commands)

    @contextlib.contextmanager
    def _scratch(self, group: GroupNodes, rdb: pathlib.Path) -> Iterator[redis.Redis]:
        """A plain redis-server of its own that has loaded `rdb`, to read the keys from."""
        ip = self._allocate_ip(group.port)
        directory = group.directory / f"scratch-{rdb.stem}"
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rdb, directory / "dump.rdb")
        config = [
            f"bind {ip}",
            f"port {group.port}",
            f"dir {directory}",
            'save ""',
            "appendonly no",
            "protected-mode no",
            "loglevel warning",
            f"logfile {directory / 'redis.log'}",
        ]
        (directory / "redis.conf").write_text("\n".join(config) + "\n")
        node = Node(f"scratch {rdb.name}", ip, group.port, directory)
        node.process = subprocess.Popen(
            [self.server, str(directory / "redis.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis(host=ip, port=group.port, socket_timeout=60, retry=Retry(NoBackoff(), 0))
        try:
            self._wait_for(lambda: bool(client.ping()), f"a scratch server to load {rdb.name}")
            yield client
        finally:
            client.close()
            self._terminate([node])

    # --- building blocks ---------------------------------------------------------------------

    def _launch(self, group: GroupNodes, node: Node, primary: Node | None) -> None:
        node.directory.mkdir(parents=True, exist_ok=True)
        cert, key = self.ca.issue(node.name, [node.ip, *group.endpoints.values()], node.directory)
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
        if group.password:
            config += [f"user default {' '.join(_acl_rules(group.tokens))}", f"masterauth {group.password}"]
        if group.sharded:
            config += [
                "cluster-enabled yes",
                "cluster-config-file nodes.conf",
                "tls-cluster yes",
                "cluster-node-timeout 5000",
                f"cluster-announce-ip {node.ip}",
                # ElastiCache decides the topology: an emptied master must not turn into a replica
                # of its slots' new owner, nor replicas wander to other shards, and (as the stand-in
                # models no failover) a replica must not take over from a primary slowed down by a
                # busy machine.
                "cluster-allow-replica-migration no",
                "cluster-replica-no-failover yes",
            ]
        if primary is not None:
            config.append(f"replicaof {primary.ip} {primary.port}")
        config += [f"{name} {_conf_value(value)}" for name, value in group.parameters.items()]
        conf = node.directory / "redis.conf"
        conf.write_text("\n".join(config) + "\n")
        node.process = subprocess.Popen([self.server, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @staticmethod
    def _stop_process(node: Node) -> None:
        """Stop a node's server, keeping its directory (it is started again)."""
        if node.process is not None and node.process.poll() is None:
            node.process.terminate()
            try:
                node.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()

    def _client(self, group: GroupNodes, node: Node, timeout: float = 10, decode: bool = True) -> redis.Redis:
        return redis.Redis(
            host=node.ip,
            port=node.port,
            password=group.password,
            ssl=True,
            ssl_ca_certs=str(self.ca.cert_path),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=decode,  # keys are bytes: slot migration must not decode them
            retry=Retry(NoBackoff(), 0),
        )

    def _command(self, group: GroupNodes, node: Node, *command: str, timeout: float = 10) -> Any:
        try:
            with self._client(group, node, timeout) as client:
                return client.execute_command(*command)
        except redis.RedisError as e:
            raise DataPlaneError(f"{' '.join(command[:2])} on {node.name} ({node.ip}): {e}") from e

    def _info(self, group: GroupNodes, node: Node, section: str) -> dict[str, Any]:
        with self._client(group, node) as client:
            return dict(client.info(section))

    def _node_id(self, group: GroupNodes, node: Node) -> str:
        if not node.node_id:
            node.node_id = str(self._command(group, node, "CLUSTER", "MYID")).strip()
        return node.node_id

    def _terminate(self, nodes: list[Node]) -> None:
        for node in nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait()
            shutil.rmtree(node.directory, ignore_errors=True)

    def _wait_listening(self, group: GroupNodes, node: Node, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node.process is not None and node.process.poll() is not None:
                log = node.directory / "redis.log"
                raise DataPlaneError(
                    f"redis-server on {node.ip} exited: {log.read_text()[-500:] if log.exists() else ''}"
                )
            try:
                if self._command(group, node, "PING", timeout=2) is True:
                    return
            except DataPlaneError:
                pass
            time.sleep(0.1)
        raise DataPlaneError(f"redis-server on {node.ip}:{node.port} did not answer in {timeout}s")

    def _wait_synced(self, group: GroupNodes, replica: Node) -> None:
        self._wait_for(
            lambda: self._info(group, replica, "replication").get("master_link_status") == "up",
            f"replica {replica.name} to sync",
        )

    def _form_cluster(self, group: GroupNodes) -> None:
        """Give each shard primary its slots, meet everyone, then attach each shard's replicas."""
        first = group.shards[0].primary
        for node in group.nodes[1:]:
            self._command(group, node, "CLUSTER", "MEET", first.ip, str(first.port))
        for shard in group.shards:
            ranges = [bound for part in format_slots(shard.slots).split(",") for bound in _bounds(part)]
            self._command(group, shard.primary, "CLUSTER", "ADDSLOTSRANGE", *ranges)
        self._wait_all_known(group)
        for shard in group.shards:
            self._replicate(group, shard, shard.replicas)
        self._wait_converged(group)
        for replica in (n for shard in group.shards for n in shard.replicas):
            self._wait_synced(group, replica)
        self._wait_roles(group)

    def _replicate(self, group: GroupNodes, shard: Shard, replicas: list[Node]) -> None:
        primary_id = self._node_id(group, shard.primary)
        for replica in replicas:

            def learnt(replica: Node = replica) -> bool:
                return primary_id in str(self._command(group, replica, "CLUSTER", "NODES"))

            self._wait_for(learnt, f"{replica.name} to learn its primary")
            self._command(group, replica, "CLUSTER", "REPLICATE", primary_id)

    def _known_nodes(self, group: GroupNodes, node: Node) -> int:
        info = str(self._command(group, node, "CLUSTER", "INFO"))
        return int(next(line.split(":")[1] for line in info.splitlines() if line.startswith("cluster_known_nodes")))

    def _wait_all_known(self, group: GroupNodes, nodes: list[Node] | None = None, count: int | None = None) -> None:
        nodes = group.nodes if nodes is None else nodes
        count = len(nodes) if count is None else count
        self._wait_for(lambda: all(self._known_nodes(group, n) == count for n in nodes), f"all {count} nodes to meet")

    def _migrate(self, group: GroupNodes, job: Job, moves: Moves) -> None:
        """Move slots between shard primaries online, as redis-cli --cluster reshard does: the
        target imports, the source migrates (new keys go to the target by ASK), the keys are
        MIGRATEd in batches, then every primary learns the slot's new owner."""
        pairs: dict[tuple[str, str], list[int]] = {}
        for slot, source_id, target_id in moves:
            pairs.setdefault((source_id, target_id), []).append(slot)
        primaries = [s.primary for s in group.shards]
        ids = {shard.id: self._node_id(group, shard.primary) for shard in group.shards}
        auth = ["AUTH", group.password] if group.password else []
        moved = 0
        clients = {node.name: self._client(group, node, timeout=60, decode=False) for node in primaries}
        try:
            for (source_id, target_id), slots in pairs.items():
                source, target = group.shard(source_id).primary, group.shard(target_id).primary
                src, dst = clients[source.name], clients[target.name]
                for start in range(0, len(slots), MIGRATE_BATCH):
                    batch = slots[start : start + MIGRATE_BATCH]
                    _pipeline(dst, [("CLUSTER", "SETSLOT", s, "IMPORTING", ids[source_id]) for s in batch])
                    _pipeline(src, [("CLUSTER", "SETSLOT", s, "MIGRATING", ids[target_id]) for s in batch])
                    counts = _pipeline(src, [("CLUSTER", "COUNTKEYSINSLOT", s) for s in batch])
                    # The ignores: redis-py leaves execute_command unannotated.
                    for slot in (s for s, count in zip(batch, counts, strict=True) if count):
                        while keys := src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000):  # type: ignore[no-untyped-call]
                            src.execute_command("MIGRATE", target.ip, target.port, "", 0, 60000, *auth, "KEYS", *keys)  # type: ignore[no-untyped-call]
                    for client in [dst, src, *(c for c in clients.values() if c is not src and c is not dst)]:
                        _pipeline(client, [("CLUSTER", "SETSLOT", s, "NODE", ids[target_id]) for s in batch])
                    moved += len(batch)
                    job.progress = round(100.0 * moved / len(moves), 1)
        except redis.RedisError as e:
            raise DataPlaneError(f"slot migration in {group.group_id}: {e}") from e
        finally:
            for client in clients.values():
                client.close()
        for slot, source_id, target_id in moves:
            group.shard(source_id).slots.remove(slot)
            group.shard(target_id).slots.append(slot)
        for shard in group.shards:
            shard.slots.sort()
        self._wait_converged(group)

    def _slot_view(self, group: GroupNodes, node: Node) -> dict[str, str]:
        """Which slots each primary serves, as this node sees it."""
        view: dict[str, str] = {}
        for line in str(self._command(group, node, "CLUSTER", "NODES")).splitlines():
            fields = line.split()
            if len(fields) > 8 and "master" in fields[2]:
                slots = [s for part in fields[8:] if not part.startswith("[") for s in parse_slots(part)]
                if slots:
                    view[fields[0]] = format_slots(slots)
        return view

    def _wait_converged(self, group: GroupNodes) -> None:
        expected = {self._node_id(group, s.primary): format_slots(s.slots) for s in group.shards if s.slots}

        def agreed() -> bool:
            for node in group.nodes:
                if self._slot_view(group, node) != expected:
                    return False
                if "cluster_state:ok" not in str(self._command(group, node, "CLUSTER", "INFO")):
                    return False
            return True

        self._wait_for(agreed, "every node to agree on the slots")

    def _wait_roles(self, group: GroupNodes) -> None:
        """Every node sees every replica as a replica of its shard's primary (gossip takes a moment)."""
        expected = {
            self._node_id(group, replica): self._node_id(group, shard.primary)
            for shard in group.shards
            for replica in shard.replicas
        }

        def agreed() -> bool:
            for node in group.nodes:
                masters = {}
                for line in str(self._command(group, node, "CLUSTER", "NODES")).splitlines():
                    fields = line.split()
                    if len(fields) > 3 and "slave" in fields[2]:
                        masters[fields[0]] = fields[3]
                if any(masters.get(replica) != primary for replica, primary in expected.items()):
                    return False
            return True

        self._wait_for(agreed, "every node to know the replicas")

    def _forget(self, group: GroupNodes, gone: list[Node]) -> None:
        """Every remaining node forgets the nodes that go (replicas before their primary), within
        the minute Redis keeps a forgotten node from being re-learnt by gossip."""
        gone_ids = [self._node_id(group, node) for node in gone]
        for node in group.nodes:
            for node_id in gone_ids:
                try:
                    self._command(group, node, "CLUSTER", "FORGET", node_id)
                except DataPlaneError as e:
                    if "Unknown node" not in str(e):
                        raise
        self._wait_all_known(group)

    @staticmethod
    def _wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except (DataPlaneError, redis.RedisError) as e:
                last = e
            time.sleep(0.1)
        raise DataPlaneError(f"timed out waiting for {what}" + (f" (last error: {last})" if last else ""))


def _bounds(part: str) -> list[str]:
    low, _, high = part.partition("-")
    return [low, high or low]


def _pipeline(client: redis.Redis, commands: list[tuple[Any, ...]]) -> list[Any]:
    pipe = client.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
    return list(pipe.execute())
