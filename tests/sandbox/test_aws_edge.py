"""The operator's ElastiCache edge against the stand-in: the shared listing and the observed view."""

import uuid

from elasticache_operator.aws.calls import Calls, TokenBucket
from elasticache_operator.aws.elasticache import ElastiCache


def test_listing_pages_through_every_group_and_completes_one(elasticache):
    client = elasticache.client()
    ids = [f"list-{uuid.uuid4().hex[:8]}" for _ in range(105)]  # more than one page of 100
    for group_id in ids:
        client.create_replication_group(
            ReplicationGroupId=group_id,
            ReplicationGroupDescription="listing",
            CacheNodeType="cache.t4g.micro",
            NumCacheClusters=1,
            Tags=[{"Key": "team", "Value": "a"}],
        )
    before = elasticache.calls("DescribeReplicationGroups")
    edge = ElastiCache(client, Calls(TokenBucket(rate=1000, burst=1000), max_concurrent_writes=4))
    listed = {g["ReplicationGroupId"] for g in edge.list_groups()}
    assert set(ids) <= listed
    assert elasticache.calls("DescribeReplicationGroups") - before >= 2  # it followed the Marker
    group = next(g for g in edge.list_groups() if g["ReplicationGroupId"] == ids[0])
    observed = edge.complete(group)
    assert observed.group_id == ids[0] and observed.tags == {"team": "a"}
    # The engine version is read exactly when the group is available (busy groups cost no extra call).
    assert (observed.engine_version is not None) == (observed.status == "available")
    assert edge.observe("does-not-exist") is None
