"""CloudWatch Logs: the slow-log group the operator creates for a replication group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.naming import TAG_UID
from .calls import Calls
from .errors import AWSCallError


class Logs:
    def __init__(self, client: Any, calls: Calls) -> None:
        self.client, self.calls = client, calls

    def _call(self, operation: str, fn: Callable[..., Any], write: bool = False, **kwargs: Any) -> Any:
        return self.calls(operation, fn, write=write, **kwargs)

    def ensure_log_group(self, name: str, retention_days: int, tags: dict[str, str]) -> None:
        try:
            self._call("CreateLogGroup", self.client.create_log_group, write=True, logGroupName=name, tags=tags)
        except AWSCallError as e:
            if e.code != "ResourceAlreadyExistsException":
                raise
        self._call(
            "PutRetentionPolicy",
            self.client.put_retention_policy,
            write=True,
            logGroupName=name,
            retentionInDays=retention_days,
        )

    def delete_log_group_if_owned(self, name: str, uid: str) -> bool:
        """Delete the slow-log group if this RedisCluster's operator created it (its uid tag says so)."""
        groups = self._call("DescribeLogGroups", self.client.describe_log_groups, logGroupNamePrefix=name)
        group = next((g for g in groups["logGroups"] if g["logGroupName"] == name), None)
        if group is None:
            return False
        arn = group["arn"].removesuffix(":*")
        tags = self._call("ListTagsForResource", self.client.list_tags_for_resource, resourceArn=arn).get("tags")
        if (tags or {}).get(TAG_UID) != uid:
            return False
        try:
            self._call("DeleteLogGroup", self.client.delete_log_group, write=True, logGroupName=name)
        except AWSCallError as e:
            if e.code != "ResourceNotFoundException":
                raise
        return True
