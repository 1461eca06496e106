"""The shared observation (aws/observer.py) against the ElastiCache stand-in: every group of this cluster
in a few paged calls, changes noticed through DescribeEvents, throttling ridden out, and whatever the
events miss caught by the next full resync."""

import uuid

import pytest

from elasticache_operator.aws.calls import Calls, TokenBucket, count_throttles
from elasticache_operator.aws.elasticache import ElastiCache
from elasticache_operator.aws.observer import Observer, Timing
from elasticache_operator.aws.tagging import Tagging

from ..support.stack import eventually

TOKEN = "sandbox-auth-token-16"
TIMING = Timing(resync_seconds=3600, events_seconds=0.2, idle_events_seconds=0.2, busy_listing_seconds=3600)


@pytest.fixture
def cluster_name():
    return f"obs-{uuid.uuid4().hex[:6]}"


def make_observer(elasticache, cluster_name, attempts=1, changes=None):
    calls = Calls(TokenBucket(rate=1000, burst=1000), max_concurrent_writes=4)
    edge = ElastiCache(count_throttles(elasticache.client(attempts=attempts)), calls)
    tagging = Tagging(count_throttles(elasticache.client("resourcegroupstaggingapi", attempts=attempts)), calls)
    seen = changes if changes is not None else []
    return Observer(edge, tagging, cluster_name, TIMING, on_change=lambda ids: seen.append(set(ids)))


def create(elasticache, cluster_name, group_id=None, replicas=0, tagged=True):
    group_id = group_id or f"o-{uuid.uuid4().hex[:10]}"
    tags = [{"Key": "elasticache-operator.io/cluster", "Value": cluster_name}, {"Key": "team", "Value": "a"}]
    elasticache.client().create_replication_group(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription="observed",
        CacheNodeType="cache.t4g.micro",
        EngineVersion="7.1",
        NumCacheClusters=replicas + 1,
        Tags=tags if tagged else [],
    )
    return group_id


def test_a_resync_pages_through_groups_nodes_and_tags_in_a_few_calls(elasticache, cluster_name):
    ids = [create(elasticache, cluster_name, replicas=1) for _ in range(110)]  # more than a page of each
    ec = elasticache.client()
    eventually(lambda: all(g["Status"] == "available" for g in listed(ec, ids)), 60, message="all available")
    observer = make_observer(elasticache, cluster_name)
    listed_groups = len(list(observer.elasticache.list_groups()))
    nodes = len(list(observer.elasticache.list_cache_clusters()))
    calls = observer.resync()
    pages = -(-listed_groups // 100) + -(-nodes // 100) + -(-len(ids) // 100)
    # ceil(N/100) + ceil(nodes/100) + ceil(tagged/100), whatever else is there (a full last page may
    # cost one more call to learn that it was the last).
    assert pages <= calls <= pages + 3
    for group_id in ids[:3] + ids[-3:]:
        seen = observer.observe(group_id)
        assert seen.status == "available" and seen.engine_version == "7.1.0"
        assert seen.tags == {"elasticache-operator.io/cluster": cluster_name, "team": "a"}
        assert seen.replicas_per_shard == 1


def listed(ec, ids):
    wanted = set(ids)
    pages = ec.get_paginator("describe_replication_groups").paginate()
    return [g for page in pages for g in page["ReplicationGroups"] if g["ReplicationGroupId"] in wanted]


def test_groups_appearing_and_disappearing_between_pages(elasticache, cluster_name):
    ids = [create(elasticache, cluster_name) for _ in range(105)]
    observer = make_observer(elasticache, cluster_name)
    observer.resync()
    late, doomed = f"zz-{uuid.uuid4().hex[:8]}", ids[0]
    ec = elasticache.client()
    eventually(lambda: listed(ec, [doomed])[0]["Status"] == "available", 30)
    pages = observer.elasticache.list_groups

    def listing_that_changes_midway():
        for index, group in enumerate(pages()):
            if index == 100:  # between the first and the second page
                create(elasticache, cluster_name, late)
                ec.delete_replication_group(ReplicationGroupId=doomed)
            yield group

    observer.elasticache.list_groups = listing_that_changes_midway
    observer.resync()
    observer.elasticache.list_groups = pages
    assert observer.observe(late) is not None  # ids after the marker are still listed
    eventually(lambda: listed(ec, [doomed]) == [], 30, message="deleted")
    observer.resync()
    assert observer.observe(doomed) is None and observer.observe(late) is not None
    assert len({g for g in ids if observer.observe(g) is not None}) == len(ids) - 1  # no duplicates, no losses


def test_a_throttling_storm_is_ridden_out_and_counted(elasticache, cluster_name):
    from elasticache_operator import metrics

    ids = [create(elasticache, cluster_name) for _ in range(30)]
    observer = make_observer(elasticache, cluster_name, attempts=10)
    before = metrics.aws_api_throttles_total._value.get()
    elasticache.inject(operation="*", code="Throttling", rate=0.5, seed=7, count=-1)
    try:
        observer.resync()
    finally:
        elasticache.clear_faults()
    assert all(observer.observe(group_id) is not None for group_id in ids)
    assert metrics.aws_api_throttles_total._value.get() > before  # botocore retried; every attempt counted


def test_events_name_what_changed_and_are_read_once(elasticache, cluster_name):
    changes: list[set[str]] = []
    observer = make_observer(elasticache, cluster_name, changes=changes)
    observer.resync()
    group_id = create(elasticache, cluster_name)
    observer.noted_create(group_id, {"elasticache-operator.io/cluster": cluster_name})
    eventually(lambda: group_id in observer.poll_events(), 30, message="creation event")
    assert observer.observe(group_id).status == "available" and {group_id} in changes
    assert group_id not in observer.poll_events()  # the same event is not acted on twice


def test_a_change_no_event_mentions_is_caught_by_the_full_resync(elasticache, cluster_name):
    group_id = create(elasticache, cluster_name)
    ec = elasticache.client()
    eventually(lambda: listed(ec, [group_id])[0]["Status"] == "available", 30)
    observer = make_observer(elasticache, cluster_name)
    observer.resync()
    observer.poll_events()  # everything so far is read
    ec.add_tags_to_resource(ResourceName=listed(ec, [group_id])[0]["ARN"], Tags=[{"Key": "team", "Value": "b"}])
    assert group_id not in observer.poll_events()  # tagging records no event
    assert observer.observe(group_id).tags["team"] == "a"
    observer.resync()
    assert observer.observe(group_id).tags["team"] == "b"


def test_groups_of_others_are_seen_but_never_taken_for_ours(elasticache, cluster_name):
    theirs = create(elasticache, cluster_name, tagged=False)
    observer = make_observer(elasticache, cluster_name)
    observer.resync()
    seen = observer.observe(theirs)
    assert seen is not None and seen.tags == {}  # so the operator reports NotOwned and touches nothing
