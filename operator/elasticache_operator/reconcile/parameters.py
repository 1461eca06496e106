"""Engine parameters (core/parameters.py): what a visit reads for them, and the effects on the custom
cache parameter group. The family's defaults are read once per family; the group's own values only when
the spec's parameters changed, or once per resync interval to put back what was changed by hand."""

from __future__ import annotations

import datetime

from ..core.desired import DesiredGroup
from ..core.effects import Event
from ..core.parameters import (
    DeleteParameterGroups,
    EnsureParameterGroup,
    ParametersState,
    SetParameters,
    parameter_problems,
    wanted_parameters,
)
from . import Visit
from .effects import Carried, acts


def read_parameters(visit: Visit, parameters: dict[str, str], desired: DesiredGroup) -> ParametersState | None:
    """None when the RedisCluster sets no parameters and never made a group for them."""
    known = tuple(visit.status.get("parameterGroups") or ())
    wanted = wanted_parameters(parameters, desired.group_id, desired.engine, desired.engine_version, desired.sharded)
    if wanted is None:
        return ParametersState(None, known_groups=known) if known else None
    elasticache = visit.deps.elasticache
    defaults = elasticache.engine_defaults(wanted.family)
    if parameter_problems(wanted.requested, wanted.family, defaults):
        return ParametersState(wanted, defaults, known_groups=known)  # refused before any other call
    if not _due(visit, wanted.digest):
        return ParametersState(wanted, defaults, known_groups=known)
    current = elasticache.parameters(wanted.group_name)
    return ParametersState(wanted, defaults, current or {}, exists=current is not None, known_groups=known)


def _due(visit: Visit, digest: str) -> bool:
    """The spec's parameters are not the ones last applied, or the last look is a resync interval old."""
    if visit.status.get("parametersDigest") != digest:
        return True
    checked = visit.status.get("parametersCheckedAt")
    if not checked:
        return True
    age = visit.deps.now() - datetime.datetime.fromisoformat(checked)
    return age.total_seconds() >= visit.deps.settings.resync_seconds


@acts(EnsureParameterGroup)
def _ensure_parameter_group(effect: EnsureParameterGroup, visit: Visit, carried: Carried) -> None:
    if visit.deps.elasticache.create_parameter_group(effect.name, effect.family, effect.tags):
        carried.events.append(Event("Normal", "ParameterGroup", f"Cache parameter group {effect.name} created"))


@acts(SetParameters)
def _set_parameters(effect: SetParameters, visit: Visit, carried: Carried) -> None:
    changes = effect.changes
    visit.deps.elasticache.set_parameters(effect.name, list(changes.modify), list(changes.reset))
    if effect.in_use_by:  # its nodes report what they applied (ParameterApplyStatus): read them again
        visit.deps.observer.noted_change(effect.in_use_by)
    said = [f"{name}={value}" for name, value in changes.modify] + [f"{name} (default)" for name in changes.reset]
    carried.events.append(Event("Normal", "ParametersSet", f"Parameter group {effect.name}: {', '.join(said)}"))


@acts(DeleteParameterGroups)
def _delete_parameter_groups(effect: DeleteParameterGroups, visit: Visit, carried: Carried) -> None:
    for name in effect.names:
        if visit.deps.elasticache.delete_parameter_group(name):
            carried.events.append(Event("Normal", "Deleted", f"Cache parameter group {name} deleted"))
