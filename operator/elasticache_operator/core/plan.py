"""Desired vs observed → the changes to make in AWS, as ordered steps, and what cannot change in place.

Several changes at once go in a safe order, one AWS change in flight per group (the order
Terraform's provider uses, so capacity never drops while it is needed):

1. shards out; 2. replicas up; 3. node type, engine version, settings, slow-log delivery;
4. AuthToken; 5. replicas down; 6. shards in.

Automatic failover is switched off in 3, before 5 removes the last replica of a non-sharded group.
The shell sends `steps[0]` when the group is available and comes back for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .desired import DesiredGroup, SlowLog, default_parameter_group, family_of, slow_log_delivery
from .observed import ObservedGroup
from .password import Pending

AWS_RESERVED_TAG_PREFIX = "aws:"
CLUSTER_CLIENTS = (
    "the connection Secret's host becomes the configuration endpoint and clients must use a cluster-aware client"
)
# Every AWS action a step can be (the IAM policy must grant each).
STEP_OPERATIONS = (
    "ModifyReplicationGroupShardConfiguration",
    "IncreaseReplicaCount",
    "ModifyReplicationGroup",
    "DecreaseReplicaCount",
)


@dataclass(frozen=True)
class FieldChange:
    """One spec field a step brings ElastiCache back to: named as in the manifest, with both values."""

    field: str  # "automatedBackupRetentionDays", "tags.team"
    observed: str
    wanted: str


@dataclass(frozen=True)
class Step:
    operation: str  # the AWS action
    request: dict[str, Any]  # its parameters besides ReplicationGroupId (an AuthToken, never to be logged)
    summary: str  # for users: "IncreaseReplicaCount 1→2"
    pending: Pending | None = None  # written down before the call (AuthToken changes)
    changes: tuple[FieldChange, ...] = ()  # the spec fields it changes (none for the AuthToken)


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    add_tags: dict[str, str]
    remove_tags: tuple[str, ...]
    unsupported: tuple[str, ...]  # differences the operator will not apply, each a sentence for users
    log_group: SlowLog | None = None  # create the log group, or set its retention, before anything else

    @property
    def in_sync(self) -> bool:
        return not (self.steps or self.add_tags or self.remove_tags or self.unsupported or self.log_group)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def version_satisfies(observed: str, desired: str) -> bool:
    """`6.2` is satisfied by `6.2.6`: users name a major.minor, AWS reports the patch too."""
    want = version_tuple(desired)
    return version_tuple(observed)[: len(want)] == want


def plan_changes(
    desired: DesiredGroup,
    observed: ObservedGroup,
    auth_step: Step | None = None,
    log_retention_applied: int | None = None,
    tag_keys_applied: frozenset[str] = frozenset(),
    hold_slow_log: bool = False,
    version_in_effect: str | None = None,
) -> Plan:
    """`auth_step`: the ROTATE or SET the password module asks for; `log_retention_applied`: the
    slow-log retention last set in CloudWatch (from status), None if never; `tag_keys_applied`: the
    spec's tag keys the operator set before (from status). Only those are removed when the spec drops
    them: tags set by others (cost allocation, the tool a group was adopted from) are left alone.
    `hold_slow_log`: a delivery AWS did not apply is not asked for again yet (nor its log group).
    `version_in_effect`: the spec's engineVersion when the group last matched the spec (from status), so
    that a later version AWS installed by itself is told apart from a downgrade the user asks for."""
    unsupported = _unsupported(desired, observed)
    add = {k: v for k, v in desired.tags.items() if observed.tags.get(k) != v}
    remove = tuple(
        sorted(
            k
            for k in observed.tags
            if k in tag_keys_applied and k not in desired.tags and not k.startswith(AWS_RESERVED_TAG_PREFIX)
        )
    )
    if desired.sharded != observed.sharded:
        converting = desired.sharded and not unsupported
        moving = _to_cluster_mode(desired, observed, hold_slow_log, version_in_effect) if converting else []
        return Plan(tuple(moving), add, remove, tuple(unsupported))
    steps: list[Step] = []
    steps += _shards_out(desired, observed)
    steps += _replicas_up(desired, observed)
    steps += _modify(desired, observed, unsupported, hold_slow_log, version_in_effect == desired.engine_version)
    steps += [auth_step] if auth_step else []
    steps += _replicas_down(desired, observed)
    steps += _shards_in(desired, observed)
    log_group = None
    if desired.slow_log and (log_retention_applied != desired.slow_log.retention_days or not observed.slow_log_enabled):
        log_group = None if hold_slow_log else desired.slow_log
    return Plan(tuple(steps), add, remove, tuple(unsupported), log_group)


def _to_cluster_mode(
    desired: DesiredGroup, observed: ObservedGroup, hold_slow_log: bool, version_in_effect: str | None
) -> list[Step]:
    """Cluster mode on in place, in its own place in the order: what it needs first (replicas, automatic
    failover, the engine version), then ClusterMode compatible (both protocols answer; no other change is
    allowed meanwhile) with a cluster-enabled parameter group, then enabled. Shards are added after."""
    change = FieldChange("enableSharding", "false", "true")
    if observed.cluster_mode == "compatible":
        said = f"cluster mode enabled ({CLUSTER_CLIENTS})"
        return [_modify_step({"ClusterMode": "enabled"}, said, change)]
    first = _replicas_up(desired, observed)
    first += _modify(desired, observed, [], hold_slow_log, version_in_effect == desired.engine_version, converting=True)
    group = desired.parameter_group or default_parameter_group(desired.engine, desired.engine_version, True)
    request = {"ClusterMode": "compatible", "CacheParameterGroupName": group}
    said = f"cluster mode compatible, parameter group {group} (both protocols answer; next: {CLUSTER_CLIENTS})"
    return [*first, _modify_step(request, said, change)]


def _shards_out(desired: DesiredGroup, observed: ObservedGroup) -> list[Step]:
    if not desired.sharded or desired.num_shards <= observed.num_shards:
        return []
    return [
        Step(
            "ModifyReplicationGroupShardConfiguration",
            {"NodeGroupCount": desired.num_shards, "ApplyImmediately": True},
            f"ModifyReplicationGroupShardConfiguration {observed.num_shards}→{desired.num_shards} shards",
            changes=(_shards(desired, observed),),
        )
    ]


def _shards_in(desired: DesiredGroup, observed: ObservedGroup) -> list[Step]:
    if not desired.sharded or desired.num_shards >= observed.num_shards:
        return []
    surplus = observed.num_shards - desired.num_shards
    highest_first = sorted(observed.shard_ids, key=lambda i: (len(i), i), reverse=True)
    return [
        Step(
            "ModifyReplicationGroupShardConfiguration",
            {
                "NodeGroupCount": desired.num_shards,
                "NodeGroupsToRemove": highest_first[:surplus],
                "ApplyImmediately": True,
            },
            f"ModifyReplicationGroupShardConfiguration {observed.num_shards}→{desired.num_shards} shards",
            changes=(_shards(desired, observed),),
        )
    ]


def _shards(desired: DesiredGroup, observed: ObservedGroup) -> FieldChange:
    return FieldChange("numShards", str(observed.num_shards), str(desired.num_shards))


def _replicas(observed: ObservedGroup) -> tuple[int, ...]:
    return observed.replica_counts or (observed.replicas_per_shard,)


def _replicas_up(desired: DesiredGroup, observed: ObservedGroup) -> list[Step]:
    short = [i for i, count in enumerate(_replicas(observed)) if count < desired.replicas_per_shard]
    return [_replica_step("IncreaseReplicaCount", observed, short, desired.replicas_per_shard)] if short else []


def _replicas_down(desired: DesiredGroup, observed: ObservedGroup) -> list[Step]:
    over = [i for i, count in enumerate(_replicas(observed)) if count > desired.replicas_per_shard]
    return [_replica_step("DecreaseReplicaCount", observed, over, desired.replicas_per_shard)] if over else []


def _replica_step(operation: str, observed: ObservedGroup, shards: list[int], want: int) -> Step:
    """NewReplicaCount for all shards when they are even; else only the shards that differ, by
    ReplicaConfiguration (AWS refuses an increase for all when some shard already has more)."""
    counts = _replicas(observed)
    have = counts[shards[0]]
    change = (FieldChange("numReplicaNodes", str(have), str(want)),)
    if len(set(counts)) == 1 or len(observed.shard_ids) != len(counts):
        request: dict[str, Any] = {"NewReplicaCount": want, "ApplyImmediately": True}
        return Step(operation, request, f"{operation} {have}→{want}", changes=change)
    configuration = [{"NodeGroupId": observed.shard_ids[i], "NewReplicaCount": want} for i in shards]
    said = ", ".join(f"shard {observed.shard_ids[i]} {counts[i]}→{want}" for i in shards)
    request = {"ReplicaConfiguration": configuration, "ApplyImmediately": True}
    return Step(operation, request, f"{operation} {said}", changes=change)


def _modify(
    desired: DesiredGroup,
    observed: ObservedGroup,
    unsupported: list[str],
    hold_slow_log: bool,
    spec_unchanged: bool,
    converting: bool = False,
) -> list[Step]:
    """Node type, engine version, settings and slow-log delivery: each its own ModifyReplicationGroup."""
    if desired.engine != observed.engine:
        return [*_to_valkey(desired, observed), *_node_type(desired, observed)]
    steps = _node_type(desired, observed) + _version(desired, observed, unsupported, spec_unchanged)
    upgrading = any("EngineVersion" in step.request for step in steps)
    parts = _settings(desired, observed, carried_elsewhere=upgrading or converting)
    if parts:
        request = {key: value for part in parts for key, value in part[0].items()}
        steps.append(_modify_step(request, ", ".join(part[1] for part in parts), *(part[2] for part in parts)))
    steps += [] if hold_slow_log else _slow_log(desired, observed)
    return steps


def _version(
    desired: DesiredGroup, observed: ObservedGroup, unsupported: list[str], spec_unchanged: bool
) -> list[Step]:
    if not observed.engine_version or version_satisfies(observed.engine_version, desired.engine_version):
        return []
    if observed.engine == "valkey" and version_tuple(observed.engine_version) < (7, 2):
        return []  # a node's Redis OSS version read before the move to Valkey reached it: no Valkey has it
    if version_tuple(desired.engine_version) > version_tuple(observed.engine_version):
        said = f"engine version {observed.engine_version}→{desired.engine_version}"
        change = FieldChange("engineVersion", observed.engine_version, desired.engine_version)
        return [_modify_step(_upgrade(desired, observed.engine_version), said, change)]
    if not (spec_unchanged and minor_upgrade_by_aws(desired, observed.engine_version)):
        unsupported.append(
            f"engineVersion {desired.engine_version} is a downgrade from {observed.engine_version}, and"
            " ElastiCache only upgrades: set engineVersion back, or restore a snapshot into a new RedisCluster"
        )
    return []  # else AWS's own minor upgrade (autoMinorVersionUpgrade): no drift, and no downgrade to try


Part = tuple[dict[str, Any], str, FieldChange]  # request keys, the phrase for users, the spec field


def _settings(desired: DesiredGroup, observed: ObservedGroup, carried_elsewhere: bool) -> list[Part]:
    """The settings that differ, sent together. `carried_elsewhere`: an upgrade across families or the
    move to cluster mode names the parameter group itself."""
    parts: list[Part] = []
    days, had = desired.snapshot_retention_days, observed.snapshot_retention_days
    if days != had:
        change = FieldChange("automatedBackupRetentionDays", str(had), str(days))
        parts.append(({"SnapshotRetentionLimit": days}, f"backup retention {had}→{days} days", change))
    if (failover := desired.automatic_failover) != observed.automatic_failover:
        change = FieldChange("enableAutomaticFailover", str(not failover).lower(), str(failover).lower())
        parts.append(
            ({"AutomaticFailoverEnabled": failover}, f"automatic failover {'on' if failover else 'off'}", change)
        )
    for key, field, have, want in _windows(desired, observed):
        parts.append(
            ({key: want}, f"{field} {have or '(none)'}→{want}", FieldChange(field, str(have or "(none)"), str(want)))
        )
    if (topic := desired.notification_topic_arn) and topic != observed.notification_topic_arn:
        change = FieldChange("notificationTopicArn", observed.notification_topic_arn or "(none)", topic)
        parts.append(
            ({"NotificationTopicArn": topic, "NotificationTopicStatus": "active"}, "notification topic", change)
        )
    group, in_use = desired.parameter_group, observed.parameter_group
    if group and in_use and in_use != group and not carried_elsewhere:
        change = FieldChange("parameters (parameter group)", in_use, group)
        parts.append(({"CacheParameterGroupName": group}, f"parameter group {in_use}→{group}", change))
    wanted_groups = desired.security_group_ids
    if wanted_groups and observed.security_group_ids and set(wanted_groups) != set(observed.security_group_ids):
        have, want = ", ".join(sorted(observed.security_group_ids)), ", ".join(sorted(wanted_groups))
        change = FieldChange("accessibility (security groups)", have, want)
        parts.append(({"SecurityGroupIds": list(wanted_groups)}, "security groups", change))
    return parts


def _to_valkey(desired: DesiredGroup, observed: ObservedGroup) -> list[Step]:
    """Redis OSS → Valkey in place: Engine and EngineVersion in one ModifyReplicationGroup, with the
    RedisCluster's own parameter group of the Valkey family when it has one (AWS moves a default group to
    the new default by itself). Other settings wait until the engine has moved."""
    if (desired.engine, observed.engine) != ("valkey", "redis") or not observed.engine_version:
        return []
    request: dict[str, Any] = {"Engine": "valkey", "EngineVersion": desired.engine_version}
    if desired.parameter_group:
        request["CacheParameterGroupName"] = desired.parameter_group
    have = f"{observed.engine} {observed.engine_version}"
    change = FieldChange("engine", have, f"valkey {desired.engine_version}")
    return [_modify_step(request, f"engine {have}→valkey {desired.engine_version}", change)]


def _node_type(desired: DesiredGroup, observed: ObservedGroup) -> list[Step]:
    if desired.node_type == observed.node_type:
        return []
    change = FieldChange("instanceSize", observed.node_type, desired.node_type)
    return [
        _modify_step(
            {"CacheNodeType": desired.node_type}, f"node type {observed.node_type}→{desired.node_type}", change
        )
    ]


def _cluster_mode_capable(desired: DesiredGroup) -> bool:
    return version_tuple(desired.engine_version) >= ((7, 2) if desired.engine == "valkey" else (7, 0))


def _upgrade(desired: DesiredGroup, observed_version: str) -> dict[str, Any]:
    """An upgrade into another parameter group family names a group of the new family in the same call,
    as AWS requires: the RedisCluster's own, or AWS's default."""
    request: dict[str, Any] = {"EngineVersion": desired.engine_version}
    if family_of(desired.engine, observed_version) != family_of(desired.engine, desired.engine_version):
        request["CacheParameterGroupName"] = desired.parameter_group or default_parameter_group(
            desired.engine, desired.engine_version, desired.sharded
        )
    return request


def _windows(desired: DesiredGroup, observed: ObservedGroup) -> list[tuple[str, str, object, object]]:
    """(request key, spec field, observed, wanted) of the windows and minor upgrades the spec states and
    the group does not have; an unset window is AWS's choice, never fought over."""
    differing: list[tuple[str, str, object, object]] = []
    if desired.maintenance_window and observed.maintenance_window != desired.maintenance_window:
        if observed.maintenance_window:  # known only once a node has been listed
            key = "PreferredMaintenanceWindow"
            differing.append((key, "maintenanceWindow", observed.maintenance_window, desired.maintenance_window))
    if desired.snapshot_window and observed.snapshot_window != desired.snapshot_window:
        differing.append(("SnapshotWindow", "snapshotWindow", observed.snapshot_window, desired.snapshot_window))
    upgrades = observed.auto_minor_version_upgrade
    if upgrades is not None and upgrades != desired.auto_minor_version_upgrade:
        want = desired.auto_minor_version_upgrade
        differing.append(("AutoMinorVersionUpgrade", "autoMinorVersionUpgrade", str(upgrades).lower(), want))
    return differing


