"""spec.restoreFrom decided before any AWS call: AWS's restore rules, and the request it makes."""

import dataclasses

from elasticache_operator.core import conditions as c
from elasticache_operator.core.restore import RestoreSource, restore_refusal, restore_request, slot_ranges
from elasticache_operator.core.snapshot import ObservedSnapshot

from .builders import desired

SNAPSHOT = ObservedSnapshot(
    name="sessions-final",
    status="available",
    group_id="shop-sessions-1a2b3c4d",
    cache_cluster_id="",
    engine="redis",
    engine_version="7.1.0",
    node_type="cache.r7g.large",
    shards=2,
    sharded=True,
    created_at="2026-12-04T12:00:05Z",
    size_bytes=1024,
)


def source(snapshot=SNAPSHOT, waiting=""):
    return RestoreSource(snapshot.name if snapshot else "x", "sessions-final", snapshot, waiting)


def sharded(**fields):
    return desired(**{"enableSharding": True, "numShards": 3, "numReplicaNodes": 1, "engineVersion": "7.1", **fields})


def test_slots_split_evenly_and_cover_every_slot_once():
    assert slot_ranges(1) == ["0-16383"] and slot_ranges(2) == ["0-8191", "8192-16383"]
    covered = [s for r in slot_ranges(7) for s in range(int(r.split("-")[0]), int(r.split("-")[1]) + 1)]
    assert covered == list(range(16384))


def test_a_sharded_snapshot_into_another_shard_count_carries_each_shards_slots():
    assert restore_refusal(sharded(), source()) is None
    request = restore_request(sharded(), "sessions-final")
    assert request["SnapshotName"] == "sessions-final"
    assert request["NodeGroupConfiguration"] == [
        {"NodeGroupId": "0001", "Slots": "0-5460", "ReplicaCount": 1},
        {"NodeGroupId": "0002", "Slots": "5461-10921", "ReplicaCount": 1},
        {"NodeGroupId": "0003", "Slots": "10922-16383", "ReplicaCount": 1},
    ]
    assert restore_request(desired(), "flat") == {"SnapshotName": "flat"}


def test_what_aws_refuses_is_refused_in_one_sentence_before_any_call():
    flat = restore_refusal(desired(engineVersion="7.1"), source())
    assert flat.reason == c.INVALID_SPEC and flat.terminal and "enableSharding: true" in flat.message
    older = restore_refusal(sharded(engineVersion="7.0"), source())
    assert older.terminal and "lower than the snapshot's 7.1.0" in older.message
    valkey = dataclasses.replace(SNAPSHOT, engine="valkey", engine_version="8.0")
    assert "cannot be restored into Redis OSS" in restore_refusal(sharded(), source(valkey)).message
    not_sharded = dataclasses.replace(SNAPSHOT, sharded=False, shards=1)
    assert restore_refusal(sharded(), source(not_sharded)) is None  # AWS restores it into cluster mode too


def test_a_snapshot_not_there_or_not_ready_is_waited_for():
    missing = restore_refusal(sharded(), RestoreSource("gone", None, None))
    assert missing.reason == c.INVALID_SPEC and not missing.terminal and "no snapshot named gone" in missing.message
    creating = restore_refusal(sharded(), source(dataclasses.replace(SNAPSHOT, status="creating")))
    assert not creating.terminal and "is creating" in creating.message
    unready = restore_refusal(sharded(), source(None, waiting="restoreFrom: RedisSnapshot x is not Ready yet"))
    assert unready.message == "restoreFrom: RedisSnapshot x is not Ready yet"
