"""kstatus's generic rules (sigs.k8s.io/cli-utils/pkg/kstatus/status), for resources it has no
special rules for, i.e. every custom resource: it reads Reconciling and Stalled, never Ready."""

from __future__ import annotations

from typing import Any

CURRENT, IN_PROGRESS, FAILED, TERMINATING = "Current", "InProgress", "Failed", "Terminating"


def compute(obj: dict[str, Any]) -> str:
    meta, status = obj.get("metadata", {}), obj.get("status") or {}
    if meta.get("deletionTimestamp"):
        return TERMINATING
    generation = meta.get("generation", -1)
    if status.get("observedGeneration", generation) != generation:
        return IN_PROGRESS
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Reconciling" and condition.get("status") == "True":
            return IN_PROGRESS
        if condition.get("type") == "Stalled" and condition.get("status") == "True":
            return FAILED
    return CURRENT
