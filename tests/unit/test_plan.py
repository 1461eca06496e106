"""Desired vs observed → ordered steps: one AWS change at a time, in an order that keeps capacity."""

from elasticache_operator.core.naming import ownership_tags
from elasticache_operator.core.password import Pending
from elasticache_operator.core.plan import auth_token_step, plan_changes, version_satisfies

from .builders import desired, observed

SHARDED = dict(sharded=True, failover=True)


def operations(plan):
    return [(step.operation, {k: v for k, v in step.request.items() if k != "ApplyImmediately"}) for step in plan.steps]


def test_matching_group_is_in_sync():
    assert plan_changes(desired(), observed(), log_retention_applied=90).in_sync


def test_the_log_group_retention_is_set_when_it_was_never_set_or_changed():
    assert plan_changes(desired(), observed()).log_group.retention_days == 90
    assert plan_changes(desired(logging={"retentionDays": 30}), observed(), log_retention_applied=90).log_group
    assert plan_changes(desired(logging={"disabled": True}), observed(slow_log=False)).log_group is None


def test_patch_versions_satisfy_minor_versions():
    assert version_satisfies("6.2.6", "6.2") and not version_satisfies("6.0.5", "6.2")
    assert version_satisfies("7.1.0", "7.1.0")


def test_in_place_changes_are_separate_steps_every_one_applied_immediately():
    plan = plan_changes(
        desired(
            instanceSize="cache.r7g.large",
            engineVersion="7.1",
            automatedBackupRetentionDays=7,
            numReplicaNodes=1,
            enableAutomaticFailover=True,
        ),
        observed(replicas=1),
    )
    assert operations(plan) == [
        ("ModifyReplicationGroup", {"CacheNodeType": "cache.r7g.large"}),
        ("ModifyReplicationGroup", {"EngineVersion": "7.1", "CacheParameterGroupName": "default.redis7"}),
        ("ModifyReplicationGroup", {"SnapshotRetentionLimit": 7, "AutomaticFailoverEnabled": True}),
    ]
    assert all(step.request["ApplyImmediately"] is True for step in plan.steps)
    assert plan.unsupported == ()


def test_several_changes_go_in_the_safe_order():
    """Shards out, replicas up, modify, AuthToken, replicas down, shards in."""
    token = auth_token_step(Pending("a-new-password-1234", "ROTATE", ""))
    grow = plan_changes(
        desired(enableSharding=True, numShards=4, numReplicaNodes=2, instanceSize="cache.r7g.large"),
        observed(shards=2, replicas=1, **SHARDED),
        auth_step=token,
    )
    assert [s.summary for s in grow.steps] == [
        "ModifyReplicationGroupShardConfiguration 2→4 shards",
        "IncreaseReplicaCount 1→2",
        "ModifyReplicationGroup node type cache.t4g.micro→cache.r7g.large",
        "ModifyReplicationGroup AuthToken ROTATE",
    ]
    shrink = plan_changes(
        desired(enableSharding=True, numShards=2, numReplicaNodes=1, instanceSize="cache.r7g.large"),
        observed(shards=4, replicas=3, **SHARDED),
        auth_step=token,
    )
    assert [s.operation for s in shrink.steps] == [
        "ModifyReplicationGroup",
        "ModifyReplicationGroup",
        "DecreaseReplicaCount",
        "ModifyReplicationGroupShardConfiguration",
    ]


def test_scaling_in_removes_the_highest_numbered_shards():
    plan = plan_changes(
        desired(enableSharding=True, numShards=2, numReplicaNodes=1), observed(shards=5, replicas=1, **SHARDED)
    )
    assert operations(plan) == [
        (
            "ModifyReplicationGroupShardConfiguration",
            {"NodeGroupCount": 2, "NodeGroupsToRemove": ["0005", "0004", "0003"]},
        )
    ]


def test_replicas_change_for_every_shard_even_when_a_change_was_cut_short():
    plan = plan_changes(
        desired(enableSharding=True, numShards=3, numReplicaNodes=2),
        observed(shards=3, replica_counts=[1, 3, 2], **SHARDED),
    )
    assert operations(plan) == [
        ("IncreaseReplicaCount", {"ReplicaConfiguration": [{"NodeGroupId": "0001", "NewReplicaCount": 2}]}),
        ("DecreaseReplicaCount", {"ReplicaConfiguration": [{"NodeGroupId": "0002", "NewReplicaCount": 2}]}),
    ]
    assert plan.steps[0].summary == "IncreaseReplicaCount shard 0001 1→2"


def test_failover_goes_off_before_the_last_replica_goes():
    plan = plan_changes(desired(numReplicaNodes=0), observed(replicas=1, failover=True))
    assert operations(plan) == [
        ("ModifyReplicationGroup", {"AutomaticFailoverEnabled": False}),
        ("DecreaseReplicaCount", {"NewReplicaCount": 0}),
    ]


