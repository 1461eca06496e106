"""The Resource Groups Tagging API: the tags of every replication group of this cluster in a few calls,
instead of one ListTagsForResource per group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.naming import TAG_CLUSTER
from .calls import Calls

PAGE = 100  # GetResources' ResourcesPerPage maximum


class Tagging:
    def __init__(self, client: Any, calls: Calls) -> None:
        self.client, self.calls = client, calls

    def _call(self, operation: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return self.calls(operation, fn, **kwargs)

    def group_tags(self, cluster_name: str) -> dict[str, dict[str, str]]:
        """ARN → tags of every replication group tagged for this Kubernetes cluster."""
        result: dict[str, dict[str, str]] = {}
        token = ""
        while True:
            page = self._call(
                "GetResources",
                self.client.get_resources,
                ResourceTypeFilters=["elasticache:replicationgroup"],
                TagFilters=[{"Key": TAG_CLUSTER, "Values": [cluster_name]}],
                ResourcesPerPage=PAGE,
                **({"PaginationToken": token} if token else {}),
            )
            for mapping in page.get("ResourceTagMappingList") or []:
                result[mapping["ResourceARN"]] = {t["Key"]: t["Value"] for t in mapping.get("Tags") or []}
            token = page.get("PaginationToken") or ""
            if not token:
                return result
