"""Backups in the ElastiCache stand-in, the parts that need no server: snapshot names, CacheSize, the
rolling quotas, which node a backup is read from, and the rules for restoring one into a new group.

**CacheSize** (NodeSnapshot.CacheSize) is written as AWS's examples write it: `"<n> MB"`, where n is
the size of that shard's RDB file in MiB (2^20 bytes) rounded up, so a snapshot with any data never
reads "0 MB" (an empty dataset's RDB, a hundred bytes, reads "1 MB"); `""` while the snapshot is
`creating`, as in botocore's CreateSnapshot example. Without a data plane there is no file: every
shard reads "1 MB".

**Quotas.** AWS allows 20 manual backups per node in any contiguous 24 hours ("a 4-node cluster can
take 80"), and TestFailover on 15 shards per account and region in any rolling 24 hours. Both are
counted here over a sliding 24-hour window of wall-clock time (`RollingQuota`).

**Which node a backup is read from.** CacheClusterId names the node. A replication group's backup is
read from each shard's read replica when it has one, sparing the primary the fork (AWS's advice for
cluster mode disabled; the group's SnapshottingClusterId first when it has one), else from the primary;
a node whose 20 backups are used up is passed over for the next, so a group's quota is 20 × its nodes.
A final snapshot (DeleteReplicationGroup) is read from each shard's primary, as the API reference
says ("to ensure that it captures the freshest data").

**Restoring** (CreateReplicationGroup SnapshotName), after AWS's "Restoring from a backup into a new
cache"; each refusal is InvalidParameterCombination unless said otherwise:

- the snapshot must exist (SnapshotNotFoundFault) and be `available` (InvalidSnapshotState: a snapshot
  being taken, restored into another group, or deleted, or one that failed);
- a cluster mode enabled snapshot cannot be restored into a cluster mode disabled group;
- a cluster mode disabled snapshot can be restored into a cluster mode enabled group (Redis OSS 3.2.4 or
  later; the restore fails, the group ending `create-failed`, if the data uses a database other than 0);
- the engine version may be the snapshot's or later, never earlier (unset, it is the snapshot's); a
  Redis OSS snapshot may seed a Valkey group, not the reverse;
- the node type may differ, larger or smaller (unset, it is the snapshot's), but a data tiering (r6gd)
  snapshot restores only into r6gd nodes and the other way round;
- the shard count may differ. NodeGroupConfiguration then gives every shard its Slots
  (`"0-8191"`, or ranges joined by commas), which together must cover 0-16383, each slot once
  (InvalidParameterValue otherwise); with no Slots, a group with the snapshot's shard count gets the
  snapshot's slots, a one-shard group gets them all, and any other count is refused: "Slots must be
  provided ...", in the words AWS uses for a restore from RDB files in S3.
"""

from __future__ import annotations

import collections
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from moto.elasticache.exceptions import (
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
)

TOTAL_SLOTS = 16384
MIB = 1024 * 1024
DAY_SECONDS = 24 * 3600.0
MANUAL_BACKUPS_PER_NODE = 20  # in any contiguous 24 hours
TEST_FAILOVER_SHARDS = 15  # per account and region, in any rolling 24 hours
# Modelled on the console's rule for backup names (the API reference states none): a letter first,
# then letters, digits and hyphens, no two hyphens in a row, none at the end; stored lowercase.
SNAPSHOT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")
NODE_GROUP_ID = re.compile(r"^\d{1,4}$")  # botocore's AllowedNodeGroupId
SLOT_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


class SnapshotNotFound(ElastiCacheException):
    code = "SnapshotNotFoundFault"


class InvalidSnapshotState(ElastiCacheException):
    code = "InvalidSnapshotState"


class SnapshotQuotaExceeded(ElastiCacheException):
    code = "SnapshotQuotaExceededFault"


class SnapshotFeatureNotSupported(ElastiCacheException):
    code = "SnapshotFeatureNotSupportedFault"


