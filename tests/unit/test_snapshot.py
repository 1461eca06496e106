"""RedisSnapshot decided: when a snapshot is taken (and of which node), what its status says, what
deleting the object does, and how AWS's CacheSize reads."""

import dataclasses

import pytest
from pydantic import ValidationError

from elasticache_operator.core import conditions as c
from elasticache_operator.core.effects import Post
from elasticache_operator.core.snapshot import (
    CreateSnapshot,
    DeleteSnapshot,
    SnapshotSituation,
    SnapshotSpec,
    SourceCluster,
    cache_size_bytes,
    decide_snapshot,
    decide_snapshot_deletion,
    observed_snapshot,
)

from .builders import observed

SNAPSHOT = {
    "SnapshotName": "shop-now",
    "SnapshotStatus": "available",
    "ReplicationGroupId": "shop-1a2b3c4d",
    "CacheClusterId": "shop-1a2b3c4d-002",
    "Engine": "redis",
    "EngineVersion": "7.1.0",
    "CacheNodeType": "cache.t4g.micro",
    "NumNodeGroups": 1,
    "NodeSnapshots": [
        {"NodeGroupId": "0001", "CacheSize": "5 MB", "SnapshotCreateTime": "2026-12-04T12:00:05Z"},
    ],
}


def situation(spec=None, observed_=None, source=None, status=None):
    return SnapshotSituation(
        "shop-now", spec or SnapshotSpec(redisClusterName="shop"), status or {}, observed_, source, {"t": "v"}
    )


def test_exactly_one_source_and_the_deletion_policy_follows_how_it_came():
    with pytest.raises(ValidationError, match="exactly one of redisClusterName and snapshotName"):
        SnapshotSpec(redisClusterName="a", snapshotName="b")
    with pytest.raises(ValidationError):
        SnapshotSpec()
    assert SnapshotSpec(redisClusterName="a").effective_deletion_policy == "Delete"
    assert SnapshotSpec(snapshotName="b").effective_deletion_policy == "Retain"
    assert SnapshotSpec(snapshotName="b", deletionPolicy="Delete").effective_deletion_policy == "Delete"
    assert SnapshotSpec(snapshotName="Final-1").aws_name("ns", "x", "u") == "final-1"  # AWS stores it lowercase


def test_aws_cache_sizes_read_as_bytes():
    assert cache_size_bytes("5 MB") == 5 * 1024**2 and cache_size_bytes("1.5 GB") == int(1.5 * 1024**3)
    assert cache_size_bytes("312 bytes") == 312 and cache_size_bytes("") == 0 and cache_size_bytes("lots") == 0


def test_an_available_snapshot_reports_its_source_size_and_time():
    decided = decide_snapshot(situation(observed_=observed_snapshot(SNAPSHOT)))
    assert decided.verdict.ready == "True" and decided.verdict.reason == c.AVAILABLE and decided.effects == ()
    assert decided.status["sizeBytes"] == 5 * 1024**2 and decided.status["createdAt"] == "2026-12-04T12:00:05Z"
    assert decided.status["source"]["replicationGroupId"] == "shop-1a2b3c4d"
    assert decided.status["deletionPolicy"] == "Delete"


def test_a_missing_or_unready_source_is_waited_for_without_a_call():
    missing = decide_snapshot(situation(source=SourceCluster("shop", exists=False)))
    assert missing.verdict.reason == c.SOURCE_NOT_READY and missing.retry and missing.effects == ()
    creating = SourceCluster("shop", exists=True, ready=False, group=observed(status="creating"))
    waiting = decide_snapshot(situation(source=creating))
    assert waiting.verdict.reason == c.SOURCE_NOT_READY and "creating" in waiting.verdict.message
    assert waiting.effects == ()


def test_a_replica_is_snapshotted_when_the_group_has_one_and_a_sharded_group_as_a_whole():
    group = observed(replicas=1, failover=True)
    group = dataclasses.replace(group, replica_ids=("shop-0001-002",))
    decided = decide_snapshot(situation(source=SourceCluster("shop", True, True, group)))
    create = decided.effects[0]
    assert isinstance(create, CreateSnapshot) and create.cache_cluster_id == "shop-0001-002"
    assert create.tags == {"t": "v"} and decided.verdict.reason == c.CREATING
    sharded = observed(sharded=True, shards=2, replicas=1, failover=True)
    decided = decide_snapshot(situation(source=SourceCluster("shop", True, True, sharded)))
    assert decided.effects[0].cache_cluster_id is None and decided.effects[0].group_id == sharded.group_id


def test_a_snapshot_taken_once_is_never_taken_again():
    gone = decide_snapshot(situation(status={"status": "available", "createdAt": "x"}))
    assert gone.verdict.reason == c.NOT_FOUND and gone.effects == ()
    adopted = decide_snapshot(situation(spec=SnapshotSpec(snapshotName="nope")))
    assert adopted.verdict.reason == c.NOT_FOUND and adopted.retry


def test_deletion_waits_for_a_restore_and_keeps_what_the_policy_keeps():
    restoring = observed_snapshot({**SNAPSHOT, "SnapshotStatus": "restoring"})
    waiting = decide_snapshot_deletion("Delete", "shop-now", restoring)
    assert not waiting.done and waiting.effects == () and "restore" in waiting.verdict.message
    deleting = decide_snapshot_deletion("Delete", "shop-now", observed_snapshot(SNAPSHOT))
    assert not deleting.done and isinstance(deleting.effects[0], DeleteSnapshot)
    assert decide_snapshot_deletion("Delete", "shop-now", None).done
    kept = decide_snapshot_deletion("Retain", "shop-now", observed_snapshot(SNAPSHOT))
    assert kept.done and isinstance(kept.effects[0], Post) and kept.effects[0].event.reason == "Retained"
