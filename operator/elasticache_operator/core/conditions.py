"""Status conditions by Kubernetes API conventions, readable by kubectl, Argo CD and kstatus.

`Ready` carries the verdict. `Reconciling` and `Stalled` are kstatus's abnormal-true
conditions: kstatus ignores `Ready` on custom resources and reads these instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

READY, RECONCILING, STALLED = "Ready", "Reconciling", "Stalled"
CLIENT_ACCESS = "ClientAccess"  # who can reach the cluster over the network (spec.accessibility)

Status = Literal["True", "False", "Unknown"]


@dataclass(frozen=True)
class Verdict:
    ready: Status
    reason: str  # one CamelCase word from the set below
    message: str
    progressing: bool = False  # the operator or AWS is still working: come back soon
    terminal: bool = False  # nothing changes until the spec (or something outside) does


# The reasons, so that a typo cannot invent a new one.
CREATING = "Creating"
AVAILABLE = "Available"
MODIFYING = "Modifying"
SNAPSHOTTING = "Snapshotting"
DELETING = "Deleting"
CREATE_FAILED = "CreateFailed"
INVALID_SPEC = "InvalidSpec"
NOT_OWNED = "NotOwned"
AWS_ERROR = "AWSError"
CHANGE_NOT_SUPPORTED = "ChangeNotSupported"
UNKNOWN_STATUS = "UnknownStatus"
ADOPTION_REFUSED = "AdoptionRefused"
OBSERVING = "Observing"
FAILED = "Failed"  # a snapshot ElastiCache could not take
NOT_FOUND = "NotFound"  # a snapshot that is not (or no longer) in ElastiCache
SOURCE_NOT_READY = "SourceNotReady"  # the RedisCluster a snapshot is to be taken of is missing or not Ready
RESTORING = "Restoring"  # a group being created from a snapshot
CONNECTION_SECRET = "ConnectionSecret"  # an Event: the connection Secret was written
REASONS = (
    CREATING,
    AVAILABLE,
    MODIFYING,
    SNAPSHOTTING,
    DELETING,
    CREATE_FAILED,
    INVALID_SPEC,
    NOT_OWNED,
    AWS_ERROR,
    CHANGE_NOT_SUPPORTED,
    UNKNOWN_STATUS,
    ADOPTION_REFUSED,
    OBSERVING,
    FAILED,
    NOT_FOUND,
    SOURCE_NOT_READY,
    RESTORING,
)

# The one table from ElastiCache status strings to verdicts.
_BY_AWS_STATUS: dict[str, Verdict] = {
    "creating": Verdict("False", CREATING, "ElastiCache is creating the replication group", progressing=True),
    "available": Verdict("True", AVAILABLE, "The replication group is available"),
    "modifying": Verdict("False", MODIFYING, "ElastiCache is applying changes", progressing=True),
    "snapshotting": Verdict("True", SNAPSHOTTING, "Available; ElastiCache is taking a snapshot", progressing=True),
    "deleting": Verdict("False", DELETING, "ElastiCache is deleting the replication group", progressing=True),
    "create-failed": Verdict(
        "False", CREATE_FAILED, "ElastiCache could not create the replication group", terminal=True
    ),
}


def verdict_for_aws_status(aws_status: str) -> Verdict:
    return _BY_AWS_STATUS.get(
        aws_status,
        Verdict("False", UNKNOWN_STATUS, f"ElastiCache reports status {aws_status!r}", progressing=True),
    )


def set_condition(
    conditions: list[dict[str, Any]],
    type_: str,
    status: Status,
    reason: str,
    message: str,
    generation: int | None,
    now: str,
) -> list[dict[str, Any]]:
    """A new list with `type_` set; lastTransitionTime moves only when the status flips."""
    previous = next((c for c in conditions if c.get("type") == type_), None)
    changed_status = previous is None or previous.get("status") != status
    condition: dict[str, Any] = {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": now if changed_status else previous.get("lastTransitionTime", now),  # type: ignore[union-attr]
    }
    if generation is not None:
        condition["observedGeneration"] = generation
    others = [c for c in conditions if c.get("type") != type_]
    return (
        [*others, condition] if previous is None else [condition if c.get("type") == type_ else c for c in conditions]
    )


def apply_verdict(
    conditions: list[dict[str, Any]], verdict: Verdict, generation: int | None, now: str
) -> list[dict[str, Any]]:
    result = set_condition(conditions, READY, verdict.ready, verdict.reason, verdict.message, generation, now)
    for type_, active in ((RECONCILING, verdict.progressing), (STALLED, verdict.terminal)):
        status: Status = "True" if active else "False"
        message = verdict.message if active else ""
        result = set_condition(result, type_, status, verdict.reason, message, generation, now)
    return result


def ready_of(conditions: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(status, reason) of Ready, for telling transitions apart."""
    ready = next((c for c in conditions if c.get("type") == READY), None)
    return (ready.get("status"), ready.get("reason")) if ready else (None, None)
