"""What kube-apiserver does to a custom resource before it stores it, from the CRD's structural schema:
prune unknown fields, apply defaults, validate (types, enums, bounds, patterns, required, list-map keys),
then run the `x-kubernetes-validations` CEL rules (transition rules with `oldSelf` on updates), with
validation ratcheting: on an update, a value that did not change is not refused again. Errors are
worded as the API server words them (k8s.io/apimachinery field errors, go-openapi's details).
"""

from __future__ import annotations

import copy
import datetime
import re
from dataclasses import dataclass
from typing import Any

import celpy
from celpy import celtypes
from celpy.adapter import json_to_cel
from celpy.celtypes import Value
from celpy.evaluation import CELEvalError, CELFunction

_MISSING: Any = object()  # no old value to compare with (a create, or a new field)
_OMIT: Any = object()  # an error that prints no value


@dataclass(frozen=True)
class FieldError:
    """One k8s.io/apimachinery field.Error."""

    type: str  # "Invalid value", "Required value", …
    field: str
    value: Any = _OMIT
    detail: str = ""

    CAUSES = {
        "Required value": "FieldValueRequired",
        "Invalid value": "FieldValueInvalid",
        "Unsupported value": "FieldValueNotSupported",
        "Too long": "FieldValueTooLong",
        "Too many": "FieldValueTooMany",
        "Duplicate value": "FieldValueDuplicate",
        "Forbidden": "FieldValueForbidden",
    }

    @property
    def type_invalid(self) -> bool:
        return self.detail.startswith(self.field + " in body must be of type")

    def body(self) -> str:
        text = self.type
        if self.value is not _OMIT and self.type not in ("Required value", "Forbidden", "Too long"):
            text += f": {go_value(self.value)}"
        return f"{text}: {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return f"{self.field or '<nil>'}: {self.body()}"

    def cause(self) -> dict[str, str]:
        reason = "FieldValueTypeInvalid" if self.type_invalid else self.CAUSES.get(self.type, "FieldValueInvalid")
        return {"reason": reason, "message": self.body(), "field": self.field}


def go_value(value: Any) -> str:
    """As Go's fmt prints a bad value: strings quoted, numbers and booleans bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return '"null"'
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return '"' + type_name(value) + '"'


def type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


def invalid_message(qualified_kind: str, name: str, errors: list[FieldError]) -> str:
    """apierrors.NewInvalid's message: one error as is, several in brackets."""
    listed = str(errors[0]) if len(errors) == 1 else "[" + ", ".join(map(str, errors)) + "]"
    return f'{qualified_kind} "{name}" is invalid: {listed}'


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _format_ok(fmt: str | None, value: str) -> bool:
    if fmt == "date-time":
        if not _DATE_TIME.match(value):
            return False
        try:
            datetime.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            return False
    return True


