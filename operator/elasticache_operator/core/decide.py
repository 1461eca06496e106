"""One reconcile step, decided without I/O: given the desired and observed group, what to do
and what to tell the user. The shell in `reconcile.py` carries the decision out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import conditions as c
from .desired import DesiredGroup
from .naming import is_owned
from .observed import ObservedGroup
from .plan import Plan, plan_changes


@dataclass(frozen=True)
class Decision:
    verdict: c.Verdict
    create: bool = False
    plan: Plan | None = None  # changes to send now (the group is available)
    write_secret: bool = False


def decide(desired: DesiredGroup, observed: ObservedGroup | None, uid: str) -> Decision:
    if observed is None:
        return Decision(
            c.Verdict("False", c.CREATING, f"Creating replication group {desired.group_id}", progressing=True),
            create=True,
        )
    if not is_owned(observed.tags, uid):
        return Decision(
            c.Verdict(
                "False",
                c.NOT_OWNED,
                f"Replication group {observed.group_id} exists in AWS but is not tagged as this RedisCluster's;"
                " the operator leaves it alone",
                terminal=True,
            )
        )
    verdict = c.verdict_for_aws_status(observed.status)
    if observed.status != "available":
        return Decision(verdict, write_secret=verdict.ready == "True")
    plan = plan_changes(desired, observed)
    if plan.modify:
        changed = ", ".join(k for k in plan.modify if k != "ApplyImmediately")
        verdict = c.Verdict("False", c.MODIFYING, f"Applying {changed}", progressing=True)
    if plan.unsupported:
        verdict = c.Verdict(
            "False",
            c.CHANGE_NOT_SUPPORTED,
            "; ".join(plan.unsupported) + ". Revert the change, or recreate the RedisCluster",
            terminal=not plan.modify,
            progressing=bool(plan.modify),
        )
    return Decision(verdict, plan=plan, write_secret=True)


def password_changed(secret_name: str, key: str, connection_secret: str) -> c.Verdict:
    """The source password differs from the one the group was created with; until rotation
    is supported the connection Secret keeps the working one."""
    return c.Verdict(
        "False",
        c.CHANGE_NOT_SUPPORTED,
        f"The password in Secret {secret_name} key {key!r} changed, but changing the AuthToken of an existing"
        f" group is not supported yet; {connection_secret} keeps the password the group has."
        " Restore the previous password",
        terminal=True,
    )


def claimed_elsewhere(status: dict[str, Any], instance: str) -> c.Verdict | None:
    """Another operator installation manages this object (its label was changed afterwards): its
    group may live in another AWS account, where this installation would wrongly find it gone."""
    recorded = status.get("operatorInstance") or ""
    if not status.get("replicationGroupId") or recorded == instance:
        return None
    return c.Verdict(
        "False",
        c.NOT_OWNED,
        f"This RedisCluster is managed by the operator installation {recorded or '(default)'!r}, but its label"
        f" elasticache-operator.io/instance now names {instance or '(none)'!r}. Moving a cluster between"
        " installations is not supported: set the label back",
        terminal=True,
    )


def invalid_spec(message: str) -> c.Verdict:
    return c.Verdict("False", c.INVALID_SPEC, message, terminal=True)


def aws_error(operation: str, code: str, message: str, terminal: bool) -> c.Verdict:
    return c.Verdict(
        "False", c.AWS_ERROR, f"{operation} failed: {code}: {message}", terminal=terminal, progressing=not terminal
    )


def holding_after_failure(status: dict[str, Any], generation: int | None) -> bool:
    """After a terminal AWS error, make no new AWS calls for the same generation of the spec."""
    ready = next((x for x in status.get("conditions") or [] if x.get("type") == c.STALLED), None)
    return bool(
        ready
        and ready.get("status") == "True"
        and ready.get("reason") == c.AWS_ERROR
        and ready.get("observedGeneration") == generation
    )


def status_fields(group_id: str, observed: ObservedGroup | None, secret_name: str) -> dict[str, Any]:
    """The observed facts that go to status (never to spec, so GitOps tools see no drift)."""
    fields: dict[str, Any] = {"replicationGroupId": group_id, "connectionSecretName": secret_name}
    if observed is None:
        return fields
    if observed.engine_version:  # unknown while AWS is busy: keep the last one reported
        fields["engineVersion"] = observed.engine_version
    fields.update(
        arn=observed.arn,
        status=observed.status,
        sharding="enabled" if observed.sharded else "disabled",
        shards=observed.num_shards,
        replicasPerShard=observed.replicas_per_shard,
    )
    if observed.endpoints:
        fields.update(
            host=observed.endpoints.host, readerHost=observed.endpoints.reader_host, port=observed.endpoints.port
        )
    return fields
