"""Desired vs observed → what to change in AWS, and what cannot be changed in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .desired import DesiredGroup
from .observed import ObservedGroup

AWS_RESERVED_TAG_PREFIX = "aws:"


@dataclass(frozen=True)
class Plan:
    modify: dict[str, Any]  # ModifyReplicationGroup kwargs besides the id; empty: nothing to modify
    add_tags: dict[str, str]
    remove_tags: tuple[str, ...]
    unsupported: tuple[str, ...]  # differences the operator will not apply, each a sentence for users

    @property
    def in_sync(self) -> bool:
        return not (self.modify or self.add_tags or self.remove_tags or self.unsupported)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def version_satisfies(observed: str, desired: str) -> bool:
    """`6.2` is satisfied by `6.2.6`: users name a major.minor, AWS reports the patch too."""
    want = version_tuple(desired)
    return version_tuple(observed)[: len(want)] == want


def plan_changes(desired: DesiredGroup, observed: ObservedGroup) -> Plan:
    unsupported = _unsupported(desired, observed)
    modify: dict[str, Any] = {}
    if desired.node_type != observed.node_type:
        modify["CacheNodeType"] = desired.node_type
    if observed.engine_version and not version_satisfies(observed.engine_version, desired.engine_version):
        if version_tuple(desired.engine_version) > version_tuple(observed.engine_version):
            modify["EngineVersion"] = desired.engine_version
        else:
            unsupported.append(
                f"engineVersion {desired.engine_version} is a downgrade from {observed.engine_version};"
                " ElastiCache only upgrades"
            )
    if desired.snapshot_retention_days != observed.snapshot_retention_days:
        modify["SnapshotRetentionLimit"] = desired.snapshot_retention_days
    if desired.automatic_failover != observed.automatic_failover:
        modify["AutomaticFailoverEnabled"] = desired.automatic_failover
    if modify:
        modify["ApplyImmediately"] = True
    add = {k: v for k, v in desired.tags.items() if observed.tags.get(k) != v}
    remove = tuple(
        sorted(k for k in observed.tags if k not in desired.tags and not k.startswith(AWS_RESERVED_TAG_PREFIX))
    )
    return Plan(modify=modify, add_tags=add, remove_tags=remove, unsupported=tuple(unsupported))


def _unsupported(desired: DesiredGroup, observed: ObservedGroup) -> list[str]:
    problems = []
    if desired.sharded != observed.sharded:
        problems.append(
            f"enableSharding is {str(desired.sharded).lower()} but the group was created with"
            f" {str(observed.sharded).lower()}; sharding is fixed at creation"
        )
        return problems
    if desired.engine != observed.engine:
        problems.append(f"engine {desired.engine} differs from the group's {observed.engine}")
    if observed.port is not None and desired.port != observed.port:
        problems.append(f"port {desired.port} differs from the group's {observed.port}; port is fixed at creation")
    if desired.sharded and desired.num_shards != observed.num_shards:
        problems.append(f"numShards {observed.num_shards}→{desired.num_shards} is not applied in place yet")
    if desired.replicas_per_shard != observed.replicas_per_shard:
        problems.append(
            f"numReplicaNodes {observed.replicas_per_shard}→{desired.replicas_per_shard} is not applied in place yet"
        )
    if (desired.slow_log is not None) != observed.slow_log_enabled:
        problems.append("turning slow-log delivery on or off is not applied in place yet")
    return problems
