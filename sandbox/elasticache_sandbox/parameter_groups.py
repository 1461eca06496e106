"""Cache parameter groups in the ElastiCache stand-in, following botocore's model and AWS's documentation.

moto 5.2.5 has none of the parameter group actions; this module adds them all:

- DescribeEngineDefaultParameters(CacheParameterGroupFamily, MaxRecords, Marker): the family's parameters
  (engine_parameters.py has the four families the stand-in knows and where their tables come from), in
  AWS's order, MaxRecords 20–100 with a Marker inside EngineDefaults.
- CreateCacheParameterGroup(CacheParameterGroupName, CacheParameterGroupFamily, Description, Tags): the
  name is 1–255 ASCII letters, digits and hyphens, begins with a letter, has no `--` and does not end with
  `-`, and is stored lowercase; the group starts as a copy of the family's defaults. At most 150 groups
  of one's own per Region (the Service Quotas default, L-3F15A733): CacheParameterGroupQuotaExceeded.
- ModifyCacheParameterGroup(CacheParameterGroupName, ParameterNameValues): at most 20 per call, all
  checked before any is applied (name in the family, modifiable, value of the DataType and within
  AllowedValues). Conditionally modifiable parameters (cluster-enabled, databases, activerehashing up to
  redis6.x) change only while no cache cluster uses the group.
- ResetCacheParameterGroup(CacheParameterGroupName, ResetAllParameters | ParameterNameValues).
- DeleteCacheParameterGroup: not a default group, not one a cache cluster uses.
- DescribeCacheParameterGroups(CacheParameterGroupName, MaxRecords, Marker): the default groups AWS
  provides for each family (`default.<family>` and `default.<family>.cluster.on`, whose cluster-enabled is
  `yes`) and one's own, by name.
- DescribeCacheParameters(CacheParameterGroupName, Source, MaxRecords, Marker): each parameter with its
  current value. As AWS's answers show, in a custom group the parameters one may change report Source
  `user` and IsModifiable true, the others `system` and false; a default group reports them as the
  engine defaults do (Source `system`). Source filters on that field (`engine-default` is accepted; AWS
  reports no parameter with that Source).
- Tags: Tags at creation, and AddTagsToResource / RemoveTagsFromResource / ListTagsForResource on the
  group's ARN (`arn:aws:elasticache:<region>:<account>:parametergroup:<name>`), refused with
  CacheParameterGroupNotFound for a group that does not exist. The tags go with the group.

Error codes are botocore's. The wording of some messages is AWS's own, seen in answers users quoted:
"CacheParameterGroup <name> not found." (404), "Cannot modify more than 20 parameters in a single request"
(InvalidParameterCombination, terraform-provider-aws#1221), "The parameter cluster-enabled cannot be
modified." (InvalidParameterValue, cloudposse/terraform-aws-elasticache-redis#212). AWS publishes no
wording for the others (an unknown parameter, a value out of range, a default group, a group in use);
there the stand-in follows RDS, whose parameter groups ElastiCache's mirror (modifying a default group:
InvalidParameterValue; deleting one, or one in use: InvalidCacheParameterGroupState).

Which groups are in use is the backend's `cache_parameter_groups_in_use()`: see there. A change to a group's
values (Modify or Reset) is told to the backend's `cache_parameter_group_changed()` (a no-op here), which
the sandbox backend uses to bring the cache clusters using the group along (elasticache_api.py).

`parameter_family(engine, version)` is the family an engine version's groups belong to, as AWS names it:
Redis OSS 6.x → redis6.x, 7.x → redis7, earlier ones redis<major>.<minor> (redis5.0, ...); Valkey 7.x →
valkey7, 8.x → valkey8.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.elasticache import models as moto_models
from moto.elasticache import responses as moto_responses
from moto.elasticache.exceptions import (
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
)

from .engine_parameters import CONDITIONAL, FAMILIES, NO, YES, ParameterSpec, sort_key
from .paging import max_records, page_by_key

__all__ = [
    "MAX_MODIFY",
    "QUOTA",
    "CacheParameterGroup",
    "ParameterGroups",
    "install_parameter_group_actions",
    "parameter_family",
]

NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")
QUOTA = 150  # cache parameter groups per Region (one's own; the default groups do not count)
MAX_MODIFY = 20  # ParameterNameValues per ModifyCacheParameterGroup
SOURCES = ("user", "system", "engine-default")
# moto's ARN pattern, with the parameter groups' resource type added.
ARN = re.compile(
    r"^arn:aws:elasticache:.*:[0-9]*:(cluster|snapshot|subnetgroup|replicationgroup|user|parametergroup):.*$"
)


class CacheParameterGroupNotFound(ElastiCacheException):
    code = "CacheParameterGroupNotFoundFault"  # the shape; AWS's wire code is CacheParameterGroupNotFound (404)

    def __init__(self, name: str) -> None:
        super().__init__(f"CacheParameterGroup {name} not found.")


class CacheParameterGroupAlreadyExists(ElastiCacheException):
    code = "CacheParameterGroupAlreadyExistsFault"

    def __init__(self, name: str) -> None:
        super().__init__(f"CacheParameterGroup {name} already exists.")


class CacheParameterGroupQuotaExceeded(ElastiCacheException):
    code = "CacheParameterGroupQuotaExceededFault"


class InvalidCacheParameterGroupState(ElastiCacheException):
    code = "InvalidCacheParameterGroupStateFault"


class TagQuotaPerResourceExceeded(ElastiCacheException):
    code = "TagQuotaPerResourceExceeded"


@dataclass
class CacheParameterGroup:
    name: str
    family: str
    description: str
    arn: str
    is_default: bool = False
    values: dict[str, str | None] = field(default_factory=dict)  # parameter name → current value

    def as_api(self) -> dict[str, Any]:
        return {
            "CacheParameterGroupName": self.name,
            "CacheParameterGroupFamily": self.family,
            "Description": self.description,
            "IsGlobal": False,  # the stand-in has no Global datastores
            "ARN": self.arn,
        }


def parameter_family(engine: str, version: str) -> str:
    """The cache parameter group family of an engine version (see the module docstring)."""
    parts = [int(p) for p in version.split(".") if p.isdigit()] + [0, 0]
    major, minor = parts[0], parts[1]
    if engine == "valkey":
        return f"valkey{major}"
    if major >= 7:
        return "redis7"
    if major == 6:
        return "redis6.x"
    return f"redis{major}.{minor}"


def default_group_names(family: str) -> tuple[str, str]:
    return f"default.{family}", f"default.{family}.cluster.on"


def parameter_api(
    spec: ParameterSpec, value: str | None, source: str = "system", modifiable: bool | None = None
) -> dict[str, Any]:
    """A Parameter as the API writes it (no ParameterValue or AllowedValues where AWS reports none)."""
    answer: dict[str, Any] = {"ParameterName": spec.name}
    if value is not None:
        answer["ParameterValue"] = value
    answer["Description"] = spec.description
    answer["Source"] = source
    answer["DataType"] = spec.data_type
    if spec.allowed is not None:
        answer["AllowedValues"] = spec.allowed
    answer["IsModifiable"] = spec.modifiable == YES if modifiable is None else modifiable
    answer["MinimumEngineVersion"] = spec.minimum_engine_version
    answer["ChangeType"] = spec.change_type
    return answer


def _family_params(family: str | None) -> dict[str, ParameterSpec]:
    params = FAMILIES.get(family or "")
    if params is None:
        raise InvalidParameterValueException(
            f"The parameter CacheParameterGroupFamily has an invalid value: {family}. Valid families are "
            + ", ".join(FAMILIES)
            + "."
        )
    return dict(params)


def _name_value_pairs(value: Any) -> list[tuple[str, str | None]]:
    """ParameterNameValues as moto's query parsing hands them over."""
    if isinstance(value, dict):  # {"ParameterNameValue": [...]}: the list under its member name
        value = next(iter(value.values()), [])
    if isinstance(value, dict):
        value = [value]
    pairs = []
    for item in value or []:
        pairs.append((str(item.get("ParameterName") or ""), item.get("ParameterValue")))
    return pairs


