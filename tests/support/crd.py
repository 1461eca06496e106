"""What a kube-apiserver does with the CRD that no stand-in here does: structural
schema validation, defaulting, and CEL rules (with `oldSelf` on updates)."""

from __future__ import annotations

import pathlib
from typing import Any

import celpy
import jsonschema
import yaml

from elasticache_operator.sandbox.crd_schema import apply_defaults

__all__ = ["apply_defaults", "admit", "load_crd", "root_schema"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
CRD_PATH = ROOT / "crds" / "redisclusters.yaml"


def load_crd() -> dict[str, Any]:
    return yaml.safe_load(CRD_PATH.read_text())


def root_schema(crd: dict[str, Any] | None = None) -> dict[str, Any]:
    return (crd or load_crd())["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


_ENV = celpy.Environment()


def cel_failures(schema: dict[str, Any], value: Any, old: Any = None) -> list[str]:
    """Messages of every x-kubernetes-validations rule that fails, at any depth.
    Transition rules (those naming oldSelf) run only when there is an old value."""
    failures: list[str] = []
    for rule in schema.get("x-kubernetes-validations") or []:
        transition = "oldSelf" in rule["rule"]
        if transition and old is None:
            continue
        activation = {"self": celpy.json_to_cel(value)}
        if transition:
            activation["oldSelf"] = celpy.json_to_cel(old)
        result = _ENV.program(_ENV.compile(rule["rule"])).evaluate(activation)
        if result is not True and not (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
            failures.append(rule["message"])
    if isinstance(value, dict):
        for name, prop in (schema.get("properties") or {}).items():
            if name in value:
                child_old = old.get(name) if isinstance(old, dict) else None
                failures += cel_failures(prop, value[name], child_old)
    return failures


def admit(spec: dict[str, Any], old_spec: dict[str, Any] | None = None) -> list[str]:
    """Everything admission would say about a spec (after defaulting), [] if it is admitted."""
    schema = root_schema()["properties"]["spec"]
    defaulted = apply_defaults(schema, spec)
    errors = schema_errors(schema, defaulted)
    if errors:
        return errors
    old = apply_defaults(schema, old_spec) if old_spec is not None else None
    return cel_failures(schema, defaulted, old)