class InvalidCacheClusterState(ElastiCacheException):
    code = "InvalidCacheClusterState"


class NodeGroupNotFound(ElastiCacheException):
    code = "NodeGroupNotFoundFault"


class TestFailoverNotAvailable(ElastiCacheException):
    __test__ = False  # not a pytest test class, whatever its name says
    code = "TestFailoverNotAvailableFault"


class APICallRateForCustomerExceeded(ElastiCacheException):
    code = "APICallRateForCustomerExceeded"


def snapshot_name(name: str | None, parameter: str = "SnapshotName") -> str:
    """A new snapshot's name, checked, as ElastiCache stores it (lowercase)."""
    if not name or not SNAPSHOT_NAME.match(name):
        raise InvalidParameterValueException(
            f"Invalid {parameter}: {name!r}. A snapshot name must begin with a letter, contain only ASCII letters,"
            " digits and hyphens, be at most 255 characters, and contain no two consecutive hyphens nor end"
            " with one."
        )
    return name.lower()


def cache_size(size_bytes: int | None) -> str:
    """NodeSnapshot.CacheSize for an RDB file of this many bytes (None: not taken yet)."""
    if size_bytes is None:
        return ""
    return f"{max(1, math.ceil(size_bytes / MIB))} MB"


def data_tiering(node_type: str | None) -> bool:
    return ".r6gd." in (node_type or "")


