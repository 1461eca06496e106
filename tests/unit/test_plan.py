from elasticache_operator.core.naming import ownership_tags
from elasticache_operator.core.plan import plan_changes, version_satisfies

from .builders import desired, observed


def test_matching_group_is_in_sync():
    assert plan_changes(desired(), observed()).in_sync


def test_patch_versions_satisfy_minor_versions():
    assert version_satisfies("6.2.6", "6.2") and not version_satisfies("6.0.5", "6.2")
    assert version_satisfies("7.1.0", "7.1.0")


def test_in_place_changes_become_one_modify():
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
    assert plan.modify == {
        "CacheNodeType": "cache.r7g.large",
        "EngineVersion": "7.1",
        "SnapshotRetentionLimit": 7,
        "AutomaticFailoverEnabled": True,
        "ApplyImmediately": True,
    }
    assert plan.unsupported == ()


def test_downgrade_is_refused_not_sent():
    plan = plan_changes(desired(engineVersion="6.0"), observed(engine_version="6.2.6"))
    assert "EngineVersion" not in plan.modify
    assert any("downgrade" in u for u in plan.unsupported)


def test_tags_are_added_changed_and_removed_but_aws_tags_kept():
    have = {
        **ownership_tags("shop", "cache", "uid-1", "prod"),
        "team": "old",
        "gone": "x",
        "aws:cloudformation:stack": "s",
    }
    plan = plan_changes(desired(tags={"team": "new"}), observed(tags=have))
    assert plan.add_tags == {"team": "new"}
    assert plan.remove_tags == ("gone",)


def test_changes_that_cannot_be_applied_in_place_are_reported():
    assert any(
        "sharding is fixed" in u
        for u in plan_changes(desired(enableSharding=True, numReplicaNodes=1), observed()).unsupported
    )
    assert any("numReplicaNodes 0→2" in u for u in plan_changes(desired(numReplicaNodes=2), observed()).unsupported)
    assert any("port" in u for u in plan_changes(desired(port=6380), observed()).unsupported)
    sharded = dict(sharded=True, shards=2, replicas=1, failover=True)
    assert any(
        "numShards 2→3" in u
        for u in plan_changes(
            desired(enableSharding=True, numShards=3, numReplicaNodes=1), observed(**sharded)
        ).unsupported
    )
    assert plan_changes(desired(enableSharding=True, numShards=2, numReplicaNodes=1), observed(**sharded)).in_sync
