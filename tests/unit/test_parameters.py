"""spec.parameters: checked against the family's engine defaults before any AWS call, the custom group
made and filled before the replication group uses it, drift put back, and unused groups deleted."""

import dataclasses

import pytest

from elasticache_operator.core import conditions as c
from elasticache_operator.core.desired import default_parameter_group, family_of
from elasticache_operator.core.effects import CreateGroup, Post, Record
from elasticache_operator.core.parameters import (
    DeleteParameterGroups,
    EnsureParameterGroup,
    ParametersState,
    SetParameters,
    custom_group,
    parameter_changes,
    parameter_problems,
    plan_parameters,
    wanted_parameters,
)
from elasticache_operator.core.plan import plan_changes
from elasticache_operator.core.visit import decide_visit

from .builders import IDENTITY, desired, observed
from .test_visit import NOW, situation

# As DescribeEngineDefaultParameters reports them (redis7), a few of each kind.
DEFAULTS = (
    {
        "ParameterName": "maxmemory-policy",
        "ParameterValue": "volatile-lru",
        "DataType": "string",
        "AllowedValues": "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,"
        "volatile-ttl,noeviction",
        "IsModifiable": True,
        "ChangeType": "immediate",
    },
    {
        "ParameterName": "reserved-memory-percent",
        "ParameterValue": "25",
        "DataType": "integer",
        "AllowedValues": "0-100",
        "IsModifiable": True,
        "ChangeType": "immediate",
    },
    {
        "ParameterName": "notify-keyspace-events",
        "DataType": "string",
        "IsModifiable": True,
        "ChangeType": "immediate",
    },
    {
        "ParameterName": "timeout",
        "ParameterValue": "0",
        "DataType": "integer",
        "AllowedValues": "0,20-",
        "IsModifiable": True,
        "ChangeType": "immediate",
    },
    {
        "ParameterName": "maxclients",
        "ParameterValue": "65000",
        "DataType": "integer",
        "AllowedValues": "1-65000",
        "IsModifiable": False,
        "ChangeType": "requires-reboot",
    },
    {
        "ParameterName": "acl-pubsub-default",
        "ParameterValue": "allchannels",
        "DataType": "string",
        "AllowedValues": "resetchannels,allchannels",
        "IsModifiable": True,
        "ChangeType": "requires-reboot",
    },
    {
        "ParameterName": "cluster-enabled",
        "ParameterValue": "no",
        "DataType": "string",
        "AllowedValues": "yes,no",
        "IsModifiable": False,
        "ChangeType": "requires-reboot",
    },
)
GROUP = IDENTITY.group_id
MINE = custom_group(GROUP, "redis7")


def test_families_follow_engine_and_major_version():
    assert [family_of("redis", v) for v in ("5.0.6", "6.2", "7.1")] == ["redis5.0", "redis6.x", "redis7"]
    assert [family_of("valkey", v) for v in ("7.2", "8.0")] == ["valkey7", "valkey8"]
    assert default_parameter_group("redis", "7.1", sharded=True) == "default.redis7.cluster.on"
    assert MINE == f"{GROUP}-redis7" and custom_group(GROUP, "redis6.x").endswith("-redis6-x")


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"maxmemory-policy": "lru"}, "'lru' is not allowed; it takes one of volatile-lru, allkeys-lru"),
        ({"reserved-memory-percent": "125"}, "it takes an integer in 0-100"),
        ({"reserved-memory-percent": "a lot"}, "it takes an integer in 0-100"),
        ({"timeout": "10"}, "it takes an integer in 0,20-"),
        ({"notify-keyspace-events": "Exq"}, "use only the letters"),
        ({"maxclients": "100"}, "maxclients cannot be modified in redis7"),
        ({"maxmemory-polcy": "allkeys-lru"}, "the redis7 family has no parameter maxmemory-polcy"),
        ({"cluster-enabled": "yes"}, "the operator sets it from enableSharding"),
    ],
)
def test_values_the_family_refuses_are_named_with_what_is_allowed(values, said):
    [problem] = parameter_problems(values, "redis7", DEFAULTS)
    assert problem.startswith(f"spec.parameters.{next(iter(values))}: ") and said in problem


