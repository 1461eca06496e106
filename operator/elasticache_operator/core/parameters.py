"""Engine parameters (spec.parameters): the custom cache parameter group a RedisCluster gets, checked
against the family's engine defaults before AWS sees a value, and what must change in it.

One custom group per RedisCluster and family, named after the replication group (`<group id>-redis7`, and
`-cluster-on` after it when sharded), so
a restart finds it again and an upgrade across families gets a group of its own beside the old one. With
no parameters the group keeps AWS's default group, and no custom group is made. The rules are those of
DescribeEngineDefaultParameters (read once per family and cached by the shell): a name the family has, a
value of its DataType within its AllowedValues, and a parameter one may modify.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .conditions import Status
from .desired import family_of
from .effects import Effect, Record
from .observed import ObservedGroup
from .plan import FieldChange

CLUSTER_ENABLED = "cluster-enabled"
PARAMETERS_APPLIED = "ParametersApplied"
PENDING_REBOOT = "PendingReboot"
# notify-keyspace-events has no AllowedValues in the API; the guide lists its letters and says any
# other character is refused.
KEYSPACE_EVENT_LETTERS = frozenset("KEg$lshzxeA")
_INTEGER = re.compile(r"^-?[0-9]+$")


def custom_group(group_id: str, family: str, sharded: bool = False) -> str:
    """Sharded groups get their own (cluster-enabled yes), which AWS lets be set only in a group no node
    uses yet: turning cluster mode on in place moves to a new group rather than changing the one in use."""
    return f"{group_id}-{family.replace('.', '-')}" + ("-cluster-on" if sharded else "")


@dataclass(frozen=True)
class WantedParameters:
    """The custom group a RedisCluster asks for: its family, its name, and the values it holds on top
    of the family's defaults (the user's, and `cluster-enabled yes` for a sharded group)."""

    family: str
    group_name: str
    values: Mapping[str, str]
    requested: Mapping[str, str]  # the user's alone (what is checked against the family)

    @property
    def digest(self) -> str:
        """Names what was last applied (status), so the group is read again only when the spec moved."""
        text = json.dumps([self.group_name, sorted(self.values.items())])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def wanted_parameters(
    parameters: Mapping[str, str], group_id: str, engine: str, version: str, sharded: bool
) -> WantedParameters | None:
    if not parameters:
        return None
    family = family_of(engine, version)
    values = {**parameters, **({CLUSTER_ENABLED: "yes"} if sharded else {})}
    return WantedParameters(family, custom_group(group_id, family, sharded), values, dict(parameters))


def parameter_problems(values: Mapping[str, str], family: str, defaults: Sequence[Mapping[str, Any]]) -> list[str]:
    """Why AWS would refuse these values in a group of `family`, each a sentence naming the parameter and
    what is allowed; `defaults` is DescribeEngineDefaultParameters' Parameters for the family."""
    known = {p["ParameterName"]: p for p in defaults}
    problems = []
    for name, value in sorted(values.items()):
        if name == CLUSTER_ENABLED:
            problems.append(
                f"spec.parameters.{name}: the operator sets it from enableSharding; remove it from parameters"
            )
            continue
        parameter = known.get(name)
        if parameter is None:
            problems.append(f"spec.parameters.{name}: the {family} family has no parameter {name}")
        elif not parameter.get("IsModifiable"):
            problems.append(f"spec.parameters.{name}: {name} cannot be modified in {family}")
        elif not allowed(parameter, value):
            problems.append(f"spec.parameters.{name}: {value!r} is not allowed; {allowed_phrase(parameter)}")
    return problems


def allowed(parameter: Mapping[str, Any], value: str) -> bool:
    """Whether `value` satisfies the parameter's DataType and AllowedValues, as the API states them."""
    name, allowed_values = parameter["ParameterName"], parameter.get("AllowedValues")
    if name == "notify-keyspace-events":
        return set(value) <= KEYSPACE_EVENT_LETTERS
    if parameter.get("DataType") == "integer":
        return bool(_INTEGER.match(value)) and (allowed_values is None or _in_ranges(allowed_values, int(value)))
    if allowed_values is None or name == "rename-commands":
        return True  # free text (rename-commands is checked by AWS itself)
    return value in allowed_values.split(",")


