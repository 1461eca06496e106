"""One visit of a managed RedisCluster, decided: the effects in the order the shell must carry them out."""

import dataclasses
import datetime

from elasticache_operator.core import conditions as c
from elasticache_operator.core.access import (
    AccessChanges,
    AuthorizeIngress,
    CreateSecurityGroup,
    DeleteSecurityGroup,
    RevokeIngress,
    Rule,
    WantedGroup,
    change_effects,
    removal_effects,
)
from elasticache_operator.core.adoption import decide_adoption, decide_observing
from elasticache_operator.core.connection import ConnectionSecret
from elasticache_operator.core.deletion import decide_deletion, policy_of
from elasticache_operator.core.desired import Placement
from elasticache_operator.core.effects import (
    ApplyStep,
    ChangeTags,
    CheckOwnership,
    CreateGroup,
    DeleteGroup,
    DeleteLogGroup,
    DeletePending,
    EnsureLogGroup,
    Post,
    Record,
    WriteConnectionSecret,
    WritePending,
)
from elasticache_operator.core.password import Pending
from elasticache_operator.core.visit import Situation, decide_visit

from .builders import IDENTITY, desired, observed

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
PASSWORD = "a-valid-password-123"


def situation(**overrides):
    fields = {
        "identity": IDENTITY,
        "generation": 1,
        "status": {},
        "desired": desired(),
        "password": PASSWORD,
        "observed": None,
        "secret_name": "cache-redis",
        "placement": Placement("private", ("sg-settings",)),
        "now": NOW,
        "password_grace": datetime.timedelta(seconds=600),
        "poll_seconds": 15.0,
        "retry_seconds": 60.0,
    }
    return Situation(**{**fields, **overrides})


def kinds(decided):
    return [type(e).__name__ for e in decided.effects]


def published(password=PASSWORD):
    data = {"password": password, "host": "h"}
    return ConnectionSecret(exists=True, owned=True, data=data, resource_version="7")


VERSION = "redis-password/password@41"
WRITTEN_DOWN = {"generation": 1, "passwordVersion": VERSION}


def test_a_missing_group_gets_its_log_group_and_the_password_version_written_down_first():
    decided = decide_visit(situation(password_version=VERSION))
    assert kinds(decided) == ["EnsureLogGroup", "Record"]
    log_group, record = decided.effects
    assert isinstance(log_group, EnsureLogGroup) and log_group.status == {"slowLogRetentionDays": 90}
    assert record.status == {"creation": WRITTEN_DOWN} and PASSWORD not in repr(record)
    assert decided.requeue_after == 0.0  # the create follows at once, in the next visit
    assert decided.verdict.reason == c.CREATING and decided.status["replicationGroupId"] == IDENTITY.group_id


def test_once_written_down_the_create_is_sent_with_that_password():
    decided = decide_visit(situation(password_version=VERSION, status={"creation": WRITTEN_DOWN}))
    assert kinds(decided) == ["CreateGroup"]
    [create] = decided.effects
    assert isinstance(create, CreateGroup) and create.request["AuthToken"] == PASSWORD
    assert create.request["CacheSubnetGroupName"] == "private" and create.request["SecurityGroupIds"] == ["sg-settings"]
    assert decided.requeue_after is None and decided.verdict.reason == c.CREATING


def test_a_new_generation_or_password_before_the_create_is_written_down_again():
    for other in ({"generation": 0}, {"passwordVersion": "redis-password/password@40"}):
        status = {"creation": {**WRITTEN_DOWN, **other}}
        decided = decide_visit(situation(password_version=VERSION, status=status))
        assert kinds(decided) == ["EnsureLogGroup", "Record"]
        assert decided.effects[-1].status == {"creation": WRITTEN_DOWN}