def test_values_the_family_takes_pass():
    values = {"maxmemory-policy": "allkeys-lru", "reserved-memory-percent": "25", "timeout": "300"}
    assert parameter_problems({**values, "notify-keyspace-events": "Ex", "timeout": "0"}, "redis7", DEFAULTS) == []


def test_an_invalid_parameter_is_refused_before_any_aws_call():
    wanted = wanted_parameters({"maxmemory-policy": "lru"}, GROUP, "redis", "7.1", sharded=False)
    decided = decide_visit(situation(parameters=ParametersState(wanted, DEFAULTS)))
    assert decided.verdict.reason == c.INVALID_SPEC and decided.verdict.terminal
    assert "spec.parameters.maxmemory-policy" in decided.verdict.message and decided.effects == ()


def test_a_new_group_gets_its_parameter_group_made_and_filled_before_it_is_created():
    wanted = wanted_parameters({"maxmemory-policy": "allkeys-lru"}, GROUP, "redis", "7.1", sharded=True)
    state = ParametersState(wanted, DEFAULTS, {}, exists=False)
    decided = decide_visit(situation(desired=desired(engineVersion="7.1"), parameters=state))
    kinds = [type(e) for e in decided.effects]
    assert kinds.index(EnsureParameterGroup) < kinds.index(SetParameters) < kinds.index(Record)
    assert CreateGroup not in kinds  # the next visit creates, once the password is written down
    made = next(e for e in decided.effects if isinstance(e, EnsureParameterGroup))
    sharded_group = custom_group(GROUP, "redis7", sharded=True)
    assert made.name == sharded_group == f"{MINE}-cluster-on" and made.family == "redis7"
    assert made.status == {"parameterGroups": [sharded_group]}
    filled = next(e for e in decided.effects if isinstance(e, SetParameters))
    assert dict(filled.changes.modify) == {"maxmemory-policy": "allkeys-lru", "cluster-enabled": "yes"}
    written_down = decided.effects[-1].status
    decided = decide_visit(situation(desired=desired(engineVersion="7.1"), parameters=state, status=written_down))
    [create] = decided.effects
    assert isinstance(create, CreateGroup) and create.request["CacheParameterGroupName"] == sharded_group


def test_changes_set_new_values_and_reset_removed_ones_naming_those_that_wait_for_a_reboot():
    wanted = wanted_parameters({"maxmemory-policy": "allkeys-lru"}, GROUP, "redis", "7.1", sharded=False)
    current = {"maxmemory-policy": "volatile-lru", "acl-pubsub-default": "resetchannels", "timeout": "0"}
    changes = parameter_changes(wanted, current, DEFAULTS)
    assert changes.modify == (("maxmemory-policy", "allkeys-lru"),)
    assert changes.reset == ("acl-pubsub-default",) and changes.reboot == ("acl-pubsub-default",)
    assert not parameter_changes(
        wanted, {**current, "maxmemory-policy": "allkeys-lru", "acl-pubsub-default": "allchannels"}, DEFAULTS
    )


def in_use(**fields):
    return dataclasses.replace(observed(engine_version="7.1.0"), parameter_group=MINE, **fields)


def test_a_value_changed_by_hand_is_put_back_with_a_warning_once_the_spec_was_in_effect():
    wanted = wanted_parameters({"maxmemory-policy": "allkeys-lru"}, GROUP, "redis", "7.1", sharded=False)
    current = {"maxmemory-policy": "noeviction"}
    state = ParametersState(wanted, DEFAULTS, current, known_groups=(MINE,))
    status = {"parametersDigest": wanted.digest}
    plan = plan_parameters(state, in_use(), {}, status, spec_in_effect=True, now=NOW.isoformat())
    assert [(d.field, d.observed, d.wanted) for d in plan.drift] == [
        ("parameters.maxmemory-policy", "noeviction", "allkeys-lru")
    ]
    assert isinstance(plan.effects[0], SetParameters) and isinstance(plan.effects[-1], Record)
    fresh = plan_parameters(state, in_use(), {}, {}, spec_in_effect=True, now=NOW.isoformat())
    assert fresh.drift == ()  # the spec itself changed: not drift


