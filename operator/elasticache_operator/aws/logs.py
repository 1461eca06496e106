"""CloudWatch Logs: the slow-log group the operator creates for a replication group."""

from __future__ import annotations

from typing import Any

from .. import metrics
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