def test_the_password_a_group_was_created_with_is_published_and_the_record_cleared():
    missing = ConnectionSecret(exists=False, owned=False, data={}, resource_version=None)
    decided = decide_visit(
        situation(
            password_version=VERSION,
            observed=observed(),
            connection=missing,
            status={"slowLogRetentionDays": 90, "creation": WRITTEN_DOWN},
        )
    )
    assert kinds(decided) == ["Record", "WriteConnectionSecret"]
    secret = decided.effects[1]
    assert isinstance(secret, WriteConnectionSecret) and secret.data["password"] == PASSWORD
    assert secret.status == {"creation": None}


def test_a_password_changed_while_aws_created_the_group_is_rotated_in_before_anything_is_published():
    missing = ConnectionSecret(exists=False, owned=False, data={}, resource_version=None)
    changed = situation(
        password="changed-meanwhile-12345",
        password_version="redis-password/password@57",
        observed=observed(auth_token_modified="2026-12-04T11:00:00Z"),
        connection=missing,
        status={"slowLogRetentionDays": 90, "creation": WRITTEN_DOWN},
    )
    decided = decide_visit(changed)
    assert "WriteConnectionSecret" not in kinds(decided)  # which token AWS holds is not known
    pending, step = (e for e in decided.effects if isinstance(e, (WritePending, ApplyStep)))
    assert pending.pending == Pending("changed-meanwhile-12345", "ROTATE", "2026-12-04T11:00:00Z")
    assert step.step.request["AuthTokenUpdateStrategy"] == "ROTATE"  # AWS takes SET only after a ROTATE
    # Not applied yet (the group is modifying): still nothing published.
    applying = dataclasses.replace(
        changed,
        observed=observed(status="modifying", auth_token_modified="2026-12-04T11:00:00Z"),
        pending=pending.pending,
        status={**changed.status, "passwordPending": True},
    )
    assert "WriteConnectionSecret" not in kinds(decide_visit(applying))
    # Applied: the connection Secret gets the token AWS now holds; the record of the create goes, and the
    # rotation goes on as any other (the grace period, then SET).
    applied = dataclasses.replace(applying, observed=observed(auth_token_modified="2026-12-04T11:30:00Z"))
    decided = decide_visit(applied)
    secret = next(e for e in decided.effects if isinstance(e, WriteConnectionSecret))
    assert secret.data["password"] == "changed-meanwhile-12345" and secret.status == {"creation": None}
    journal = next(e for e in decided.effects if isinstance(e, WritePending))
    assert journal.pending.published_at == NOW.isoformat()


def test_a_journal_of_an_earlier_version_still_publishes_the_token_the_group_was_created_with():
    """A create written down in a pending Secret by an operator before this one (upgraded mid-create)."""
    pending = Pending("the-created-password-1234", "CREATE", "")
    missing = ConnectionSecret(exists=False, owned=False, data={}, resource_version=None)
    decided = decide_visit(
        situation(
            password="changed-meanwhile-12345",  # the password Secret changed while AWS was creating the group
            observed=observed(),
            connection=missing,
            pending=pending,
            status={"slowLogRetentionDays": 90, "passwordPending": True},
        )
    )
    assert kinds(decided) == ["Record", "WriteConnectionSecret", "DeletePending"]
    secret, delete = decided.effects[1:]
    assert isinstance(secret, WriteConnectionSecret) and secret.data["password"] == "the-created-password-1234"
    assert isinstance(delete, DeletePending) and delete.status == {"passwordPending": None}


def test_the_access_groups_replace_the_settings_groups_at_create():
    wanted = dataclasses.replace(desired(), security_group_ids=("sg-own", "sg-settings"))
    written_down = {"creation": {"generation": 1, "passwordVersion": ""}}
    [create] = decide_visit(situation(desired=wanted, status=written_down)).effects
    assert create.request["SecurityGroupIds"] == ["sg-own", "sg-settings"]


def test_no_secret_holds_a_token_in_its_repr():
    decided = decide_visit(situation())
    assert PASSWORD not in repr(decided.effects) and PASSWORD not in repr(situation())


