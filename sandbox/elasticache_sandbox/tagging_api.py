"""GetResources of the Resource Groups Tagging API, served by the ElastiCache stand-in's process.

moto dispatches a request to this API by its `X-Amz-Target` (ResourceGroupsTaggingAPI_20170126.*), so
a boto3 `resourcegroupstaggingapi` client pointed at the stand-in's endpoint reaches it. moto's own
GetResources names ElastiCache's resource types wrongly (`elasticache:replication-group`), lists
resources that were never tagged, cuts pages at 100 tags by default and pages with generators that
break when a resource comes or goes between pages; this one follows the API reference:

- ResourceTypeFilters: `service[:resourceType]` as in the ARN (`elasticache:replicationgroup`,
  `elasticache:cluster`, ...); `elasticache` alone means every ElastiCache type; up to 100.
- TagFilters (up to 50, each a Key with up to 20 Values): AND across filters, OR across a filter's
  values, a filter without values matches any value of the key.
- Only resources that are tagged or were once tagged (then shown with `Tags: []`); never-tagged
  resources are not returned.
- ResourceARNList (1–100 ARNs, not combined with filters or paging; unknown ARNs are left out).
- ResourcesPerPage 1–100 (100 by default), TagsPerPage 100–500 (a resource without tags counts as
  one; applied only when given); PaginationToken valid 15 minutes, "" on the last page. Pages
  follow the ARNs' order and the token says where the last page ended, so resources coming and
  going between pages never make a page fail or repeat.

Every other operation of the API (GetTagKeys, GetTagValues, TagResources, UntagResources) is moto's.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from moto.core.resource_tagging import TaggedResource, iter_taggable_backends, make_tag_matcher, match_resource_type
from moto.elasticache.exceptions import InvalidParameterValueException
from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError

from .paging import decode_marker, encode_marker

TOKEN_LIFETIME_SECONDS = 15 * 60


def _invalid(message: str) -> ResourceGroupsTaggingAPIError:
    return ResourceGroupsTaggingAPIError("InvalidParameterException", message)


def _check(params: dict[str, Any]) -> None:
    arns = params.get("ResourceARNList")
    if arns is not None:
        clashing = [
            name
            for name in ("TagFilters", "ResourceTypeFilters", "ResourcesPerPage", "TagsPerPage", "PaginationToken")
            if params.get(name) not in (None, [], "")
        ]
        if clashing:
            raise _invalid(f"ResourceARNList cannot be specified with {', '.join(clashing)}.")
        if not 1 <= len(arns) <= 100:
            raise _invalid("ResourceARNList must contain between 1 and 100 ARNs.")
    per_page = params.get("ResourcesPerPage")
    if per_page is not None and not 1 <= int(per_page) <= 100:
        raise _invalid("ResourcesPerPage must be between 1 and 100.")
    tags_per_page = params.get("TagsPerPage")
    if tags_per_page is not None and not 100 <= int(tags_per_page) <= 500:
        raise _invalid("TagsPerPage must be between 100 and 500.")
    tag_filters = params.get("TagFilters") or []
    if len(tag_filters) > 50:
        raise _invalid("TagFilters can contain at most 50 filters.")
    for tag_filter in tag_filters:
        key = tag_filter.get("Key")
        if not key or len(key) > 128:
            raise _invalid("Each TagFilter needs a Key of 1 to 128 characters.")
        if len(tag_filter.get("Values") or []) > 20:
            raise _invalid(f"The TagFilter for {key} can contain at most 20 values.")
    if len(params.get("ResourceTypeFilters") or []) > 100:
        raise _invalid("ResourceTypeFilters can contain at most 100 resource types.")
    if params.get("ExcludeCompliantResources") and not params.get("IncludeComplianceDetails"):
        raise _invalid("ExcludeCompliantResources can be specified only with IncludeComplianceDetails.")


def _query_digest(params: dict[str, Any]) -> str:
    query = [params.get("TagFilters") or [], params.get("ResourceTypeFilters") or []]
    return hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]


def _after(token: str, digest: str) -> str:
    try:
        cursor = decode_marker(token, "after", "q", "t")
    except InvalidParameterValueException:
        raise _invalid("The PaginationToken is not valid.") from None
    if time.time() - float(cursor["t"]) > TOKEN_LIFETIME_SECONDS:
        raise ResourceGroupsTaggingAPIError("PaginationTokenExpiredException", "The PaginationToken has expired.")
    if cursor["q"] != digest:
        raise _invalid("The PaginationToken does not belong to this query: repeat the same filters.")
    return str(cursor["after"])


def get_resources(account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    _check(params)
    type_filters = params.get("ResourceTypeFilters") or None
    matches_tags = make_tag_matcher(params.get("TagFilters") or None)
    wanted_arns = set(params.get("ResourceARNList") or [])
    found: dict[str, TaggedResource] = {}
    for backend in iter_taggable_backends(account_id, region):
        for resource in backend.iter_tagged_resources():
            if not resource.tags and not resource.extra.get("include_untagged"):
                continue
            if wanted_arns and resource.arn not in wanted_arns:
                continue
            if match_resource_type(resource.resource_type, type_filters) and matches_tags(resource.tags):
                found[resource.arn] = resource
    ordered = [found[arn] for arn in sorted(found)]
    digest = _query_digest(params)
    token = params.get("PaginationToken")
    if token:
        after = _after(token, digest)
        ordered = [r for r in ordered if r.arn > after]
    per_page = int(params.get("ResourcesPerPage") or 100)
    tags_per_page = params.get("TagsPerPage")
    page: list[TaggedResource] = []
    tag_count = 0
    for resource in ordered:
        weight = max(1, len(resource.tags))
        if len(page) == per_page or (tags_per_page is not None and page and tag_count + weight > int(tags_per_page)):
            break
        page.append(resource)
        tag_count += weight
    more = len(page) < len(ordered)
    return {
        "ResourceTagMappingList": [
            {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]} for r in page
        ],
        "PaginationToken": encode_marker({"after": page[-1].arn, "q": digest, "t": time.time()}) if more else "",
    }
