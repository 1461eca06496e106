"""The RedisCluster spec as the operator understands it.

It mirrors ``crds/redisclusters.yaml`` (a test keeps the two in step) and enforces the
same cross-field and transition rules as the CRD's CEL validations, so that an API
server without CEL, or an object that slipped past admission, is refused here too.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from .windows import MAINTENANCE_PATTERN, SNAPSHOT_PATTERN, window_problems

NODE_TYPE_PATTERN = r"^cache\.[a-z0-9]+\.[a-z0-9]+$"
ENGINE_VERSION_PATTERN = r"^[0-9]+\.[0-9]+(\.[0-9]+)?$"
K8S_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
SECRET_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
PARAMETER_NAME_PATTERN = r"^[a-z][a-z0-9-]*$"
MAX_PARAMETERS = 100
SNS_TOPIC_PATTERN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"

DEFAULT_ENGINE_VERSIONS = {"redis": "6.2", "valkey": "8.0"}
MAX_USER_TAGS = 40  # AWS allows 50 tags per resource; the operator reserves room for its own.
# What AWS accepts in tags, kept to ASCII (AWS also takes other Unicode letters) so the CRD's CEL rule,
# which kube-apiserver runs with RE2 and the sandbox with Python's re, means the same everywhere.
TAG_TEXT = re.compile(r"^[a-zA-Z0-9 _.:/=+\-@]*$")
TAG_TEXT_MESSAGE = "tag keys and values may hold only letters, digits, spaces and _ . : / = + - @"

AUTH_TOKEN_MIN, AUTH_TOKEN_MAX = 16, 128
AUTH_TOKEN_SPECIALS = "!&#$^<>-"


class SpecModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class SecretKeyRef(SpecModel):
    name: str = Field(min_length=1, max_length=253, pattern=K8S_NAME_PATTERN)
    key: str = Field(min_length=1, max_length=253, pattern=SECRET_KEY_PATTERN)


class PasswordSource(SpecModel):
    secret_key_ref: SecretKeyRef


class Logging(SpecModel):
    disabled: bool = False
    format: Literal["json", "text"] = "json"
    retention_days: Literal[
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
    ] = 90


class Accessibility(SpecModel):
    accessibility_mode: Literal["vpc", "scoping-workloads-in-vpc"] = "vpc"


class RestoreFrom(SpecModel):
    redis_snapshot_name: str | None = Field(default=None, min_length=1, max_length=253, pattern=K8S_NAME_PATTERN)
    snapshot_name: str | None = Field(default=None, min_length=1, max_length=255, pattern=r"^[a-zA-Z][a-zA-Z0-9.-]*$")

    @model_validator(mode="after")
    def _one_source(self) -> RestoreFrom:
        if (self.redis_snapshot_name is None) == (self.snapshot_name is None):
            raise ValueError("restoreFrom needs exactly one of redisSnapshotName and snapshotName")
        return self


class RedisClusterSpec(SpecModel):
    instance_size: str = Field(pattern=NODE_TYPE_PATTERN)
    default_user_password: PasswordSource | None = None  # required unless managementPolicy is ObserveOnly
    management_policy: Literal["Manage", "ObserveOnly"] = "Manage"
    engine: Literal["redis", "valkey"] = "redis"
    engine_version: str | None = Field(default=None, pattern=ENGINE_VERSION_PATTERN)
    enable_sharding: bool = False
    num_shards: int = Field(default=1, ge=1, le=500)
    num_replica_nodes: int = Field(default=0, ge=0, le=5)
    enable_automatic_failover: bool = False
    port: int = Field(default=6379, ge=1024, le=65535)
    automated_backup_retention_days: int = Field(default=0, ge=0, le=35)
    logging: Logging = Logging()
    accessibility: Accessibility = Accessibility()
    tags: dict[str, Annotated[str, Field(max_length=256)]] = Field(default_factory=dict, max_length=MAX_USER_TAGS)
    deletion_policy: Literal["Delete", "Retain", "Snapshot"] = "Snapshot"
    connection_secret_name: str | None = Field(default=None, min_length=1, max_length=253, pattern=K8S_NAME_PATTERN)
    restore_from: RestoreFrom | None = None  # create-only: the group starts with a snapshot's data
    maintenance_window: str | None = Field(default=None, max_length=19, pattern=MAINTENANCE_PATTERN)
    snapshot_window: str | None = Field(default=None, max_length=11, pattern=SNAPSHOT_PATTERN)
    auto_minor_version_upgrade: bool = True
    notification_topic_arn: str | None = Field(default=None, max_length=1024, pattern=SNS_TOPIC_PATTERN)
    # Engine parameters on top of the family's defaults (core/parameters.py); YAML integers are taken too.
    parameters: dict[Annotated[str, Field(pattern=PARAMETER_NAME_PATTERN, max_length=64)], str | int] = Field(
        default_factory=dict, max_length=MAX_PARAMETERS
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> RedisClusterSpec:
        for problem in cross_field_problems(self):
            raise ValueError(problem)
        return self

    @property
    def effective_engine_version(self) -> str:
        return self.engine_version or DEFAULT_ENGINE_VERSIONS[self.engine]

    @property
    def automatic_failover(self) -> bool:
        """Cluster mode enabled always fails over automatically (AWS requires it)."""
        return self.enable_sharding or self.enable_automatic_failover

    @property
    def parameter_values(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.parameters.items()}

    def secret_name(self, cluster_name: str) -> str:
        return self.connection_secret_name or f"{cluster_name}-redis"


def cross_field_problems(spec: RedisClusterSpec) -> list[str]:
    """The rules the CRD states as CEL on the spec; messages match the CRD's."""
    problems = []
    if spec.default_user_password is None and spec.management_policy != "ObserveOnly":
        problems.append("defaultUserPassword is required unless managementPolicy is ObserveOnly")
    if spec.num_shards > 1 and not spec.enable_sharding:
        problems.append("numShards greater than 1 requires enableSharding: true")
    if spec.enable_sharding and spec.num_replica_nodes < 1:
        problems.append("a sharded cluster needs numReplicaNodes of at least 1")
    if spec.enable_automatic_failover and spec.num_replica_nodes < 1:
        problems.append("enableAutomaticFailover needs numReplicaNodes of at least 1")
    if not spec.logging.disabled and spec.engine == "redis" and _major(spec.effective_engine_version) < 6:
        problems.append("slow-log delivery needs engineVersion 6.0 or later; set logging.disabled: true")
    if spec.engine == "valkey" and re.match(r"^([0-6][.]|7[.][01]([.]|$))", spec.effective_engine_version):
        problems.append("engine valkey needs engineVersion 7.2 or later")
    if any(k.lower().startswith("aws:") or k.startswith(OWNERSHIP_TAG_PREFIX) for k in spec.tags):
        problems.append("tag keys starting with aws: or elasticache-operator.io/ are reserved")
    if any(not 1 <= len(k) <= 128 for k in spec.tags):
        problems.append("tag keys must be 1 to 128 characters long")
    if any(not TAG_TEXT.match(text) for pair in spec.tags.items() for text in pair):
        problems.append(TAG_TEXT_MESSAGE)
    problems += window_problems(spec.maintenance_window, spec.snapshot_window)
    return problems