def test_the_visit_says_drift_as_a_warning_event():
    wanted = wanted_parameters({"maxmemory-policy": "allkeys-lru"}, GROUP, "redis", "7.1", sharded=False)
    state = ParametersState(wanted, DEFAULTS, {"maxmemory-policy": "noeviction"}, known_groups=(MINE,))
    ready = {"type": "Ready", "status": "True", "observedGeneration": 1}
    status = {"parametersDigest": wanted.digest, "observedGeneration": 1, "conditions": [ready]}
    decided = decide_visit(
        situation(desired=desired(engineVersion="7.1"), observed=in_use(), status=status, parameters=state)
    )
    warnings = [e.event for e in decided.effects if isinstance(e, Post) and e.event.type == "Warning"]
    assert any("parameters.maxmemory-policy" in w.message and "noeviction" in w.message for w in warnings)


def test_parameters_that_need_a_reboot_are_reported_until_the_nodes_have_them():
    wanted = wanted_parameters({"acl-pubsub-default": "resetchannels"}, GROUP, "redis", "7.1", sharded=False)
    state = ParametersState(wanted, DEFAULTS, {"acl-pubsub-default": "allchannels"}, known_groups=(MINE,))
    plan = plan_parameters(state, in_use(), {}, {}, spec_in_effect=False, now=NOW.isoformat())
    assert plan.effects[-1].status["parametersPendingReboot"] == ["acl-pubsub-default"]
    assert plan.condition[0] == "False" and plan.condition[1] == "PendingReboot"
    assert "acl-pubsub-default" in plan.condition[2] and "reboot" in plan.condition[2]

    waiting = {"parametersPendingReboot": ["acl-pubsub-default"]}
    later = dataclasses.replace(state, current=None)
    still = plan_parameters(later, in_use(parameter_apply_status="pending-reboot"), {}, waiting, True, "")
    assert still.condition[1] == "PendingReboot"
    rebooted = plan_parameters(later, in_use(parameter_apply_status="in-sync"), {}, waiting, True, "")
    assert rebooted.condition == ("True", "InEffect", "Every parameter in spec.parameters is in effect")
    assert rebooted.effects == (Record(status={"parametersPendingReboot": []}),)


def test_a_sharded_group_is_told_that_aws_cannot_reboot_it():
    wanted = wanted_parameters({"acl-pubsub-default": "resetchannels"}, GROUP, "redis", "7.1", sharded=True)
    state = ParametersState(wanted, DEFAULTS, {"acl-pubsub-default": "allchannels"}, known_groups=(MINE,))
    sharded = dataclasses.replace(in_use(), sharded=True, parameter_group=wanted.group_name)
    plan = plan_parameters(state, sharded, {}, {}, spec_in_effect=False, now="")
    assert "cannot reboot a sharded" in plan.condition[2]


def test_groups_no_node_uses_any_more_are_deleted():
    old = custom_group(GROUP, "redis6.x")
    wanted = wanted_parameters({"maxmemory-policy": "allkeys-lru"}, GROUP, "redis", "7.1", sharded=False)
    state = ParametersState(wanted, DEFAULTS, known_groups=(old, MINE))
    plan = plan_parameters(state, in_use(), {}, {}, spec_in_effect=True, now="")
    assert plan.effects == (DeleteParameterGroups((old,), (MINE,), status={"parameterGroups": [MINE]}),)
    busy = plan_parameters(state, in_use(status="modifying"), {}, {}, spec_in_effect=True, now="")
    assert busy.effects == ()  # not while the group changes (an upgrade may still be moving off it)


