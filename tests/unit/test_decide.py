from elasticache_operator.core import conditions as c
from elasticache_operator.core.decide import decide, holding_after_failure, status_fields

from .builders import IDENTITY, desired, observed


def test_missing_group_is_created():
    decision = decide(desired(), None, "uid-1")
    assert decision.create and decision.verdict.reason == c.CREATING and decision.verdict.progressing


def test_group_of_someone_else_is_never_touched():
    decision = decide(desired(), observed(tags={"owner": "terraform"}), "uid-1")
    assert decision.verdict.reason == c.NOT_OWNED and decision.verdict.terminal
    assert not decision.create and decision.plan is None and not decision.write_secret


def test_available_group_is_ready_and_gets_its_secret():
    decision = decide(desired(), observed(), "uid-1")
    assert decision.verdict.ready == "True" and decision.write_secret and decision.plan.in_sync


def test_busy_group_is_waited_for():
    for status, reason in [("creating", c.CREATING), ("modifying", c.MODIFYING), ("deleting", c.DELETING)]:
        decision = decide(desired(instanceSize="cache.r7g.large"), observed(status=status), "uid-1")
        assert decision.verdict.reason == reason and decision.plan is None and decision.verdict.progressing


def test_create_failed_is_terminal():
    decision = decide(desired(), observed(status="create-failed"), "uid-1")
    assert decision.verdict.reason == c.CREATE_FAILED and decision.verdict.terminal


def test_modification_reports_what_it_applies():
    decision = decide(desired(instanceSize="cache.r7g.large"), observed(), "uid-1")
    assert decision.verdict.reason == c.MODIFYING and "CacheNodeType" in decision.verdict.message


def test_unsupported_change_is_terminal_with_the_reason():
    decision = decide(desired(numReplicaNodes=2), observed(), "uid-1")
    assert decision.verdict.reason == c.CHANGE_NOT_SUPPORTED and decision.verdict.terminal
    assert "numReplicaNodes 0→2" in decision.verdict.message
    assert decision.write_secret  # the group still serves; the Secret stays right


def test_holding_only_for_the_same_generation_after_a_terminal_aws_error():
    conditions = c.apply_verdict([], c.Verdict("False", c.AWS_ERROR, "quota", terminal=True), 3, "t")
    assert holding_after_failure({"conditions": conditions}, 3)
    assert not holding_after_failure({"conditions": conditions}, 4)


def test_status_fields_from_observed():
    fields = status_fields(
        IDENTITY.group_id, observed(sharded=True, shards=2, replicas=1, failover=True), "cache-redis"
    )
    assert fields["host"].startswith("clustercfg.") and fields["readerHost"] == ""
    assert (fields["shards"], fields["replicasPerShard"], fields["sharding"]) == (2, 1, "enabled")
    assert fields["engineVersion"] == "6.2.6" and fields["port"] == 6379


def test_status_keeps_the_last_engine_version_while_aws_is_busy():
    fields = status_fields(IDENTITY.group_id, observed(status="modifying", engine_version=None), "cache-redis")
    assert "engineVersion" not in fields and fields["status"] == "modifying"


def test_an_object_managed_by_another_installation_is_not_taken():
    from elasticache_operator.core.decide import claimed_elsewhere

    never_reconciled: dict = {}
    assert claimed_elsewhere(never_reconciled, "eu") is None  # nobody manages it yet: take it
    ours = {"replicationGroupId": "g", "operatorInstance": "eu"}
    assert claimed_elsewhere(ours, "eu") is None
    relabelled = claimed_elsewhere(ours, "us")
    assert relabelled is not None and relabelled.terminal and relabelled.reason == "NotOwned"
    assert "'eu'" in relabelled.message and "'us'" in relabelled.message
    # Objects reconciled before the instance setting existed belong to the default installation.
    legacy = {"replicationGroupId": "g"}
    assert claimed_elsewhere(legacy, "") is None and claimed_elsewhere(legacy, "eu") is not None