def transition_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The CRD's `self == oldSelf` rules, on raw specs (defaults already applied by the API server)."""
    problems = []
    if old.get("enableSharding", False) and not new.get("enableSharding", False):
        problems.append("enableSharding can only be turned on (in place, one-way)")
    if old.get("port", 6379) != new.get("port", 6379):
        problems.append("port cannot be changed after creation")
    if old.get("engine", "redis") != new.get("engine", "redis") and new.get("engine") != "valkey":
        problems.append("engine can only move from redis to valkey (in place, one-way)")
    if old.get("restoreFrom") != new.get("restoreFrom"):
        problems.append("restoreFrom can only be set when the RedisCluster is created")
    return problems


OWNERSHIP_TAG_PREFIX = "elasticache-operator.io/"


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def parse_spec(raw: dict[str, Any]) -> RedisClusterSpec:
    """The spec, validated once per distinct spec (the models are frozen): every visit parses it again."""
    return _parse(json.dumps(raw, sort_keys=True))


@functools.lru_cache(maxsize=4096)
def _parse(frozen: str) -> RedisClusterSpec:
    return RedisClusterSpec.model_validate(json.loads(frozen))


def describe_validation_error(error: ValidationError) -> str:
    """One line a user can act on, naming each field by its path in the manifest."""
    parts = []
    for item in error.errors():
        path = ".".join(str(p) for p in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"spec.{path}: {message}" if path else message)
    return "; ".join(parts)


def auth_token_problem(token: str) -> str | None:
    """Why AWS would refuse this AuthToken at CreateReplicationGroup, or None if it would not."""
    if not AUTH_TOKEN_MIN <= len(token) <= AUTH_TOKEN_MAX:
        return f"must be {AUTH_TOKEN_MIN} to {AUTH_TOKEN_MAX} characters long, not {len(token)}"
    for char in token:
        if not (" " <= char <= "~"):
            return f"contains a character that is not printable ASCII ({char!r})"
        if not char.isalnum() and char not in AUTH_TOKEN_SPECIALS:
            return (
                f"contains {char!r}; of the special characters ElastiCache allows only {' '.join(AUTH_TOKEN_SPECIALS)}"
            )
    return None