def _is_type(expected: str | None, value: Any) -> bool:
    if expected is None:
        return True
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return type_name(value) == expected


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 and True differ, as they do on the wire."""
    if type_name(a) != type_name(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class SchemaAdmission:
    """Admission of one served version of a CRD."""

    _cel = celpy.Environment()

    def __init__(self, schema: dict[str, Any], group: str, kind: str) -> None:
        self.schema = schema
        self.qualified_kind = f"{kind}.{group}"
        self._programs: dict[str, celpy.Runner] = {}

    # --- pruning and defaulting -------------------------------------------------------------

    def prune(self, obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Drop what the schema does not declare; returns the object and the unknown fields' paths."""
        unknown: list[str] = []
        identity = {k: obj[k] for k in ("apiVersion", "kind", "metadata") if k in obj}
        rest = self._prune(self.schema, {k: v for k, v in obj.items() if k not in identity}, "", unknown)
        return {**identity, **rest}, unknown

    @staticmethod
    def _property(schema: dict[str, Any], key: str) -> dict[str, Any]:
        """The schema of `key` in an object: a declared property, or the map's value schema."""
        props = schema.get("properties") or {}
        if key in props:
            return dict(props[key])
        extra = schema.get("additionalProperties")
        return dict(extra) if isinstance(extra, dict) else {}

    def _keeps(self, schema: dict[str, Any], key: str, value: Any, path: str, unknown: list[str]) -> bool:
        declared = key in (schema.get("properties") or {}) or isinstance(schema.get("additionalProperties"), dict)
        if not declared and not schema.get("x-kubernetes-preserve-unknown-fields"):
            unknown.append(path)
            return False
        return not (value is None and not self._property(schema, key).get("nullable"))  # nulls are pruned

    def _prune(self, schema: dict[str, Any], value: Any, path: str, unknown: list[str]) -> Any:
        if isinstance(value, dict) and (schema.get("properties") is not None or "additionalProperties" in schema):
            return {
                k: self._prune(self._property(schema, k), v, _join(path, k), unknown)
                for k, v in value.items()
                if self._keeps(schema, k, v, _join(path, k), unknown)
            }
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            return [self._prune(schema["items"], item, f"{path}[{i}]", unknown) for i, item in enumerate(value)]
        return value

    def default(self, obj: dict[str, Any]) -> dict[str, Any]:
        result = apply_defaults(self.schema, obj)
        assert isinstance(result, dict)
        return result

    # --- validation -------------------------------------------------------------------------

    def validate(self, obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[FieldError]:
        """Schema errors; if none of them blocks CEL (wrong types, unsupported values), the CEL rules'."""
        errors: list[FieldError] = []
        rules: list[tuple[dict[str, Any], Any, Any, str]] = []
        old_root = _MISSING if old is None else old
        for key in self.schema.get("required") or []:
            if key not in obj:
                errors.append(FieldError("Required value", key))
        for key, value in obj.items():
            if key == "metadata":
                continue
            prop = (self.schema.get("properties") or {}).get(key)
            if prop is not None:
                old_value = old_root.get(key, _MISSING) if old_root is not _MISSING else _MISSING
                self._check(prop, value, old_value, key, errors, rules)
        if any(e.type_invalid or e.type == "Unsupported value" for e in errors):
            errors.append(
                FieldError(
                    "Invalid value",
                    "",
                    None,
                    "some validation rules were not checked because the object was invalid;"
                    " correct the existing errors to complete validation",
                )
            )
            return errors
        for rule, value, old_value, path in rules:
            if error := self._run_rule(rule, value, old_value, path):
                errors.append(error)
        return errors

    def _check(
        self,
        schema: dict[str, Any],
        value: Any,
        old: Any,
        path: str,
        errors: list[FieldError],
        rules: list[tuple[dict[str, Any], Any, Any, str]],
    ) -> None:
        unchanged = old is not _MISSING and _equal(value, old)  # ratcheting: its errors were accepted before
        found: list[FieldError] = []
        self._check_node(schema, value, path, found)
        if not unchanged:
            errors.extend(found)
        if any(e.type_invalid for e in found):
            return
        for rule in schema.get("x-kubernetes-validations") or []:
            transition = "oldSelf" in rule["rule"]
            if transition and old is _MISSING:
                continue  # transition rules need an old value
            if unchanged and not transition:
                continue
            rules.append((rule, value, old, path))
        if isinstance(value, dict):
            for key, child in value.items():
                sub = self._property(schema, key)
                if sub:
                    old_child = old.get(key, _MISSING) if isinstance(old, dict) else _MISSING
                    self._check(sub, child, old_child, _join(path, key), errors, rules)
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            keys = schema.get("x-kubernetes-list-map-keys") if schema.get("x-kubernetes-list-type") == "map" else None
            for i, item in enumerate(value):
                old_item = _MISSING
                if keys and isinstance(old, list) and isinstance(item, dict):
                    old_item = next(
                        (o for o in old if isinstance(o, dict) and all(o.get(k) == item.get(k) for k in keys)), _MISSING
                    )
                self._check(schema["items"], item, old_item, f"{path}[{i}]", errors, rules)

    @staticmethod
    def _check_node(schema: dict[str, Any], value: Any, path: str, errors: list[FieldError]) -> None:
        expected = schema.get("type")
        if value is None and schema.get("nullable"):
            return
        if schema.get("x-kubernetes-int-or-string"):  # IntOrString: either, and nothing else
            expected = "integer,string" if not (_is_type("integer", value) or isinstance(value, str)) else None
        if not _is_type(expected, value):
            detail = f'{path} in body must be of type {expected}: "{type_name(value)}"'
            errors.append(FieldError("Invalid value", path, type_name(value), detail))
            return
        if "enum" in schema and not any(_equal(value, allowed) for allowed in schema["enum"]):
            supported = ", ".join(f'"{a if not isinstance(a, bool) else str(a).lower()}"' for a in schema["enum"])
            errors.append(FieldError("Unsupported value", path, value, f"supported values: {supported}"))
        if isinstance(value, str):
            if "maxLength" in schema and len(value.encode()) > schema["maxLength"]:
                max_length = schema["maxLength"]
                unit = "byte" if max_length == 1 else "bytes"
                errors.append(FieldError("Too long", path, value, f"may not be more than {max_length} {unit}"))
            if "minLength" in schema and len(value) < schema["minLength"]:
                detail = f"{path} in body should be at least {schema['minLength']} chars long"
                errors.append(FieldError("Invalid value", path, value, detail))
            if "pattern" in schema and not re.search(schema["pattern"], value):
                detail = f"{path} in body should match '{schema['pattern']}'"
                errors.append(FieldError("Invalid value", path, value, detail))
            if not _format_ok(schema.get("format"), value):
                detail = f'{path} in body must be of type {schema["format"]}: "{value}"'
                errors.append(FieldError("Invalid value", path, value, detail))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "maximum" in schema and (
                value > schema["maximum"] or (schema.get("exclusiveMaximum") and value == schema["maximum"])
            ):
                op = "less than" if schema.get("exclusiveMaximum") else "less than or equal to"
                detail = f"{path} in body should be {op} {schema['maximum']}"
                errors.append(FieldError("Invalid value", path, value, detail))
            if "minimum" in schema and (
                value < schema["minimum"] or (schema.get("exclusiveMinimum") and value == schema["minimum"])
            ):
                op = "greater than" if schema.get("exclusiveMinimum") else "greater than or equal to"
                detail = f"{path} in body should be {op} {schema['minimum']}"
                errors.append(FieldError("Invalid value", path, value, detail))
        if isinstance(value, dict):
            for key in schema.get("required") or []:
                if key not in value:
                    errors.append(FieldError("Required value", _join(path, key)))
            if "maxProperties" in schema and len(value) > schema["maxProperties"]:
                errors.append(
                    FieldError("Too many", path, len(value), f"must have at most {schema['maxProperties']} items")
                )
            if "minProperties" in schema and len(value) < schema["minProperties"]:
                detail = f"{path} in body should have at least {schema['minProperties']} properties"
                errors.append(FieldError("Invalid value", path, len(value), detail))
        if isinstance(value, list):
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                errors.append(FieldError("Too many", path, len(value), f"must have at most {schema['maxItems']} items"))
            if "minItems" in schema and len(value) < schema["minItems"]:
                detail = f"{path} in body should have at least {schema['minItems']} items"
                errors.append(FieldError("Invalid value", path, len(value), detail))
            list_type = schema.get("x-kubernetes-list-type")
            seen: list[Any] = []
            for i, item in enumerate(value):
                if list_type == "map" and isinstance(item, dict):
                    key = {k: item.get(k) for k in schema.get("x-kubernetes-list-map-keys") or []}
                elif list_type == "set":
                    key = item
                else:
                    continue
                if any(_equal(key, other) for other in seen):
                    errors.append(FieldError("Duplicate value", f"{path}[{i}]", key))
                seen.append(key)

    # --- CEL ----------------------------------------------------------------------------------

    def _program(self, text: str) -> celpy.Runner:
        if text not in self._programs:
            self._programs[text] = self._cel.program(self._cel.compile(text), functions=KUBERNETES_STRINGS)
        return self._programs[text]

    def _run_rule(self, rule: dict[str, Any], value: Any, old: Any, path: str) -> FieldError | None:
        activation = {"self": json_to_cel(value)}
        if old is not _MISSING:
            activation["oldSelf"] = json_to_cel(old)
        field = path + rule["fieldPath"] if rule.get("fieldPath") else path
        error_type = {
            "FieldValueRequired": "Required value",
            "FieldValueForbidden": "Forbidden",
            "FieldValueDuplicate": "Duplicate value",
        }.get(rule.get("reason", ""), "Invalid value")
        result: Value | CELEvalError
        try:
            result = self._program(rule["rule"]).evaluate(activation)
        except CELEvalError as e:
            result = e
        if isinstance(result, CELEvalError):
            return FieldError(
                "Invalid value", field, type_name(value), f"{result.args[0]} evaluating rule: {rule['rule']}"
            )
        if bool(result):
            return None
        message = rule.get("message") or f"failed rule: {rule['rule']}"
        if rule.get("messageExpression"):
            try:
                message = str(self._program(rule["messageExpression"]).evaluate(activation))
            except CELEvalError:
                pass
        return FieldError(error_type, field, type_name(value), message)


def _substring(text: celtypes.StringType, start: celtypes.IntType, end: celtypes.IntType | None = None) -> Value:
    if not 0 <= int(start) <= len(text) or (end is not None and not int(start) <= int(end) <= len(text)):
        raise ValueError(f"index out of range: {int(start)}")
    return celtypes.StringType(text[int(start) :] if end is None else text[int(start) : int(end)])


def _split(text: celtypes.StringType, separator: celtypes.StringType) -> Value:
    return celtypes.ListType([celtypes.StringType(part) for part in str(text).split(str(separator))])


def _index_of(text: celtypes.StringType, part: celtypes.StringType) -> Value:
    return celtypes.IntType(str(text).find(str(part)))


# Kubernetes' CEL strings extension (kube-apiserver has it since 1.24; cel-python has none of it), as far
# as the CRDs use it: charAt, indexOf, lowerAscii, split, substring, trim, upperAscii.
KUBERNETES_STRINGS: dict[str, CELFunction] = {
    "charAt": lambda text, i: celtypes.StringType(str(text)[int(i) : int(i) + 1]),
    "indexOf": _index_of,
    "lowerAscii": lambda text: celtypes.StringType(str(text).lower()),
    "split": _split,
    "substring": _substring,
    "trim": lambda text: celtypes.StringType(str(text).strip()),
    "upperAscii": lambda text: celtypes.StringType(str(text).upper()),
}


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """Fill in `default`s inside objects that exist (a missing parent gets none), in maps and lists too."""
    if isinstance(value, dict) and (schema.get("type") == "object" or "properties" in schema):
        result = dict(value)
        for name, prop in (schema.get("properties") or {}).items():
            if name not in result and "default" in prop:
                result[name] = copy.deepcopy(prop["default"])
            if name in result:
                result[name] = apply_defaults(prop, result[name])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in result:
                if name not in (schema.get("properties") or {}):
                    result[name] = apply_defaults(extra, result[name])
        return result
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(schema["items"], item) for item in value]
    return value


