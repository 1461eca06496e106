"""CloudWatch Logs: the slow-log group the operator creates for a replication group."""

from __future__ import annotations

from typing import Any

from .. import metrics
from ..core.naming import TAG_UID
from .errors import from_boto


class Logs:
    def __init__(self, client: Any) -> None:
        self.client = client

    def ensure_log_group(self, name: str, retention_days: int, tags: dict[str, str]) -> None:
        try:
            metrics.aws_api_requests_total.labels("CreateLogGroup").inc()
            try:
                self.client.create_log_group(logGroupName=name, tags=tags)
            except self.client.exceptions.ResourceAlreadyExistsException:
                pass
            metrics.aws_api_requests_total.labels("PutRetentionPolicy").inc()
            self.client.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
        except Exception as error:  # noqa: BLE001 - classified, or re-raised if not AWS's
            raise from_boto("CreateLogGroup", error) from error

    def delete_log_group_if_owned(self, name: str, uid: str) -> bool:
        """Delete the slow-log group if this RedisCluster's operator created it (its uid tag says so)."""
        try:
            metrics.aws_api_requests_total.labels("DescribeLogGroups").inc()
            groups = self.client.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            group = next((g for g in groups if g["logGroupName"] == name), None)
            if group is None:
                return False
            metrics.aws_api_requests_total.labels("ListTagsForResource").inc()
            arn = group["arn"].removesuffix(":*")
            tags = self.client.list_tags_for_resource(resourceArn=arn).get("tags") or {}
            if tags.get(TAG_UID) != uid:
                return False
            metrics.aws_api_requests_total.labels("DeleteLogGroup").inc()
            self.client.delete_log_group(logGroupName=name)
            return True
        except self.client.exceptions.ResourceNotFoundException:
            return False
        except Exception as error:  # noqa: BLE001 - classified, or re-raised if not AWS's
            raise from_boto("DeleteLogGroup", error) from error
