"""The one place boto3's ElastiCache client is called (counted in metrics, errors classified)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from .. import metrics
from ..core.observed import ObservedGroup, observed_group
from ..core.plan import Step
from .errors import AWSCallError, from_boto

NOT_FOUND = "ReplicationGroupNotFoundFault"
NO_MODIFICATIONS = "No modifications were requested"


class ElastiCache:
    def __init__(self, client: Any) -> None:
        self.client = client

    def _call(self, operation: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        metrics.aws_api_requests_total.labels(operation).inc()
        try:
            return fn(**kwargs)
        except Exception as error:  # noqa: BLE001 - classified below, re-raised if not AWS's
            failure = from_boto(operation, error)
            metrics.aws_api_request_errors_total.labels(operation, failure.code).inc()
            raise failure from error

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
        """Every group in the region, 100 a page: one listing can serve all RedisClusters at once."""
        marker: str | None = None
        while True:
            page = self._call(
                "DescribeReplicationGroups",
                self.client.describe_replication_groups,
                MaxRecords=100,
                **({"Marker": marker} if marker else {}),
            )
            yield from page["ReplicationGroups"]
            marker = page.get("Marker")
            if not marker:
                return

    def engine_version(self, cache_cluster_id: str) -> str | None:
        clusters = self._call(
            "DescribeCacheClusters", self.client.describe_cache_clusters, CacheClusterId=cache_cluster_id
        )["CacheClusters"]
        return clusters[0].get("EngineVersion") if clusters else None

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

    def create(self, request: dict[str, Any]) -> None:
        try:
            self._call("CreateReplicationGroup", self.client.create_replication_group, **request)
        except AWSCallError as e:
            if e.code != "ReplicationGroupAlreadyExists":  # a create that raced ours: the next read sorts it out
                raise

    def apply(self, group_id: str, step: Step) -> None:
        """Send one planned change. A change AWS finds already made counts as made: the operator may
        have died after sending it, before it could write that down."""
        method = getattr(self.client, _snake(step.operation))
        try:
            self._call(step.operation, method, ReplicationGroupId=group_id, **step.request)
        except AWSCallError as e:
            if e.code == "NoOperationFault" or (
                e.code == "InvalidParameterCombination" and NO_MODIFICATIONS in e.message
            ):
                return
            raise

    def add_tags(self, arn: str, tags: dict[str, str]) -> None:
        self._call(
            "AddTagsToResource",
            self.client.add_tags_to_resource,
            ResourceName=arn,
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )

    def remove_tags(self, arn: str, keys: tuple[str, ...]) -> None:
        self._call(
            "RemoveTagsFromResource", self.client.remove_tags_from_resource, ResourceName=arn, TagKeys=list(keys)
        )

    def delete(self, group_id: str, final_snapshot: str | None) -> None:
        kwargs: dict[str, Any] = {"ReplicationGroupId": group_id}
        if final_snapshot:
            kwargs["FinalSnapshotIdentifier"] = final_snapshot
        try:
            self._call("DeleteReplicationGroup", self.client.delete_replication_group, **kwargs)
        except AWSCallError as e:
            if e.code != NOT_FOUND:
                raise


def _snake(operation: str) -> str:
    """IncreaseReplicaCount → increase_replica_count, as boto3 names its methods."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
