"""Operator settings, from the environment the Helm chart sets (prefix ELASTICACHE_OPERATOR_)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ELASTICACHE_OPERATOR_", extra="ignore")

    aws_region: str = Field(
        default="us-east-1",
        validation_alias=AliasChoices("ELASTICACHE_OPERATOR_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    aws_max_attempts: int = Field(default=5, ge=1, le=20)  # botocore attempts per call (adaptive mode)
    cluster_name: str = Field(default="kubernetes", min_length=1, max_length=256)  # tagged on every group
    # Which RedisClusters this installation claims: those labelled elasticache-operator.io/instance=<instance>,
    # or, when empty, those without the label (like an ingress class). Two installations, e.g. for two AWS
    # accounts, share a Kubernetes cluster without seeing each other's objects.
    instance: str = Field(default="", max_length=63, pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
    cache_subnet_group: str | None = None
    security_group_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)  # added to every group
    # Security groups per RedisCluster from spec.accessibility (off: groups get only security_group_ids).
    manage_security_groups: bool = True
    # Added to the SecurityGroupPolicy pods get in scoping-workloads-in-vpc mode, e.g. the EKS cluster
    # security group, so those pods keep reaching DNS and the nodes.
    client_security_group_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    namespaces: Annotated[list[str], NoDecode] = Field(default_factory=list)  # empty: all namespaces
    # AWS is observed for all RedisClusters at once (aws/observer.py): a full listing of groups, versions and
    # tags every resync_seconds (drift is noticed within it), DescribeEvents every events_seconds while a group
    # is changing (idle_events_seconds otherwise), and a listing every busy_listing_seconds while one is, in
    # case an event is missed.
    resync_seconds: float = Field(default=600.0, gt=0)
    events_seconds: float = Field(default=5.0, gt=0)
    idle_events_seconds: float = Field(default=30.0, gt=0)
    busy_listing_seconds: float = Field(default=60.0, gt=0)
    poll_seconds: float = Field(default=15.0, gt=0)  # re-reconcile while AWS works (from the shared observation)
    retry_seconds: float = Field(default=60.0, gt=0)  # after a fault or a missing Secret
    # One token bucket for every AWS call of the operator: the account's API rate is shared with other tools.
    aws_calls_per_second: float = Field(default=10.0, gt=0)
    aws_burst: int = Field(default=20, ge=1)
    max_concurrent_writes: int = Field(default=4, ge=1)  # AWS changes in flight at once, over all groups
    # After a password change both passwords work this long, so clients can pick up the connection Secret.
    password_grace_seconds: float = Field(default=600.0, ge=0)
    workers: int = Field(default=8, ge=1)  # threads for the blocking AWS and Kubernetes calls
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    metrics_port: int = Field(default=8000, ge=0, le=65535)  # 0 turns the metrics endpoint off
    health_port: int = Field(default=8080, ge=0, le=65535)
    standalone: bool = True  # no kopf peering: one active operator, chosen by leader election below
    # High availability: replicas elect a leader on a coordination.k8s.io Lease; only the leader reconciles.
    leader_election: bool = False
    lease_name: str = "elasticache-operator"
    lease_namespace: str = Field(
        default="default", validation_alias=AliasChoices("ELASTICACHE_OPERATOR_LEASE_NAMESPACE", "POD_NAMESPACE")
    )
    identity: str = Field(  # this replica's name in the Lease
        default_factory=lambda: __import__("socket").gethostname(),
        validation_alias=AliasChoices("ELASTICACHE_OPERATOR_IDENTITY", "POD_NAME"),
    )
    lease_duration_seconds: float = Field(default=15.0, gt=0)  # a standby takes over this long after the last renewal
    renew_deadline_seconds: float = Field(default=10.0, gt=0)  # a leader that could not renew this long stops at once
    retry_period_seconds: float = Field(default=2.0, gt=0)  # how often leaders renew and standbys try

    @field_validator("security_group_ids", "client_security_group_ids", "namespaces", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
