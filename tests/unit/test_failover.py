"""Rehearsing failover, decided: one TestFailover per shard in turn, each only once the last shard's
primary has moved; refusals said in words; every outcome recorded in status.lastFailoverTest."""

import dataclasses
import datetime

from elasticache_operator.core import failover
from elasticache_operator.core.effects import Post, Record
from elasticache_operator.core.failover import rehearse

from .builders import observed

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)


def sharded(primaries=("a-0001-001", "a-0002-001")):
    group = observed(sharded=True, shards=2, replicas=1, failover=True)
    return dataclasses.replace(group, primaries=primaries)


def test_nothing_is_asked_without_a_new_value():
    assert rehearse(None, None, sharded(), NOW).effects == ()
    done = {"value": "1", "finished": "x", "result": "Completed"}
    assert rehearse("1", done, sharded(), NOW).effects == ()


def test_a_group_that_cannot_fail_over_is_refused_in_words():
    single = observed()
    [record, warning] = rehearse("try", None, single, NOW).effects
    assert isinstance(record, Record) and record.status["lastFailoverTest"]["result"] == "Refused"
    assert "enableAutomaticFailover: true" in record.status["lastFailoverTest"]["message"]
    assert isinstance(warning, Post) and warning.event.type == "Warning"
    no_replica = dataclasses.replace(observed(failover=True), replica_counts=(0,), replicas_per_shard=0)
    [record, _] = rehearse("try", None, no_replica, NOW).effects
    assert "numReplicaNodes: 1" in record.status["lastFailoverTest"]["message"]


def test_each_shard_in_turn_once_the_last_ones_primary_moved():
    first = rehearse("drill-1", None, sharded(), NOW)
    [test] = first.effects
    assert isinstance(test, failover.TestFailover) and test.shard_id == "0001"
    assert test.record["shards"] == [
        {"id": "0001", "result": "Started", "started": "2026-12-04T12:00:00Z", "primaryBefore": "a-0001-001"}
    ]
    assert first.verdict.ready == "True" and "shard 0001" in first.verdict.message and first.verdict.progressing

    waiting = rehearse("drill-1", test.record, sharded(), NOW)
    assert waiting.effects == () and waiting.verdict.progressing  # its primary has not moved yet

    moved = sharded(("a-0001-002", "a-0002-001"))
    [second] = rehearse("drill-1", test.record, moved, NOW).effects
    assert second.shard_id == "0002" and second.record["shards"][0]["result"] == "Completed"
    assert second.record["shards"][0]["primaryAfter"] == "a-0001-002"

    both = sharded(("a-0001-002", "a-0002-002"))
    [record, post] = rehearse("drill-1", second.record, both, NOW).effects
    result = record.status["lastFailoverTest"]
    assert result["result"] == "Completed" and result["finished"] and len(result["shards"]) == 2
    assert post.event.reason == "FailoverTestCompleted"


def test_a_new_value_starts_a_new_test():
    done = {"value": "1", "finished": "x", "result": "Completed", "shards": [{"id": "0001"}]}
    [test] = rehearse("2", done, sharded(), NOW).effects
    assert test.record["value"] == "2" and [s["id"] for s in test.record["shards"]] == ["0001"]
    assert test.refused["result"] == "Failed"