def test_failover_comes_on_after_the_first_replica_comes():
    plan = plan_changes(desired(numReplicaNodes=1, enableAutomaticFailover=True), observed(replicas=0))
    assert operations(plan) == [
        ("IncreaseReplicaCount", {"NewReplicaCount": 1}),
        ("ModifyReplicationGroup", {"AutomaticFailoverEnabled": True}),
    ]


def test_slow_log_on_off_and_format():
    off = plan_changes(desired(logging={"disabled": True}), observed())
    assert operations(off) == [
        ("ModifyReplicationGroup", {"LogDeliveryConfigurations": [{"LogType": "slow-log", "Enabled": False}]})
    ]
    on = plan_changes(desired(logging={"format": "text"}), observed(slow_log=False))
    [(operation, request)] = operations(on)
    [delivery] = request["LogDeliveryConfigurations"]
    assert delivery["Enabled"] is True and delivery["LogFormat"] == "text" and on.log_group is not None
    assert delivery["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"] == on.log_group.log_group
    changed = plan_changes(desired(logging={"format": "text"}), observed(log_format="json"))
    assert changed.steps[0].summary == "ModifyReplicationGroup slow log json→text"


def test_downgrade_is_refused_not_sent():
    plan = plan_changes(desired(engineVersion="6.0"), observed(engine_version="6.2.6"))
    assert plan.steps == ()
    assert any("downgrade" in u and "set engineVersion back" in u for u in plan.unsupported)


def test_tags_are_added_changed_and_removed_but_aws_tags_kept():
    have = {
        **ownership_tags("shop", "cache", "uid-1", "prod"),
        "team": "old",
        "gone": "x",
        "aws:cloudformation:stack": "s",
    }
    plan = plan_changes(
        desired(tags={"team": "new"}), observed(tags=have), tag_keys_applied=frozenset({"team", "gone"})
    )
    assert plan.add_tags == {"team": "new"}
    assert plan.remove_tags == ("gone",)


def test_tags_the_operator_never_set_are_left_alone():
    have = {**ownership_tags("shop", "cache", "uid-1", "prod"), "CostCenter": "42", "team": "a"}
    plan = plan_changes(desired(tags={"team": "a"}), observed(tags=have), tag_keys_applied=frozenset({"team"}))
    assert plan.remove_tags == () and plan.add_tags == {}


def test_what_only_a_new_cluster_can_change_is_refused_with_what_to_do():
    resharded = plan_changes(desired(enableSharding=True, numReplicaNodes=1, numShards=2), observed())
    assert resharded.steps == () and any("needs engineVersion 7.0 or later" in u for u in resharded.unsupported)
    moved = plan_changes(desired(port=6380), observed())
    assert any("port is fixed at creation" in u and "create a new RedisCluster" in u for u in moved.unsupported)
    assert plan_changes(desired(numReplicaNodes=2), observed()).unsupported == ()


def test_windows_and_notifications_the_spec_states_are_applied_and_unset_ones_left_to_aws():
    import dataclasses

    group = dataclasses.replace(observed(), maintenance_window="sun:05:00-sun:06:00", snapshot_window="07:00-08:00")
    assert plan_changes(desired(), group).steps == ()  # unset: AWS's choice stands
    wanted = desired(
        maintenanceWindow="tue:03:00-tue:04:00",
        snapshotWindow="05:00-06:00",
        notificationTopicArn="arn:aws:sns:us-east-1:123456789012:cache-events",
    )
    [step] = plan_changes(wanted, group).steps
    assert step.request["PreferredMaintenanceWindow"] == "tue:03:00-tue:04:00"
    assert step.request["SnapshotWindow"] == "05:00-06:00"
    assert step.request["NotificationTopicArn"].endswith(":cache-events")
    assert step.request["NotificationTopicStatus"] == "active"
    assert {c.field for c in step.changes} == {"maintenanceWindow", "snapshotWindow", "notificationTopicArn"}


def test_a_minor_upgrade_made_by_aws_is_neither_drift_nor_a_downgrade_to_try():
    was = {"version_in_effect": "7.1.2"}  # the spec named it when the group last matched
    plan = plan_changes(desired(engineVersion="7.1.2"), observed(engine_version="7.1.5"), **was)
    assert plan.steps == () and plan.unsupported == ()
    off = desired(engineVersion="7.1.2", autoMinorVersionUpgrade=False)
    assert "downgrade" in plan_changes(off, observed(engine_version="7.1.5"), **was).unsupported[0]
    asked = plan_changes(desired(engineVersion="7.1.2"), observed(engine_version="7.1.5"), version_in_effect="7.2")
    assert "downgrade" in asked.unsupported[0]  # the user lowered the spec: that is a downgrade
    major = plan_changes(desired(engineVersion="6.2"), observed(engine_version="7.0.7"), version_in_effect="6.2")
    assert major.unsupported and "downgrade" in major.unsupported[0]