def allowed_phrase(parameter: Mapping[str, Any]) -> str:
    if parameter["ParameterName"] == "notify-keyspace-events":
        return "use only the letters " + " ".join(sorted(KEYSPACE_EVENT_LETTERS))
    allowed_values = parameter.get("AllowedValues")
    if parameter.get("DataType") == "integer":
        return f"it takes an integer in {allowed_values}" if allowed_values else "it takes an integer"
    return f"it takes one of {allowed_values.replace(',', ', ')}" if allowed_values else "it takes text"


def _in_ranges(allowed_values: str, number: int) -> bool:
    """An integer against AllowedValues such as `1-75`, `0-`, `-`, `0,20-` or `-5,-4,-3,-2,-1,1-`."""
    for item in (part.strip() for part in allowed_values.split(",")):
        if item == "-":
            return True
        if _INTEGER.match(item):
            if number == int(item):
                return True
            continue
        low, separator, high = item[1:].partition("-")  # item[1:]: a leading minus belongs to the bound
        if not separator:
            return True  # a form the operator does not know: AWS decides
        low = item[0] + low
        if (low in ("", "-") or number >= int(low)) and (high == "" or number <= int(high)):
            return True
    return False


@dataclass(frozen=True)
class ParameterChanges:
    modify: tuple[tuple[str, str], ...]  # (name, value) to set
    reset: tuple[str, ...]  # back to the family's default
    reboot: tuple[str, ...]  # of those, the ones that take effect only after a reboot

    def __bool__(self) -> bool:
        return bool(self.modify or self.reset)


def parameter_changes(
    wanted: WantedParameters, current: Mapping[str, str | None], defaults: Sequence[Mapping[str, Any]]
) -> ParameterChanges:
    """What the custom group needs: values the spec sets that differ, and values it does not set that
    are no longer the family's default (removed from the spec, or set by hand)."""
    known = {p["ParameterName"]: p for p in defaults}
    modify = tuple((n, v) for n, v in sorted(wanted.values.items()) if current.get(n) != v)
    reset = tuple(
        sorted(
            name
            for name, value in current.items()
            if name not in wanted.values
            and name in known
            and known[name].get("IsModifiable")
            and value != known[name].get("ParameterValue")
        )
    )
    touched = [name for name, _ in modify] + list(reset)
    reboot = tuple(n for n in touched if (known.get(n) or {}).get("ChangeType") == "requires-reboot")
    return ParameterChanges(modify, reset, reboot)


# --- effects ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnsureParameterGroup(Effect):
    """CreateCacheParameterGroup, tagged as the groups are; one that exists already (a restart) is kept."""

    name: str
    family: str
    tags: dict[str, str]


@dataclass(frozen=True)
class SetParameters(Effect):
    """ModifyCacheParameterGroup and ResetCacheParameterGroup, 20 parameters a call."""

    name: str
    changes: ParameterChanges
    in_use_by: str = ""  # the replication group whose nodes use it (described again afterwards)


@dataclass(frozen=True)
class DeleteParameterGroups(Effect):
    """Custom groups of this RedisCluster no cache cluster uses any more; gone already counts as done."""

    names: tuple[str, ...]
    kept: tuple[str, ...]  # status.parameterGroups afterwards


@dataclass(frozen=True)
class ParametersState:
    """What the shell read for one visit: the family's defaults and, when it was due, the custom group's
    current values (None: not read on this visit; {} with `exists` False: the group is not there)."""

    wanted: WantedParameters | None
    defaults: tuple[Mapping[str, Any], ...] = ()
    current: Mapping[str, str | None] | None = None
    exists: bool = True
    known_groups: tuple[str, ...] = field(default=())  # status.parameterGroups: the custom groups made


@dataclass(frozen=True)
class ParameterPlan:
    effects: tuple[Effect, ...] = ()  # before the group is created or changed
    drift: tuple[FieldChange, ...] = ()  # values changed by hand, put back (a Warning each)
    condition: tuple[Status, str, str] | None = None  # ParametersApplied: (status, reason, message)


