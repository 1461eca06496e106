"""An ElastiCache API stand-in: moto in server mode, extended where the operator needs AWS's behaviour.

moto 5.2.5 makes every group `available` at once, leaves deleted groups `deleting` forever,
ignores NumCacheClusters, EngineVersion on modify and FinalSnapshotIdentifier, checks no
state and validates nothing, lists no member clusters, and lacks the day-2 actions
(ModifyReplicationGroupShardConfiguration, Increase/DecreaseReplicaCount, AuthToken rotation,
log delivery changes), DescribeEvents, TestFailover, and ElastiCache's resources in the Resource
Groups Tagging API; its snapshots are `available` at once, hold no data, and restore nothing. The
backend subclass here closes those gaps following AWS's documented behaviour (botocore's model has
the limits and error codes); a WSGI layer in front injects faults for tests. Clients reach it over
HTTP through AWS_ENDPOINT_URL, as they would reach AWS.

Every change needs an `available` group, turns it `modifying`, and makes it `available` again
after Timings.modify_seconds and, with a data plane, once the servers reflect the change.

Observing a whole account in a few calls:

- DescribeReplicationGroups and DescribeCacheClusters without an id list everything, sorted by id,
  MaxRecords 20–100 (default 100) with a Marker; DescribeCacheClusters takes ShowCacheNodeInfo (the
  nodes with their endpoints and zones) and ShowCacheClustersNotInReplicationGroups. A Marker says
  where the last page ended, so groups created or deleted between pages never fail a listing nor
  repeat an item (paging.py).
- DescribeEvents: what happened to every group and cache cluster, newest first, with SourceType,
  SourceIdentifier, StartTime/EndTime or Duration (minutes, default 60, at most 14 days), MaxRecords
  20–100 and a Marker (elasticache_events.py, which says which messages are AWS's own wording).
- The Resource Groups Tagging API's GetResources, with ElastiCache's resources typed as in their ARNs
  (`elasticache:replicationgroup`, `elasticache:cluster`, ...), tag and type filters, and paging
  (tagging_api.py). Tags follow AWS: a group's tags (at creation, AddTagsToResource,
  RemoveTagsFromResource) reach its member clusters, and go with the resource when it is deleted.

Faults (faults.py): `POST /_sandbox/faults` with a JSON fault, `DELETE` to clear them all (held
requests are let go at once); `GET /_sandbox/requests` counts the calls served per action.

- `{"operation": "CreateReplicationGroup", "code": "Throttling", "status": 400, "count": 3}`: the
  next 3 such calls fail with that error (`"operation": "*"` for every action, the tagging API's
  included, whose errors come back as JSON; `"count": -1` for no limit).
- `"rate": 0.5` fails about half of the matching calls, each drawn at random; `"seed": 7` makes the
  draws repeatable (`count` then limits the failures, not the calls seen). A throttling storm:
  `{"operation": "*", "code": "Throttling", "status": 400, "rate": 0.5, "count": -1, "seed": 7}`.
- `"delay_seconds": 2`: latency before the answer (with `"code": ""`, the call then succeeds).
- `"code": "", "timeout_seconds": 30`: the server holds the call 30 s, then hangs up without an
  answer, so a client whose read timeout is shorter sees it time out; `"applied": true` carries the
  call out first, so only its answer is lost (a create that went through though the client gave up).
- `"code": "", "outcome": "create-failed"`: the call succeeds and the group it creates fails to come up.
- `{"operation": "ModifyReplicationGroup", "code": "", "outcome": "log-delivery-error", "message": "…"}`:
  the next change of a log delivery is accepted, and once the group is available again the delivery's
  Status is `error` with that Message, as AWS reports a delivery whose CloudWatch resource policy is missing.
- `{"operation": "CreateSnapshot", "code": "", "outcome": "failed"}`: the next CreateSnapshot is accepted,
  and the snapshot ends `failed` (no files; the group is `available` again; a "Snapshot failed" event).
  Errors work on the new actions as on any: `{"operation": "DescribeSnapshots", "code": "Throttling"}`,
  `{"operation": "TestFailover", "code": "APICallRateForCustomerExceeded"}`.

Cache parameter groups in use (parameter_groups.py has the groups and their actions):

- CreateReplicationGroup CacheParameterGroupName: the group must exist (CacheParameterGroupNotFound), be of
  the engine version's family (redis6.x, redis7, valkey7, valkey8; else InvalidParameterCombination "Expected
  a parameter group of family redis7 but found one of family redis6.x", AWS's wording), and carry the
  cluster mode's cluster-enabled value (InvalidParameterCombination "Cluster mode should be enabled in
  parameter group, but found it is disabled." / "... should be disabled ..., but found it is enabled.", AWS's
  wording); a group with cluster-enabled yes makes the replication group cluster mode enabled. With no name,
  AWS's default for the family (`default.redis7`, or `default.redis7.cluster.on` when sharded). AWS's default
  groups of older families (`default.redis5.0[.cluster.on]`, ...) are accepted by name, without parameters.
- DescribeCacheClusters reports each member's CacheParameterGroup (name, ParameterApplyStatus,
  CacheNodeIdsToReboot) and its node's ParameterGroupStatus: `in-sync`; `applying` while the data plane sets
  the immediate parameters of a changed group; `pending-reboot` (node 0001) while a requires-reboot parameter
  of the group differs from the value in force on the node. The in-use hook follows the members.
- ModifyCacheParameterGroup / ResetCacheParameterGroup of a group in use: immediate parameters reach the
  servers (CONFIG SET); requires-reboot ones wait. RebootCacheCluster (CacheClusterId, CacheNodeIdsToReboot
  `0001`) puts every value in force: the cache cluster is `rebooting cache cluster nodes` and its replication
  group `modifying` for Timings.modify_seconds, a "Cache node 0001 restarted" event; refused for cluster mode
  enabled (and compatible) groups as AWS documents, with InvalidParameterCombination "Rebooting is not
  supported on Valkey or Redis OSS (cluster mode enabled) clusters." (AWS documents the refusal, not its
  code); InvalidCacheClusterState unless available; CacheClusterNotFound; InvalidParameterValue for a node
  id other than 0001.
- ModifyReplicationGroup CacheParameterGroupName: checked as at create; a group whose cluster-enabled differs
  from the current one is refused with AWS's "The parameter cluster-enabled has a different value in the
  requested parameter group than the current parameter group. This parameter value cannot be changed for a
  cache cluster" (InvalidParameterCombination) unless the call moves to cluster mode compatible. The members
  switch when the modification is done (their immediate parameters in force, the others pending a reboot).
- An EngineVersion (or Engine) that changes the family needs a group of the new family: a group on a default
  group moves to the new family's default by itself (as AWS does); a custom one must name the new family's
  group in the same call (else "Expected a parameter group of family X but found one of family Y"). An
  upgrade restarts the nodes in AWS: every value of the new group is then in force (in-sync).

Engine and cluster mode changes (ModifyReplicationGroup):

- Engine=valkey (Redis OSS → Valkey in place): needs EngineVersion (InvalidParameterCombination), Valkey 7.2
  or later (InvalidParameterValue), and a group running Redis OSS 5.0.6 or later (InvalidParameterCombination;
  AWS documents no downtime from 5.0.6, the stand-in takes it as the minimum); a custom parameter group
  attached must be replaced by a valkey-family one in the same call. One way: Engine=redis on a valkey group
  is InvalidParameterCombination. Afterwards DescribeReplicationGroups and the members report Engine valkey
  and the new version. The data plane keeps its redis-server processes (there is no valkey-server here):
  data and endpoints are untouched.
- ClusterMode (enabled | disabled | compatible, else InvalidParameterValue), one way: disabled → compatible
  needs Redis OSS 7.0+ / Valkey 7.2+, automatic failover with at least one replica, and a cluster-enabled
  parameter group: a default group moves to `default.<family>.cluster.on` by itself (as AWS documents), a
  custom one must be replaced by a named group with cluster-enabled yes (InvalidParameterCombination "Cluster
  mode should be enabled in parameter group, ..."). PendingModifiedValues.ClusterMode while modifying. Then
  ClusterMode compatible, a ConfigurationEndpoint beside the primary and reader endpoints, ClusterEnabled
  still false. compatible → enabled: ClusterEnabled true, the node group holds slots 0-16383 and loses its
  primary/reader endpoints, as a group created sharded. disabled → enabled directly, enabled → anything and
  compatible → disabled are InvalidParameterCombination (AWS: "Reverting this configuration is not
  possible"). Going to compatible, and anything while compatible, takes no other change in the same call, nor
  Increase/DecreaseReplicaCount (InvalidParameterCombination). The data plane restarts the nodes as a Redis
  Cluster of one shard holding every slot, the data kept (keys only in database 0: else the change fails and
  the group stays disabled).

Windows and notifications: PreferredMaintenanceWindow (ddd:hh24:mi-ddd:hh24:mi, at least 60 minutes) and
SnapshotWindow (hh24:mi-hh24:mi, at least 60 minutes) are checked (InvalidParameterValue) and must not overlap
(InvalidParameterCombination), at create and on modify; unset, AWS's choice: a 60-minute window within
us-east-1's 03:00-11:00 UTC block, picked from the group's id (repeatable). NotificationTopicArn must be an SNS
topic ARN (InvalidParameterValue); NotificationTopicStatus active|inactive on modify. AutoMinorVersionUpgrade
defaults to true. DescribeReplicationGroups reports SnapshotWindow and AutoMinorVersionUpgrade; the members
(DescribeCacheClusters) report PreferredMaintenanceWindow, SnapshotWindow, AutoMinorVersionUpgrade and
NotificationConfiguration (TopicArn, TopicStatus), as AWS reports them only there.

Backups and failover (snapshots.py has the rules, data_plane.py what the servers do):

- CreateSnapshot (ReplicationGroupId or CacheClusterId, SnapshotName stored lowercase, KmsKeyId, Tags):
  the snapshot is `creating` (CacheSize "") and the group `snapshotting`, refusing other changes, for
  Timings.snapshot_seconds and, with a data plane, until each shard's RDB file is written; then the
  snapshot is `available` with each NodeSnapshot's CacheSize (`"<n> MB"`: the shard's RDB file in MiB,
  rounded up; "1 MB" without a data plane; see snapshots.py) and SnapshotCreateTime, and a "Snapshot
  succeeded" event on each node read. Errors: SnapshotAlreadyExistsFault, ReplicationGroupNotFoundFault,
  CacheClusterNotFound, InvalidReplicationGroupState / InvalidCacheClusterState (not available),
  SnapshotQuotaExceededFault (20 per node in 24 h), SnapshotFeatureNotSupportedFault (a node of a cluster
  mode enabled group, or cache.t1.micro), InvalidParameterValue / InvalidParameterCombination.
- DeleteReplicationGroup's FinalSnapshotIdentifier takes a snapshot the same way, of the primaries; the
  group is `deleting` and goes once the snapshot is `available`.
- DescribeSnapshots: SnapshotName (SnapshotNotFoundFault), ReplicationGroupId, CacheClusterId,
  SnapshotSource (system|user), ShowNodeGroupConfig, MaxRecords 20–50 (default 50) with a Marker.
- DeleteSnapshot: `deleting`, gone after Timings.delete_seconds with its files; InvalidSnapshotState
  while it is creating, restoring or deleting.
- CreateReplicationGroup SnapshotName restores: the snapshot is `restoring` until the group is
  available (or create-failed), and the group's servers start with its data.
- TestFailover (ReplicationGroupId, NodeGroupId): the group is `modifying`; after half of
  Timings.modify_seconds and once the data plane has promoted a replica, that replica is the shard's
  primary (NodeGroupMembers' CurrentRole, cluster mode disabled; the primary endpoint leads to it);
  after the other half and once the old primary has recovered as a replica, `available`. Events, in
  AWS's order: "Test Failover API called for node group X" (group), "Failover from primary node A to
  replica node B completed" (node A, then group), "Recovering cache nodes 0001" and "Finished recovery
  for cache nodes 0001" (node A). Errors: NodeGroupNotFoundFault, InvalidReplicationGroupState (also
  while another test of the group runs), TestFailoverNotAvailableFault (automatic failover off, or no
  replica in the shard), APICallRateForCustomerExceeded (15 node groups in 24 h), InvalidParameterValue.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import moto.elasticache as moto_elasticache
from moto.core.base_backend import BackendDict
from moto.core.resource_tagging import TaggedResource
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.elasticache import models as moto_models
from moto.elasticache import responses as moto_responses
from moto.elasticache import urls as moto_elasticache_urls
from moto.elasticache.exceptions import (
    CacheClusterNotFound,
    ElastiCacheException,
    InvalidARNFault,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    ReplicationGroupNotFound,
    SnapshotAlreadyExists,
)
from moto.resourcegroupstaggingapi import responses as tagging_responses

from . import tagging_api
from .data_plane import (
    TOTAL_SLOTS,
    DataPlane,
    FailoverJob,
    Job,
    SnapshotJob,
    even_slots,
    format_slots,
    parse_slots,
    redis_server,
    reshard_moves,
    server_settings,
    uniform,
)
from .elasticache_events import CACHE_CLUSTER, REPLICATION_GROUP, EventLog, Messages
from .engine_parameters import FAMILIES, IMMEDIATE, NO, REBOOT
from .faults import CREATE_OUTCOMES, MODIFY_OUTCOMES, SNAPSHOT_OUTCOMES, Fault, FaultInjector
from .paging import max_records, page_by_key
from .parameter_groups import (
    CacheParameterGroup,
    ParameterGroups,
    default_group_names,
    install_parameter_group_actions,
    parameter_family,
)
from .snapshots import (
    MANUAL_BACKUPS_PER_NODE,
    NODE_GROUP_ID,
    TEST_FAILOVER_SHARDS,
    APICallRateForCustomerExceeded,
    InvalidCacheClusterState,
    InvalidSnapshotState,
    NodeGroupNotFound,
    RestoreRequest,
    RollingQuota,
    SnapshotFacts,
    SnapshotFeatureNotSupported,
    SnapshotNotFound,
    SnapshotQuotaExceeded,
    TestFailoverNotAvailable,
    cache_size,
    configured_layout,
    data_tiering,
    pick_sources,
    restore_slots,
    snapshot_name,
)

__all__ = ["CREATE_OUTCOMES", "Fault", "FaultInjector", "SandboxElastiCacheBackend", "install", "make_app", "serve"]

GROUP_ID = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,39}(?<!-)$")
AUTH_TOKEN = re.compile(r"^[A-Za-z0-9!&#$^<>-]{16,128}$")
PATCH_VERSIONS = {
    ("redis", "6.0"): "6.0.5",
    ("redis", "6.2"): "6.2.6",
    ("redis", "7.0"): "7.0.7",
    ("redis", "7.1"): "7.1.0",
    ("valkey", "7.2"): "7.2.6",
    ("valkey", "8.0"): "8.0.1",
}
DEFAULT_VERSIONS = {"redis": "7.1", "valkey": "8.0"}
MAX_REPLICAS = 5
# Log delivery: slow log from Redis OSS 6.0, engine log from 6.2; every Valkey version has both.
LOG_DELIVERY_MIN_VERSION = {("redis", "slow-log"): (6, 0), ("redis", "engine-log"): (6, 2)}
LOG_DESTINATIONS = {
    "cloudwatch-logs": ("CloudWatchLogsDetails", "LogGroup"),
    "kinesis-firehose": ("KinesisFirehoseDetails", "DeliveryStream"),
}
AWS_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_TIME = r"([a-z]{3}):([01][0-9]|2[0-3]):([0-5][0-9])"
MAINTENANCE_WINDOW = re.compile(rf"^{_DAY_TIME}-{_DAY_TIME}$")
SNAPSHOT_WINDOW = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$")
CLUSTER_MODES = ("enabled", "disabled", "compatible")
# Cluster mode compatible (the way from disabled to enabled) needs Redis OSS 7.0+ or Valkey 7.2+.
CLUSTER_MODE_MIN_VERSION = {"redis": (7, 0), "valkey": (7, 2)}
VALKEY_FROM_REDIS = (5, 0, 6)  # the earliest Redis OSS version upgraded to Valkey in place
REBOOTING = "rebooting cache cluster nodes"
OLDER_FAMILIES = (
    "redis2.6",
    "redis2.8",
    "redis3.2",
    "redis4.0",
    "redis5.0",
)  # AWS has them; the stand-in has no tables  # a cache cluster's status during RebootCacheCluster

if TYPE_CHECKING:

    class Group(moto_models.ReplicationGroup):
        """A replication group as the sandbox keeps it: moto's, with the attributes the sandbox sets
        on it (moto's serializer reads PendingModifiedValues by attribute name)."""

        engine_version: str  # always set, to the full version (full_version())
        auth_token: str | None
        auth_tokens: list[str]  # valid now: two while a ROTATE is in force
        pending_modified_values: dict[str, Any]
        deleted_from: str  # the status it was deleted from
        notification_topic_status: str  # active | inactive, with notification_topic_arn

    class Cluster(moto_models.CacheCluster):
        security_groups: list[dict[str, str]]  # as DescribeCacheClusters reports them
        applied_parameters: dict[str, str | None]  # the parameter values in force on its node
        parameter_job: Job | None  # the data plane applying its group's immediate parameters
        cache_parameter_group: dict[str, Any]  # CacheParameterGroupStatus, as DescribeCacheClusters reports it
        notification_configuration: dict[str, str] | None

    class Snap(moto_models.Snapshot):
        """A snapshot as the sandbox keeps it: moto's, with what DescribeSnapshots and a restore need."""

        snapshot_status: str
        node_snapshots: list[dict[str, Any]]  # NodeSnapshots, without NodeGroupConfiguration
        node_group_configs: list[dict[str, Any]]  # each one's NodeGroupConfiguration (ShowNodeGroupConfig)
        cluster_enabled: bool
        slots: list[list[int]]  # per node group, cluster mode enabled only
        files: list[str]  # the RDB files, one per node group, with a data plane
        data_tiering: str
else:
    Group, Cluster, Snap = moto_models.ReplicationGroup, moto_models.CacheCluster, moto_models.Snapshot


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"


class NodeGroupsPerReplicationGroupQuotaExceeded(ElastiCacheException):
    code = "NodeGroupsPerReplicationGroupQuotaExceeded"


class NoOperationFault(ElastiCacheException):
    code = "NoOperationFault"


class UserGroupNotFound(ElastiCacheException):
    code = "UserGroupNotFound"


class TagQuotaPerResourceExceeded(ElastiCacheException):
    code = "TagQuotaPerResourceExceeded"


@dataclass
class Timings:
    """How long ElastiCache takes; real AWS takes minutes, the sandbox seconds. A snapshot is `creating`
    for snapshot_seconds at least (with a data plane, until its RDB files are written); deleting one
    takes delete_seconds; a test failover takes modify_seconds, half of it before the promotion."""

    create_seconds: float = 2.0
    modify_seconds: float = 1.0
    delete_seconds: float = 1.0
    snapshot_seconds: float = 1.0


TIMINGS = Timings()


def full_version(engine: str, version: str | None) -> str:
    """AWS answers a major.minor request with the patch release it runs (6.2 → 6.2.6)."""
    version = version or DEFAULT_VERSIONS[engine]
    if version.count(".") >= 2:
        return version
    return PATCH_VERSIONS.get((engine, version), f"{version}.0")


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


@dataclass
class Transition:
    due: float
    status: str | None | Callable[[], str]  # the status to reach; None removes the group
    apply: Callable[[], None] = lambda: None
    ready: Callable[[], bool] = lambda: True  # e.g. the data plane is up
    progress: Callable[[], float] | None = None  # slot migration, shown in PendingModifiedValues


class SandboxElastiCacheBackend(ParameterGroups, moto_models.ElastiCacheBackend):
    """moto's ElastiCache backend with AWS's validation, state machine and member clusters."""

    data_plane: DataPlane | None = None  # set by install(); None serves endpoints with no server behind

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.transitions: dict[str, Transition] = {}
        self.snapshot_transitions: dict[str, Transition] = {}  # snapshots' own: deleting, of a lone cluster
        self.lock = threading.RLock()
        self.events = EventLog()
        self.ever_tagged: set[str] = set()  # GetResources lists resources tagged now or once
        self.snapshot_quota = RollingQuota(MANUAL_BACKUPS_PER_NODE)  # per node
        self.failover_quota = RollingQuota(TEST_FAILOVER_SHARDS)  # per account and region: this backend

    @property
    def _snapshots(self) -> dict[str, Snap]:
        return cast("dict[str, Snap]", self.snapshots)

    @property
    def _groups(self) -> dict[str, Group]:
        """moto's replication groups, as the sandbox keeps them."""
        return cast("dict[str, Group]", self.replication_groups)

    @property
    def _url_module(self) -> ModuleType:  # moto's server routes by the backend's urls module: ElastiCache's
        return moto_elasticache_urls

    def _event(self, source_type: str, source_id: str, message: str | Callable[[datetime], str]) -> None:
        self.events.record(source_type, source_id, message)

    # --- the state machine ------------------------------------------------------------

    def advance(self) -> None:
        now = time.monotonic()
        with self.lock:
            for name, transition in list(self.snapshot_transitions.items()):
                if transition.due <= now and transition.ready():
                    del self.snapshot_transitions[name]
                    transition.apply()
            for group_id, transition in list(self.transitions.items()):
                group = self._groups.get(group_id)
                if group is None:
                    continue
                if transition.progress is not None:
                    resharding = group.pending_modified_values.get("Resharding")
                    if resharding is not None:
                        resharding["SlotMigration"]["ProgressPercentage"] = transition.progress()
                if transition.due > now or not transition.ready():
                    continue
                del self.transitions[group_id]
                previous = group.status
                transition.apply()
                if transition.status is None:
                    self._record_deleted(group)
                    members = [self.cache_clusters[m] for m in group.member_clusters if m in self.cache_clusters]
                    self._forget([group.arn, *(cluster.arn for cluster in members)])
                    for member in group.member_clusters:
                        self.cache_clusters.pop(member, None)
                    del self.replication_groups[group_id]
                    if self.data_plane is not None:
                        threading.Thread(target=self.data_plane.stop, args=(group_id,), daemon=True).start()
                else:
                    status = transition.status() if callable(transition.status) else transition.status
                    self._set_status(group, status)
                    if previous == "creating":
                        self._record_created(group, status)
                        self._restored(group)

    # --- events: what AWS records on its own transitions ------------------------------------

    @staticmethod
    def _zones(group: Group) -> dict[str, str]:
        return {
            m["cache_cluster_id"]: m.get("preferred_availability_zone") or AWS_ZONES[0]
            for node_group in group.node_groups
            for m in node_group["node_group_members"]
        }

    def _record_members_created(self, group: Group, names: Iterable[str]) -> None:
        """The nodes are up: each has its zone, and AWS records its creation."""
        zones = self._zones(group)
        for name in names:
            cluster = self.cache_clusters.get(name)
            if cluster is not None and not cluster.preferred_availability_zone:
                cluster.preferred_availability_zone = zones.get(name, AWS_ZONES[0])
            self._event(CACHE_CLUSTER, name, Messages.cluster_created)
            self._event(CACHE_CLUSTER, name, Messages.node_added(zones.get(name, AWS_ZONES[0])))

    def _record_created(self, group: Group, status: str) -> None:
        gid = group.replication_group_id
        if status != "available":
            for member in group.member_clusters:
                self._event(CACHE_CLUSTER, member, Messages.cluster_create_failed)
            self._event(REPLICATION_GROUP, gid, Messages.group_create_failed(gid))
            return
        self._record_members_created(group, group.member_clusters)
        self._event(REPLICATION_GROUP, gid, Messages.group_created(gid))
        if group.automatic_failover == "enabled":
            self._event(REPLICATION_GROUP, gid, Messages.failover_on(gid))

    def _record_deleted(self, group: Group) -> None:
        if getattr(group, "deleted_from", None) != "create-failed":  # a failed group's nodes never came up
            for member in group.member_clusters:
                self._event(CACHE_CLUSTER, member, Messages.cluster_deleted)
        self._event(REPLICATION_GROUP, group.replication_group_id, Messages.group_deleted(group.replication_group_id))

    # --- tags: a group's tags are its member clusters' too; they go with the resource ------------

    def _forget(self, arns: Iterable[str]) -> None:
        for arn in arns:
            self.tagging_service.delete_all_tags_for_resource(arn)
            self.ever_tagged.discard(arn)

    def _copy_group_tags(self, group: Group, names: Iterable[str]) -> None:
        tags = self.tagging_service.list_tags_for_resource(group.arn)["Tags"]
        if not tags:
            return
        for name in names:
            cluster = self.cache_clusters.get(name)
            if cluster is not None:
                self.tagging_service.tag_resource(cluster.arn, tags)
                self.ever_tagged.add(cluster.arn)

    def _tag_targets(self, arn: str) -> list[str]:
        """The resources an ARN's tags go to: the resource, and a group's member clusters. ElastiCache
        checks that the resource exists (tags on a missing group are refused, not kept for later)."""
        if not self.arn_regex.match(arn or ""):
            raise InvalidARNFault(arn)
        kind, _, name = arn.split(":", 5)[5].partition(":")
        if kind == "replicationgroup":
            group = self.replication_groups.get(name)
            if group is None:
                raise ReplicationGroupNotFound(name)
            return [arn, *(self.cache_clusters[m].arn for m in group.member_clusters if m in self.cache_clusters)]
        if kind == "cluster" and name not in self.cache_clusters:
            raise CacheClusterNotFound(name)
        return [arn]

    # moto's answers nothing; AddTagsToResource and RemoveTagsFromResource answer the resource's TagList.
    def add_tags_to_resource(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:  # type: ignore[override]
        self.advance()
        with self.lock:
            targets = self._tag_targets(arn)
            merged = {**self.tagging_service.get_tag_dict_for_resource(arn), **{t["Key"]: t.get("Value") for t in tags}}
            if len([key for key in merged if not key.startswith("aws:")]) > 50:
                raise TagQuotaPerResourceExceeded("A resource may carry at most 50 tags.")
            for target in targets:
                self.tagging_service.tag_resource(target, tags)
                self.ever_tagged.add(target)
            return self.tagging_service.list_tags_for_resource(arn)["Tags"]

    def remove_tags_from_resource(self, arn: str, tags: list[str]) -> list[dict[str, str]]:  # type: ignore[override]
        self.advance()
        with self.lock:
            for target in self._tag_targets(arn):
                self.tagging_service.untag_resource_using_names(target, tags)
            return self.tagging_service.list_tags_for_resource(arn)["Tags"]

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:  # the tagging API's TagResources
        self.add_tags_to_resource(arn, [{"Key": k, "Value": v} for k, v in tags.items()])

    def untag_resource(self, arn: str, tag_keys: list[str]) -> None:  # the tagging API's UntagResources
        self.remove_tags_from_resource(arn, tag_keys)

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        """For GetResources: every resource tagged now or once, typed as in its ARN."""
        self.advance()
        with self.lock:
            sources: list[tuple[str, list[Any]]] = [
                ("replicationgroup", list(self.replication_groups.values())),
                ("cluster", list(self.cache_clusters.values())),
                ("snapshot", list(self.snapshots.values())),
                ("subnetgroup", list(self.cache_subnet_groups.values())),
                ("user", [u for u in self.users.values() if u.id != "default"]),
            ]
            resources = []
            for kind, items in sources:
                for item in items:
                    tags = self.tagging_service.get_tag_dict_for_resource(item.arn)
                    if tags or item.arn in self.ever_tagged:
                        resources.append(
                            TaggedResource(item.arn, tags, f"elasticache:{kind}", {"include_untagged": True})
                        )
        return iter(resources)

    def _set_status(self, group: Group, status: str) -> None:
        group.status = status
        for member in group.member_clusters:
            if member in self.cache_clusters:
                self.cache_clusters[member].cache_cluster_status = status
        if status in ("creating", "available", "modifying", "deleting"):
            for node_group in group.node_groups:
                node_group["status"] = status

    def _schedule(
        self, group: Group, status: str | None, seconds: float, apply: Callable[[], None] = lambda: None
    ) -> None:
        self.transitions[group.replication_group_id] = Transition(time.monotonic() + seconds, status, apply)

    def _change(
        self,
        group: Group,
        apply: Callable[[], None],
        job: Job | None,
        revert: Callable[[], None] = lambda: None,
        progress: bool = False,
    ) -> None:
        """The group is `modifying` until the change is done: after modify_seconds, and once the
        data plane's job has finished. A failed job leaves the group as it was, as AWS does when
        it cannot complete a scaling operation."""
        started = time.monotonic()

        def finish() -> None:
            group.pending_modified_values = {}
            if job is not None and job.error:  # the data plane logged why
                revert()
            else:
                apply()

        def percent() -> float:
            if job is not None:
                return job.progress
            elapsed = time.monotonic() - started
            return min(99.0, round(100.0 * elapsed / max(TIMINGS.modify_seconds, 0.01), 1))

        self.transitions[group.replication_group_id] = Transition(
            started + TIMINGS.modify_seconds,
            "available",
            finish,
            ready=job.done.is_set if job is not None else lambda: True,
            progress=percent if progress else None,
        )

    def _group(self, group_id: str) -> Group:
        self.advance()
        group = self._groups.get((group_id or "").lower())
        if group is None:
            raise ReplicationGroupNotFound(group_id)
        return group

    @staticmethod
    def _require_available(group: Group) -> None:
        if group.status != "available":
            raise InvalidReplicationGroupState(
                f"Replication group must be in available state to modify, current state is {group.status}"
            )

    # --- cache parameter groups in use ---------------------------------------------------

    def _named_parameter_group(self, name: str | None) -> CacheParameterGroup | None:
        """The group a request names (CacheParameterGroupNotFound if there is none), or None if it names none.
        AWS's default groups of the families older than the stand-in's tables (`default.redis5.0`,
        `default.redis5.0.cluster.on`, ...) are accepted as they are named, without parameters."""
        if not name:
            return None
        key = name.lower()
        if key not in self.cache_parameter_groups:
            for family in OLDER_FAMILIES:
                plain, cluster_on = default_group_names(family)
                if key in (plain, cluster_on):
                    values: dict[str, str | None] = {"cluster-enabled": "yes" if key == cluster_on else "no"}
                    return CacheParameterGroup(key, family, "", self._parameter_group_arn(key), True, values)
        return self._parameter_group(name)

    def _settable_values(self, name: str | None, change_type: str | None = None) -> dict[str, str | None]:
        """The values of the parameters one may set in a group (those the servers follow), optionally
        only those of one ChangeType; {} for a group the stand-in does not have (an older family's default)."""
        group = self.cache_parameter_groups.get((name or "").lower())
        if group is None:
            return {}
        params = FAMILIES[group.family]
        return {
            name: group.values.get(name, spec.default)
            for name, spec in params.items()
            if spec.modifiable != NO and (change_type is None or spec.change_type == change_type)
        }

    def _server_settings(self, name: str | None, change_type: str | None = None) -> dict[str, str]:
        return server_settings(self._settable_values(name, change_type))

    def _attach(self, cluster: Cluster, name: str | None) -> None:
        """The cache cluster uses this group, every value of it in force on its node (a node started, or
        restarted by an engine upgrade)."""
        cluster.cache_parameter_group_name = name
        group = self.cache_parameter_groups.get((name or "").lower())
        cluster.applied_parameters = dict(group.values) if group is not None else {}
        cluster.parameter_job = None

    def _apply_status(self, cluster: Cluster) -> tuple[str, list[str]]:
        """ParameterApplyStatus and CacheNodeIdsToReboot: `applying` while the data plane sets the group's
        immediate parameters, `pending-reboot` while a requires-reboot parameter of the group differs from
        the value in force on the node, else `in-sync`."""
        group = self.cache_parameter_groups.get((cluster.cache_parameter_group_name or "").lower())
        if group is None:
            return "in-sync", []
        job = getattr(cluster, "parameter_job", None)
        if job is not None and not job.done.is_set():
            return "applying", []
        applied = getattr(cluster, "applied_parameters", {})
        waiting = [
            name
            for name, spec in FAMILIES[group.family].items()
            if spec.change_type == REBOOT
            and name != "cluster-enabled"  # the cluster mode decides it, never a reboot
            and group.values.get(name, spec.default) != applied.get(name, spec.default)
        ]
        return ("pending-reboot", ["0001"]) if waiting else ("in-sync", [])

    def cache_parameter_group_changed(self, group: CacheParameterGroup) -> None:
        """A group's values changed: on every cache cluster using it, the immediate parameters take effect
        (CONFIG SET on the servers, `applying` meanwhile), the requires-reboot ones wait for a reboot."""
        immediate = {name for name, spec in FAMILIES[group.family].items() if spec.change_type == IMMEDIATE}
        users: dict[str, list[Cluster]] = {}
        for cluster in cast("list[Cluster]", list(self.cache_clusters.values())):
            if (cluster.cache_parameter_group_name or "").lower() == group.name:
                applied = getattr(cluster, "applied_parameters", None)
                if applied is None:
                    applied = cluster.applied_parameters = {}
                applied.update({name: group.values.get(name) for name in immediate})
                users.setdefault(cluster.replication_group_id or "", []).append(cluster)
        if self.data_plane is None:
            return
        settings = self._server_settings(group.name, IMMEDIATE)
        for group_id, clusters in users.items():
            if group_id in self.data_plane.groups:
                job = self.data_plane.apply_parameters(group_id, settings)
                for cluster in clusters:
                    cluster.parameter_job = job

    def _show_member(self, cluster: Cluster) -> None:
        """What DescribeCacheClusters reports of a member that its replication group holds: the parameter
        group and its apply status, the maintenance and snapshot windows, minor upgrades, notifications."""
        status, reboot = self._apply_status(cluster)
        cluster.cache_parameter_group = {
            "CacheParameterGroupName": cluster.cache_parameter_group_name,
            "ParameterApplyStatus": status,
            "CacheNodeIdsToReboot": reboot,
        }
        group = self._groups.get(getattr(cluster, "replication_group_id", None) or "")
        if group is None:
            return
        cluster.preferred_maintenance_window = group.preferred_maintenance_window
        cluster.snapshot_window = group.snapshot_window
        cluster.auto_minor_version_upgrade = group.auto_minor_version_upgrade
        topic = group.notification_topic_arn
        cluster.notification_configuration = (
            {"TopicArn": topic, "TopicStatus": getattr(group, "notification_topic_status", "active")} if topic else None
        )

    # --- create -----------------------------------------------------------------------

    # moto's names each parameter; this one takes them as keywords, to check them all as AWS does first.
    def create_replication_group(self, **kwargs: Any) -> Group:  # type: ignore[override]
        validate_create(kwargs)
        kwargs["replication_group_id"] = kwargs["replication_group_id"].lower()
        requested_mode = (kwargs.get("cluster_mode") or "").lower()
        if requested_mode and requested_mode not in ("enabled", "disabled"):
            raise InvalidParameterValueException(
                f"Invalid value for ClusterMode: {kwargs.get('cluster_mode')}. A replication group is created with"
                " cluster mode enabled or disabled; compatible is reached by ModifyReplicationGroup."
            )
        # NodeGroupConfiguration applies to the node groups in order (moto matches it by NodeGroupId only).
        configs = [
            {**config, "NodeGroupId": config.get("NodeGroupId") or f"{n + 1:04}"}
            for n, config in enumerate(kwargs.get("node_group_configuration") or [])
        ]
        kwargs["node_group_configuration"] = configs
        with self.lock:
            self.advance()
            named = self._named_parameter_group(kwargs.get("cache_parameter_group_name"))
            named_on = named is not None and named.values.get("cluster-enabled") == "yes"
            cluster_mode = requested_mode == "enabled" or (kwargs.get("num_node_groups") or 1) > 1 or named_on
            if named is not None and cluster_mode and not named_on:
                raise InvalidParameterCombinationException(
                    "Cluster mode should be enabled in parameter group, but found it is disabled."
                )
            if named is not None and requested_mode == "disabled" and named_on:
                raise InvalidParameterCombinationException(
                    "Cluster mode should be disabled in parameter group, but found it is enabled."
                )
            if cluster_mode and not kwargs.get("automatic_failover_enabled"):
                raise InvalidParameterCombinationException(
                    "Automatic failover must be enabled for Redis (cluster mode enabled) replication groups."
                )
            kwargs["cluster_mode"] = "enabled" if cluster_mode else "disabled"
            source = self._restore_source(kwargs) if kwargs.get("snapshot_name") else None
            if cluster_mode and not kwargs.get("num_node_groups"):  # else the snapshot's, or as configured
                restored = len(source.slots) if source is not None and source.cluster_enabled else 1
                kwargs["num_node_groups"] = len(configs) or restored
            if not cluster_mode:
                # moto counts members from replicas_per_node_group; AWS from NumCacheClusters.
                kwargs["replicas_per_node_group"] = (kwargs.get("num_cache_clusters") or 1) - 1
                kwargs["num_node_groups"] = 1
            layout = self._restore_layout(kwargs, source, cluster_mode) if source is not None else None
            if layout is None and cluster_mode and any(c.get("Slots") for c in configs):
                layout = configured_layout([c.get("Slots") for c in configs], kwargs["num_node_groups"])
            engine = kwargs.get("engine") or "redis"
            version = full_version(engine, kwargs.get("engine_version"))
            family = parameter_family(engine, version)
            if named is not None and named.family != family:
                raise InvalidParameterCombinationException(
                    f"Expected a parameter group of family {family} but found one of family {named.family}"
                )
            windows = create_windows(kwargs)
            group = cast(Group, super().create_replication_group(**kwargs))
            group.engine_version = version
            # With no name, AWS uses the family's default group, the cluster mode one when sharded.
            group.cache_parameter_group_name = (
                named.name if named is not None else f"default.{family}" + (".cluster.on" if cluster_mode else "")
            )
            group.preferred_maintenance_window, group.snapshot_window = windows
            if group.auto_minor_version_upgrade is None:
                group.auto_minor_version_upgrade = True  # AWS's default
            group.notification_topic_status = "active"
            group.auth_token = kwargs.get("auth_token")
            group.auth_tokens = [group.auth_token] if group.auth_token else []
            group.pending_modified_values = {}
            group.log_delivery_configurations = [
                {**_log_config(c), "Status": "active"}
                for c in kwargs.get("log_delivery_configurations") or []
                if c.get("Enabled") is None or _true(c.get("Enabled"))
            ]
            if group.cluster_enabled:
                # AWS splits the slots evenly from the first shard on; moto's split leaves gaps.
                split = layout or even_slots(len(group.node_groups))
                for node_group, slots in zip(group.node_groups, split, strict=True):
                    node_group["slots"] = format_slots(slots)
            seed: list[pathlib.Path] = []
            if source is not None:  # "The snapshot status changes to restoring while the group is created."
                source.snapshot_status = "restoring"
                group.snapshot_name = source.snapshot_name
                seed = [pathlib.Path(f) for f in source.files]
            for node_group in group.node_groups:
                if "reader_endpoint_address" in node_group:  # AWS reports it; moto only keeps the address
                    node_group["reader_endpoint"] = {
                        "address": node_group["reader_endpoint_address"],
                        "port": group.port,
                    }
            self._create_members(group, group.member_clusters)
            if kwargs.get("tags"):
                self.ever_tagged.add(group.arn)
                self._copy_group_tags(group, group.member_clusters)
            self._set_status(group, "creating")
            outcome = CREATE_OUTCOMES.pop(0) if CREATE_OUTCOMES else "available"
            if self.data_plane is None or outcome != "available":
                self._schedule(group, outcome, TIMINGS.create_seconds)
            else:
                self._serve_with_data_plane(group, seed)
        return group

    def _restore_source(self, kwargs: dict[str, Any]) -> Snap:
        """The snapshot a CreateReplicationGroup restores, checked; the group's engine, version and node
        type default to the snapshot's."""
        name = str(kwargs["snapshot_name"]).lower()
        if kwargs.get("snapshot_arns"):
            raise InvalidParameterCombinationException("SnapshotName and SnapshotArns cannot both be specified.")
        source = self._snapshots.get(name)
        if source is None:
            raise SnapshotNotFound(f"Snapshot {name} not found.")
        if source.snapshot_status != "available":
            raise InvalidSnapshotState(
                f"Snapshot {name} is {source.snapshot_status}; a replication group can be restored only from an"
                " available snapshot."
            )
        kwargs["snapshot_name"] = name
        return source

    def _restore_layout(self, kwargs: dict[str, Any], source: Snap, cluster_mode: bool) -> list[list[int]] | None:
        """AWS's rules for restoring `source` (snapshots.py); the slots of each new shard, if sharded."""
        engine = kwargs.get("engine") or source.engine or "redis"
        facts = SnapshotFacts(
            source.snapshot_name or "",
            source.engine or "redis",
            source.engine_version or "",
            source.cache_node_type or "",
            source.cluster_enabled,
            source.slots,
        )
        request = RestoreRequest(
            engine,
            kwargs.get("engine_version"),
            kwargs.get("cache_node_type"),
            cluster_mode,
            int(kwargs.get("num_node_groups") or 1),
            [c.get("Slots") for c in kwargs.get("node_group_configuration") or []],
        )
        layout = restore_slots(facts, request, full_version)
        kwargs["engine"] = engine
        if not kwargs.get("engine_version") and engine == source.engine:
            kwargs["engine_version"] = source.engine_version
        kwargs["cache_node_type"] = kwargs.get("cache_node_type") or source.cache_node_type
        return layout

    def _restored(self, group: Group) -> None:
        """A group created from a snapshot is up (or failed): the snapshot is available again."""
        source = self._snapshots.get(getattr(group, "snapshot_name", None) or "")
        if source is not None and source.snapshot_status == "restoring":
            source.snapshot_status = "available"

    def _serve_with_data_plane(self, group: Group, seed: list[pathlib.Path] | None = None) -> None:
        """Real redis-server processes behind the group; `available` once they answer."""
        assert self.data_plane is not None
        layout = [
            (
                node_group["node_group_id"],
                [m["cache_cluster_id"] for m in node_group["node_group_members"]],
                parse_slots(node_group.get("slots")) if group.cluster_enabled else [],
            )
            for node_group in group.node_groups
        ]
        nodes = self.data_plane.plan(
            group.replication_group_id,
            group.port,
            group.cluster_enabled,
            layout,
            group.auth_tokens,
            seed,
            self._server_settings(group.cache_parameter_group_name),
        )
        if group.cluster_enabled:
            group.configuration_endpoint = {"address": nodes.endpoints["configuration"], "port": group.port}
        else:
            [node_group] = group.node_groups
            for member in node_group["node_group_members"]:
                member["read_endpoint"] = {"address": nodes.node(member["cache_cluster_id"]).ip, "port": group.port}
            # The group's endpoints are addresses of their own, forwarded to the current primary and
            # to the replicas, so they survive replicas coming and going as AWS's DNS names do.
            primary, reader = nodes.endpoints["primary"], nodes.endpoints["reader"]
            node_group["primary_endpoint_address"] = primary
            node_group["primary_endpoint"] = {"address": primary, "port": group.port}
            node_group["reader_endpoint_address"] = reader
            node_group["reader_endpoint"] = {"address": reader, "port": group.port}
        self.data_plane.start(group.replication_group_id)
        self.transitions[group.replication_group_id] = Transition(
            time.monotonic() + TIMINGS.create_seconds,
            lambda: "create-failed" if nodes.error else "available",
            ready=nodes.ready.is_set,
        )

    def _create_members(self, group: Group, names: Iterable[str], status: str | None = None) -> None:
        for member in names:
            cluster = moto_models.CacheCluster(
                account_id=self.account_id,
                region_name=self.region_name,
                cache_cluster_id=member,
                cache_node_type=group.cache_node_type,
                replication_group_id=group.replication_group_id,
                az_mode=None,
                preferred_availability_zone=None,
                num_cache_nodes=1,
                engine=group.engine,
                engine_version=group.engine_version,
                cache_parameter_group_name=group.cache_parameter_group_name,
                cache_subnet_group_name=group.cache_subnet_group_name,
                transit_encryption_enabled=group.transit_encryption_enabled,
                network_type=None,
                ip_discovery=None,
                snapshot_name=None,
                preferred_maintenance_window=None,
                port=group.port,
                notification_topic_arn=None,
                auto_minor_version_upgrade=None,
                snapshot_retention_limit=group.snapshot_retention_limit,
                snapshot_window=None,
                auth_token=None,
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=None,
                security_group_ids=group.security_group_ids,
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
            if status is not None:
                cluster.cache_cluster_status = status
            self._attach(cast(Cluster, cluster), group.cache_parameter_group_name)
            self.cache_clusters[member] = cluster

    def describe_replication_groups(
        self, replication_group_id: str | None = None
    ) -> list[moto_models.ReplicationGroup]:
        self.advance()
        with self.lock:  # a listing must not see the groups change under it
            return super().describe_replication_groups((replication_group_id or "").lower() or None)

    def describe_cache_clusters(self, cache_cluster_id: str | None = None) -> list[moto_models.CacheCluster]:
        self.advance()
        if cache_cluster_id and cache_cluster_id not in self.cache_clusters:
            cache_cluster_id = cache_cluster_id.lower()  # "This parameter isn't case sensitive."
        with self.lock:
            clusters = super().describe_cache_clusters(cache_cluster_id)
            for cluster in cast(list[Cluster], clusters):  # moto keeps the ids, AWS reports them as SecurityGroups
                cluster.security_groups = [
                    {"SecurityGroupId": i, "Status": "active"}
                    for i in getattr(cluster, "security_group_ids", None) or []
                ]
                self._show_member(cluster)
            return clusters

    def cache_nodes(self, cluster: moto_models.CacheCluster) -> list[dict[str, Any]]:
        """A cache cluster's nodes, as ShowCacheNodeInfo shows them (one per Valkey/Redis OSS cluster)."""
        group = self._groups.get(getattr(cluster, "replication_group_id", None) or "")
        name = cluster.cache_cluster_id
        zone = (self._zones(group).get(name) if group is not None else None) or (
            cluster.preferred_availability_zone or AWS_ZONES[0]
        )
        address = self._node_address(group, name) if group is not None else f"{name}.sandbox.cache.amazonaws.com"
        status = {"modifying": "available", "snapshotting": "available", "create-failed": "creating"}.get(
            cluster.cache_cluster_status, cluster.cache_cluster_status
        )
        return [
            {
                "CacheNodeId": f"{n:04}",
                "CacheNodeStatus": status,
                "CacheNodeCreateTime": cluster.cache_cluster_create_time,
                "Endpoint": {"Address": address, "Port": cluster.port},
                "ParameterGroupStatus": self._apply_status(cast(Cluster, cluster))[0],
                "CustomerAvailabilityZone": zone,
            }
            for n in range(1, (getattr(cluster, "num_cache_nodes", None) or 1) + 1)
        ]

    def _node_address(self, group: Group, name: str) -> str:
        for node_group in group.node_groups:
            for member in node_group["node_group_members"]:
                if member["cache_cluster_id"] == name and member.get("read_endpoint"):
                    return str(member["read_endpoint"]["address"])
        if self.data_plane is not None:
            try:
                return self.data_plane.node_ip(group.replication_group_id, name)
            except (KeyError, AttributeError):
                pass
        configuration = getattr(group, "configuration_endpoint", None) or {}
        base = configuration.get("address") or group.node_groups[0].get("primary_endpoint_address") or ""
        return f"{name}.{base.split('.', 1)[1] if '.' in base else 'sandbox.cache.amazonaws.com'}"

    def list_tags_for_resource(self, arn: str) -> dict[str, list[dict[str, str]]]:
        self.advance()
        with self.lock:
            self._tag_targets(arn)  # a deleted group has no tags to list: ReplicationGroupNotFoundFault
            return super().list_tags_for_resource(arn)

    # --- modify -----------------------------------------------------------------------

    def _engine_changes(self, group: Group, params: dict[str, Any]) -> dict[str, Any]:
        """Engine (Redis OSS → Valkey), EngineVersion, ClusterMode and CacheParameterGroupName, checked
        together as AWS checks them: the group's parameter group must be of the family of the engine version
        it runs afterwards and carry the cluster-enabled value of its cluster mode."""
        changes: dict[str, Any] = {}
        engine = str(params.get("Engine") or group.engine).lower()
        requested_version = params.get("EngineVersion")
        if engine not in ("redis", "valkey"):
            raise InvalidParameterValueException(
                f"Invalid value for Engine: {params.get('Engine')}. A replication group's engine is redis or valkey."
            )
        if engine != group.engine:
            if group.engine == "valkey":
                raise InvalidParameterCombinationException(
                    "Cannot change the engine from valkey to redis: a replication group can be upgraded from"
                    " Redis OSS to Valkey, not back."
                )
            if not requested_version:
                raise InvalidParameterCombinationException(
                    "EngineVersion must be specified when changing the engine to valkey."
                )
            if _version_tuple(group.engine_version) < VALKEY_FROM_REDIS:
                raise InvalidParameterCombinationException(
                    f"Cannot upgrade Redis OSS {group.engine_version} to Valkey: upgrade to Redis OSS 5.0.6 or"
                    " later first."
                )
            changes["engine"] = engine
        if requested_version:
            wanted = full_version(engine, requested_version)
            if engine == "valkey" and _version_tuple(wanted) < (7, 2):
                raise InvalidParameterValueException(
                    f"Invalid engine version {requested_version} for valkey: Valkey versions start at 7.2."
                )
            if engine == group.engine and _version_tuple(wanted) < _version_tuple(group.engine_version):
                raise InvalidParameterValueException(
                    f"Cannot modify engine version from {group.engine_version} to {requested_version}: downgrades"
                    " are not supported."
                )
            if engine != group.engine or _version_tuple(wanted) > _version_tuple(group.engine_version):
                changes["engine_version"] = wanted
        mode = self._cluster_mode_change(group, params.get("ClusterMode"))
        if mode is not None:
            changes["cluster_mode"] = mode
        target_mode = mode or group.cluster_mode
        cluster_on = target_mode != "disabled"
        family = parameter_family(engine, changes.get("engine_version", group.engine_version))
        current_name = group.cache_parameter_group_name or ""
        current = self.cache_parameter_groups.get(current_name.lower())
        current_family = current.family if current is not None else parameter_family(group.engine, group.engine_version)
        named = self._named_parameter_group(params.get("CacheParameterGroupName"))
        if named is not None:
            if named.family != family:
                raise InvalidParameterCombinationException(
                    f"Expected a parameter group of family {family} but found one of family {named.family}"
                )
            if (named.values.get("cluster-enabled") == "yes") != cluster_on:
                if mode == "compatible":
                    raise InvalidParameterCombinationException(
                        "Cluster mode should be enabled in parameter group, but found it is disabled."
                    )
                raise InvalidParameterCombinationException(
                    "The parameter cluster-enabled has a different value in the requested parameter group than the"
                    " current parameter group. This parameter value cannot be changed for a cache cluster"
                )
            if named.name != current_name:
                changes["cache_parameter_group_name"] = named.name
            return changes
        current_on = current is not None and current.values.get("cluster-enabled") == "yes"
        if current_family == family and (current is None or current_on == cluster_on):
            return changes
        if current is None or current.is_default:
            # A default group is swapped for the new family's (or cluster mode's) default, as AWS does.
            changes["cache_parameter_group_name"] = f"default.{family}" + (".cluster.on" if cluster_on else "")
            return changes
        if current_family != family:
            raise InvalidParameterCombinationException(
                f"Expected a parameter group of family {family} but found one of family {current_family}"
            )
        raise InvalidParameterCombinationException(
            f"Cluster mode should be enabled in parameter group, but found it is disabled: name a {family} cache"
            " parameter group with cluster-enabled yes in CacheParameterGroupName."
        )

    @staticmethod
    def _cluster_mode_change(group: Group, requested: str | None) -> str | None:
        """ClusterMode checked as AWS documents it: disabled → compatible → enabled, one way; None for no change."""
        if not requested:
            return None
        mode = requested.lower()
        if mode not in CLUSTER_MODES:
            raise InvalidParameterValueException(
                f"Invalid value for ClusterMode: {requested}. Valid values are enabled, disabled and compatible."
            )
        current = group.cluster_mode
        if mode == current:
            return None
        if current == "enabled" or (current == "compatible" and mode == "disabled"):
            raise InvalidParameterCombinationException(
                "Cluster mode configuration can only be changed from cluster mode disabled to cluster mode enabled;"
                " reverting this configuration is not possible."
            )
        if mode == "enabled":
            if current == "disabled":
                raise InvalidParameterCombinationException(
                    "To modify cluster mode from Disabled to Enabled, you must first set the cluster mode to"
                    " Compatible."
                )
            return mode
        engine = group.engine
        minimum = CLUSTER_MODE_MIN_VERSION.get(engine, (7, 0))
        if _version_tuple(group.engine_version)[:2] < minimum:
            raise InvalidParameterCombinationException(
                f"Cluster mode can be changed only on {'Valkey' if engine == 'valkey' else 'Redis OSS'}"
                f" {'.'.join(map(str, minimum))} and above; the replication group runs {group.engine_version}."
            )
        if group.automatic_failover != "enabled" or len(group.member_clusters) < 2:
            raise InvalidParameterCombinationException(
                "Cluster mode can be changed only with automatic failover enabled and at least one replica."
            )
        return mode

    def modify_group(self, params: dict[str, Any]) -> Group:
        with self.lock:
            group = self._group(params.get("ReplicationGroupId", ""))
            self._require_available(group)
            changes = modification_changes(group, params)
            changes.update(window_changes(group, params))
            changes.update(self._engine_changes(group, params))
            auth = auth_token_change(group, params)
            logs = log_delivery_changes(group, params)
            if not changes and auth is None and not logs:
                raise InvalidParameterCombinationException("No modifications were requested.")
            mode = changes.get("cluster_mode")
            if group.cluster_mode == "compatible" or mode is not None:
                others = [a for a in changes if a not in ("cluster_mode", "cache_parameter_group_name")]
                if others or auth is not None or logs:
                    raise InvalidParameterCombinationException(
                        "No other modification is allowed while changing the cluster mode, nor while it is"
                        " compatible: ClusterMode (and CacheParameterGroupName) only."
                    )
            failure = MODIFY_OUTCOMES.pop(0) if logs and MODIFY_OUTCOMES else None
            self._set_status(group, "modifying")
            pending: dict[str, Any] = {}
            if auth is not None:
                pending["AuthTokenStatus"] = auth[0]
            if mode is not None:
                pending["ClusterMode"] = mode
            if logs:
                pending["LogDeliveryConfigurations"] = [_pending_log_config(kind, new) for _, kind, new in logs]
                for log_type, kind, new in logs:
                    if kind == "enable":
                        group.log_delivery_configurations.append({**new, "Status": "enabling"})
                    else:
                        _log_entry(group, log_type)["Status"] = "modifying" if kind == "modify" else "disabling"
            group.pending_modified_values = pending
            gid = group.replication_group_id
            jobs: list[Job] = []
            new_parameters = changes.get("cache_parameter_group_name")
            restarted = "engine" in changes or "engine_version" in changes  # an upgrade restarts the nodes
            address = None
            if self.data_plane is not None and gid in self.data_plane.groups:
                if auth is not None:
                    jobs.append(self.data_plane.set_tokens(gid, auth[1]))
                if mode == "compatible":
                    address, converted = self.data_plane.to_cluster(gid)
                    jobs.append(converted)
                if new_parameters or restarted:  # redis-server applies the immediate ones in place
                    settings = self._server_settings(new_parameters or group.cache_parameter_group_name, IMMEDIATE)
                    jobs.append(self.data_plane.apply_parameters(gid, settings))
            job = _joined(jobs)
            before = {attribute: getattr(group, attribute) for attribute in changes}
            strategy = "SET" if auth is not None and auth[0] == "SETTING" else "ROTATE"

            def apply() -> None:
                for attribute, value in changes.items():
                    setattr(group, attribute, value)
                if mode is not None:
                    self._change_cluster_mode(group, mode, address)
                immediate = self._settable_values(group.cache_parameter_group_name, IMMEDIATE)
                for member in group.member_clusters:
                    cluster = cast(Cluster, self.cache_clusters.get(member))
                    if cluster is not None:
                        cluster.engine = group.engine
                        cluster.engine_version = group.engine_version
                        cluster.cache_node_type = group.cache_node_type
                        cluster.security_group_ids = list(group.security_group_ids or [])
                        if restarted:
                            self._attach(cluster, group.cache_parameter_group_name)
                        elif new_parameters:  # the immediate parameters are in force; the others wait for a reboot
                            cluster.cache_parameter_group_name = new_parameters
                            cluster.applied_parameters = {**getattr(cluster, "applied_parameters", {}), **immediate}
                if auth is not None:
                    group.auth_tokens = auth[1]
                    group.auth_token = auth[1][-1]
                    group.auth_token_enabled = any(auth[1])
                    group.auth_token_last_modified_date = utcnow()
                settle_log_deliveries()
                self._record_modified(group, changes, before, strategy if auth is not None else None, logs, True)

            def settle_log_deliveries() -> None:
                for log_type, kind, new in logs:
                    if failure is not None and failure[0] == "log-delivery-error":
                        _log_entry(group, log_type).update({**new, "Status": "error", "Message": failure[1]})
                    elif kind == "disable":
                        group.log_delivery_configurations.remove(_log_entry(group, log_type))
                    else:
                        _log_entry(group, log_type).update({**new, "Status": "active"})
                        _log_entry(group, log_type).pop("Message", None)

            def revert() -> None:  # the servers refused the new tokens: the group keeps its old ones
                for attribute, value in changes.items():
                    if mode is None:  # a cluster mode change the servers could not make changes nothing
                        setattr(group, attribute, value)
                settle_log_deliveries()
                done = changes if mode is None else {}
                self._record_modified(group, done, before, strategy if auth is not None else None, logs, False)

            self._change(group, apply, job, revert)
            return group

    def _change_cluster_mode(self, group: Group, mode: str, address: str | None) -> None:
        """Compatible: the group answers both protocols, from a configuration endpoint too. Enabled: it is a
        cluster mode enabled group of one shard holding every slot, as if created so."""
        if mode == "compatible":
            primary = group.node_groups[0].get("primary_endpoint_address") or ""
            domain = primary.split(".", 1)[1] if "." in primary else "sandbox.cache.amazonaws.com"
            group.configuration_endpoint = {"address": address or f"clustercfg.{domain}", "port": group.port}
            return
        group.cluster_enabled = True
        for node_group in group.node_groups:
            node_group["slots"] = f"0-{TOTAL_SLOTS - 1}"
            for key in ("primary_endpoint", "primary_endpoint_address", "reader_endpoint", "reader_endpoint_address"):
                node_group.pop(key, None)
            for member in node_group["node_group_members"]:
                member.pop("current_role", None)  # reported for cluster mode disabled only

    def _record_modified(
        self,
        group: Group,
        changes: dict[str, Any],
        before: dict[str, Any],
        auth_strategy: str | None,
        logs: list[tuple[str, str, dict[str, Any]]],
        auth_done: bool,
    ) -> None:
        """The events of a finished ModifyReplicationGroup, one per kind of change."""
        gid = group.replication_group_id
        for attribute, value in changes.items():
            if attribute in ("cache_node_type", "engine_version"):
                message = (
                    Messages.node_type_changed(value)
                    if attribute == "cache_node_type"
                    else Messages.engine_version_changed(value)
                )
                for member in group.member_clusters:
                    self._event(CACHE_CLUSTER, member, message)
                self._event(REPLICATION_GROUP, gid, message)
            elif attribute == "automatic_failover":
                on = value == "enabled"
                self._event(REPLICATION_GROUP, gid, Messages.failover_on(gid) if on else Messages.failover_off(gid))
            elif attribute == "snapshot_retention_limit":
                what = f"SnapshotRetentionLimit {before[attribute]} to {value}"
                self._event(REPLICATION_GROUP, gid, Messages.group_modified(gid, what))
            elif attribute == "description":
                self._event(REPLICATION_GROUP, gid, Messages.group_modified(gid, "ReplicationGroupDescription changed"))
            elif attribute == "security_group_ids":
                self._event(REPLICATION_GROUP, gid, Messages.group_modified(gid, "SecurityGroupIds changed"))
            elif attribute in ("engine", "cluster_mode", "cache_parameter_group_name"):
                name = {"engine": "Engine", "cluster_mode": "ClusterMode"}.get(attribute, "CacheParameterGroupName")
                what = f"{name} {before[attribute]} to {value}"
                self._event(REPLICATION_GROUP, gid, Messages.group_modified(gid, what))
        if auth_strategy is not None:
            phase = "completed" if auth_done else "failed"
            self._event(REPLICATION_GROUP, gid, Messages.auth_token(auth_strategy, phase, gid))
        for log_type, kind, _ in logs:
            change = {"enable": "enabled", "modify": "modified", "disable": "disabled"}[kind]
            self._event(REPLICATION_GROUP, gid, Messages.log_delivery(log_type, change, gid))

    # --- shards -----------------------------------------------------------------------

    def reshard(self, params: dict[str, Any]) -> Group:
        """ModifyReplicationGroupShardConfiguration: add shards, remove shards, or rebalance slots online."""
        with self.lock:
            group = self._group(params.get("ReplicationGroupId", ""))
            if not group.cluster_enabled:
                raise InvalidParameterValueException(
                    f"Replication group {group.replication_group_id} has cluster mode disabled; only cluster mode"
                    " enabled replication groups can change their number of node groups (shards)."
                )
            self._require_available(group)
            if not _true(params.get("ApplyImmediately")):
                raise InvalidParameterValueException("ApplyImmediately: the only permitted value is true.")
            plan = shard_plan(group, params)
            gid = group.replication_group_id
            owned = {ng["node_group_id"]: parse_slots(ng.get("slots")) for ng in group.node_groups}
            moves = reshard_moves(owned, plan.keep)
            for slot, source, target in moves:
                owned[source].remove(slot)
                owned.setdefault(target, []).append(slot)
            size = min(len(ng["node_group_members"]) for ng in group.node_groups)  # as AWS: the smallest shard's
            added = {shard_id: [f"{gid}-{shard_id}-{n:03}" for n in range(1, size + 1)] for shard_id in plan.added}
            removed = [ng for ng in group.node_groups if ng["node_group_id"] in plan.removed]
            self._set_status(group, "modifying")
            group.pending_modified_values = {"Resharding": {"SlotMigration": {"ProgressPercentage": 0.0}}}
            new_members = [name for names in added.values() for name in names]
            self._create_members(group, new_members, "creating")
            self._copy_group_tags(group, new_members)  # "new clusters ... have the same tags as the group"
            group.member_clusters = sorted([*group.member_clusters, *new_members])
            if plan.added or plan.removed:
                direction = "out" if plan.added else "in"
                self._event(
                    REPLICATION_GROUP, gid, Messages.scaling(direction, gid, len(group.node_groups), len(plan.keep))
                )
            slot_moves = Counter((source, target) for _, source, target in moves)
            for node_group in removed:
                node_group["status"] = "deleting"
                for member in node_group["node_group_members"]:
                    self.cache_clusters[member["cache_cluster_id"]].cache_cluster_status = "deleting"
            job = None
            if self.data_plane is not None:
                if added:
                    job = self.data_plane.add_shards(gid, list(added.items()), moves)
                elif removed:
                    job = self.data_plane.remove_shards(gid, plan.removed, moves)
                else:
                    job = self.data_plane.move_slots(gid, moves)

            def apply() -> None:
                for shard_id, names in added.items():
                    zones = plan.zones.get(shard_id) or []
                    group.node_groups.append(
                        {
                            "node_group_id": shard_id,
                            "status": "available",
                            "node_group_members": [
                                _member(name, zones[n] if n < len(zones) else AWS_ZONES[min(n, 1)])
                                for n, name in enumerate(names)
                            ],
                        }
                    )
                gone = [m["cache_cluster_id"] for ng in removed for m in ng["node_group_members"]]
                group.node_groups = sorted(
                    (ng for ng in group.node_groups if ng["node_group_id"] not in plan.removed),
                    key=lambda ng: ng["node_group_id"],
                )
                for node_group in group.node_groups:
                    node_group["slots"] = format_slots(owned[node_group["node_group_id"]])
                self._drop_members(group, gone)
                self._record_members_created(group, new_members)
                if plan.added:
                    self._event(REPLICATION_GROUP, gid, Messages.node_groups_changed(gid, "add", plan.added))
                for (source, target), count in slot_moves.items():
                    self._event(REPLICATION_GROUP, gid, Messages.migrating_slots(source, target))
                    self._event(REPLICATION_GROUP, gid, Messages.moved_slots(count, source, target))
                if plan.removed:
                    self._event(REPLICATION_GROUP, gid, Messages.node_groups_changed(gid, "remove", plan.removed))
                    for name in gone:
                        self._event(CACHE_CLUSTER, name, Messages.cluster_deleted)

            def revert() -> None:
                self._drop_members(group, new_members)
                self._event(REPLICATION_GROUP, gid, Messages.resharding_failed(gid))

            self._change(group, apply, job, revert, progress=True)
            return group

    def _drop_members(self, group: Group, names: list[str]) -> None:
        for name in names:
            cluster = self.cache_clusters.pop(name, None)
            if cluster is not None:
                self._forget([cluster.arn])
        group.member_clusters = [m for m in group.member_clusters if m not in names]
        for node_group in group.node_groups:
            node_group["node_group_members"] = [
                m for m in node_group["node_group_members"] if m["cache_cluster_id"] not in names
            ]
        if group.snapshotting_cluster_id in names:
            group.snapshotting_cluster_id = group.member_clusters[min(1, len(group.member_clusters) - 1)]

    # --- replicas ---------------------------------------------------------------------

    def change_replicas(self, params: dict[str, Any], increase: bool) -> Group:
        """IncreaseReplicaCount / DecreaseReplicaCount, for both cluster modes."""
        with self.lock:
            group = self._group(params.get("ReplicationGroupId", ""))
            self._require_available(group)
            if not _true(params.get("ApplyImmediately")):
                raise InvalidParameterValueException("ApplyImmediately=False is not currently supported.")
            if group.cluster_mode == "compatible":
                raise InvalidParameterCombinationException(
                    "No other modification is allowed while the cluster mode is compatible: set ClusterMode to"
                    " enabled first."
                )
            targets, removing = replica_plan(group, params, increase)
            gid = group.replication_group_id
            self._set_status(group, "modifying")
            added: dict[str, list[str]] = {}
            zones: dict[str, list[str]] = {}
            for node_group in group.node_groups:
                shard_id = node_group["node_group_id"]
                members = node_group["node_group_members"]
                if shard_id not in targets or targets[shard_id] == len(members) - 1:
                    node_group["status"] = "available"
                    continue
                if increase:
                    taken = set(group.member_clusters)
                    prefix = f"{gid}-{shard_id}-" if group.cluster_enabled else f"{gid}-"
                    free = (f"{prefix}{n:03}" for n in range(1, 1000) if f"{prefix}{n:03}" not in taken)
                    added[shard_id] = [next(free) for _ in range(targets[shard_id] - (len(members) - 1))]
                    zones[shard_id] = _replica_zones(params, shard_id, len(members) - 1)
                elif shard_id not in removing:  # by count: the newest replicas go
                    removing[shard_id] = [m["cache_cluster_id"] for m in members[1:]][targets[shard_id] :]
            new_members = [name for names in added.values() for name in names]
            gone = [name for names in removing.values() for name in names]
            self._create_members(group, new_members, "creating")
            self._copy_group_tags(group, new_members)  # "new clusters ... have the same tags as the group"
            group.member_clusters = sorted([*group.member_clusters, *new_members])
            for name in gone:
                self.cache_clusters[name].cache_cluster_status = "deleting"
            kind = "Increase" if increase else "Decrease"
            self._event(REPLICATION_GROUP, gid, lambda when: Messages.replicas(kind, "started", gid, when))
            job = None
            if self.data_plane is not None:
                if increase:
                    job = self.data_plane.add_replicas(gid, added)
                else:
                    job = self.data_plane.remove_replicas(gid, gone)

            def apply() -> None:
                for node_group in group.node_groups:
                    shard_id = node_group["node_group_id"]
                    for n, name in enumerate(added.get(shard_id, [])):
                        member = _member(name, zones[shard_id][n] if n < len(zones[shard_id]) else AWS_ZONES[1])
                        if not group.cluster_enabled:
                            member["current_role"] = "replica"
                            member["read_endpoint"] = {"address": self._read_address(group, name), "port": group.port}
                        node_group["node_group_members"].append(member)
                self._drop_members(group, gone)
                self._record_members_created(group, new_members)
                for name in gone:
                    self._event(CACHE_CLUSTER, name, Messages.cluster_deleted)
                self._event(REPLICATION_GROUP, gid, lambda when: Messages.replicas(kind, "completed", gid, when))

            def revert() -> None:
                self._drop_members(group, new_members)
                self._event(REPLICATION_GROUP, gid, lambda when: Messages.replicas(kind, "failed", gid, when))

            self._change(group, apply, job, revert)
            return group

    def _read_address(self, group: Group, name: str) -> str:
        if self.data_plane is not None:
            return self.data_plane.node_ip(group.replication_group_id, name)
        domain = group.node_groups[0]["primary_endpoint_address"].split(".", 1)[1]  # master.<domain>, as moto names it
        return f"{name}.{domain}"

    # --- reboot -------------------------------------------------------------------------

    def reboot_cluster(self, params: dict[str, Any]) -> Cluster:
        """RebootCacheCluster: the node restarts with every parameter of its group in force (the data
        plane's server comes back empty, as AWS says a reboot loses the node's data); refused for cluster
        mode enabled (and compatible) groups, as AWS documents."""
        node_ids = _id_list(params.get("CacheNodeIdsToReboot"))
        with self.lock:
            self.advance()
            cluster = self._cache_cluster(str(params.get("CacheClusterId") or ""))
            name = cluster.cache_cluster_id
            if not node_ids:
                raise InvalidParameterValueException("CacheNodeIdsToReboot must name at least one cache node.")
            unknown = [n for n in node_ids if n != "0001"]
            if unknown:
                raise InvalidParameterValueException(f"Cache node {unknown[0]} is not a node of cache cluster {name}.")
            group = self._groups.get(getattr(cluster, "replication_group_id", None) or "")
            if group is not None and group.cluster_mode != "disabled":
                raise InvalidParameterCombinationException(
                    "Rebooting is not supported on Valkey or Redis OSS (cluster mode enabled) clusters."
                )
            status = cluster.cache_cluster_status if group is None else group.status
            if status != "available":
                raise InvalidCacheClusterState(
                    f"Cache cluster {name} is {status}; only an available cache cluster can be rebooted."
                )
            job = None
            if (
                group is not None
                and self.data_plane is not None
                and group.replication_group_id in self.data_plane.groups
            ):
                settings = self._server_settings(cluster.cache_parameter_group_name)
                job = self.data_plane.reboot(group.replication_group_id, [name], settings)

            def finish() -> None:
                self._attach(cluster, cluster.cache_parameter_group_name)
                cluster.cache_cluster_status = "available"
                self._event(CACHE_CLUSTER, name, "Cache node 0001 restarted")

            due = time.monotonic() + TIMINGS.modify_seconds
            if group is None:
                self.snapshot_transitions[f"reboot {name}"] = Transition(due, None, finish)
            else:  # the group is modifying meanwhile: no other change runs during the reboot
                self._set_status(group, "modifying")
                self.transitions[group.replication_group_id] = Transition(
                    due, "available", finish, ready=job.done.is_set if job is not None else lambda: True
                )
            cluster.cache_cluster_status = REBOOTING
            self._show_member(cluster)
            return cluster

    # --- snapshots ----------------------------------------------------------------------

    def take_snapshot(self, params: dict[str, Any]) -> Snap:
        """CreateSnapshot of a replication group or of one cache cluster (a node)."""
        name = snapshot_name(params.get("SnapshotName"))
        group_id, cluster_id = params.get("ReplicationGroupId"), params.get("CacheClusterId")
        if group_id and cluster_id:
            raise InvalidParameterCombinationException("Only one of ReplicationGroupId or CacheClusterId can be given.")
        if not group_id and not cluster_id:
            raise InvalidParameterValueException("One of ReplicationGroupId or CacheClusterId must be given.")
        tags = list(params.get("Tags") or [])
        _validate_tags(tags)
        with self.lock:
            self.advance()
            member: Cluster | None = None
            if cluster_id:
                member = self._cache_cluster(cluster_id)
                group = self._groups.get(getattr(member, "replication_group_id", None) or "")
                node_type = member.cache_node_type
            else:
                group = self._group(str(group_id))
                node_type = group.cache_node_type
            if name in self.snapshots:
                raise SnapshotAlreadyExists(name)
            if member is not None and group is not None and group.cluster_enabled:
                raise SnapshotFeatureNotSupported(
                    f"Cache cluster {member.cache_cluster_id} belongs to cluster mode enabled replication group"
                    f" {group.replication_group_id}, which can be backed up only as a whole: use ReplicationGroupId."
                )
            if node_type == "cache.t1.micro" and not (group is not None and group.cluster_enabled):
                raise SnapshotFeatureNotSupported("Backups are not supported on cache.t1.micro nodes.")
            if member is not None and member.cache_cluster_status != "available":
                raise InvalidCacheClusterState(
                    f"Cache cluster {member.cache_cluster_id} is {member.cache_cluster_status}; a snapshot can be"
                    " taken only of an available cache cluster."
                )
            if group is not None and group.status != "available":
                raise InvalidReplicationGroupState(
                    f"Replication group {group.replication_group_id} is {group.status}; a snapshot can be taken"
                    " only of an available replication group."
                )
            if member is not None:
                if self.snapshot_quota.left(member.cache_cluster_id) <= 0:
                    raise SnapshotQuotaExceeded(
                        f"Cache cluster {member.cache_cluster_id} has reached the maximum of"
                        f" {MANUAL_BACKUPS_PER_NODE} manual snapshots in 24 hours."
                    )
                sources = [member.cache_cluster_id]
            else:
                assert group is not None
                shards = [
                    (ng["node_group_id"], [m["cache_cluster_id"] for m in ng["node_group_members"]])
                    for ng in group.node_groups
                ]
                preferred = None if group.cluster_enabled else group.snapshotting_cluster_id
                sources = pick_sources(shards, self.snapshot_quota, preferred)
            snap = self._new_snapshot(name, group, member, sources, params.get("KmsKeyId"), tags)
            failed = (SNAPSHOT_OUTCOMES.pop(0) if SNAPSHOT_OUTCOMES else "") == "failed"
            job = None if failed else self._write_snapshot(snap, group, sources)
            kind, source_id = (
                ("cache cluster", member.cache_cluster_id)
                if member is not None
                else ("replication group", snap.replication_group_id or "")
            )

            def finish() -> None:
                self._settle_snapshot(snap, job, failed, sources, kind, source_id)

            if group is None:  # a cache cluster of its own: the stand-in serves it no data
                self.snapshot_transitions[name] = Transition(time.monotonic() + TIMINGS.snapshot_seconds, None, finish)
            else:
                # "During the backup process, you can't run any other API or CLI operations on the cluster."
                self._set_status(group, "snapshotting")
                self.transitions[group.replication_group_id] = Transition(
                    time.monotonic() + TIMINGS.snapshot_seconds,
                    "available",
                    finish,
                    ready=job.done.is_set if job is not None else lambda: True,
                )
            return snap

    def _cache_cluster(self, cluster_id: str) -> Cluster:
        cluster = self.cache_clusters.get(cluster_id) or self.cache_clusters.get(cluster_id.lower())
        if cluster is None:
            raise CacheClusterNotFound(cluster_id)
        return cast(Cluster, cluster)

    def _new_snapshot(
        self,
        name: str,
        group: Group | None,
        member: Cluster | None,
        sources: list[str],
        kms_key_id: str | None,
        tags: list[dict[str, str]],
    ) -> Snap:
        """A snapshot `creating` of a group (sources: the node read per shard) or of one member."""
        resource: Any = group if group is not None else member
        assert resource is not None
        snap = cast(
            Snap,
            moto_models.Snapshot(
                account_id=self.account_id,
                region_name=self.region_name,
                automatic_failover=getattr(group, "automatic_failover", None),
                auto_minor_version_upgrade=getattr(resource, "auto_minor_version_upgrade", None),
                cache_cluster_create_time=getattr(member, "cache_cluster_create_time", None),
                cache_cluster_id=member.cache_cluster_id if member is not None else None,
                cache_node_type=resource.cache_node_type,
                cache_parameter_group_name=getattr(resource, "cache_parameter_group_name", None),
                cache_subnet_group_name=getattr(resource, "cache_subnet_group_name", None),
                engine=resource.engine,
                engine_version=resource.engine_version,
                kms_key_id=kms_key_id,
                num_cache_nodes=1 if member is not None else None,
                num_node_groups=len(sources),
                port=resource.port,
                preferred_availability_zone=getattr(member, "preferred_availability_zone", None),
                preferred_maintenance_window=getattr(resource, "preferred_maintenance_window", None),
                preferred_outpost_arn=None,
                replication_group_description=getattr(group, "description", None),
                replication_group_id=group.replication_group_id if group is not None else None,
                snapshot_name=name,
                snapshot_retention_limit=getattr(resource, "snapshot_retention_limit", None),
                snapshot_source="manual",
                snapshot_status="creating",
                snapshot_window=getattr(resource, "snapshot_window", None),
                topic_arn=getattr(resource, "notification_topic_arn", None),
                tags=tags,
            ),
        )
        sharded = group is not None and group.cluster_enabled
        snap.cluster_enabled = sharded
        snap.data_tiering = "enabled" if data_tiering(resource.cache_node_type) else "disabled"
        snap.slots, snap.files, snap.node_snapshots, snap.node_group_configs = [], [], [], []
        for source in sources:
            node_group = self._node_group_of(group, source) if group is not None else None
            members = node_group["node_group_members"] if node_group is not None else []
            cluster = self.cache_clusters.get(source)
            snap.node_snapshots.append(
                {
                    "CacheClusterId": source,
                    "NodeGroupId": node_group["node_group_id"] if node_group is not None else "0001",
                    "CacheNodeId": "0001",
                    "CacheSize": cache_size(None),
                    "CacheNodeCreateTime": getattr(cluster, "cache_cluster_create_time", None),
                }
            )
            config: dict[str, Any] = {
                "NodeGroupId": node_group["node_group_id"] if node_group is not None else "0001",
                "ReplicaCount": max(0, len(members) - 1),
                "PrimaryAvailabilityZone": (members[0].get("preferred_availability_zone") if members else None)
                or getattr(member, "preferred_availability_zone", None)
                or AWS_ZONES[0],
                "ReplicaAvailabilityZones": [m.get("preferred_availability_zone") or AWS_ZONES[1] for m in members[1:]],
            }
            if sharded and node_group is not None:
                snap.slots.append(parse_slots(node_group.get("slots")))
                config["Slots"] = node_group.get("slots")
            snap.node_group_configs.append(config)
        if tags:
            self.tagging_service.tag_resource(snap.arn, tags)
            self.ever_tagged.add(snap.arn)
        for source in sources:
            self.snapshot_quota.take(source)
        self.snapshots[name] = snap
        return snap

    @staticmethod
    def _node_group_of(group: Group, member: str) -> dict[str, Any]:
        return next(
            ng for ng in group.node_groups if any(m["cache_cluster_id"] == member for m in ng["node_group_members"])
        )

    def _write_snapshot(self, snap: Snap, group: Group | None, sources: list[str]) -> SnapshotJob | None:
        """With a data plane, the servers write the snapshot's RDB files (one per node group)."""
        if self.data_plane is None or group is None:
            return None
        shards = [(n["NodeGroupId"], source) for n, source in zip(snap.node_snapshots, sources, strict=True)]
        directory = self.data_plane.snapshot_directory(snap.snapshot_name or "")
        return self.data_plane.snapshot(group.replication_group_id, shards, directory)

    def _settle_snapshot(
        self, snap: Snap, job: SnapshotJob | None, failed: bool, sources: list[str], kind: str, source_id: str
    ) -> None:
        """The snapshot is taken (its files written, with a data plane) or failed; AWS records it on the
        cache clusters it was read from."""
        name = snap.snapshot_name or ""
        failed = failed or (job is not None and job.error is not None)
        now = utcnow()
        if failed:
            snap.snapshot_status = "failed"
            if self.data_plane is not None:
                shutil.rmtree(self.data_plane.snapshot_directory(name), ignore_errors=True)
        else:
            snap.snapshot_status = "available"
            for node in snap.node_snapshots:
                shard = node["NodeGroupId"]
                node["CacheSize"] = cache_size(job.sizes[shard] if job is not None else 0)
                node["SnapshotCreateTime"] = job.taken[shard] if job is not None else now
            if job is not None:
                snap.files = [str(job.files[node["NodeGroupId"]]) for node in snap.node_snapshots]
        for source in dict.fromkeys(sources):
            if failed:
                message = Messages.snapshot_failed(name, kind, source_id)
            elif kind == "cache cluster":
                message = Messages.cluster_snapshot_succeeded(name, source_id)
            else:
                message = Messages.snapshot_succeeded(name, source_id)
            self._event(CACHE_CLUSTER, source, message)

    def list_snapshots(self, params: dict[str, Any]) -> tuple[list[Snap], str | None]:
        """DescribeSnapshots: one page, by name, of the snapshots the filters select."""
        records = max_records(params.get("MaxRecords"), 20, 50, 50)
        name, source = params.get("SnapshotName"), params.get("SnapshotSource")
        group_id, cluster_id = params.get("ReplicationGroupId"), params.get("CacheClusterId")
        if source not in (None, "", "system", "user"):
            raise InvalidParameterValueException(
                f"Invalid value for SnapshotSource: {source}. Valid values are system and user."
            )
        if group_id and cluster_id:
            raise InvalidParameterCombinationException("Only one of ReplicationGroupId or CacheClusterId can be given.")
        self.advance()
        with self.lock:
            if name:
                snap = self._snapshots.get(name.lower())
                if snap is None:
                    raise SnapshotNotFound(f"Snapshot {name} not found.")
                found = [snap]
            else:
                found = list(self._snapshots.values())
            if group_id:
                found = [s for s in found if (s.replication_group_id or "") == group_id.lower()]
            if cluster_id:
                wanted = cluster_id.lower()
                found = [
                    s
                    for s in found
                    if s.cache_cluster_id == wanted or any(n["CacheClusterId"] == wanted for n in s.node_snapshots)
                ]
                if not found and wanted not in self.cache_clusters:
                    raise CacheClusterNotFound(cluster_id)
            if source:
                found = [s for s in found if s.snapshot_source == ("automated" if source == "system" else "manual")]
        return page_by_key(found, lambda s: s.snapshot_name or "", params.get("Marker"), records)

    def drop_snapshot(self, name: str) -> Snap:
        """DeleteSnapshot: `deleting`, then gone after delete_seconds, with its files."""
        self.advance()
        with self.lock:
            snap = self._snapshots.get((name or "").lower())
            if snap is None:
                raise SnapshotNotFound(f"Snapshot {name} not found.")
            if snap.snapshot_status not in ("available", "failed"):
                raise InvalidSnapshotState(
                    f"Snapshot {snap.snapshot_name} is {snap.snapshot_status}; only an available or failed snapshot"
                    " can be deleted."
                )
            snap.snapshot_status = "deleting"
            snapshot_id = snap.snapshot_name or ""

            def gone() -> None:
                self.snapshots.pop(snapshot_id, None)
                self._forget([snap.arn])
                if self.data_plane is not None:
                    shutil.rmtree(self.data_plane.snapshot_directory(snapshot_id), ignore_errors=True)

            self.snapshot_transitions[snapshot_id] = Transition(time.monotonic() + TIMINGS.delete_seconds, None, gone)
            return snap

    # --- failover -----------------------------------------------------------------------

    def test_failover(self, params: dict[str, Any]) -> Group:
        """TestFailover: a replica of the node group becomes its primary; the old primary's node is
        recovered as a replica. The group is `modifying` meanwhile, so a second test waits for the first."""
        shard_id = params.get("NodeGroupId") or ""
        with self.lock:
            group = self._group(params.get("ReplicationGroupId", ""))
            gid = group.replication_group_id
            if not NODE_GROUP_ID.match(shard_id):
                raise InvalidParameterValueException(
                    f"Invalid NodeGroupId {shard_id!r}: a node group id is 1 to 4 digits."
                )
            node_group = next((ng for ng in group.node_groups if ng["node_group_id"] == shard_id), None)
            if node_group is None:
                raise NodeGroupNotFound(f"Node group {shard_id} not found in replication group {gid}.")
            self._require_available(group)
            if group.automatic_failover != "enabled":
                raise TestFailoverNotAvailable(
                    f"Automatic failover is not enabled for replication group {gid}: there is nothing to test."
                )
            members = [m["cache_cluster_id"] for m in node_group["node_group_members"]]
            if len(members) < 2:
                raise TestFailoverNotAvailable(f"Node group {shard_id} of {gid} has no replica to fail over to.")
            if self.failover_quota.left("account") <= 0:
                raise APICallRateForCustomerExceeded(
                    f"TestFailover can be called on at most {TEST_FAILOVER_SHARDS} node groups in 24 hours."
                )
            self.failover_quota.take("account")
            old, new = members[0], members[1]
            self._set_status(group, "modifying")
            self._event(REPLICATION_GROUP, gid, Messages.test_failover_called(shard_id))
            job: FailoverJob | None = None
            if self.data_plane is not None:
                job = self.data_plane.failover(gid, shard_id, new)
            half = TIMINGS.modify_seconds / 2

            def recovered() -> None:
                if job is not None and job.error:  # promoted, but the old primary did not come back
                    self._event(REPLICATION_GROUP, gid, Messages.test_failover_failed(shard_id))
                else:
                    self._event(CACHE_CLUSTER, old, Messages.recovered_nodes("0001"))

            def failed_over() -> None:
                if job is not None and not job.promoted.is_set():  # the data plane could not promote it
                    self._event(REPLICATION_GROUP, gid, Messages.test_failover_failed(shard_id))
                    self.transitions[gid] = Transition(time.monotonic(), "available")
                    return
                by_name = {m["cache_cluster_id"]: m for m in node_group["node_group_members"]}
                order = [new, *(m for m in members if m not in (old, new)), old]
                node_group["node_group_members"] = [by_name[m] for m in order]
                if not group.cluster_enabled:  # CurrentRole is reported for cluster mode disabled only
                    for member in node_group["node_group_members"]:
                        member["current_role"] = "primary" if member["cache_cluster_id"] == new else "replica"
                self._event(CACHE_CLUSTER, old, Messages.failover_completed(old, new))
                self._event(REPLICATION_GROUP, gid, Messages.failover_completed(old, new))
                self._event(CACHE_CLUSTER, old, Messages.recovering_nodes("0001"))
                self.transitions[gid] = Transition(
                    time.monotonic() + half,
                    "available",
                    recovered,
                    ready=job.done.is_set if job is not None else lambda: True,
                )

            self.transitions[gid] = Transition(
                time.monotonic() + half,
                "modifying",
                failed_over,
                ready=(lambda: job.promoted.is_set() or job.done.is_set()) if job is not None else lambda: True,
            )
            return group

    # --- delete -----------------------------------------------------------------------

    def delete_group(self, group_id: str, final_snapshot: str | None) -> Group:
        with self.lock:
            group = self._group(group_id)
            if group.status not in ("available", "create-failed"):
                raise InvalidReplicationGroupState(
                    f"Replication group {group.replication_group_id} is {group.status}; it can be deleted"
                    " only when available"
                )
            finish: Callable[[], None] = lambda: None
            ready: Callable[[], bool] = lambda: True
            seconds = TIMINGS.delete_seconds
            if final_snapshot:
                finish, ready = self._final_snapshot(group, final_snapshot)
                seconds = max(seconds, TIMINGS.snapshot_seconds)
            group.deleted_from = group.status
            self._set_status(group, "deleting")
            self.transitions[group.replication_group_id] = Transition(time.monotonic() + seconds, None, finish, ready)
            return group

    def _final_snapshot(self, group: Group, name: str) -> tuple[Callable[[], None], Callable[[], bool]]:
        """DeleteReplicationGroup's FinalSnapshotIdentifier: "ElastiCache creates the snapshot from the
        primary node in the cluster, rather than one of the replicas", then deletes the group."""
        name = snapshot_name(name, "FinalSnapshotIdentifier")
        if name in self.snapshots:
            raise SnapshotAlreadyExists(name)
        if group.status != "available":
            raise InvalidReplicationGroupState(
                f"Replication group {group.replication_group_id} is {group.status}; a final snapshot can be taken"
                " only of an available replication group."
            )
        primaries = [ng["node_group_members"][0]["cache_cluster_id"] for ng in group.node_groups]
        spent = [p for p in primaries if self.snapshot_quota.left(p) <= 0]
        if spent:
            raise SnapshotQuotaExceeded(
                f"Cache cluster {spent[0]} has reached the maximum of {MANUAL_BACKUPS_PER_NODE} manual snapshots in"
                " 24 hours."
            )
        snap = self._new_snapshot(name, group, None, primaries, None, [])
        job = self._write_snapshot(snap, group, primaries)
        gid = group.replication_group_id

        def finish() -> None:
            self._settle_snapshot(snap, job, False, primaries, "replication group", gid)

        return finish, job.done.is_set if job is not None else lambda: True


def _joined(jobs: list[Job]) -> Job | None:
    """One job done when all of these are; its error, the first of theirs."""
    if len(jobs) <= 1:
        return jobs[0] if jobs else None
    joined = Job()

    def wait() -> None:
        for job in jobs:
            job.done.wait()
        joined.error = next((job.error for job in jobs if job.error), None)
        joined.done.set()

    threading.Thread(target=wait, name="joined data plane jobs", daemon=True).start()
    return joined


def _member(name: str, zone: str) -> dict[str, Any]:
    return {"cache_cluster_id": name, "cache_node_id": "0001", "preferred_availability_zone": zone}


def _replica_zones(params: dict[str, Any], shard_id: str, existing_replicas: int) -> list[str]:
    """The zones asked for the new replicas (PreferredAvailabilityZones lists the primary first)."""
    for config in params.get("ReplicaConfiguration") or []:
        if config.get("NodeGroupId") == shard_id:
            return list(config.get("PreferredAvailabilityZones") or [])[1 + existing_replicas :]
    return []


def _validate_tags(tags: list[dict[str, str]]) -> None:
    if len(tags) > 50:
        raise InvalidParameterValueException("A resource may carry at most 50 tags.")
    for tag in tags:
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if not 1 <= len(key) <= 128 or len(value) > 256 or key.lower().startswith("aws:"):
            raise InvalidParameterValueException(f"Invalid tag: {key!r}.")
        if not all(ch.isalnum() or ch in " _.:/=+-@" for ch in key + value):
            # AWS's tagging rules: Unicode letters, digits, white space and _ . : / = + - @
            raise InvalidParameterValueException(f"Tag {key!r} contains characters that are not allowed.")


def validate_create(kw: dict[str, Any]) -> None:
    """CreateReplicationGroup's documented constraints, with AWS's error codes."""
    group_id = kw.get("replication_group_id") or ""
    if not GROUP_ID.match(group_id):
        raise InvalidParameterValueException(
            "Replication group id must begin with a letter, contain only ASCII letters, digits and hyphens,"
            " be 1 to 40 characters, and contain no two consecutive hyphens nor end with one."
        )
    token = kw.get("auth_token")
    if token is not None:
        if not kw.get("transit_encryption_enabled"):
            raise InvalidParameterCombinationException(
                "The AUTH token is only supported when encryption in-transit is enabled"
            )
        _validate_token(token)
    failover = bool(kw.get("automatic_failover_enabled"))
    clusters = kw.get("num_cache_clusters")
    if clusters is not None and not 1 <= clusters <= 6:
        raise InvalidParameterValueException("NumCacheClusters must be between 1 and 6.")
    if failover and clusters is not None and clusters < 2:
        raise InvalidParameterCombinationException(
            "Automatic failover requires at least 2 cache clusters (a primary and a replica)."
        )
    replicas = kw.get("replicas_per_node_group")
    if replicas is not None and not 0 <= replicas <= MAX_REPLICAS:
        raise InvalidParameterValueException("ReplicasPerNodeGroup must be between 0 and 5.")
    shards = kw.get("num_node_groups")
    if shards is not None and not 1 <= shards <= 500:
        raise InvalidParameterValueException("NumNodeGroups must be between 1 and 500.")
    cluster_mode = (kw.get("cache_parameter_group_name") or "").endswith(".cluster.on") or (shards or 1) > 1
    if cluster_mode and not failover:
        raise InvalidParameterCombinationException(
            "Automatic failover must be enabled for Redis (cluster mode enabled) replication groups."
        )
    retention = kw.get("snapshot_retention_limit")
    if retention is not None and not 0 <= retention <= 35:
        raise InvalidParameterValueException("SnapshotRetentionLimit must be between 0 and 35.")
    _validate_tags(list(kw.get("tags") or []))
    engine = kw.get("engine") or "redis"
    for config in kw.get("log_delivery_configurations") or []:
        if config.get("Enabled") is None or _true(config.get("Enabled")):
            _validate_log_config(engine, full_version(engine, kw.get("engine_version")), config)


def _validate_token(token: str) -> None:
    if not AUTH_TOKEN.match(token):
        raise InvalidParameterValueException(
            "Invalid AuthToken provided. Must be 16 to 128 printable characters; the only special characters"
            " allowed are !, &, #, $, ^, <, >, and -."
        )


def _maintenance_minutes(window: str) -> tuple[int, int]:
    """A maintenance window as (start, length) in minutes of the week, checked as AWS states it."""
    match = MAINTENANCE_WINDOW.match(window.lower())
    if match is None or match[1] not in DAYS or match[4] not in DAYS:
        raise InvalidParameterValueException(
            f"Invalid PreferredMaintenanceWindow {window!r}: the format is ddd:hh24:mi-ddd:hh24:mi (UTC), for"
            " example sun:23:00-mon:01:30."
        )
    start = DAYS.index(match[1]) * 1440 + int(match[2]) * 60 + int(match[3])
    end = DAYS.index(match[4]) * 1440 + int(match[5]) * 60 + int(match[6])
    length = (end - start) % (7 * 1440)
    if length < 60:
        raise InvalidParameterValueException("The maintenance window must be at least 60 minutes.")
    return start, length


def _snapshot_minutes(window: str) -> tuple[int, int]:
    """A snapshot window as (start, length) in minutes of the day, checked as AWS states it."""
    match = SNAPSHOT_WINDOW.match(window)
    if match is None:
        raise InvalidParameterValueException(
            f"Invalid SnapshotWindow {window!r}: the format is hh24:mi-hh24:mi (UTC), for example 05:00-09:00."
        )
    start = int(match[1]) * 60 + int(match[2])
    length = (int(match[3]) * 60 + int(match[4]) - start) % 1440
    if length < 60:
        raise InvalidParameterValueException("The snapshot window must be at least 60 minutes.")
    return start, length


def _check_windows(maintenance: str, snapshot: str) -> None:
    """The daily snapshot window must not overlap the weekly maintenance window."""
    m_start, m_length = _maintenance_minutes(maintenance)
    s_start, s_length = _snapshot_minutes(snapshot)
    week = 7 * 1440
    for day in range(7):
        start = day * 1440 + s_start
        offset = (start - m_start) % week  # where this day's snapshot window starts, from the maintenance start
        if offset < m_length or (m_start - start) % week < s_length:
            raise InvalidParameterCombinationException(
                f"The snapshot window {snapshot} overlaps the maintenance window {maintenance}."
            )


def default_windows(group_id: str) -> tuple[str, str]:
    """AWS picks a 60-minute maintenance window on a random day, and a snapshot window, within the
    Region's 8-hour block (us-east-1: 03:00-11:00 UTC); the stand-in picks them from the group's id, so
    they are repeatable, and never overlapping."""
    seed = sum(group_id.encode())
    day, hour = DAYS[seed % 7], 3 + seed % 8
    snapshot_hour = 3 + (seed + 4) % 8
    maintenance = f"{day}:{hour:02}:00-{day}:{hour + 1:02}:00"
    return maintenance, f"{snapshot_hour:02}:00-{snapshot_hour + 1:02}:00"


def create_windows(kw: dict[str, Any]) -> tuple[str, str]:
    """CreateReplicationGroup's PreferredMaintenanceWindow and SnapshotWindow, checked, AWS's choice where unset;
    NotificationTopicArn checked."""
    maintenance, snapshot = default_windows(kw["replication_group_id"])
    maintenance = (kw.get("preferred_maintenance_window") or maintenance).lower()
    snapshot = kw.get("snapshot_window") or snapshot
    if kw.get("preferred_maintenance_window") and not kw.get("snapshot_window"):
        # AWS's snapshot window keeps clear of a maintenance window one chose.
        _, length = _maintenance_minutes(maintenance)
        for hour in range(24):
            candidate = f"{hour:02}:00-{(hour + 1) % 24:02}:00"
            try:
                _check_windows(maintenance, candidate)
                snapshot = candidate
                break
            except InvalidParameterCombinationException:
                continue
    _check_windows(maintenance, snapshot)
    _check_topic(kw.get("notification_topic_arn"))
    return maintenance, snapshot


def _check_topic(arn: str | None) -> None:
    if arn and not TOPIC_ARN.match(arn):
        raise InvalidParameterValueException(f"Invalid NotificationTopicArn {arn!r}: an SNS topic ARN is expected.")


def window_changes(group: Group, params: dict[str, Any]) -> dict[str, Any]:
    """ModifyReplicationGroup's windows, minor upgrades and notification topic that differ from the group's."""
    changes: dict[str, Any] = {}
    maintenance = (params.get("PreferredMaintenanceWindow") or "").lower()
    snapshot = params.get("SnapshotWindow") or ""
    if maintenance or snapshot:
        _check_windows(maintenance or str(group.preferred_maintenance_window), snapshot or str(group.snapshot_window))
    if maintenance and maintenance != group.preferred_maintenance_window:
        changes["preferred_maintenance_window"] = maintenance
    if snapshot and snapshot != group.snapshot_window:
        changes["snapshot_window"] = snapshot
    upgrades = params.get("AutoMinorVersionUpgrade")
    if upgrades is not None and _true(upgrades) != bool(group.auto_minor_version_upgrade):
        changes["auto_minor_version_upgrade"] = _true(upgrades)
    topic = params.get("NotificationTopicArn")
    if topic:
        _check_topic(topic)
        if topic != group.notification_topic_arn:
            changes["notification_topic_arn"] = topic
    status = params.get("NotificationTopicStatus")
    if status:
        if status not in ("active", "inactive"):
            raise InvalidParameterValueException(
                f"Invalid NotificationTopicStatus {status!r}: must be active or inactive."
            )
        if status != getattr(group, "notification_topic_status", "active"):
            changes["notification_topic_status"] = status
    return changes


def modification_changes(group: Group, params: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    node_type = params.get("CacheNodeType")
    if node_type and node_type != group.cache_node_type:
        changes["cache_node_type"] = node_type
    retention = params.get("SnapshotRetentionLimit")
    if retention is not None:
        retention = int(retention)
        if not 0 <= retention <= 35:
            raise InvalidParameterValueException("SnapshotRetentionLimit must be between 0 and 35.")
        if retention != group.snapshot_retention_limit:
            changes["snapshot_retention_limit"] = retention
    failover = params.get("AutomaticFailoverEnabled")
    if failover is not None:
        failover = _true(failover)
        if group.cluster_enabled and not failover:
            raise InvalidParameterCombinationException(
                "Automatic failover cannot be disabled for Redis (cluster mode enabled) replication groups."
            )
        if failover and len(group.member_clusters) < 2:
            raise InvalidParameterCombinationException("Automatic failover requires at least one replica.")
        if ("enabled" if failover else "disabled") != group.automatic_failover:
            changes["automatic_failover"] = "enabled" if failover else "disabled"
    description = params.get("ReplicationGroupDescription")
    if description and description != group.description:
        changes["description"] = description
    security_groups = _id_list(params.get("SecurityGroupIds"))
    if security_groups:
        unknown = [i for i in security_groups if not _security_group_exists(group, i)]
        if unknown:
            raise InvalidParameterValueException(f"Some security group Id(s) are not valid: {', '.join(unknown)}")
        if sorted(security_groups) != sorted(group.security_group_ids or []):
            changes["security_group_ids"] = security_groups
    return changes


def _id_list(value: Any) -> list[str]:
    """A list parameter as moto's query parsing hands it over (a list, or a dict of member lists)."""
    if isinstance(value, dict):
        value = next(iter(value.values()), [])
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value or []]


def _security_group_exists(group: Group, group_id: str) -> bool:
    """Whether the EC2 side of this same stand-in (moto's EC2) knows the security group."""
    from moto.ec2.models import ec2_backends

    _, _, _, region, account, _ = group.arn.split(":", 5)  # moto's group keeps both only in its ARN
    try:
        return ec2_backends[account][region].get_security_group_from_id(group_id) is not None
    except Exception:  # noqa: BLE001 - moto raises its own not-found types
        return False


def auth_token_change(group: Group, params: dict[str, Any]) -> tuple[str, list[str]] | None:
    """ModifyReplicationGroup's AuthToken + AuthTokenUpdateStrategy: (the pending status, the tokens
    valid afterwards), or None for no change. ROTATE keeps the previous token valid (at most two;
    a group without a token keeps accepting no password), SET, allowed only after ROTATE and with
    the token it added, leaves that token alone; DELETE is only for moving to RBAC."""
    token, strategy = params.get("AuthToken"), params.get("AuthTokenUpdateStrategy")
    if token is None and strategy is None:
        return None
    strategy = strategy or "ROTATE"  # AWS's default when only AuthToken is given
    if strategy not in ("ROTATE", "SET", "DELETE"):
        raise InvalidParameterValueException(
            f"Invalid AuthTokenUpdateStrategy {strategy!r}: must be one of SET, ROTATE, DELETE."
        )
    if strategy == "DELETE":
        if token is not None:
            raise InvalidParameterCombinationException(
                "AuthToken cannot be specified with AuthTokenUpdateStrategy DELETE."
            )
        user_groups = params.get("UserGroupIdsToAdd") or []
        if not user_groups:
            raise InvalidParameterCombinationException(
                "The AUTH token can be deleted only when moving the replication group to RBAC: specify"
                " UserGroupIdsToAdd."
            )
        raise UserGroupNotFound(f"User group {user_groups[0]} not found.")  # the stand-in keeps no user groups
    if token is None:
        raise InvalidParameterCombinationException(
            f"AuthToken must be specified with AuthTokenUpdateStrategy {strategy}."
        )
    if not group.transit_encryption_enabled:
        raise InvalidParameterCombinationException(
            "The AUTH token is only supported when encryption in-transit is enabled"
        )
    if not _true(params.get("ApplyImmediately")):
        raise InvalidParameterCombinationException("Modifying the AUTH token requires ApplyImmediately to be true.")
    _validate_token(token)
    tokens: list[str] = list(group.auth_tokens)
    if strategy == "ROTATE":
        if tokens and tokens[-1] == token:
            return None
        kept = [t for t in tokens if t != token] or [""]  # no token yet: no password keeps working too
        return "ROTATING", [*kept, token][-2:]
    if len(tokens) < 2:
        raise InvalidParameterCombinationException(
            "AuthTokenUpdateStrategy SET is allowed only after ROTATE: the replication group has no rotated"
            " AUTH token to keep."
        )
    if token != tokens[-1]:
        raise InvalidParameterValueException(
            "With AuthTokenUpdateStrategy SET, AuthToken must be the token added by the last ROTATE."
        )
    return "SETTING", [token]


def _log_config(request: dict[str, Any]) -> dict[str, Any]:
    """A log delivery as DescribeReplicationGroups reports it (without its status)."""
    destination = request.get("DestinationType")
    details_key, _ = LOG_DESTINATIONS.get(destination or "", ("", ""))
    details = (request.get("DestinationDetails") or {}).get(details_key) or {}
    return {
        "LogType": request.get("LogType"),
        "DestinationType": destination,
        "DestinationDetails": {details_key: dict(details)} if details_key else {},
        "LogFormat": request.get("LogFormat"),
    }


def _validate_log_config(engine: str, version: str, request: dict[str, Any]) -> None:
    log_type = request.get("LogType")
    if log_type not in ("slow-log", "engine-log"):
        raise InvalidParameterValueException(f"Invalid LogType {log_type!r}: must be slow-log or engine-log.")
    minimum = LOG_DELIVERY_MIN_VERSION.get((engine, log_type))
    if minimum is not None and _version_tuple(version)[:2] < minimum:
        raise InvalidParameterValueException(
            f"{log_type} log delivery is not available for this {engine} engine version."
        )
    destination = request.get("DestinationType")
    if destination not in LOG_DESTINATIONS:
        raise InvalidParameterValueException(
            f"Invalid DestinationType {destination!r}: must be cloudwatch-logs or kinesis-firehose."
        )
    details_key, name_key = LOG_DESTINATIONS[destination]
    if not ((request.get("DestinationDetails") or {}).get(details_key) or {}).get(name_key):
        raise InvalidParameterValueException(
            f"DestinationDetails.{details_key}.{name_key} is required for DestinationType {destination}."
        )
    if request.get("LogFormat") not in ("text", "json"):
        raise InvalidParameterValueException(f"Invalid LogFormat {request.get('LogFormat')!r}: must be text or json.")


def log_delivery_changes(group: Group, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """ModifyReplicationGroup's LogDeliveryConfigurations: (log type, enable|modify|disable, the new
    delivery) for each one that changes."""
    requests = params.get("LogDeliveryConfigurations") or []
    changes: list[tuple[str, str, dict[str, Any]]] = []
    seen: set[str] = set()
    for request in requests:
        log_type = request.get("LogType")
        if log_type not in ("slow-log", "engine-log"):
            raise InvalidParameterValueException(f"Invalid LogType {log_type!r}: must be slow-log or engine-log.")
        if log_type in seen:
            raise InvalidParameterCombinationException(f"LogDeliveryConfigurations names {log_type} more than once.")
        seen.add(log_type)
        existing = next((c for c in group.log_delivery_configurations if c.get("LogType") == log_type), None)
        if request.get("Enabled") is not None and not _true(request.get("Enabled")):
            if existing is not None:
                changes.append((log_type, "disable", {"LogType": log_type}))
            continue
        _validate_log_config(group.engine, group.engine_version, request)
        wanted = _log_config(request)
        if existing is None:
            changes.append((log_type, "enable", wanted))
        elif existing.get("Status") == "error" or {k: existing.get(k) for k in wanted} != wanted:
            changes.append((log_type, "modify", wanted))  # a delivery that ended in error is asked for again
    if changes and not _true(params.get("ApplyImmediately")):
        raise InvalidParameterCombinationException("Modifying log delivery requires ApplyImmediately to be true.")
    return changes


def _log_entry(group: Group, log_type: str) -> dict[str, Any]:
    return next(c for c in group.log_delivery_configurations if c.get("LogType") == log_type)


def _pending_log_config(kind: str, new: dict[str, Any]) -> dict[str, Any]:
    return {"LogType": new["LogType"]} if kind == "disable" else dict(new)


@dataclass
class ShardPlan:
    keep: list[str]  # the node groups that hold the slots afterwards
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    zones: dict[str, list[str]] = field(default_factory=dict)


def shard_plan(group: Group, params: dict[str, Any]) -> ShardPlan:
    """What ModifyReplicationGroupShardConfiguration asks, checked as AWS checks it."""
    count = int(params.get("NodeGroupCount") or 0)
    remove = list(params.get("NodeGroupsToRemove") or [])
    retain = list(params.get("NodeGroupsToRetain") or [])
    layout = list(params.get("ReshardingConfiguration") or [])
    current = [ng["node_group_id"] for ng in group.node_groups]
    if count < 1:
        raise InvalidParameterValueException(
            "NodeGroupCount must be at least 1: to remove every shard, delete the replication group."
        )
    quota = 500 if _version_tuple(group.engine_version) >= (5, 0, 6) else 90
    if count > quota:
        raise NodeGroupsPerReplicationGroupQuotaExceeded(
            f"A replication group can have at most {quota} node groups (shards); {count} were requested."
        )
    if remove and retain:
        raise InvalidParameterCombinationException("Specify either NodeGroupsToRemove or NodeGroupsToRetain, not both.")
    if layout and count <= len(current):
        raise InvalidParameterCombinationException(
            "ReshardingConfiguration can be specified only if NodeGroupCount is greater than the current number"
            " of node groups."
        )
    if (remove or retain) and count >= len(current):
        raise InvalidParameterCombinationException(
            "NodeGroupsToRemove and NodeGroupsToRetain can be specified only if NodeGroupCount is less than the"
            " current number of node groups."
        )
    if count > len(current):
        new = count - len(current)
        if len(layout) not in (0, new, count):
            raise InvalidParameterValueException(
                f"ReshardingConfiguration has {len(layout)} entries; expected one per node group ({count}) or per"
                f" new node group ({new})."
            )
        free = (f"{n:04}" for n in range(1, 10000) if f"{n:04}" not in current)
        added = [next(free) for _ in range(new)]
        entries = layout[-new:] if layout else []
        zones = {
            shard_id: list(e.get("PreferredAvailabilityZones") or [])
            for shard_id, e in zip(added, entries, strict=False)
        }
        return ShardPlan(current + added, added=added, zones=zones)
    if count < len(current):
        named = remove or retain
        if not named:
            raise InvalidParameterCombinationException(
                "Either NodeGroupsToRemove or NodeGroupsToRetain is required when NodeGroupCount is less than the"
                " current number of node groups."
            )
        unknown = [n for n in named if n not in current]
        if unknown:
            raise InvalidParameterValueException(
                f"Node group(s) {', '.join(unknown)} not found in replication group {group.replication_group_id}."
            )
        if len(set(named)) != len(named):
            raise InvalidParameterValueException("A node group is named more than once.")
        removed = remove if remove else [n for n in current if n not in retain]
        if len(current) - len(removed) != count:
            which = "NodeGroupsToRemove" if remove else "NodeGroupsToRetain"
            raise InvalidParameterValueException(
                f"NodeGroupCount {count} does not match {which}: the replication group has {len(current)} node"
                f" groups and would keep {len(current) - len(removed)}."
            )
        return ShardPlan([n for n in current if n not in removed], removed=removed)
    if uniform({ng["node_group_id"]: parse_slots(ng.get("slots")) for ng in group.node_groups}):
        raise InvalidReplicationGroupState("Slots in the replication group are uniformly distributed. Nothing to do.")
    return ShardPlan(current)


def replica_plan(group: Group, params: dict[str, Any], increase: bool) -> tuple[dict[str, int], dict[str, list[str]]]:
    """What Increase/DecreaseReplicaCount asks, checked as AWS checks it: the replica count wanted per
    node group, and (decrease by ReplicasToRemove) the members named to go."""
    count = params.get("NewReplicaCount")
    config = list(params.get("ReplicaConfiguration") or [])
    to_remove = list(params.get("ReplicasToRemove") or [])
    given = [
        name
        for name, value in [
            ("NewReplicaCount", count),
            ("ReplicaConfiguration", config),
            ("ReplicasToRemove", to_remove),
        ]
        if value not in (None, [])
    ]
    allowed = (
        "NewReplicaCount or ReplicaConfiguration"
        if increase
        else ("NewReplicaCount, ReplicaConfiguration or ReplicasToRemove")
    )
    if len(given) != 1:
        raise InvalidParameterCombinationException(f"Specify exactly one of {allowed}.")
    current = {ng["node_group_id"]: len(ng["node_group_members"]) - 1 for ng in group.node_groups}
    targets: dict[str, int] = {}
    removing: dict[str, list[str]] = {}
    if count is not None:
        targets = {shard_id: int(count) for shard_id in current}
    elif config:
        for entry in config:
            shard_id = entry.get("NodeGroupId")
            if shard_id not in current:
                raise InvalidParameterValueException(
                    f"Node group {shard_id} not found in replication group {group.replication_group_id}."
                )
            if shard_id in targets:
                raise InvalidParameterCombinationException(f"ReplicaConfiguration names node group {shard_id} twice.")
            targets[shard_id] = int(entry.get("NewReplicaCount"))
            zones = entry.get("PreferredAvailabilityZones")
            if zones and len(zones) != targets[shard_id] + 1:
                raise InvalidParameterValueException(
                    "The number of PreferredAvailabilityZones must equal NewReplicaCount plus 1 (the primary)."
                )
    else:
        roles = {
            m["cache_cluster_id"]: (ng["node_group_id"], index)
            for ng in group.node_groups
            for index, m in enumerate(ng["node_group_members"])
        }
        for name in to_remove:
            if name not in roles:
                raise InvalidParameterValueException(
                    f"Cache cluster {name} is not a member of replication group {group.replication_group_id}."
                )
            shard_id, index = roles[name]
            if index == 0:
                raise InvalidParameterValueException(
                    f"Cannot remove {name}: it is the primary of node group {shard_id}."
                )
            if name in removing.get(shard_id, []):
                raise InvalidParameterValueException(f"ReplicasToRemove names {name} twice.")
            removing.setdefault(shard_id, []).append(name)
        targets = {shard_id: current[shard_id] - len(names) for shard_id, names in removing.items()}
    for shard_id, target in targets.items():
        if target > MAX_REPLICAS:
            raise InvalidParameterValueException(f"NewReplicaCount cannot be greater than {MAX_REPLICAS}.")
        if target < 0:
            raise InvalidParameterValueException("NewReplicaCount cannot be negative.")
        if increase and target < current[shard_id]:
            raise InvalidParameterValueException(
                f"NewReplicaCount {target} must be greater than the current number of replicas"
                f" ({current[shard_id]}) in node group {shard_id}."
            )
        if not increase and target > current[shard_id]:
            raise InvalidParameterValueException(
                f"NewReplicaCount {target} must be less than the current number of replicas"
                f" ({current[shard_id]}) in node group {shard_id}."
            )
        failover = group.automatic_failover == "enabled" or group.multi_az == "enabled"
        if not increase and not group.cluster_enabled and failover and target < 1:
            raise InvalidParameterValueException(
                "Must have at least 1 replica when cluster mode is disabled with auto failover enabled."
            )
    if all(target == current[shard_id] for shard_id, target in targets.items()):
        raise NoOperationFault("Requested new replica count already matches current number of replicas.")
    return targets, removing


# --- wiring into moto's response class (moto looks actions up on it at request time) ---------


def _backend(response: moto_responses.ElastiCacheResponse) -> SandboxElastiCacheBackend:
    """The backend behind a request: the sandbox's, since install() put it where moto looks."""
    return cast(SandboxElastiCacheBackend, response.elasticache_backend)


def _modify_replication_group(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    group = _backend(self).modify_group(self._get_params())
    return ActionResult({"ReplicationGroup": group})


def _modify_replication_group_shard_configuration(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    group = _backend(self).reshard(self._get_params())
    return ActionResult({"ReplicationGroup": group})


def _increase_replica_count(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    group = _backend(self).change_replicas(self._get_params(), increase=True)
    return ActionResult({"ReplicationGroup": group})


def _decrease_replica_count(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    group = _backend(self).change_replicas(self._get_params(), increase=False)
    return ActionResult({"ReplicationGroup": group})


def _delete_replication_group(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    group = _backend(self).delete_group(
        self._get_param("ReplicationGroupId"), self._get_param("FinalSnapshotIdentifier")
    )
    return ActionResult({"ReplicationGroup": group})


class _ClusterWithNodes:
    """A cache cluster as DescribeCacheClusters shows it with ShowCacheNodeInfo (a per-request view)."""

    def __init__(self, cluster: moto_models.CacheCluster, nodes: list[dict[str, Any]]) -> None:
        self._cluster = cluster
        self.cache_nodes = nodes
        self.preferred_availability_zone = cluster.preferred_availability_zone or nodes[0]["CustomerAvailabilityZone"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cluster, name)


def _describe_replication_groups(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    group_id = self._get_param("ReplicationGroupId")
    records = max_records(self._get_param("MaxRecords"))
    groups = _backend(self).describe_replication_groups(group_id)
    if group_id:
        return ActionResult({"ReplicationGroups": groups})
    page, marker = page_by_key(groups, lambda g: g.replication_group_id, self._get_param("Marker"), records)
    return ActionResult({"ReplicationGroups": page, "Marker": marker})


def _describe_cache_clusters(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    backend = _backend(self)
    cluster_id = self._get_param("CacheClusterId")
    records = max_records(self._get_param("MaxRecords"))
    clusters = backend.describe_cache_clusters(cluster_id)
    if self._get_bool_param("ShowCacheClustersNotInReplicationGroups"):
        clusters = [c for c in clusters if not getattr(c, "replication_group_id", None)]
    marker = None
    if not cluster_id:
        clusters, marker = page_by_key(clusters, lambda c: c.cache_cluster_id, self._get_param("Marker"), records)
    if self._get_bool_param("ShowCacheNodeInfo"):
        with backend.lock:
            shown = [_ClusterWithNodes(c, backend.cache_nodes(c)) for c in clusters]
        return ActionResult({"CacheClusters": shown, "Marker": marker})
    return ActionResult({"CacheClusters": clusters, "Marker": marker})


class _SnapshotView:
    """A snapshot as one answer shows it: NodeSnapshots carry NodeGroupConfiguration only when
    DescribeSnapshots asks for it (ShowNodeGroupConfig)."""

    def __init__(self, snap: Snap, node_group_config: bool = False) -> None:
        self._snap = snap
        self.node_snapshots = [
            {**node, **({"NodeGroupConfiguration": config} if node_group_config else {})}
            for node, config in zip(snap.node_snapshots, snap.node_group_configs, strict=True)
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._snap, name)


def _create_snapshot(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    snap = _backend(self).take_snapshot(self._get_params())
    return ActionResult({"Snapshot": _SnapshotView(snap)})


def _describe_snapshots(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    snapshots, marker = _backend(self).list_snapshots(self._get_params())
    show = self._get_bool_param("ShowNodeGroupConfig") or False
    return ActionResult({"Snapshots": [_SnapshotView(s, show) for s in snapshots], "Marker": marker})


def _delete_snapshot(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    snap = _backend(self).drop_snapshot(self._get_param("SnapshotName"))
    return ActionResult({"Snapshot": _SnapshotView(snap)})


def _reboot_cache_cluster(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    cluster = _backend(self).reboot_cluster(self._get_params())
    return ActionResult({"CacheCluster": cluster})


def _test_failover(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    group = _backend(self).test_failover(self._get_params())
    return ActionResult({"ReplicationGroup": group})


def _describe_events(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    backend = _backend(self)
    backend.advance()
    names = ("SourceIdentifier", "SourceType", "StartTime", "EndTime", "Duration", "MaxRecords", "Marker")
    events, marker = backend.events.describe({name: self._get_param(name) for name in names})
    return ActionResult({"Events": [e.as_api() for e in events], "Marker": marker})


def _add_tags_to_resource(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    tags = _backend(self).add_tags_to_resource(self._get_param("ResourceName"), self._get_param("Tags", []))
    return ActionResult({"TagList": tags})


def _remove_tags_from_resource(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    tags = _backend(self).remove_tags_from_resource(self._get_param("ResourceName"), self._get_param("TagKeys", []))
    return ActionResult({"TagList": tags})


def _get_resources(self: tagging_responses.ResourceGroupsTaggingAPIResponse) -> ActionResult:
    names = (
        "PaginationToken",
        "TagFilters",
        "ResourcesPerPage",
        "TagsPerPage",
        "ResourceTypeFilters",
        "IncludeComplianceDetails",
        "ExcludeCompliantResources",
        "ResourceARNList",
    )
    params = {name: self._get_param(name) for name in names}
    return ActionResult(tagging_api.get_resources(self.current_account, self.region, params))


def install(data_plane: DataPlane | None = None) -> None:
    """Swap in the sandbox backend and actions; idempotent."""
    SandboxElastiCacheBackend.data_plane = data_plane
    backends: BackendDict[moto_models.ElastiCacheBackend] = BackendDict(SandboxElastiCacheBackend, "elasticache")
    # Swapped wherever moto looks the backends up (its responses and package import the name without
    # re-exporting it: hence the ignores).
    moto_models.elasticache_backends = backends
    moto_responses.elasticache_backends = backends  # type: ignore[attr-defined]
    # moto's server looks the backend up on the package (to route requests, by its urls module):
    # without this, moto's own empty ElastiCache backend would exist beside this one, and the tagging
    # API's TagResources would tag that one instead.
    moto_elasticache.elasticache_backends = backends  # type: ignore[attr-defined]
    # moto's own actions are replaced (pyproject.toml allows method-assign in this module); those moto
    # lacks are added (attr-defined: moto's class has no such method).
    response = moto_responses.ElastiCacheResponse
    response.modify_replication_group = _modify_replication_group
    response.modify_replication_group_shard_configuration = _modify_replication_group_shard_configuration  # type: ignore[attr-defined]
    response.increase_replica_count = _increase_replica_count  # type: ignore[attr-defined]
    response.decrease_replica_count = _decrease_replica_count  # type: ignore[attr-defined]
    response.delete_replication_group = _delete_replication_group
    response.describe_replication_groups = _describe_replication_groups
    response.describe_cache_clusters = _describe_cache_clusters
    response.describe_events = _describe_events  # type: ignore[attr-defined]
    response.create_snapshot = _create_snapshot
    response.describe_snapshots = _describe_snapshots
    response.delete_snapshot = _delete_snapshot
    response.test_failover = _test_failover  # type: ignore[attr-defined]
    response.reboot_cache_cluster = _reboot_cache_cluster  # type: ignore[attr-defined]
    response.add_tags_to_resource = _add_tags_to_resource
    response.remove_tags_from_resource = _remove_tags_from_resource
    tagging_responses.ResourceGroupsTaggingAPIResponse.get_resources = _get_resources
    install_parameter_group_actions(response)  # cache parameter groups (parameter_groups.py)


def make_app(data_plane: DataPlane | None = None) -> FaultInjector:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    install(data_plane)
    return FaultInjector(DomainDispatcherApplication(create_backend_app))


def serve(port: int, data_dir: str | None) -> None:
    import signal
    import sys

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    data_plane = None
    if data_dir:
        server_binary = redis_server()
        if server_binary is None:
            raise SystemExit("--data-dir needs redis-server (Debian package redis-server)")
        data_plane = DataPlane(pathlib.Path(data_dir), server_binary)

    def stop(*_: object) -> None:
        if data_plane is not None:
            data_plane.stop_all()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server = make_server("127.0.0.1", port, make_app(data_plane), threaded=True, request_handler=MotoRequestHandler)
    print(
        f"ElastiCache API stand-in on http://127.0.0.1:{server.server_port}"
        + (f", data plane in {data_dir}" if data_dir else ""),
        flush=True,
    )
    server.serve_forever()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--create-seconds", type=float, default=TIMINGS.create_seconds)
    parser.add_argument("--modify-seconds", type=float, default=TIMINGS.modify_seconds)
    parser.add_argument("--delete-seconds", type=float, default=TIMINGS.delete_seconds)
    parser.add_argument("--snapshot-seconds", type=float, help="a snapshot's least time creating (--modify-seconds)")
    parser.add_argument("--data-dir", help="run real redis-server processes behind each group, state here")
    args = parser.parse_args()
    TIMINGS.create_seconds, TIMINGS.modify_seconds = args.create_seconds, args.modify_seconds
    TIMINGS.delete_seconds = args.delete_seconds
    TIMINGS.snapshot_seconds = args.modify_seconds if args.snapshot_seconds is None else args.snapshot_seconds
    serve(args.port, args.data_dir)


if __name__ == "__main__":
    main()
