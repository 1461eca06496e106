"""The CRD as the Kubernetes stand-in admits it: the same code (sandbox/kube/admission.py) prunes,
defaults and validates here, in-process, so that tests of the schema, of the pydantic model and of
the stand-in cannot drift apart."""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import yaml

from elasticache_sandbox.kube.admission import SchemaAdmission, apply_defaults

__all__ = ["apply_defaults", "admission", "admit", "load_crd", "root_schema"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
CRD_PATH = ROOT / "crds" / "redisclusters.yaml"


def load_crd() -> dict[str, Any]:
    return yaml.safe_load(CRD_PATH.read_text())


def root_schema(crd: dict[str, Any] | None = None) -> dict[str, Any]:
    return (crd or load_crd())["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


@functools.cache
def admission() -> SchemaAdmission:
    crd = load_crd()
    return SchemaAdmission(root_schema(crd), crd["spec"]["group"], crd["spec"]["names"]["kind"])


def _object(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "redis.elasticache-operator.io/v1alpha1",
        "kind": "RedisCluster",
        "metadata": {"name": "probe"},
        "spec": spec,
    }


def admit(spec: dict[str, Any], old_spec: dict[str, Any] | None = None) -> list[str]:
    """Everything admission would say about a spec, [] if it is admitted: a CEL rule's message,
    or the API server's line for a schema error."""
    checker = admission()
    new = checker.default(checker.prune(_object(spec))[0])
    old = checker.default(checker.prune(_object(old_spec))[0]) if old_spec is not None else None
    return [error.detail if error.field == "spec" else str(error) for error in checker.validate(new, old)]
