"""The one place boto3's ElastiCache client is called (through the shared `Calls`: rate, metrics, errors)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ..core.observed import ObservedGroup, observed_group
from ..core.plan import Step
from .calls import Calls
from .errors import AWSCallError

NOT_FOUND = "ReplicationGroupNotFoundFault"
SNAPSHOT_NOT_FOUND = "SnapshotNotFoundFault"
PARAMETER_GROUP_NOT_FOUND = "CacheParameterGroupNotFound"
PARAMETER_BATCH = 20  # ModifyCacheParameterGroup and ResetCacheParameterGroup take at most 20 at once
NO_MODIFICATIONS = "No modifications were requested"
T = TypeVar("T")
PAGE = 100  # the most DescribeReplicationGroups, DescribeCacheClusters and DescribeEvents return at once
SNAPSHOT_PAGE = 50  # the most DescribeSnapshots returns at once


class ElastiCache:
    def __init__(self, client: Any, calls: Calls) -> None:
        self.client, self.calls = client, calls
        self._defaults: dict[str, tuple[dict[str, Any], ...]] = {}

    def _call(self, operation: str, fn: Callable[..., Any], write: bool = False, **kwargs: Any) -> Any:
        return self.calls(operation, fn, write=write, **kwargs)

    def _pages(
        self,
        operation: str,
        fn: Callable[..., Any],
        key: str,
        size: int = PAGE,
        within: str | None = None,
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        """`within`: the answer's member that holds the items and the Marker (DescribeEngineDefaultParameters'
        EngineDefaults), when not the answer itself."""
        marker: str | None = None
        while True:
            params = {**kwargs, "MaxRecords": size, **({"Marker": marker} if marker else {})}
            page = self.calls(operation, fn, **params)
            page = page[within] if within else page
            yield from page.get(key) or []
            marker = page.get("Marker")
            if not marker:
                return

    def describe_group(self, group_id: str) -> dict[str, Any] | None:
        try:
            groups = self._call(
                "DescribeReplicationGroups", self.client.describe_replication_groups, ReplicationGroupId=group_id
            )["ReplicationGroups"]
        except AWSCallError as e:
            if e.code == NOT_FOUND:
                return None
            raise
        return groups[0] if groups else None

    def list_groups(self) -> Iterator[dict[str, Any]]:
        """Every group in the region, 100 a page: one listing serves all RedisClusters at once."""
        return self._pages("DescribeReplicationGroups", self.client.describe_replication_groups, "ReplicationGroups")

    def list_cache_clusters(self) -> Iterator[dict[str, Any]]:
        """Every cache cluster (node) in the region: only they carry the engine version."""
        return self._pages("DescribeCacheClusters", self.client.describe_cache_clusters, "CacheClusters")

    def events_since(self, start: datetime.datetime) -> list[dict[str, Any]]:
        """What happened to replication groups since `start` (creations, modifications, failovers, deletions)."""
        return list(
            self._pages(
                "DescribeEvents",
                self.client.describe_events,
                "Events",
                SourceType="replication-group",
                StartTime=start,
            )
        )

    def cache_cluster(self, cache_cluster_id: str) -> dict[str, Any] | None:
        """One node: its engine version and security groups, which its replication group does not report."""
        try:
            clusters = self._call(
                "DescribeCacheClusters", self.client.describe_cache_clusters, CacheClusterId=cache_cluster_id
            )["CacheClusters"]
        except AWSCallError as e:
            if e.code == "CacheClusterNotFound":  # replaced or removed meanwhile
                return None
            raise
        return clusters[0] if clusters else None

    def engine_version(self, cache_cluster_id: str) -> str | None:
        cluster = self.cache_cluster(cache_cluster_id)
        return cluster.get("EngineVersion") if cluster else None

    def subnet_group_vpc(self, name: str) -> str | None:
        groups = self._call(
            "DescribeCacheSubnetGroups", self.client.describe_cache_subnet_groups, CacheSubnetGroupName=name
        )["CacheSubnetGroups"]
        return groups[0].get("VpcId") if groups else None

    def tags(self, arn: str) -> dict[str, str]:
        tags = self._call("ListTagsForResource", self.client.list_tags_for_resource, ResourceName=arn)["TagList"]
        return {t["Key"]: t["Value"] for t in tags}

    def observe(self, group_id: str) -> ObservedGroup | None:
        """The group with what DescribeReplicationGroups does not carry: engine version and tags."""
        group = self.describe_group(group_id)
        if group is None:
            return None
        return self.complete(group)

    def complete(self, group: dict[str, Any]) -> ObservedGroup:
        """Only an available group is compared with the spec, so only then is its engine version
        worth a DescribeCacheClusters call; polls of busy groups cost two calls, not three."""
        members = group.get("MemberClusters") or []
        version = self.engine_version(members[0]) if members and group.get("Status") == "available" else None
        tags = self.tags(group["ARN"]) if group.get("ARN") else {}
        return observed_group(group, version, tags)

    def create(self, request: dict[str, Any]) -> bool:
        """False when a group with that id exists already (a create that raced ours, or someone else's)."""
        try:
            self._call("CreateReplicationGroup", self.client.create_replication_group, write=True, **request)
            return True
        except AWSCallError as e:
            if e.code != "ReplicationGroupAlreadyExists":
                raise
            return False

    def apply(self, group_id: str, step: Step) -> bool:
        """Send one planned change; False when AWS finds it made already (the operator may have died
        after sending it, before it could write that down), so the group is not busy with it."""
        method = getattr(self.client, _snake(step.operation))
        try:
            self._call(step.operation, method, write=True, ReplicationGroupId=group_id, **step.request)
            return True
        except AWSCallError as e:
            if e.code == "NoOperationFault" or (
                e.code == "InvalidParameterCombination" and NO_MODIFICATIONS in e.message
            ):
                return False
            raise

    def add_tags(self, arn: str, tags: dict[str, str]) -> None:
        self._call(
            "AddTagsToResource",
            self.client.add_tags_to_resource,
            write=True,
            ResourceName=arn,
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )

    def remove_tags(self, arn: str, keys: tuple[str, ...]) -> None:
        self._call(
            "RemoveTagsFromResource",
            self.client.remove_tags_from_resource,
            write=True,
            ResourceName=arn,
            TagKeys=list(keys),
        )

    def create_snapshot(
        self, name: str, tags: dict[str, str], group_id: str | None = None, cache_cluster_id: str | None = None
    ) -> bool:
        """False when a snapshot of that name exists already (a create of ours that raced, or a restart)."""
        source = {"CacheClusterId": cache_cluster_id} if cache_cluster_id else {"ReplicationGroupId": group_id}
        try:
            self._call(
                "CreateSnapshot",
                self.client.create_snapshot,
                write=True,
                SnapshotName=name,
                Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                **source,
            )
            return True
        except AWSCallError as e:
            if e.code != "SnapshotAlreadyExistsFault":
                raise
            return False

    def describe_snapshot(self, name: str) -> dict[str, Any] | None:
        try:
            snapshots = self._call(
                "DescribeSnapshots", self.client.describe_snapshots, SnapshotName=name, ShowNodeGroupConfig=True
            )["Snapshots"]
        except AWSCallError as e:
            if e.code == SNAPSHOT_NOT_FOUND:
                return None
            raise
        return snapshots[0] if snapshots else None

    def list_snapshots(self, group_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Manual snapshots (the operator's, final ones, ones made by hand), 50 a page; automatic ones
        (one a day per group with backups on) are described by name only when a RedisSnapshot names one."""
        where = {"ReplicationGroupId": group_id} if group_id else {"SnapshotSource": "user"}  # user: manual ones
        return self._pages(
            "DescribeSnapshots",
            self.client.describe_snapshots,
            "Snapshots",
            size=SNAPSHOT_PAGE,
            ShowNodeGroupConfig=True,
            **where,
        )

    def delete_snapshot(self, name: str) -> bool:
        """False when it was gone already."""
        try:
            self._call("DeleteSnapshot", self.client.delete_snapshot, write=True, SnapshotName=name)
            return True
        except AWSCallError as e:
            if e.code != SNAPSHOT_NOT_FOUND:
                raise
            return False

    def test_failover(self, group_id: str, shard_id: str) -> None:
        self._call(
            "TestFailover", self.client.test_failover, write=True, ReplicationGroupId=group_id, NodeGroupId=shard_id
        )

    # --- cache parameter groups (spec.parameters) ---------------------------------------------------------

    def engine_defaults(self, family: str) -> tuple[dict[str, Any], ...]:
        """The family's parameters as DescribeEngineDefaultParameters has them; read once per family (AWS
        changes them only with a new engine release)."""
        if family not in self._defaults:
            self._defaults[family] = tuple(
                self._pages(
                    "DescribeEngineDefaultParameters",
                    self.client.describe_engine_default_parameters,
                    "Parameters",
                    within="EngineDefaults",
                    CacheParameterGroupFamily=family,
                )
            )
        return self._defaults[family]

    def parameters(self, name: str) -> dict[str, str | None] | None:
        """A custom group's current values (None: there is no such group)."""
        try:
            listed = list(
                self._pages(
                    "DescribeCacheParameters",
                    self.client.describe_cache_parameters,
                    "Parameters",
                    CacheParameterGroupName=name,
                )
            )
        except AWSCallError as e:
            if e.code.removesuffix("Fault") == PARAMETER_GROUP_NOT_FOUND:
                return None
            raise
        return {p["ParameterName"]: p.get("ParameterValue") for p in listed}

    def create_parameter_group(self, name: str, family: str, tags: dict[str, str]) -> bool:
        """False when it exists already (made by an earlier visit that did not get to record it)."""
        try:
            self._call(
                "CreateCacheParameterGroup",
                self.client.create_cache_parameter_group,
                write=True,
                CacheParameterGroupName=name,
                CacheParameterGroupFamily=family,
                Description=f"elasticache-operator: spec.parameters of replication group {name.rsplit('-', 1)[0]}",
                Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
            )
            return True
        except AWSCallError as e:
            if e.code.removesuffix("Fault") != "CacheParameterGroupAlreadyExists":
                raise
            return False

    def set_parameters(self, name: str, values: list[tuple[str, str]], reset: list[str]) -> None:
        for batch in _batches(values):
            self._call(
                "ModifyCacheParameterGroup",
                self.client.modify_cache_parameter_group,
                write=True,
                CacheParameterGroupName=name,
                ParameterNameValues=[{"ParameterName": n, "ParameterValue": v} for n, v in batch],
            )
        for names in _batches(reset):
            self._call(
                "ResetCacheParameterGroup",
                self.client.reset_cache_parameter_group,
                write=True,
                CacheParameterGroupName=name,
                ResetAllParameters=False,
                ParameterNameValues=[{"ParameterName": n} for n in names],
            )

    def delete_parameter_group(self, name: str) -> bool:
        """False when it was gone already."""
        try:
            self._call(
                "DeleteCacheParameterGroup",
                self.client.delete_cache_parameter_group,
                write=True,
                CacheParameterGroupName=name,
            )
            return True
        except AWSCallError as e:
            if e.code.removesuffix("Fault") != PARAMETER_GROUP_NOT_FOUND:
                raise
            return False

    def delete(self, group_id: str, final_snapshot: str | None) -> bool:
        """False when the group was gone already."""
        kwargs: dict[str, Any] = {"ReplicationGroupId": group_id}
        if final_snapshot:
            kwargs["FinalSnapshotIdentifier"] = final_snapshot
        try:
            self._call("DeleteReplicationGroup", self.client.delete_replication_group, write=True, **kwargs)
            return True
        except AWSCallError as e:
            if e.code != NOT_FOUND:
                raise
            return False


def _batches(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), PARAMETER_BATCH):
        yield items[start : start + PARAMETER_BATCH]


def _snake(operation: str) -> str:
    """IncreaseReplicaCount → increase_replica_count, as boto3 names its methods."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
