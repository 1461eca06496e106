"""The RedisSnapshot CRD: structural and documented, its CEL rules and the pydantic model agree."""

import pytest
import yaml
from pydantic import ValidationError

from elasticache_operator.core.snapshot import SnapshotSpec
from elasticache_sandbox.kube.admission import SchemaAdmission

from ..support.crd import ROOT
from .test_crd import walk

CRD = yaml.safe_load((ROOT / "crds" / "redissnapshots.yaml").read_text())
SCHEMA = CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
ADMISSION = SchemaAdmission(SCHEMA, CRD["spec"]["group"], CRD["spec"]["names"]["kind"])


def admit(spec, old_spec=None):
    def obj(s):
        body = {"apiVersion": "redis.elasticache-operator.io/v1alpha1", "kind": "RedisSnapshot"}
        return ADMISSION.default(ADMISSION.prune({**body, "metadata": {"name": "probe"}, "spec": s})[0])

    old = obj(old_spec) if old_spec is not None else None
    return [e.detail if e.field == "spec" else str(e) for e in ADMISSION.validate(obj(spec), old)]


def test_schema_is_structural_and_documented():
    for path, node in walk(SCHEMA):
        assert "type" in node, f"{path} has no type"
        if path.count(".") >= 2 and not path.endswith(("}", "[]")):
            assert node.get("description"), f"{path} has no description"


def test_columns_say_ready_source_size_and_the_deletion_policy_in_effect():
    [version] = CRD["spec"]["versions"]
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"] if not c.get("priority")}
    assert list(columns) == ["Ready", "Source", "Size", "Deletion", "Age"]
    assert columns["Deletion"] == ".status.deletionPolicy"
    assert not {"rs", "rc", "svc", "po", "cm"} & set(CRD["spec"]["names"].get("shortNames", []))


def test_spec_fields_match_the_model():
    model = {f.alias or name for name, f in SnapshotSpec.model_fields.items()}
    assert model == set(SCHEMA["properties"]["spec"]["properties"])


@pytest.mark.parametrize(
    "spec",
    [
        {"redisClusterName": "shop"},
        {"snapshotName": "automatic.shop-2026-12-04-05-00"},
        {"snapshotName": "x", "deletionPolicy": "Delete"},
        {"redisClusterName": "a", "snapshotName": "b"},
        {},
        {"snapshotName": "-bad"},
        {"redisClusterName": "Not_A_Name"},
        {"snapshotName": "x", "deletionPolicy": "Snapshot"},
    ],
)
def test_admission_and_model_agree(spec):
    refused = admit(spec)
    try:
        SnapshotSpec.model_validate(spec)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == (not refused), refused


def test_the_spec_is_fixed_after_creation():
    assert admit({"redisClusterName": "shop"}, {"redisClusterName": "shop"}) == []
    assert admit({"redisClusterName": "other"}, {"redisClusterName": "shop"}) == [
        "the spec of a RedisSnapshot cannot be changed after creation"
    ]
    assert "exactly one of redisClusterName and snapshotName must be set" in admit(
        {"redisClusterName": "a", "snapshotName": "b"}
    )