def test_an_available_group_in_sync_gets_only_its_connection_secret():
    decided = decide_visit(situation(observed=observed(), connection=published(), status={"slowLogRetentionDays": 90}))
    assert kinds(decided) == ["Record", "WriteConnectionSecret"]
    record, secret = decided.effects
    assert isinstance(record, Record)
    assert record.status == {"applying": None, "tagKeys": [], "requestedEngineVersion": "6.2"}
    assert isinstance(secret, WriteConnectionSecret) and secret.data["password"] == PASSWORD
    assert secret.data["host"] == f"master.{IDENTITY.group_id}.cache.amazonaws.com"
    assert decided.verdict.ready == "True"


def test_a_change_checks_ownership_first_then_steps_then_tags():
    decided = decide_visit(
        situation(
            desired=desired(numReplicaNodes=1, tags={"team": "checkout"}),
            observed=observed(),
            connection=published(),
            status={"slowLogRetentionDays": 90},
        )
    )
    assert kinds(decided) == ["CheckOwnership", "ApplyStep", "Post", "ChangeTags", "Record", "WriteConnectionSecret"]
    check, step, post, tags = decided.effects[:4]
    assert isinstance(check, CheckOwnership) and check.disowned.reason == c.NOT_OWNED
    assert isinstance(step, ApplyStep) and step.step.operation == "IncreaseReplicaCount"
    assert isinstance(post, Post) and post.event.reason == "ApplyingChange"
    assert post.event.message == "Applying step 1/1: IncreaseReplicaCount 0→1"
    assert isinstance(tags, ChangeTags) and tags.add == {"team": "checkout"} and tags.result["team"] == "checkout"


def test_a_rotation_writes_its_journal_before_the_call():
    decided = decide_visit(
        situation(
            observed=observed(auth_token_modified="2026-12-01T00:00:00Z"),
            connection=published("the-old-password-1234"),
            status={"slowLogRetentionDays": 90},
        )
    )
    assert kinds(decided)[:3] == ["CheckOwnership", "WritePending", "ApplyStep"]
    pending, step = decided.effects[1], decided.effects[2]
    assert isinstance(pending, WritePending) and pending.pending.call == "ROTATE"
    assert isinstance(step, ApplyStep) and step.step.request["AuthTokenUpdateStrategy"] == "ROTATE"


def test_the_grace_period_brings_the_visit_back_when_it_ends_or_four_polls_at_the_latest():
    stamp = (NOW - datetime.timedelta(seconds=590)).isoformat()
    pending = Pending("the-new-password-1234", "ROTATE", "2026-12-01T00:00:00Z", published_at=stamp)
    decided = decide_visit(
        situation(
            password="the-new-password-1234",
            observed=observed(auth_token_modified="2026-12-04T11:00:00Z"),
            connection=published("the-new-password-1234"),
            pending=pending,
            status={"slowLogRetentionDays": 90, "passwordPending": True},
        )
    )
    assert decided.requeue_after == 10.0 and decided.status["passwordPending"] is True
    later = dataclasses.replace(pending, published_at=NOW.isoformat())
    decided = decide_visit(
        situation(
            password="the-new-password-1234",
            observed=observed(auth_token_modified="2026-12-04T11:00:00Z"),
            connection=published("the-new-password-1234"),
            pending=later,
            status={"slowLogRetentionDays": 90},
        )
    )
    assert decided.requeue_after == 60.0


def test_a_settled_rotation_deletes_its_journal_and_says_so():
    pending = Pending("the-new-password-1234", "SET", "2026-12-04T11:00:00Z", published_at=NOW.isoformat())
    decided = decide_visit(
        situation(
            password="the-new-password-1234",
            observed=observed(auth_token_modified="2026-12-04T11:30:00Z"),
            connection=published("the-new-password-1234"),
            pending=pending,
            status={"slowLogRetentionDays": 90, "passwordPending": True},
        )
    )
    assert kinds(decided)[-2:] == ["DeletePending", "Post"]
    delete, post = decided.effects[-2:]
    assert isinstance(delete, DeletePending) and delete.status == {"passwordPending": None}
    assert post.event.reason == "PasswordRotated"