class ParameterGroups(moto_models.ElastiCacheBackend):
    """Cache parameter groups; the sandbox's backend class takes this in before moto's backend."""

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.arn_regex = ARN
        self.lock = threading.RLock()  # the sandbox backend puts its own lock here: every change holds it
        self.ever_tagged: set[str] = set()
        self.cache_parameter_groups: dict[str, CacheParameterGroup] = {}
        for family, params in FAMILIES.items():
            for name in default_group_names(family):
                cluster_on = name.endswith(".cluster.on")
                description = (
                    f"Customized default parameter group for {family} with cluster mode on"
                    if cluster_on
                    else f"Default parameter group for {family}"
                )
                values = {p.name: p.default for p in params.values()}
                if cluster_on:
                    values["cluster-enabled"] = "yes"
                self.cache_parameter_groups[name] = CacheParameterGroup(
                    name, family, description, self._parameter_group_arn(name), True, values
                )

    # --- the in-use hook ----------------------------------------------------------------------------

    def cache_parameter_groups_in_use(self) -> dict[str, list[str]]:
        """Which cache parameter groups cache clusters use: group name (lowercase) → the ids of the cache
        clusters using it. DeleteCacheParameterGroup refuses a group listed here, and
        ModifyCacheParameterGroup / ResetCacheParameterGroup leave its conditionally modifiable parameters
        (cluster-enabled, databases, ...) alone, as AWS does.

        It reads each cache cluster's `cache_parameter_group_name` (moto's attribute), which the sandbox
        backend keeps current: every member cluster of a replication group carries the group it uses, the
        family's default (`default.redis7`, `default.redis7.cluster.on`, ...) when none was named, from
        CreateReplicationGroup on; ModifyReplicationGroup CacheParameterGroupName (or a cluster mode or
        engine change that brings a new group) switches them once the modification is done; a deleted
        replication group's members go with it. Called with the backend's lock held."""
        used: dict[str, list[str]] = {}
        for cluster_id, cluster in self.cache_clusters.items():
            name = getattr(cluster, "cache_parameter_group_name", None)
            if name:
                used.setdefault(str(name).lower(), []).append(cluster_id)
        return used

    def cache_parameter_group_changed(self, group: CacheParameterGroup) -> None:
        """Called, with the lock held, once a group's values have changed (Modify, Reset); the sandbox
        backend applies them to the cache clusters using the group."""

    # --- look-ups -----------------------------------------------------------------------------------

    def _parameter_group_arn(self, name: str) -> str:
        return f"arn:{self.partition}:elasticache:{self.region_name}:{self.account_id}:parametergroup:{name}"

    def _parameter_group(self, name: str | None) -> CacheParameterGroup:
        group = self.cache_parameter_groups.get((name or "").lower())
        if group is None:
            raise CacheParameterGroupNotFound(name or "")
        return group

    def _custom_parameter_group(self, name: str | None) -> CacheParameterGroup:
        group = self._parameter_group(name)
        if group.is_default:
            raise InvalidParameterValueException(f"Cannot modify a default parameter group: {group.name}.")
        return group

    def require_parameter_group_arn(self, arn: str | None) -> None:
        """A parameter group's ARN must name a group that exists (as for a replication group's tags)."""
        kind, _, name = (arn or "").split(":", 5)[-1].partition(":")
        if ARN.match(arn or "") and kind == "parametergroup":
            with self.lock:
                self._parameter_group(name)

    def list_tags_for_resource(self, arn: str) -> dict[str, list[dict[str, str]]]:
        self.require_parameter_group_arn(arn)
        return super().list_tags_for_resource(arn)

    # --- the actions --------------------------------------------------------------------------------

    def create_cache_parameter_group(
        self, name: str | None, family: str | None, description: str | None, tags: list[dict[str, str]] | None
    ) -> CacheParameterGroup:
        if not NAME.match(name or ""):
            raise InvalidParameterValueException(
                "Parameter group name must begin with a letter, contain only ASCII letters, digits and hyphens,"
                " be 1 to 255 characters, and contain no two consecutive hyphens nor end with one."
            )
        params = _family_params(family)
        if len(tags or []) > 50:
            raise TagQuotaPerResourceExceeded("A resource may carry at most 50 tags.")
        key = (name or "").lower()
        with self.lock:
            if key in self.cache_parameter_groups:
                raise CacheParameterGroupAlreadyExists(key)
            own = [g for g in self.cache_parameter_groups.values() if not g.is_default]
            if len(own) >= QUOTA:
                raise CacheParameterGroupQuotaExceeded(
                    f"Exceeded the maximum number of cache parameter groups ({QUOTA}) in this Region."
                )
            group = CacheParameterGroup(
                key,
                str(family),
                description or "",
                self._parameter_group_arn(key),
                values={p.name: p.default for p in params.values()},
            )
            self.cache_parameter_groups[key] = group
            if tags:
                self.tagging_service.tag_resource(group.arn, tags)
                self.ever_tagged.add(group.arn)
            return group

    def describe_cache_parameter_groups(self, name: str | None) -> list[CacheParameterGroup]:
        with self.lock:
            if name:
                return [self._parameter_group(name)]
            return list(self.cache_parameter_groups.values())

    @staticmethod
    def _changeable(spec: ParameterSpec, in_use: bool) -> bool:
        return spec.modifiable == YES or (spec.modifiable == CONDITIONAL and not in_use)

    def modify_cache_parameter_group(self, name: str | None, name_values: Any) -> CacheParameterGroup:
        pairs = _name_value_pairs(name_values)
        with self.lock:
            group = self._custom_parameter_group(name)
            if not pairs:
                raise InvalidParameterValueException("At least one parameter name and value must be supplied.")
            if len(pairs) > MAX_MODIFY:
                raise InvalidParameterCombinationException(
                    f"Cannot modify more than {MAX_MODIFY} parameters in a single request"
                )
            params = FAMILIES[group.family]
            in_use = group.name in self.cache_parameter_groups_in_use()
            changes: dict[str, str] = {}
            for parameter, value in pairs:
                spec = self._spec(group, params, parameter)
                if not self._changeable(spec, in_use):
                    raise InvalidParameterValueException(f"The parameter {parameter} cannot be modified.")
                value = "" if value is None else str(value)
                if not spec.check(value):
                    raise InvalidParameterValueException(_bad_value(spec, value))
                changes[parameter] = value
            group.values.update(changes)  # all or nothing: every pair was checked first
            self.cache_parameter_group_changed(group)
            return group

    def reset_cache_parameter_group(self, name: str | None, reset_all: bool, name_values: Any) -> CacheParameterGroup:
        names = [parameter for parameter, _ in _name_value_pairs(name_values)]
        with self.lock:
            group = self._custom_parameter_group(name)
            if reset_all and names:
                raise InvalidParameterCombinationException(
                    "ResetAllParameters and ParameterNameValues cannot be specified together."
                )
            if not reset_all and not names:
                raise InvalidParameterCombinationException(
                    "Specify ResetAllParameters=true, or the names of the parameters to reset in ParameterNameValues."
                )
            params = FAMILIES[group.family]
            in_use = group.name in self.cache_parameter_groups_in_use()
            if reset_all:  # what cannot change now keeps its value (a used group's cluster-enabled, ...)
                names = [p.name for p in params.values() if self._changeable(p, in_use)]
            else:
                for parameter in names:
                    spec = self._spec(group, params, parameter)
                    if not self._changeable(spec, in_use):
                        raise InvalidParameterValueException(f"The parameter {parameter} cannot be modified.")
            for parameter in names:
                group.values[parameter] = params[parameter].default
            self.cache_parameter_group_changed(group)
            return group

    def delete_cache_parameter_group(self, name: str | None) -> None:
        with self.lock:
            group = self._parameter_group(name)
            if group.is_default:
                raise InvalidCacheParameterGroupState(f"Default CacheParameterGroup cannot be deleted: {group.name}")
            users = self.cache_parameter_groups_in_use().get(group.name)
            if users:
                raise InvalidCacheParameterGroupState(
                    f"One or more cache clusters are still members of this parameter group {group.name}, so the"
                    f" group cannot be deleted (in use by {', '.join(sorted(users))})."
                )
            del self.cache_parameter_groups[group.name]
            self.tagging_service.delete_all_tags_for_resource(group.arn)
            self.ever_tagged.discard(group.arn)

    def describe_cache_parameters(self, name: str | None, source: str | None) -> list[dict[str, Any]]:
        if source and source not in SOURCES:
            raise InvalidParameterValueException(
                f"Invalid value for Source: {source}. Valid values are: {', '.join(SOURCES)}."
            )
        with self.lock:
            group = self._parameter_group(name)
            params = FAMILIES[group.family]
            in_use = group.name in self.cache_parameter_groups_in_use()
            answer = []
            for spec in params.values():
                value = group.values.get(spec.name, spec.default)
                if group.is_default:
                    entry = parameter_api(spec, value)
                else:
                    changeable = self._changeable(spec, in_use)
                    settable = spec.modifiable != NO  # Source says who sets it; IsModifiable, whether one can now
                    entry = parameter_api(spec, value, "user" if settable else "system", changeable)
                if not source or entry["Source"] == source:
                    answer.append(entry)
            return answer

    def describe_engine_default_parameters(self, family: str | None) -> list[dict[str, Any]]:
        return [parameter_api(spec, spec.default) for spec in _family_params(family).values()]

    @staticmethod
    def _spec(group: CacheParameterGroup, params: Any, parameter: str) -> ParameterSpec:
        spec = params.get(parameter)
        if spec is None:
            raise InvalidParameterValueException(
                f"Could not find parameter with name: {parameter} (cache parameter group family {group.family})."
            )
        return cast(ParameterSpec, spec)