def minor_upgrade_by_aws(desired: DesiredGroup, observed_version: str) -> bool:
    """The group runs a later minor or patch version of the same major than the spec names, and AWS may
    raise it so: that is AWS's upgrade, not a change to revert (Crossplane upjet #1504 tried to)."""
    want, have = version_tuple(desired.engine_version), version_tuple(observed_version)
    return desired.auto_minor_version_upgrade and bool(want) and have[:1] == want[:1] and have > want


def _slow_log(desired: DesiredGroup, observed: ObservedGroup) -> list[Step]:
    want, have = desired.slow_log, observed.slow_log
    if want is None and have is not None:
        off = {"LogDeliveryConfigurations": [{"LogType": "slow-log", "Enabled": False}]}
        return [_modify_step(off, "slow log off", FieldChange("logging.disabled", "false", "true"))]
    if want is None or (have and (have.log_group, have.format) == (want.log_group, want.format)):
        return []
    delivery = {**slow_log_delivery(want), "Enabled": True}
    if have:
        change = FieldChange("logging.format", have.format, want.format)
        return [
            _modify_step({"LogDeliveryConfigurations": [delivery]}, f"slow log {have.format}→{want.format}", change)
        ]
    change = FieldChange("logging.disabled", "true", "false")
    return [_modify_step({"LogDeliveryConfigurations": [delivery]}, f"slow log on ({want.format})", change)]


