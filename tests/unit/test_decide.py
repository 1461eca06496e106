from elasticache_operator.core import conditions as c
from elasticache_operator.core.decide import Applying, decide, holding_after_failure, settled, status_fields
from elasticache_operator.core.password import PasswordAction, Pending

from .builders import IDENTITY, desired, observed


def test_missing_group_is_created():
    decision = decide(desired(), None, "uid-1")
    assert decision.create and decision.verdict.reason == c.CREATING and decision.verdict.progressing


def test_group_of_someone_else_is_never_touched():
    decision = decide(desired(), observed(tags={"owner": "terraform"}), "uid-1")
    assert decision.verdict.reason == c.NOT_OWNED and decision.verdict.terminal
    assert not decision.create and decision.plan is None and not decision.write_secret


def test_available_group_is_ready_and_gets_its_secret():
    decision = decide(desired(), observed(), "uid-1", log_retention_applied=90)
    assert decision.verdict.ready == "True" and decision.write_secret and decision.plan.in_sync
    assert decision.step is None and decision.applying is None


def test_busy_group_is_waited_for():
    for status, reason in [("creating", c.CREATING), ("modifying", c.MODIFYING), ("deleting", c.DELETING)]:
        decision = decide(desired(instanceSize="cache.r7g.large"), observed(status=status), "uid-1")
        assert decision.verdict.reason == reason and decision.plan is None and decision.verdict.progressing


def test_create_failed_is_terminal():
    decision = decide(desired(), observed(status="create-failed"), "uid-1")
    assert decision.verdict.reason == c.CREATE_FAILED and decision.verdict.terminal


def test_one_step_at_a_time_each_counted():
    change = desired(numReplicaNodes=2, instanceSize="cache.r7g.large")
    first = decide(change, observed(), "uid-1", generation=4)
    assert first.step.operation == "IncreaseReplicaCount" and first.verdict.reason == c.MODIFYING
    assert first.verdict.message == "Applying step 1/2: IncreaseReplicaCount 0→2"
    assert first.applying == Applying(4, 1, 2, "IncreaseReplicaCount 0→2")
    busy = decide(change, observed(status="modifying"), "uid-1", applying=first.applying, generation=4)
    assert busy.step is None and busy.applying == first.applying
    assert busy.verdict.message.startswith("Applying step 1/2: IncreaseReplicaCount 0→2")
    second = decide(change, observed(replicas=2), "uid-1", applying=first.applying, generation=4)
    assert (
        second.verdict.message == "Applying step 2/2: ModifyReplicationGroup node type cache.t4g.micro→cache.r7g.large"
    )
    restarted = decide(change, observed(replicas=2), "uid-1", applying=first.applying, generation=5)
    assert restarted.applying.step == 1  # a new generation counts afresh


def test_unsupported_change_is_terminal_with_the_reason():
    decision = decide(desired(port=6380), observed(), "uid-1")
    assert decision.verdict.reason == c.CHANGE_NOT_SUPPORTED and decision.verdict.terminal
    assert "port 6380" in decision.verdict.message and decision.step is None
    assert decision.write_secret  # the group still serves; the Secret stays right


def test_a_password_change_becomes_a_rotate_step_with_its_journal():
    action = PasswordAction("rotate", "a-new-password-1234")
    decision = decide(desired(), observed(auth_token_modified="2026-11-01T00:00:00Z"), "uid-1", password=action)
    assert decision.step.request["AuthTokenUpdateStrategy"] == "ROTATE"
    assert decision.step.pending == Pending("a-new-password-1234", "ROTATE", "2026-11-01T00:00:00Z")
    assert "a-new-password-1234" not in decision.verdict.message + decision.step.summary


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


def test_drift_is_told_also_when_the_outside_change_was_seen_under_way():
    """Ready went False (Modifying) because someone else's change was seen while AWS applied it: the spec
    was in effect all the same. A step of ours under way is no drift."""
    ready = {"type": "Ready", "status": "True", "reason": "Available", "observedGeneration": 3}
    assert settled({"observedGeneration": 3, "conditions": [ready]}, 3)
    theirs = {**ready, "status": "False", "reason": "Modifying"}
    assert settled({"observedGeneration": 3, "conditions": [theirs]}, 3)
    ours = {"generation": 3, "step": 1, "steps": 1, "action": "ModifyReplicationGroup backup retention 0→3 days"}
    assert not settled({"observedGeneration": 3, "conditions": [theirs], "applying": ours}, 3)
    assert not settled({"observedGeneration": 2, "conditions": [theirs]}, 3)
    assert not settled({"observedGeneration": 3, "conditions": [{**theirs, "reason": "Creating"}]}, 3)
