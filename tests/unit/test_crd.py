"""The CRD and the pydantic model state the same rules; examples pass admission."""

import pytest
import yaml
from hypothesis import event, find, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from elasticache_operator.core.spec import (
    RedisClusterSpec,
    cross_field_problems,
    parse_spec,
    transition_problems,
)

from ..support.crd import ROOT, admit, apply_defaults, load_crd, root_schema

SPEC_SCHEMA = root_schema()["properties"]["spec"]


def walk(schema, path="$"):
    yield path, schema
    for name, prop in (schema.get("properties") or {}).items():
        yield from walk(prop, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from walk(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from walk(schema["additionalProperties"], f"{path}{{}}")


def test_schema_is_structural_and_documented():
    for path, node in walk(root_schema()):
        assert "type" in node or node.get("x-kubernetes-int-or-string"), f"{path} has no type"
        if path.count(".") >= 2 and not path.endswith(("}", "[]")):
            assert node.get("description"), f"{path} has no description"


def test_crd_names_and_subresources():
    crd = load_crd()
    assert crd["metadata"]["name"] == "redisclusters.redis.elasticache-operator.io"
    [version] = crd["spec"]["versions"]
    assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    assert columns == ["Ready", "Host", "Shards", "Replicas", "Status", "Age"]
    # No short name that collides with built-ins (rc is ReplicationController).
    assert not {"rc", "rs", "svc", "po", "cm"} & set(crd["spec"]["names"].get("shortNames", []))


def test_spec_fields_match_the_model():
    model_fields = {f.alias or name for name, f in RedisClusterSpec.model_fields.items()}
    assert set(SPEC_SCHEMA["properties"]) == model_fields
    assert set(SPEC_SCHEMA["required"]) == {f.alias for f in RedisClusterSpec.model_fields.values() if f.is_required()}


def test_schema_defaults_are_the_model_defaults():
    minimal = {"instanceSize": "cache.t4g.micro", "defaultUserPassword": {"secretKeyRef": {"name": "p", "key": "k"}}}
    defaulted = apply_defaults(SPEC_SCHEMA, minimal)
    model = parse_spec(minimal).model_dump(by_alias=True, exclude_none=True, exclude={"tags", "parameters"})
    assert defaulted == model


def example_specs():
    return [
        pytest.param(doc["spec"], id=path.stem)
        for path in sorted((ROOT / "examples").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc["kind"] == "RedisCluster"
    ]


@pytest.mark.parametrize("spec", example_specs())
def test_examples_pass_admission_and_the_model(spec):
    assert admit(spec) == []
    parse_spec(spec)


# Specs near the edges of every rule: valid and invalid in roughly equal measure.
SPECS = st.fixed_dictionaries(
    {
        "instanceSize": st.sampled_from(["cache.t4g.micro", "cache.r7g.large", "t4g.micro", "cache.R7G.large"]),
    },
    optional={
        "defaultUserPassword": st.just({"secretKeyRef": {"name": "pw", "key": "password"}}),
        "managementPolicy": st.sampled_from(["Manage", "ObserveOnly", "Orphan"]),
        "engine": st.sampled_from(["redis", "valkey", "memcached"]),
        "engineVersion": st.sampled_from(["5.0.6", "6.0", "6.2", "7.1", "8.0", "10.0", "7", "v7.1"]),
        "enableSharding": st.booleans(),
        "numShards": st.integers(-1, 502),
        "numReplicaNodes": st.integers(-1, 6),
        "enableAutomaticFailover": st.booleans(),
        "port": st.sampled_from([80, 1023, 1024, 6379, 65535, 65536]),
        "automatedBackupRetentionDays": st.integers(-1, 36),
        "logging": st.fixed_dictionaries(
            {},
            optional={
                "disabled": st.booleans(),
                "format": st.sampled_from(["json", "text", "xml"]),
                "retentionDays": st.sampled_from([1, 2, 90, 3653, 4000]),
            },
        ),
        "accessibility": st.fixed_dictionaries(
            {}, optional={"accessibilityMode": st.sampled_from(["vpc", "scoping-workloads-in-vpc", "public"])}
        ),
        "tags": st.dictionaries(
            st.sampled_from(["team", "aws:stack", "AWS:x", "elasticache-operator.io/uid", "", "k" * 129]),
            st.sampled_from(["", "v", "v" * 257]),
            max_size=3,
        ),
        "deletionPolicy": st.sampled_from(["Delete", "Retain", "Snapshot", "Orphan"]),
        "connectionSecretName": st.sampled_from(["cache-redis", "Bad_Name", "", "a.b-c"]),
    },
)


def model_accepts(spec):
    try:
        parse_spec(spec)
        return True
    except ValidationError:
        return False


@settings(max_examples=400, deadline=None)
@given(SPECS)
def test_admission_and_model_agree(spec):
    accepted = admit(spec) == []
    event("accepted" if accepted else "refused")  # `pytest --hypothesis-show-statistics` shows the mix
    assert accepted == model_accepts(spec), admit(spec)


def test_the_generated_specs_cover_both_outcomes():
    assert admit(find(SPECS, lambda s: admit(s) == [])) == []
    assert admit(find(SPECS, lambda s: not model_accepts(s))) != []


@settings(max_examples=200, deadline=None)
@given(SPECS)
def test_cross_field_messages_are_the_same(spec):
    defaulted = apply_defaults(SPEC_SCHEMA, spec)
    try:
        # A model that parses has no field errors, so admission can only differ on cross-field rules.
        model = parse_spec({**defaulted, "tags": {}})
    except ValidationError:
        return
    crd_messages = set(admit({**defaulted, "tags": {}}))
    assert crd_messages == set(cross_field_problems(model))


@settings(max_examples=200, deadline=None)
@given(SPECS, SPECS)
def test_transition_rules_agree(old, new):
    if not model_accepts(old) or not model_accepts(new):
        return
    crd = set(admit(new, old))
    schema_defaults = lambda s: apply_defaults(SPEC_SCHEMA, s)  # noqa: E731
    assert crd == set(transition_problems(schema_defaults(old), schema_defaults(new)))