def _bad_value(spec: ParameterSpec, value: str) -> str:
    if spec.name == "notify-keyspace-events":
        return (
            f"Invalid value {value!r} for parameter notify-keyspace-events: use only the event type characters"
            " K, E, g, $, l, s, h, z, x, e and A."
        )
    kind = "an integer" if spec.data_type == "integer" else "a value"
    return f"Invalid value {value!r} for parameter {spec.name}: must be {kind} in {spec.allowed}."


# --- the actions, as methods of moto's response class (moto looks them up by name at request time) ----


def _backend(response: moto_responses.ElastiCacheResponse) -> ParameterGroups:
    return cast(ParameterGroups, response.elasticache_backend)


def _create_cache_parameter_group(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    group = _backend(self).create_cache_parameter_group(
        self._get_param("CacheParameterGroupName"),
        self._get_param("CacheParameterGroupFamily"),
        self._get_param("Description"),
        self._get_param("Tags", []),
    )
    return ActionResult({"CacheParameterGroup": group.as_api()})


def _describe_cache_parameter_groups(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    name = self._get_param("CacheParameterGroupName")
    records = max_records(self._get_param("MaxRecords"))
    groups = _backend(self).describe_cache_parameter_groups(name)
    if name:
        return ActionResult({"CacheParameterGroups": [g.as_api() for g in groups]})
    page, marker = page_by_key(groups, lambda g: g.name, self._get_param("Marker"), records)
    return ActionResult({"CacheParameterGroups": [g.as_api() for g in page], "Marker": marker})


def _modify_cache_parameter_group(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    params = self._get_params()
    group = _backend(self).modify_cache_parameter_group(
        params.get("CacheParameterGroupName"), params.get("ParameterNameValues")
    )
    return ActionResult({"CacheParameterGroupName": group.name})


def _reset_cache_parameter_group(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    params = self._get_params()
    group = _backend(self).reset_cache_parameter_group(
        params.get("CacheParameterGroupName"),
        bool(self._get_bool_param("ResetAllParameters", False)),
        params.get("ParameterNameValues"),
    )
    return ActionResult({"CacheParameterGroupName": group.name})


def _delete_cache_parameter_group(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    _backend(self).delete_cache_parameter_group(self._get_param("CacheParameterGroupName"))
    return ActionResult({})


def _paged_parameters(self: moto_responses.ElastiCacheResponse, parameters: list[dict[str, Any]]) -> tuple[Any, Any]:
    records = max_records(self._get_param("MaxRecords"))
    return page_by_key(parameters, lambda p: sort_key(p["ParameterName"]), self._get_param("Marker"), records)


def _describe_cache_parameters(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    parameters = _backend(self).describe_cache_parameters(
        self._get_param("CacheParameterGroupName"), self._get_param("Source")
    )
    page, marker = _paged_parameters(self, parameters)
    return ActionResult({"Parameters": page, "Marker": marker})


def _describe_engine_default_parameters(self: moto_responses.ElastiCacheResponse) -> ActionResult:
    family = self._get_param("CacheParameterGroupFamily")
    page, marker = _paged_parameters(self, _backend(self).describe_engine_default_parameters(family))
    return ActionResult({"EngineDefaults": {"CacheParameterGroupFamily": family, "Parameters": page, "Marker": marker}})


Action = Callable[[moto_responses.ElastiCacheResponse], Any]


def _checking_parameter_group_arn(action: Action) -> Action:
    """A tag action that first refuses a parameter group ARN naming no group (CacheParameterGroupNotFound)."""

    def checked(self: moto_responses.ElastiCacheResponse) -> Any:
        _backend(self).require_parameter_group_arn(self._get_param("ResourceName"))
        return action(self)

    checked.checks_parameter_groups = True  # type: ignore[attr-defined]
    return checked


ACTIONS: dict[str, Action] = {
    "create_cache_parameter_group": _create_cache_parameter_group,
    "describe_cache_parameter_groups": _describe_cache_parameter_groups,
    "modify_cache_parameter_group": _modify_cache_parameter_group,
    "reset_cache_parameter_group": _reset_cache_parameter_group,
    "delete_cache_parameter_group": _delete_cache_parameter_group,
    "describe_cache_parameters": _describe_cache_parameters,
    "describe_engine_default_parameters": _describe_engine_default_parameters,
}


def install_parameter_group_actions(response: type[moto_responses.ElastiCacheResponse]) -> None:
    """Add the parameter group actions to moto's response class, and have its tag actions check parameter
    group ARNs; idempotent. Called by elasticache_api.install() after it has put its own actions in."""
    for name, action in ACTIONS.items():
        setattr(response, name, action)
    for name in ("add_tags_to_resource", "remove_tags_from_resource"):
        current = getattr(response, name)
        if not getattr(current, "checks_parameter_groups", False):
            setattr(response, name, _checking_parameter_group_arn(current))