def structural_errors(crd: dict[str, Any]) -> list[FieldError]:
    """Why a CRD's schemas are not structural, as apiextensions words it: every specified field needs a
    type, unless it is int-or-string or keeps unknown fields (a YAML slip such as an unquoted comma in a
    flow mapping makes a property with no schema at all, which kube-apiserver refuses)."""
    errors: list[FieldError] = []
    for index, version in enumerate((crd.get("spec") or {}).get("versions") or []):
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if schema is not None:
            _structural(schema, f"spec.versions[{index}].schema.openAPIV3Schema", errors)
    return errors


def _structural(schema: Any, path: str, errors: list[FieldError]) -> None:
    untyped = FieldError("Required value", f"{path}.type", detail="must not be empty for specified object fields")
    if not isinstance(schema, dict):
        errors.append(untyped)
        return
    if not schema.get("type") and not (
        schema.get("x-kubernetes-int-or-string") or schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        errors.append(untyped)
    for name, sub in (schema.get("properties") or {}).items():
        _structural(sub, f"{path}.properties[{name}]", errors)
    if "items" in schema:
        _structural(schema["items"], f"{path}.items", errors)
    if isinstance(schema.get("additionalProperties"), dict):
        _structural(schema["additionalProperties"], f"{path}.additionalProperties", errors)


SCHEMA_FIELDS = frozenset(
    "id $schema $ref description type format title default maximum exclusiveMaximum minimum exclusiveMinimum"
    " maxLength minLength pattern maxItems minItems uniqueItems multipleOf enum maxProperties minProperties"
    " required items allOf oneOf anyOf not properties additionalProperties patternProperties dependencies"
    " additionalItems definitions externalDocs example nullable x-kubernetes-preserve-unknown-fields"
    " x-kubernetes-embedded-resource x-kubernetes-int-or-string x-kubernetes-list-map-keys x-kubernetes-list-type"
    " x-kubernetes-map-type x-kubernetes-validations".split()
)


def prune_schema_fields(crd: dict[str, Any]) -> list[str]:
    """Drops what JSONSchemaProps does not have (as the API server's decoder does, which names each in a
    warning, or refuses them under fieldValidation=Strict, as `kubectl apply` asks) and returns their paths."""
    unknown: list[str] = []
    for index, version in enumerate((crd.get("spec") or {}).get("versions") or []):
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        _prune_schema(schema, f"spec.versions[{index}].schema.openAPIV3Schema", unknown)
    return unknown


def _prune_schema(schema: Any, path: str, unknown: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    for key in [k for k in schema if k not in SCHEMA_FIELDS]:
        unknown.append(f"{path}.{key}")
        del schema[key]
    for name, sub in (schema.get("properties") or {}).items():
        _prune_schema(sub, f"{path}.properties.{name}", unknown)
    for key in ("items", "additionalProperties"):
        _prune_schema(schema.get(key), f"{path}.{key}", unknown)