def _modify_step(request: dict[str, Any], said: str, *changes: FieldChange) -> Step:
    return Step(
        "ModifyReplicationGroup",
        {**request, "ApplyImmediately": True},
        f"ModifyReplicationGroup {said}",
        changes=changes,
    )


def auth_token_step(pending: Pending) -> Step:
    strategy = "ROTATE" if pending.call == "ROTATE" else "SET"
    return Step(
        "ModifyReplicationGroup",
        {"AuthToken": pending.token, "AuthTokenUpdateStrategy": strategy, "ApplyImmediately": True},
        f"ModifyReplicationGroup AuthToken {strategy}",
        pending,
    )


def _unsupported(desired: DesiredGroup, observed: ObservedGroup) -> list[str]:
    """What only a new RedisCluster can change, each with what to do instead."""
    problems = []
    if observed.sharded and not desired.sharded:
        problems.append(
            "enableSharding is false but the group runs in cluster mode, which ElastiCache cannot turn off: set it"
            " back, or restore a snapshot into a new RedisCluster without sharding"
        )
    elif desired.sharded and not observed.sharded and not _cluster_mode_capable(desired):
        problems.append(
            f"turning cluster mode on in place needs engineVersion 7.0 or later (valkey 7.2), not"
            f" {desired.engine_version}: raise engineVersion in the same change"
        )
    if desired.engine != observed.engine and (desired.engine, observed.engine) != ("valkey", "redis"):
        problems.append(
            f"engine {desired.engine} differs from the group's {observed.engine}, and ElastiCache moves only from"
            " redis to valkey: set it back, or restore a snapshot into a new RedisCluster"
        )
    if observed.port is not None and desired.port != observed.port:
        problems.append(
            f"port {desired.port} differs from the group's {observed.port}, and the port is fixed at creation:"
            " set it back, or create a new RedisCluster on the new port"
        )
    return problems