def test_access_changes_become_ec2_calls_in_an_order_ec2_accepts():
    changes = AccessChanges(
        create=(WantedGroup("g-clients", "clients", "clients"),),
        authorize=(("sg-1", Rule(6379, cidr="10.0.0.0/16")),),
        revoke=(("sg-1", Rule(6379, cidr="0.0.0.0/0")),),
        security_group_ids=("sg-1",),
        delete=("sg-old",),
        clients_group_id=None,
    )
    effects = change_effects(changes, "vpc-1", {"elasticache-operator.io/uid": "uid-1"})
    assert [type(e) for e in effects] == [CreateSecurityGroup, AuthorizeIngress, RevokeIngress, DeleteSecurityGroup]
    assert effects[0].tags == {
        "elasticache-operator.io/uid": "uid-1",
        "elasticache-operator.io/security-group-role": "clients",
    }
    removal = removal_effects([("sg-clients", "clients"), ("sg-cluster", "cluster")])
    assert [e.security_group_id for e in removal] == ["sg-cluster", "sg-clients"] and all(e.said for e in removal)


def test_a_deletion_snapshots_only_an_available_group_and_waits_for_aws():
    gid = IDENTITY.group_id
    decided = decide_deletion("Snapshot", observed(), gid, "uid-1", "2026-12-04T12:00:05Z", "cache-redis", [])
    assert [type(e) for e in decided.effects] == [CheckOwnership, DeleteGroup, Post] and not decided.done
    assert decided.effects[1].final_snapshot == f"{gid}-final-20261204-120005"
    failed = decide_deletion("Snapshot", observed(status="create-failed"), gid, "uid-1", "x", "cache-redis", [])
    assert failed.effects[1].final_snapshot is None
    busy = decide_deletion("Delete", observed(status="snapshotting"), gid, "uid-1", "x", "cache-redis", [])
    assert busy.effects == () and not busy.done and "leave snapshotting" in busy.verdict.message


def test_a_deletion_is_done_only_once_ec2_lists_no_security_group():
    gid = IDENTITY.group_id
    with_groups = decide_deletion("Delete", None, gid, "uid-1", "x", "", [("sg-1", "cluster")])
    assert [type(e) for e in with_groups.effects] == [DeleteLogGroup, DeleteSecurityGroup] and not with_groups.done
    gone = decide_deletion("Delete", None, gid, "uid-1", "x", "", [])
    assert gone.done and [type(e) for e in gone.effects] == [Post, DeleteLogGroup]
    kept = decide_deletion("Retain", None, gid, "uid-1", "x", "", [])
    assert kept.done and [type(e) for e in kept.effects] == [Post]


def test_a_deletion_leaves_what_is_not_ours_and_what_the_policy_keeps():
    gid = IDENTITY.group_id
    theirs = decide_deletion("Delete", observed(tags={"owner": "terraform"}), gid, "uid-1", "x", "", [])
    assert theirs.done and theirs.effects[0].event.type == "Warning"
    retained = decide_deletion("Retain", observed(), gid, "uid-1", "x", "", [])
    assert retained.done and retained.effects[0].event.reason == "Retained"
    assert policy_of({}) == "Snapshot" and policy_of({"deletionPolicy": "bogus"}) == "Snapshot"


def test_an_adoption_tags_the_group_and_says_so():
    decided = decide_adoption(desired(tags={"team": "a"}), observed(tags={"made-by": "terraform"}), "uid-1", "s")
    tags, post = decided.effects
    assert isinstance(tags, ChangeTags) and tags.result["made-by"] == "terraform" and tags.remove == ()
    assert post.event.reason == "Adopted" and decided.status["tagKeys"] == ["team"]
    missing = decide_adoption(desired(), None, "uid-1", "s")
    assert missing.retry and missing.effects == () and missing.status == {"connectionSecretName": "s"}


def test_observing_writes_the_secret_only_with_a_password():
    connection = ConnectionSecret(exists=False, owned=False, data={}, resource_version=None)
    decided = decide_observing(desired(), observed(), PASSWORD, connection, "s")
    assert [type(e) for e in decided.effects] == [WriteConnectionSecret]
    assert decide_observing(desired(), observed(), None, None, "s").effects == ()