def plan_parameters(
    state: ParametersState | None,
    observed: ObservedGroup | None,
    tags: Mapping[str, str],
    status: Mapping[str, Any],
    spec_in_effect: bool,
    now: str,
) -> ParameterPlan:
    """The custom group's effects for one visit: made and filled before the replication group uses it,
    put back when it drifted, and groups no cache cluster uses any more deleted. `spec_in_effect`: the
    spec was applied and has not changed since, so a difference now was made outside the operator."""
    if state is None:
        return ParameterPlan()
    wanted, known = state.wanted, list(state.known_groups)
    in_use = observed is not None and wanted is not None and observed.parameter_group == wanted.group_name
    waiting = list(status.get("parametersPendingReboot") or []) if _pending(observed) else []
    effects: list[Effect] = []
    drift: tuple[FieldChange, ...] = ()
    if wanted is not None and state.current is not None:
        current: Mapping[str, str | None] = state.current
        known = sorted({*known, wanted.group_name})  # also one made by a visit that died before saying so
        if not state.exists:
            effects.append(EnsureParameterGroup(wanted.group_name, wanted.family, dict(tags), status=_made(known)))
            current = {}
        changes = parameter_changes(wanted, current, state.defaults)
        if changes:
            user = observed.group_id if in_use and observed is not None else ""
            effects.append(SetParameters(wanted.group_name, changes, user))
            if spec_in_effect and status.get("parametersDigest") == wanted.digest:
                drift = tuple(
                    FieldChange(f"parameters.{name}", str(current.get(name)), value) for name, value in changes.modify
                )
            waiting = sorted({*waiting, *changes.reboot}) if in_use else waiting
        record = {
            "parametersDigest": wanted.digest,
            "parametersCheckedAt": now,
            "parametersPendingReboot": waiting,
            **_made(known),
        }
        effects.append(Record(status=record))
    elif state.current is None and not _pending(observed) and status.get("parametersPendingReboot"):
        effects.append(Record(status={"parametersPendingReboot": []}))
    unused = _unused(known, wanted, observed)
    if unused:
        kept = tuple(n for n in known if n not in unused)
        effects.append(DeleteParameterGroups(unused, kept, status=_made(list(kept))))
    return ParameterPlan(tuple(effects), drift, _condition(wanted, observed, waiting, bool(known)))


def _pending(observed: ObservedGroup | None) -> bool:
    """The nodes have not taken every value yet; only `in-sync` says they have."""
    return observed is not None and observed.parameter_apply_status in ("pending-reboot", "applying")


def _made(names: Sequence[str]) -> dict[str, Any]:
    return {"parameterGroups": sorted(names) or None}


def _unused(known: Sequence[str], wanted: WantedParameters | None, observed: ObservedGroup | None) -> tuple[str, ...]:
    """Custom groups of ours that are neither wanted nor used by the group's nodes (known only once a node
    has been listed, and only while the group is not changing)."""
    if observed is None or observed.status != "available" or not observed.parameter_group:
        return ()
    keep = {observed.parameter_group, wanted.group_name if wanted else ""}
    return tuple(sorted(n for n in known if n not in keep))


def _condition(
    wanted: WantedParameters | None, observed: ObservedGroup | None, waiting: Sequence[str], made: bool
) -> tuple[Status, str, str] | None:
    if wanted is None:
        return ("True", "Defaults", "No spec.parameters: the engine family's defaults apply") if made else None
    if observed is None or observed.parameter_group != wanted.group_name:
        return ("False", "Applying", f"Parameter group {wanted.group_name} is not in use by the nodes yet")
    return applied_condition(waiting, observed.sharded)


def applied_condition(pending_reboot: Sequence[str], sharded: bool) -> tuple[Status, str, str]:
    """ParametersApplied once the nodes use the group: (status, reason, message)."""
    if not pending_reboot:
        return ("True", "InEffect", "Every parameter in spec.parameters is in effect")
    names = ", ".join(pending_reboot)
    if sharded:
        how = (
            "ElastiCache cannot reboot a sharded (cluster-mode-enabled) group: they take effect on nodes that"
            " replace the current ones (a node-type change), or in a cluster restored from a snapshot"
        )
    else:
        how = "reboot the nodes (aws elasticache reboot-cache-cluster, one node at a time) to apply them"
    return ("False", PENDING_REBOOT, f"{names} wait for a reboot: {how}")
