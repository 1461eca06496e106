"""One reconcile step, decided without I/O: given the desired and observed group, what to do
and what to tell the user. The shell in `reconcile.py` carries the decision out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import conditions as c
from .desired import DesiredGroup
from .naming import is_owned
from .observed import ObservedGroup
from .password import NONE, Call, PasswordAction, Pending
from .plan import Plan, Step, auth_token_step, plan_changes


@dataclass(frozen=True)
class Applying:
    """The change under way, as status records it: which step of how many, for which generation."""

    generation: int | None
    step: int  # steps sent so far
    steps: int
    action: str

    @classmethod
    def from_status(cls, status: Mapping[str, Any]) -> Applying | None:
        raw = status.get("applying")
        if not isinstance(raw, dict):
            return None
        return cls(raw.get("generation"), int(raw.get("step", 0)), int(raw.get("steps", 0)), str(raw.get("action", "")))

    def as_status(self) -> dict[str, Any]:
        return {"generation": self.generation, "step": self.step, "steps": self.steps, "action": self.action}

    @property
    def message(self) -> str:
        return f"Applying step {self.step}/{self.steps}: {self.action}"


@dataclass(frozen=True)
class Decision:
    verdict: c.Verdict
    create: bool = False
    plan: Plan | None = None  # what differs (the group is available)
    step: Step | None = None  # the one AWS change to send on this visit
    applying: Applying | None = None  # status.applying after this visit (None: nothing under way)
    write_secret: bool = False


def decide(
    desired: DesiredGroup,
    observed: ObservedGroup | None,
    uid: str,
    *,
    password: PasswordAction = NONE,
    applying: Applying | None = None,
    generation: int | None = None,
    log_retention_applied: int | None = None,
    tag_keys_applied: frozenset[str] = frozenset(),
    version_reported: bool = False,
    hold_slow_log: bool = False,
    version_in_effect: str | None = None,
) -> Decision:
    """`version_reported`: the status already holds the group's engine version (so Ready may say True
    while AWS is between reports of it)."""
    if observed is None:
        creating = f"Creating replication group {desired.group_id}"
        return Decision(c.Verdict("False", c.CREATING, creating, progressing=True), create=True)
    if not is_owned(observed.tags, uid):
        theirs = (
            f"Replication group {observed.group_id} exists in AWS but is not tagged as this RedisCluster's;"
            " the operator leaves it alone"
        )
        return Decision(c.Verdict("False", c.NOT_OWNED, theirs, terminal=True))
    verdict = c.verdict_for_aws_status(observed.status)
    if observed.status == "available" and not (observed.engine_version or version_reported):
        # Ready and the status's engine version arrive together: a user who waits for Ready reads both.
        message = "The replication group is available; waiting for ElastiCache to report its engine version"
        return Decision(c.Verdict("False", c.CREATING, message, progressing=True))
    if observed.status != "available":
        if observed.status == "modifying" and applying is not None:
            verdict = c.Verdict(
                "False", c.MODIFYING, applying.message + " (ElastiCache is applying it)", progressing=True
            )
        return Decision(verdict, applying=applying, write_secret=verdict.ready == "True")
    auth_step = _auth_step(password, observed)
    plan = plan_changes(
        desired, observed, auth_step, log_retention_applied, tag_keys_applied, hold_slow_log, version_in_effect
    )
    step, now_applying = None, None
    if plan.steps:
        done = applying.step if applying is not None and applying.generation == generation else 0
        step = plan.steps[0]
        now_applying = Applying(generation, done + 1, done + len(plan.steps), step.summary)
        verdict = c.Verdict("False", c.MODIFYING, now_applying.message, progressing=True)
    elif password.kind == "wait" and password.message:
        verdict = c.Verdict("True", c.AVAILABLE, f"Available; {password.message}", progressing=True)
    if plan.unsupported:
        verdict = c.Verdict(
            "False",
            c.CHANGE_NOT_SUPPORTED,
            "; ".join(plan.unsupported),
            terminal=not plan.steps,
            progressing=bool(plan.steps),
        )
    return Decision(verdict, plan=plan, step=step, applying=now_applying, write_secret=True)


def _auth_step(password: PasswordAction, observed: ObservedGroup) -> Step | None:
    """The ROTATE or SET the password module asks for, as a step in the plan's order."""
    if password.kind not in ("rotate", "set") or password.token is None:
        return None
    call: Call = "ROTATE" if password.kind == "rotate" else "SET"
    return auth_token_step(Pending(password.token, call, observed.auth_token_modified))


def claimed_elsewhere(
    status: Mapping[str, Any], instance: str, kind: str = "RedisCluster", managed: str = "replicationGroupId"
) -> c.Verdict | None:
    """Another operator installation manages this object (its label was changed afterwards): what it
    manages may live in another AWS account, where this installation would wrongly find it gone.
    `managed`: the status field naming what it manages in AWS."""
    recorded = status.get("operatorInstance") or ""
    if not status.get(managed) or recorded == instance:
        return None
    return c.Verdict(
        "False",
        c.NOT_OWNED,
        f"This {kind} is managed by the operator installation {recorded or '(default)'!r}, but its label"
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


def holding_after_failure(status: Mapping[str, Any], generation: int | None) -> bool:
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
    for key, value in (
        ("maintenanceWindow", observed.maintenance_window),
        ("snapshotWindow", observed.snapshot_window),
    ):
        if value:  # AWS's choice when the spec has none: reported, never fought over
            fields[key] = value
    return fields


def settled(status: Mapping[str, Any], generation: int | None) -> bool:
    """This generation of the spec was in effect (Ready for it, no change of ours under way): whatever
    differs now was changed outside the operator. ElastiCache modifying the group with no step of ours
    sent counts too: that is the outside change itself, seen while AWS applied it."""
    ready = next((x for x in status.get("conditions") or [] if x.get("type") == c.READY), None)
    applying = Applying.from_status(status)
    theirs = ready is not None and ready.get("reason") == c.MODIFYING and applying is None
    return bool(
        ready
        and (ready.get("status") == "True" or theirs)
        and ready.get("observedGeneration") == generation
        and status.get("observedGeneration") == generation
        and (applying is None or applying.generation != generation)
    )