def test_the_parameter_group_is_attached_by_a_modify_and_an_upgrade_across_families_carries_the_new_one():
    group_in_7 = dataclasses.replace(desired(engineVersion="7.1"), parameter_group=MINE)
    attach = plan_changes(
        group_in_7, dataclasses.replace(observed(engine_version="7.1.0"), parameter_group="default.redis7")
    )
    [step] = attach.steps
    assert step.request["CacheParameterGroupName"] == MINE and step.changes[0].field.startswith("parameters")

    upgrade = plan_changes(group_in_7, dataclasses.replace(observed(engine_version="6.2.6"), parameter_group="x"))
    [step] = [s for s in upgrade.steps if "EngineVersion" in s.request]
    assert step.request["CacheParameterGroupName"] == MINE
    assert not [s for s in upgrade.steps if "CacheParameterGroupName" in s.request and s is not step]


def test_parameters_dropped_from_the_spec_put_the_default_group_back():
    state = ParametersState(None, known_groups=(MINE,))
    decided = decide_visit(
        situation(
            desired=desired(engineVersion="7.1"),
            observed=in_use(),
            status={"observedGeneration": 1},
            parameters=state,
        )
    )
    steps = [e.step for e in decided.effects if hasattr(e, "step")]
    assert steps and steps[0].request["CacheParameterGroupName"] == "default.redis7"
    assert not [e for e in decided.effects if isinstance(e, DeleteParameterGroups)]  # still in use


def test_redis_moves_to_valkey_in_one_modify_with_a_valkey_parameter_group():
    valkey_group = custom_group(GROUP, "valkey8")
    wanted = dataclasses.replace(desired(engine="valkey", engineVersion="8.0"), parameter_group=valkey_group)
    plan = plan_changes(wanted, in_use(node_type="cache.t4g.small"))
    [engine, node_type] = plan.steps
    assert engine.request == {
        "Engine": "valkey",
        "EngineVersion": "8.0",
        "CacheParameterGroupName": valkey_group,
        "ApplyImmediately": True,
    }
    assert engine.changes[0].field == "engine" and node_type.request["CacheNodeType"] == "cache.t4g.micro"
    assert not plan.unsupported


def test_valkey_never_goes_back_to_redis():
    back = plan_changes(desired(engineVersion="7.1"), dataclasses.replace(in_use(), engine="valkey"))
    assert back.steps == () and "moves only from redis to valkey" in back.unsupported[0]


def replicated(failover=True, **fields):
    return dataclasses.replace(
        observed(engine_version="7.1.0", replicas=1, failover=failover), **{"cluster_mode": "disabled", **fields}
    )


def test_cluster_mode_goes_on_in_place_through_compatible_with_a_cluster_enabled_group():
    wanted = desired(engineVersion="7.1", enableSharding=True, numShards=2, numReplicaNodes=1)
    [compatible] = plan_changes(wanted, replicated()).steps
    assert compatible.request == {
        "ClusterMode": "compatible",
        "CacheParameterGroupName": "default.redis7.cluster.on",
        "ApplyImmediately": True,
    }
    [enabled] = plan_changes(wanted, replicated(cluster_mode="compatible")).steps
    assert enabled.request == {"ClusterMode": "enabled", "ApplyImmediately": True}
    assert "configuration endpoint" in enabled.summary and enabled.changes[0].field == "enableSharding"


def test_what_cluster_mode_needs_comes_first_and_shards_only_after():
    wanted = desired(engineVersion="7.1", enableSharding=True, numShards=3, numReplicaNodes=2)
    steps = plan_changes(wanted, replicated(failover=False)).steps
    assert [s.operation for s in steps] == ["IncreaseReplicaCount", "ModifyReplicationGroup", "ModifyReplicationGroup"]
    assert steps[1].request["AutomaticFailoverEnabled"] is True and steps[2].request["ClusterMode"] == "compatible"
    assert not any("NodeGroupCount" in s.request for s in steps)