class RollingQuota:
    """At most `limit` uses per key in any `window` seconds (wall clock, as AWS counts a day)."""

    def __init__(self, limit: int, window: float = DAY_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._uses: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    def used(self, key: str) -> int:
        uses, since = self._uses[key], self.clock() - self.window
        while uses and uses[0] <= since:
            uses.popleft()
        return len(uses)

    def left(self, key: str) -> int:
        return max(0, self.limit - self.used(key))

    def take(self, key: str) -> None:
        self.used(key)
        self._uses[key].append(self.clock())


def pick_sources(
    shards: Sequence[tuple[str, list[str]]], quota: RollingQuota, preferred: str | None = None
) -> list[str]:
    """The node each shard's backup is read from: shards are (node group id, members with the primary
    first); a replica (`preferred` first) before the primary, passing over nodes out of quota."""
    sources = []
    for shard_id, members in shards:
        candidates = [m for m in [preferred, *members[1:], members[0]] if m in members]
        node = next((m for m in dict.fromkeys(candidates) if quota.left(m) > 0), None)
        if node is None:
            raise SnapshotQuotaExceeded(
                f"The maximum number of manual snapshots ({quota.limit} per node in 24 hours) has been reached"
                f" for every node of node group {shard_id}."
            )
        sources.append(node)
    return sources


def parse_slot_ranges(text: str, shard: str) -> list[int]:
    """A NodeGroupConfiguration's Slots ("0-5460" or "0-100,200-300"), checked."""
    slots: list[int] = []
    for part in text.split(","):
        match = SLOT_RANGE.match(part)
        low, high = (int(match[1]), int(match[2] or match[1])) if match else (0, -1)
        if match is None or not 0 <= low <= high < TOTAL_SLOTS:
            raise InvalidParameterValueException(
                f"Invalid Slots {text!r} for node group {shard}: expected startkey-endkey ranges within 0-16383,"
                " separated by commas."
            )
        slots.extend(range(low, high + 1))
    return slots


def check_slot_cover(layout: Iterable[tuple[str, list[int]]]) -> None:
    """The Slots of all node groups must cover 0-16383, each slot exactly once."""
    owner: dict[int, str] = {}
    for shard, slots in layout:
        for slot in slots:
            if slot in owner:
                raise InvalidParameterValueException(
                    f"Slot {slot} is assigned to node groups {owner[slot]} and {shard}: the Slots of the node groups"
                    " must not overlap."
                )
            owner[slot] = shard
    if len(owner) != TOTAL_SLOTS:
        missing = next(s for s in range(TOTAL_SLOTS) if s not in owner)
        raise InvalidParameterValueException(
            f"The Slots of the node groups must cover all slots 0-16383; slot {missing} is in none of them."
        )


def configured_layout(given: Sequence[str | None], shards: int) -> list[list[int]]:
    """The slots NodeGroupConfiguration gives each of `shards` node groups: all or none of them must
    have Slots, and together they cover every slot once."""
    if len(given) != shards or not all(given):
        raise InvalidParameterValueException(
            f"Slots must be given for each of the {shards} node groups in NodeGroupConfiguration."
        )
    layout = [parse_slot_ranges(str(text), f"{n + 1:04}") for n, text in enumerate(given)]
    check_slot_cover((f"{n + 1:04}", slots) for n, slots in enumerate(layout))
    return layout


@dataclass(frozen=True)
class SnapshotFacts:
    """What a restore checks of a snapshot."""

    name: str
    engine: str
    engine_version: str
    node_type: str
    cluster_enabled: bool
    slots: list[list[int]]  # per shard, cluster mode enabled snapshots only


@dataclass(frozen=True)
class RestoreRequest:
    engine: str
    engine_version: str | None  # as asked (major.minor or full), None: the snapshot's
    node_type: str | None
    cluster_enabled: bool
    shards: int
    configured_slots: list[str | None]  # Slots of each NodeGroupConfiguration entry, in order


def restore_slots(
    snapshot: SnapshotFacts, request: RestoreRequest, version_of: Callable[[str, str | None], str]
) -> list[list[int]] | None:
    """Checks a restore as AWS does (module docstring); returns the slots of each new shard (cluster
    mode enabled), or None for a cluster mode disabled group."""
    if snapshot.cluster_enabled and not request.cluster_enabled:
        raise InvalidParameterCombinationException(
            f"Snapshot {snapshot.name} was taken of a cluster mode enabled replication group; it cannot be restored"
            " into a cluster mode disabled replication group."
        )
    if snapshot.engine == "valkey" and request.engine != "valkey":
        raise InvalidParameterCombinationException(
            f"Snapshot {snapshot.name} was taken of a Valkey replication group; it can be restored only into Valkey."
        )
    if request.engine_version is not None and request.engine == snapshot.engine:
        wanted = version_of(request.engine, request.engine_version)
        if _version(wanted) < _version(snapshot.engine_version):
            raise InvalidParameterCombinationException(
                f"The engine version you requested ({wanted}) is earlier than the engine version of snapshot"
                f" {snapshot.name} ({snapshot.engine_version}); restore into {snapshot.engine_version} or later."
            )
    if request.cluster_enabled and _version(snapshot.engine_version) < (3, 2, 4):
        raise InvalidParameterCombinationException(
            "A snapshot can be restored into a cluster mode enabled replication group only from Redis OSS 3.2.4."
        )
    node_type = request.node_type or snapshot.node_type
    if data_tiering(node_type) != data_tiering(snapshot.node_type):
        raise InvalidParameterCombinationException(
            f"Snapshot {snapshot.name} of {snapshot.node_type} nodes cannot be restored into {node_type} nodes: a"
            " snapshot of nodes with data tiering (r6gd) restores only into nodes with data tiering, and the"
            " other way round."
        )
    if not request.cluster_enabled:
        return None
    if any(request.configured_slots):
        return configured_layout(request.configured_slots, request.shards)
    if snapshot.cluster_enabled and len(snapshot.slots) == request.shards:
        return [list(slots) for slots in snapshot.slots]
    if request.shards == 1:
        return [list(range(TOTAL_SLOTS))]
    had = len(snapshot.slots) if snapshot.cluster_enabled else 1
    raise InvalidParameterCombinationException(
        f"Slots must be provided in NodeGroupConfiguration when restoring snapshot {snapshot.name} of {had} node"
        f" group(s) into {request.shards} node groups with cluster mode enabled."
    )


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())