SETTLED = {
    "observedGeneration": 1,
    "slowLogRetentionDays": 90,
    "engineVersion": "6.2.6",
    "tagKeys": ["team"],
    "conditions": [{"type": "Ready", "status": "True", "reason": "Available", "observedGeneration": 1}],
}


def drift_warnings(decided):
    return [e.event.message for e in decided.effects if isinstance(e, Post) and e.event.reason == "DriftCorrected"]


def test_what_differs_once_the_spec_is_in_effect_is_drift_said_in_a_warning_naming_field_and_values():
    decided = decide_visit(
        situation(
            desired=desired(automatedBackupRetentionDays=3, tags={"team": "checkout"}),
            observed=observed(retention=9, tags={**observed().tags, "team": "search"}),
            connection=published(),
            status=SETTLED,
        )
    )
    assert drift_warnings(decided) == [
        "automatedBackupRetentionDays was changed outside the operator: ElastiCache has 9, the spec says 3;"
        " putting it back",
        "tags.team was changed outside the operator: ElastiCache has search, the spec says checkout; putting it back",
    ]
    assert all(
        e.event.type == "Warning" for e in decided.effects if isinstance(e, Post) and e.event.reason != "ApplyingChange"
    )


def test_a_new_generation_or_a_change_under_way_is_no_drift():
    changed = decide_visit(
        situation(
            desired=desired(automatedBackupRetentionDays=3),
            observed=observed(retention=0),
            connection=published(),
            generation=2,
            status=SETTLED,
        )
    )
    assert drift_warnings(changed) == [] and kinds(changed)[:2] == ["CheckOwnership", "ApplyStep"]
    applying = {**SETTLED, "applying": {"generation": 1, "step": 1, "steps": 2, "action": "x"}}
    under_way = decide_visit(
        situation(desired=desired(automatedBackupRetentionDays=3), observed=observed(), status=applying)
    )
    assert drift_warnings(under_way) == []


def test_ready_waits_for_the_engine_version_when_the_status_has_none_yet():
    waiting = decide_visit(situation(observed=observed(engine_version=None), connection=published()))
    assert waiting.verdict.ready == "False" and waiting.verdict.reason == c.CREATING and waiting.verdict.progressing
    assert not [e for e in waiting.effects if isinstance(e, WriteConnectionSecret)]
    known = decide_visit(situation(observed=observed(engine_version=None), connection=published(), status=SETTLED))
    assert known.verdict.ready == "True"


def test_a_slow_log_delivery_in_error_is_reported_and_asked_for_again_only_after_the_retry_interval():
    group = observed()
    failed = dataclasses.replace(group, slow_log=None, slow_log_error="the resource policy is missing")
    first = decide_visit(situation(observed=failed, connection=published(), status=SETTLED))
    assert first.verdict.reason == c.AWS_ERROR and "the resource policy is missing" in first.verdict.message
    assert not [e for e in first.effects if isinstance(e, (ApplyStep, EnsureLogGroup))] and first.requeue_after == 60
    assert first.status["slowLogError"] == {"message": "the resource policy is missing", "since": NOW.isoformat()}
    waited = {**SETTLED, "slowLogError": first.status["slowLogError"]}
    soon = decide_visit(
        situation(observed=failed, connection=published(), status=waited, now=NOW + datetime.timedelta(seconds=20))
    )
    assert soon.verdict.reason == c.AWS_ERROR and soon.requeue_after == 40
    due = decide_visit(
        situation(observed=failed, connection=published(), status=waited, now=NOW + datetime.timedelta(seconds=60))
    )
    [step] = [e for e in due.effects if isinstance(e, ApplyStep)]
    assert "LogDeliveryConfigurations" in step.step.request and due.verdict.reason == c.MODIFYING
    assert due.status["slowLogError"]["since"] == (NOW + datetime.timedelta(seconds=60)).isoformat()
    healthy = decide_visit(situation(observed=group, connection=published(), status=waited))
    assert healthy.status["slowLogError"] is None and healthy.verdict.ready == "True"