def test_cluster_mode_is_refused_in_words_on_an_old_engine_and_never_turned_off():
    old = plan_changes(desired(engineVersion="6.2", enableSharding=True, numReplicaNodes=1), replicated())
    assert old.steps == () and "needs engineVersion 7.0 or later" in old.unsupported[0]
    sharded = dataclasses.replace(observed(engine_version="7.1.0", sharded=True, replicas=1), cluster_mode="enabled")
    off = plan_changes(desired(engineVersion="7.1", numReplicaNodes=1), sharded)
    assert off.steps == () and "cannot turn off" in off.unsupported[0]


def _api_tables():
    """Every family's parameters as DescribeEngineDefaultParameters writes them, from AWS's published
    tables (the ElastiCache stand-in holds them)."""
    from elasticache_sandbox.engine_parameters import FAMILIES, allowed_value
    from elasticache_sandbox.parameter_groups import parameter_api

    for family, table in FAMILIES.items():
        yield family, [(spec, parameter_api(spec, spec.default)) for spec in table.values()], allowed_value


@pytest.mark.parametrize("family", ["redis6.x", "redis7", "valkey7", "valkey8"])
def test_the_operator_judges_every_parameter_of_every_family_as_aws_does(family):
    """Each modifiable parameter's default passes, and values AWS's tables refuse are refused, for the
    same reason (type, range or choice): the operator's check never lets AWS be the first to say no."""
    [(tables, aws_allows)] = [(t, a) for f, t, a in _api_tables() if f == family]
    defaults = [api for _, api in tables]
    probes = ("yes", "no", "0", "-1", "1", "100", "65001", "allkeys-lru", "not-a-value", "Ex", "12abc")
    checked = 0
    for spec, api in tables:
        if not api["IsModifiable"] or spec.name in ("cluster-enabled", "rename-commands"):
            continue
        if spec.default is not None:
            assert parameter_problems({spec.name: spec.default}, family, defaults) == [], spec.name
        for probe in probes:
            refused = bool(parameter_problems({spec.name: probe}, family, defaults))
            assert refused == (not aws_allows(spec, probe)), (spec.name, probe)
            checked += 1
    assert checked > 100


def test_a_node_read_before_the_move_to_valkey_reached_it_asks_for_no_upgrade():
    """The group already says valkey while its first node still reports the Redis OSS version."""
    torn = dataclasses.replace(in_use(), engine="valkey", engine_version="6.2.6")
    plan = plan_changes(desired(engine="valkey", engineVersion="8.0"), torn)
    assert not [s for s in plan.steps if "EngineVersion" in s.request] and not plan.unsupported


def test_a_conversion_elasticache_reverted_is_said_and_asked_again_only_after_the_retry_interval():
    """The group came back available and still disabled after ClusterMode compatible: no loop."""
    import datetime

    wanted = desired(engineVersion="7.1", enableSharding=True, numShards=2, numReplicaNodes=1)
    applying = {"generation": 2, "step": 1, "steps": 2, "action": "ModifyReplicationGroup cluster mode compatible"}
    status = {"applying": applying, "observedGeneration": 2}
    first = decide_visit(situation(desired=wanted, observed=replicated(), status=status, generation=2))
    assert first.verdict.reason == c.AWS_ERROR and "did not turn cluster mode on" in first.verdict.message
    assert not [e for e in first.effects if hasattr(e, "step")]  # not asked again now
    assert first.status["clusterModeRefused"] == {"since": NOW.isoformat()}

    later = situation(
        desired=wanted,
        observed=replicated(),
        status={**status, "clusterModeRefused": {"since": NOW.isoformat()}},
        generation=2,
        now=NOW + datetime.timedelta(seconds=61),
    )
    again = decide_visit(later)
    [step] = [e.step for e in again.effects if hasattr(e, "step")]
    assert step.request["ClusterMode"] == "compatible"
