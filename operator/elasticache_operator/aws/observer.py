"""One shared observation of ElastiCache for every RedisCluster, so AWS calls do not grow with them.

A full resync lists all groups (DescribeReplicationGroups), all nodes (DescribeCacheClusters, for the
engine versions) and the tags of this cluster's groups (the Resource Groups Tagging API), 100 a page:
about ceil(N/100) + ceil(nodes/100) + ceil(N/100) calls, whatever N is. Between resyncs, DescribeEvents
says which groups changed (every `events_seconds` while a group is busy, `idle_events_seconds`
otherwise) and only those are described again; while a group is busy, a listing every
`busy_listing_seconds` catches what an event would have missed. Reconciles read the snapshot; a group
the operator itself just changed is described directly once, so no decision rests on a stale view.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import metrics
from ..core.naming import TAG_UID
from ..core.observed import ObservedGroup, observed_group
from ..core.snapshot import BUSY as BUSY_SNAPSHOT
from ..core.snapshot import ObservedSnapshot, observed_snapshot
from .ec2 import EC2
from .elasticache import PAGE, ElastiCache
from .errors import AWSCallError
from .tagging import Tagging

log = logging.getLogger(__name__)

SETTLED = ("available", "create-failed")
EVENT_OVERLAP = datetime.timedelta(minutes=1)  # events are read again this far back: clocks and AWS lag


@dataclass
class Known:
    group: dict[str, Any]
    tags: dict[str, str]
    described_at: float  # monotonic
    stale: bool = False  # changed by the operator since: describe before trusting


@dataclass
class KnownSnapshot:
    snapshot: dict[str, Any] | None  # None: ElastiCache has none of that name
    described_at: float  # monotonic


SNAPSHOT_KEY = "snapshot:"  # the wake-up keys of snapshots, beside the groups' ids


@dataclass(frozen=True)
class Member:
    """What a replication group does not report of itself but its first node does."""

    engine_version: str | None
    security_group_ids: tuple[str, ...]
    maintenance_window: str = ""
    notification_topic_arn: str = ""
    parameter_group: str = ""
    parameter_apply_status: str = ""

    @classmethod
    def of(cls, node: dict[str, Any]) -> Member:
        groups = tuple(g["SecurityGroupId"] for g in node.get("SecurityGroups") or [] if g.get("SecurityGroupId"))
        notification = node.get("NotificationConfiguration") or {}
        topic = notification.get("TopicArn", "") if notification.get("TopicStatus", "active") == "active" else ""
        parameters = node.get("CacheParameterGroup") or {}
        return cls(
            node.get("EngineVersion"),
            groups,
            node.get("PreferredMaintenanceWindow") or "",
            topic,
            parameters.get("CacheParameterGroupName") or "",
            parameters.get("ParameterApplyStatus") or "",
        )


@dataclass
class Timing:
    resync_seconds: float
    events_seconds: float
    idle_events_seconds: float
    busy_listing_seconds: float


@dataclass
class Observer:
    elasticache: ElastiCache
    tagging: Tagging
    cluster_name: str
    timing: Timing
    on_change: Callable[[set[str]], None] = lambda ids: None
    clock: Callable[[], float] = time.monotonic
    utcnow: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)

    _groups: dict[str, Known] = field(default_factory=dict)
    ec2: EC2 | None = None  # with it, the network and the security groups the operator owns are observed too
    subnet_group: str | None = None  # the cache subnet group groups are placed in (None: the default VPC's)
    _members: dict[str, Member] = field(default_factory=dict)  # cache cluster id → what only nodes report
    _network: tuple[str, tuple[str, ...]] | None = None  # VPC id and its CIDR blocks
    _security_groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # RedisCluster uid → groups
    _security_groups_read: dict[str, float] = field(default_factory=dict)  # uid → when read on its own (monotonic)
    _events_from: datetime.datetime | None = None
    _events_seen: dict[tuple[str, str, str], datetime.datetime] = field(default_factory=dict)
    _last_resync: float | None = None
    _retry_resync_at: float = 0.0
    _resync_failures: int = 0
    _last_listing: float | None = None
    _snapshots: dict[str, KnownSnapshot] = field(default_factory=dict)  # snapshot name → as last described
    _watched_snapshots: set[str] = field(default_factory=set)  # the names RedisSnapshots and restores follow
    _lock: threading.RLock = field(default_factory=threading.RLock)
    ready: threading.Event = field(default_factory=threading.Event)

    # --- what reconciles ask ----------------------------------------------------------------------

    def observe(self, group_id: str) -> ObservedGroup | None:
        """The group as last seen. Not listed at the last resync: it does not exist (its id carries the
        RedisCluster's uid, so nobody made it since but this operator, which notes its creates)."""
        if not self.ready.wait(timeout=60):
            return self.elasticache.observe(group_id)  # no snapshot yet: ask AWS directly
        with self._lock:
            known = self._groups.get(group_id)
        if known is None:
            return None
        if known.stale:
            return self.describe(group_id)
        return self._view(known)

    def describe(self, group_id: str, fresh_tags: bool = False) -> ObservedGroup | None:
        """Ask AWS now (deletions are confirmed so), and keep the answer. `fresh_tags`: read the group's
        own tags too (the snapshot has tags only of groups tagged for this cluster)."""
        started = self.clock()
        group = self.elasticache.describe_group(group_id)
        with self._lock:
            known = self._groups.get(group_id)
            if known is not None and known.described_at > started and not known.stale:
                return self._view(known)  # the operator changed it meanwhile: this answer is older
        if group is None:
            self._forget([group_id])
            return None
        tags = None
        if not fresh_tags and known is not None and known.group.get("ARN") == group.get("ARN"):
            tags = known.tags
        if tags is None:
            tags = self.elasticache.tags(group["ARN"]) if group.get("ARN") else {}
        self._keep_version(group)
        with self._lock:
            self._groups[group_id] = Known(group, tags, self.clock())
            view = self._view(self._groups[group_id])
        self._group_settled(group_id, known.group.get("Status") if known else None, group.get("Status"))
        return view

    def noted_create(self, group_id: str, tags: dict[str, str]) -> None:
        """The operator asked AWS to create this group: it exists from now on, creating, until an event
        (or a listing) says more."""
        with self._lock:
            if group_id not in self._groups:
                group = {"ReplicationGroupId": group_id, "Status": "creating"}
                self._groups[group_id] = Known(group, dict(tags), self.clock())

    def noted_change(self, group_id: str, status: str | None = None, tags: dict[str, str] | None = None) -> None:
        """The operator changed this group. AWS accepted it, so the group is now `status` (modifying,
        deleting) until an event or a listing says more; new tags are known as they are. Without
        either, the group is described before the snapshot is trusted again."""
        with self._lock:
            known = self._groups.get(group_id)
            if known is None:
                return
            if status is not None:
                known.group = {**known.group, "Status": status}
            if tags is not None:
                known.tags = dict(tags)
            if status is None and tags is None:
                known.stale = True
            known.described_at = self.clock()  # newer than any listing already under way

    def _view(self, known: Known) -> ObservedGroup:
        members = known.group.get("MemberClusters") or []
        member = self._members.get(members[0]) if members else None
        version = member.engine_version if member and known.group.get("Status") == "available" else None
        observed = observed_group(known.group, version, known.tags)
        if member is not None:
            observed = dataclasses.replace(
                observed,
                security_group_ids=member.security_group_ids,
                maintenance_window=member.maintenance_window,
                notification_topic_arn=member.notification_topic_arn,
                parameter_group=member.parameter_group,
                parameter_apply_status=member.parameter_apply_status,
            )
        return observed

    def _keep_version(self, group: dict[str, Any]) -> None:
        """Read again whenever a group is described: an upgrade is what may just have finished."""
        members = group.get("MemberClusters") or []
        if members and group.get("Status") == "available":
            node = self.elasticache.cache_cluster(members[0])
            if node is not None:
                with self._lock:
                    self._members[members[0]] = Member.of(node)

    def network(self) -> tuple[str, tuple[str, ...]]:
        """The VPC groups are placed in, and its CIDR blocks (read at each resync)."""
        if self._network is None:
            self._network = self._read_network()
        return self._network

    def _read_network(self) -> tuple[str, tuple[str, ...]]:
        assert self.ec2 is not None
        vpc = self.elasticache.subnet_group_vpc(self.subnet_group) if self.subnet_group else self.ec2.default_vpc()
        if vpc is None:
            raise AWSCallError("DescribeVpcs", "VpcNotFound", "no VPC for the cache subnet group or default VPC")
        return vpc, self.ec2.vpc_cidrs(vpc)

    def security_groups(self, uid: str) -> list[dict[str, Any]]:
        """The security groups the operator made for one RedisCluster (as DescribeSecurityGroups has them)."""
        with self._lock:
            return list(self._security_groups.get(uid, []))

    def refresh_security_groups(self, uid: str | None = None) -> list[dict[str, Any]]:
        """List the operator's security groups again: all of them (a few calls at a resync), or, after the
        operator changed some of one RedisCluster's, only that one's (one call), which are returned as
        listed. A full listing that began before one RedisCluster's was read again does not overwrite it."""
        assert self.ec2 is not None
        started = self.clock()
        owned: dict[str, list[dict[str, Any]]] = {} if uid is None else {uid: []}
        for group in self.ec2.owned_security_groups(self.cluster_name, uid):
            owner = next((t["Value"] for t in group.get("Tags") or [] if t["Key"] == TAG_UID), None)
            if owner:
                owned.setdefault(owner, []).append(group)
        with self._lock:
            if uid is not None:
                self._security_groups[uid] = owned[uid]
                self._security_groups_read[uid] = self.clock()
                return list(owned[uid])
            newer = {k: v for k, v in self._security_groups.items() if self._security_groups_read.get(k, 0) > started}
            self._security_groups = {**owned, **newer}
            self._security_groups_read = {k: at for k, at in self._security_groups_read.items() if at > started}
        return []

    # --- snapshots (RedisSnapshot, restores) --------------------------------------------------------

    def watch_snapshot(self, name: str) -> None:
        """Follow this snapshot: listed with the others at each resync, and while it is busy."""
        with self._lock:
            self._watched_snapshots.add(name)

    def unwatch_snapshot(self, name: str) -> None:
        with self._lock:
            self._watched_snapshots.discard(name)
            self._snapshots.pop(name, None)

    def snapshot(self, name: str) -> ObservedSnapshot | None:
        """The snapshot as last seen; described once when first asked for."""
        with self._lock:
            known = self._snapshots.get(name)
        if known is None:
            return self.describe_snapshot(name)
        return observed_snapshot(known.snapshot) if known.snapshot else None

    def describe_snapshot(self, name: str) -> ObservedSnapshot | None:
        """Ask AWS now (a deletion is confirmed so), and keep the answer."""
        started = self.clock()
        snapshot = self.elasticache.describe_snapshot(name)
        with self._lock:
            known = self._snapshots.get(name)
            if known is None or known.described_at <= started:
                known = self._snapshots[name] = KnownSnapshot(snapshot, self.clock())
            return observed_snapshot(known.snapshot) if known.snapshot else None

    def noted_snapshot(self, name: str, status: str, group_id: str = "") -> None:
        """The operator asked AWS to create or delete this snapshot: it is `status` until a listing says more."""
        with self._lock:
            known = self._snapshots.get(name)
            base = known.snapshot if known is not None and known.snapshot else {"SnapshotName": name}
            if group_id:
                base = {**base, "ReplicationGroupId": group_id}
            self._snapshots[name] = KnownSnapshot({**base, "SnapshotStatus": status}, self.clock())

    def list_snapshots(self, group_id: str | None = None) -> None:
        """The manual snapshots (or one group's), 50 a page; a followed snapshot the listing does not have
        (an automatic one, or one deleted meanwhile) is described on its own."""
        started = self.clock()
        listed = {s["SnapshotName"]: s for s in self.elasticache.list_snapshots(group_id)}
        changed = set()
        with self._lock:
            for name, snapshot in listed.items():
                known = self._snapshots.get(name)
                if known is not None and known.described_at > started:
                    continue
                if known is None or known.snapshot != snapshot:
                    changed.add(name)
                self._snapshots[name] = KnownSnapshot(snapshot, self.clock())
            missing = [n for n in self._watched_snapshots if n not in listed and group_id is None]
            missing = [n for n in missing if (k := self._snapshots.get(n)) is None or k.described_at <= started]
        for name in missing:
            before = self._snapshots.get(name)
            after = self.describe_snapshot(name)
            if before is None or (observed_snapshot(before.snapshot) if before.snapshot else None) != after:
                changed.add(name)
        with self._lock:
            changed &= self._watched_snapshots
        self._notify({SNAPSHOT_KEY + name for name in changed})

    def _snapshots_busy(self, group_id: str | None = None) -> bool:
        with self._lock:
            return any(
                (known := self._snapshots.get(name)) is not None
                and known.snapshot is not None
                and known.snapshot.get("SnapshotStatus") in BUSY_SNAPSHOT
                and (group_id is None or known.snapshot.get("ReplicationGroupId") == group_id)
                for name in self._watched_snapshots
            )

    def _group_settled(self, group_id: str, before: str | None, after: str | None) -> None:
        """A group that finished snapshotting (or a restore that finished creating one) changed the
        followed snapshots: read them again now rather than at the next listing."""
        if after != "available" or before not in ("snapshotting", "creating"):
            return
        if before == "snapshotting" and self._snapshots_busy(group_id):
            self.list_snapshots(group_id)
        elif before == "creating" and self._snapshots_busy():
            self.list_snapshots()

    # --- keeping the snapshot -----------------------------------------------------------------------

    def resync(self) -> int:
        """List everything; returns the AWS calls it took."""
        started = self.clock()
        with self.elasticache.calls.counted() as calls:
            groups = list(self.elasticache.list_groups())
            members = {node["CacheClusterId"]: Member.of(node) for node in self.elasticache.list_cache_clusters()}
            tags = self.tagging.group_tags(self.cluster_name)
            if self._watched_snapshots:
                self.list_snapshots()
            if self.ec2 is not None:
                self._network = self._read_network()
                self.refresh_security_groups()
        with self._lock:
            self._members = members
        changed = self._take_listing(groups, started, tags)
        self._last_resync = self._last_listing = self.clock()
        metrics.observer_calls_per_resync.set(calls[0])
        self.ready.set()
        self._notify(changed)
        return calls[0]

    def list_groups(self, with_nodes: bool = False) -> None:
        """The groups (while some are busy): statuses and shapes, and with `with_nodes` the nodes' engine
        versions and security groups too; no tags."""
        started = self.clock()
        groups = list(self.elasticache.list_groups())
        if with_nodes or self._versions_missing(groups):
            members = {node["CacheClusterId"]: Member.of(node) for node in self.elasticache.list_cache_clusters()}
            with self._lock:
                self._members = members
        self._notify(self._take_listing(groups, started, None))
        self._last_listing = self.clock()

    def _versions_missing(self, groups: list[dict[str, Any]]) -> bool:
        """An available group of the operator's whose engine version is not known yet (one that just came
        up): its reconcile would wait for the next resync to report it, so the nodes are listed now (paged,
        not per group)."""
        with self._lock:
            return any(
                g.get("Status") == "available"
                and TAG_UID in getattr(self._groups.get(g["ReplicationGroupId"]), "tags", {})
                and (members := g.get("MemberClusters"))
                and (self._members.get(members[0]) is None or not self._members[members[0]].engine_version)
                for g in groups
            )

    def _take_listing(
        self, groups: list[dict[str, Any]], started: float, tags: dict[str, dict[str, str]] | None
    ) -> set[str]:
        changed, settled = set(), []
        with self._lock:
            listed = {g["ReplicationGroupId"] for g in groups}
            for group in groups:
                group_id = group["ReplicationGroupId"]
                known = self._groups.get(group_id)
                if known is not None and known.described_at > started:
                    continue  # described or changed since this listing began: what we have is newer
                if known is not None and known.group.get("Status") != group.get("Status"):
                    settled.append((group_id, known.group.get("Status"), group.get("Status")))
                if tags is not None:
                    group_tags = tags.get(group.get("ARN", ""), {})
                else:
                    group_tags = known.tags if known else {}
                if known is None or known.group != group or known.tags != group_tags:
                    changed.add(group_id)
                self._groups[group_id] = Known(group, group_tags, self.clock())
            # Gone: listed before and not now, unless (re)described since this listing began.
            gone = [i for i, k in self._groups.items() if i not in listed and k.described_at < started]
        self._forget(gone)
        for group_id, before, after in settled:
            self._group_settled(group_id, before, after)
        return changed | set(gone)

    def _forget(self, group_ids: Iterable[str]) -> None:
        with self._lock:
            for group_id in group_ids:
                self._groups.pop(group_id, None)

    def poll_events(self) -> set[str]:
        """Describe again the groups that DescribeEvents names; returns those."""
        now = self.utcnow()
        start = (self._events_from or now) - EVENT_OVERLAP
        events = self.elasticache.events_since(start)
        self._events_from = now
        named = set()
        for event in events:
            key = (event.get("SourceIdentifier", ""), str(event.get("Date")), event.get("Message", ""))
            if key not in self._events_seen:
                self._events_seen[key] = now
                named.add(key[0])
        horizon = now - 2 * EVENT_OVERLAP
        self._events_seen = {k: seen for k, seen in self._events_seen.items() if seen > horizon}
        with self._lock:
            named &= set(self._groups)  # only groups the operator knows (its own, and those asked for)
            pages = 2 * (len(self._groups) // PAGE + 1)  # what listing groups and nodes again costs
        if 2 * len(named) > pages:  # cheaper than describing each (a group and a node) one by one
            self.list_groups(with_nodes=True)
            return named
        for group_id in named:
            with self._lock:
                known = self._groups.get(group_id)
                if known is not None:
                    known.stale = True
            self.describe(group_id)
        self._notify(named)
        return named

    def _notify(self, group_ids: set[str]) -> None:
        if group_ids:
            try:
                self.on_change(group_ids)
            except Exception:  # noqa: BLE001 - a listener's fault must not stop the observation
                log.exception("could not pass on changes of %d groups", len(group_ids))

    # --- the loop -------------------------------------------------------------------------------------

    def busy(self) -> bool:
        """Some group or snapshot is changing, or a group of ours came up and no node has reported its
        engine version yet (a node being replaced is missing from describes of it): the next listings
        take the nodes as well, paged, at the busy pace rather than at the next resync."""
        with self._lock:
            groups = [k.group for k in self._groups.values()]
            changing = any(group.get("Status") not in SETTLED for group in groups)
        return changing or self._snapshots_busy() or self._versions_missing(groups)

    def due(self) -> str | None:
        """What to do now: 'resync', 'listing', 'events', or None. A resync that failed is tried again
        after a pause, and events are read meanwhile, so a fault in one listing holds back nothing."""
        now = self.clock()
        resync_due = self._last_resync is None or now - self._last_resync >= self.timing.resync_seconds
        if resync_due and now >= self._retry_resync_at:
            return "resync"
        busy = self.busy()
        if busy and (self._last_listing is None or now - self._last_listing >= self.timing.busy_listing_seconds):
            return "listing"
        return "events"

    def run(self, stop: threading.Event) -> None:
        """Observe until `stop` is set; faults are logged and retried at the next turn."""
        while not stop.is_set():
            if self._last_resync is not None:
                metrics.observer_snapshot_age_seconds.set(self.clock() - self._last_resync)
            work = self.due()
            try:
                if work == "resync":
                    self.resync()
                    self._resync_failures = 0
                elif work == "listing":
                    self.list_groups()
                    if self._snapshots_busy():
                        self.list_snapshots()
                elif self.ready.is_set():
                    self.poll_events()
            except Exception as e:  # noqa: BLE001 - keep observing whatever one turn did
                if isinstance(e, AWSCallError):
                    log.warning("observing ElastiCache failed (%s); retrying", e)
                else:
                    log.exception("observing ElastiCache failed; retrying")
                if work == "resync":
                    self._resync_failures += 1
                    self._retry_resync_at = self.clock() + min(2.0**self._resync_failures, 60.0)
            interval = self.timing.events_seconds if self.busy() else self.timing.idle_events_seconds
            if self._last_resync is not None:
                until_resync = self.timing.resync_seconds - (self.clock() - self._last_resync)
                interval = max(min(interval, until_resync), 0.05)
            else:
                interval = min(interval, 5.0)  # no snapshot yet: try again soon
            stop.wait(interval)
