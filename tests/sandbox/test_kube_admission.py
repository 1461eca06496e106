"""The Kubernetes stand-in admits RedisClusters as kube-apiserver does with the CRD: every schema
constraint and every CEL rule refuses what it should, with a 422 in the API server's own words;
unknown fields are pruned (or refused under fieldValidation=Strict); updates are ratcheted.

The cases are derived from crds/redisclusters.yaml itself, so a constraint or rule added to the CRD
without a case here fails `test_every_cel_rule_has_a_case`, and every schema constraint is tried."""

import copy
import uuid

import pytest

from ..support.crd import root_schema

RC = "/apis/redis.elasticache-operator.io/v1alpha1"
SPEC_SCHEMA = root_schema()["properties"]["spec"]
BASE = {
    "instanceSize": "cache.t4g.micro",
    "defaultUserPassword": {"secretKeyRef": {"name": "pw", "key": "password"}},
    "logging": {},
    "accessibility": {},
    "tags": {"team": "checkout"},
}
SHARDED = {"enableSharding": True, "numShards": 2, "numReplicaNodes": 1}

# One violation per CEL rule: (old spec for transition rules, or None; the spec that breaks it).
CEL_CASES = {
    "parameter names are lowercase letters, digits and hyphens, beginning with a letter": (
        None,
        {"parameters": {"MaxMemory-Policy": "allkeys-lru"}},
    ),
    "cluster-enabled follows enableSharding; leave it out of parameters": (
        None,
        {"parameters": {"cluster-enabled": "yes"}},
    ),
    "defaultUserPassword is required unless managementPolicy is ObserveOnly": (None, {"defaultUserPassword": None}),
    "numShards greater than 1 requires enableSharding: true": (None, {"numShards": 3}),
    "a sharded cluster needs numReplicaNodes of at least 1": (None, {"enableSharding": True}),
    "enableAutomaticFailover needs numReplicaNodes of at least 1": (None, {"enableAutomaticFailover": True}),
    "slow-log delivery needs engineVersion 6.0 or later; set logging.disabled: true": (None, {"engineVersion": "5.0"}),
    "tag keys starting with aws: or elasticache-operator.io/ are reserved": (None, {"tags": {"AWS:stack": "x"}}),
    "tag keys must be 1 to 128 characters long": (None, {"tags": {"k" * 129: "x"}}),
    "tag keys and values may hold only letters, digits, spaces and _ . : / = + - @": (None, {"tags": {"team": "a#b"}}),
    "enableSharding can only be turned on (in place, one-way)": (SHARDED, {"enableSharding": False, "numShards": 1}),
    "port cannot be changed after creation": ({}, {"port": 6380}),
    "engine can only move from redis to valkey (in place, one-way)": ({"engine": "valkey"}, {"engine": "redis"}),
    "engine valkey needs engineVersion 7.2 or later": (None, {"engine": "valkey", "engineVersion": "7.1"}),
    "restoreFrom can only be set when the RedisCluster is created": ({}, {"restoreFrom": {"snapshotName": "s"}}),
    "restoreFrom needs exactly one of redisSnapshotName and snapshotName": (
        None,
        {"restoreFrom": {"snapshotName": "s", "redisSnapshotName": "r"}},
    ),
    "maintenanceWindow must be at least 60 minutes long": (None, {"maintenanceWindow": "sat:23:30-sun:00:29"}),
    "snapshotWindow must be at least 60 minutes long": (None, {"snapshotWindow": "23:30-00:29"}),
    "snapshotWindow must not overlap maintenanceWindow": (
        None,
        {"maintenanceWindow": "sat:23:00-sun:01:00", "snapshotWindow": "00:30-01:30"},
    ),
}


def cel_rules(schema, path="spec"):
    for rule in schema.get("x-kubernetes-validations") or []:
        yield path, rule
    for name, prop in (schema.get("properties") or {}).items():
        yield from cel_rules(prop, f"{path}.{name}")


def schema_at(path):
    schema = SPEC_SCHEMA
    for name in path.split(".")[1:]:
        schema = schema["properties"][name]
    return schema


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def namespace(kube_api):
    name = unique("adm")
    assert kube_api.post("/api/v1/namespaces", {"metadata": {"name": name}})[0] == 201
    return name


def body(spec, name=None, **metadata):
    return {
        "apiVersion": "redis.elasticache-operator.io/v1alpha1",
        "kind": "RedisCluster",
        "metadata": {"name": name or unique("rc"), **metadata},
        "spec": spec,
    }


def spec_with(**changes):
    spec = copy.deepcopy(BASE)
    spec.update(changes)
    return spec


def test_every_cel_rule_has_a_case():
    assert {rule["message"] for _, rule in cel_rules(SPEC_SCHEMA)} == set(CEL_CASES)


@pytest.mark.parametrize(("path", "rule"), list(cel_rules(SPEC_SCHEMA)), ids=lambda x: str(x)[:40])
def test_every_cel_rule_refuses_with_the_api_servers_message(kube_api, namespace, path, rule):
    old, new = CEL_CASES[rule["message"]]
    collection = f"{RC}/namespaces/{namespace}/redisclusters"
    if old is None:
        status, answer = kube_api.post(collection, body(spec_with(**new)))
    else:
        status, created = kube_api.post(collection, body(spec_with(**old)))
        assert status == 201, created
        status, answer = kube_api.merge(f"{collection}/{created['metadata']['name']}", {"spec": new})
    assert status == 422, answer
    assert answer["reason"] == "Invalid" and answer["details"]["kind"] == "RedisCluster"
    kind = schema_at(path).get("type", "object")
    line = f'{path}: Invalid value: "{kind}": {rule["message"]}'
    assert line in answer["message"] and answer["message"].startswith('RedisCluster.redis.elasticache-operator.io "')
    assert {"reason": "FieldValueInvalid", "message": line.split(": ", 1)[1], "field": path} in answer["details"][
        "causes"
    ]


def walk(schema, path):
    yield path, schema
    for name, prop in (schema.get("properties") or {}).items():
        yield from walk(prop, f"{path}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from walk(schema["additionalProperties"], f"{path}.k")


WRONG_TYPE = {"string": 12345, "integer": "12", "boolean": "yes", "object": "x", "array": "x"}


def constraint_cases():
    """(case id, field path, value to put there, the cause's reason) for every schema constraint."""
    for path, node in walk(SPEC_SCHEMA, "spec"):
        if path == "spec":
            for key in node["required"]:
                yield f"{path}.{key} required", f"{path}.{key}", None, "FieldValueRequired"
            continue
        wrong = True if node.get("x-kubernetes-int-or-string") else WRONG_TYPE[node["type"]]
        yield f"{path} type", path, wrong, "FieldValueTypeInvalid"
        if "enum" in node:
            bad = "not-a-choice" if node.get("type") == "string" else 2
            yield f"{path} enum", path, bad, "FieldValueNotSupported"
        if "minimum" in node:
            yield f"{path} minimum", path, node["minimum"] - 1, "FieldValueInvalid"
        if "maximum" in node:
            yield f"{path} maximum", path, node["maximum"] + 1, "FieldValueInvalid"
        if node.get("minLength"):
            yield f"{path} minLength", path, "", "FieldValueInvalid"
        if "maxLength" in node:
            yield f"{path} maxLength", path, "a" * (node["maxLength"] + 1), "FieldValueTooLong"
        if "pattern" in node:
            yield f"{path} pattern", path, "Not Valid!", "FieldValueInvalid"
        if "maxProperties" in node:
            many = {f"k{i}": "v" for i in range(node["maxProperties"] + 1)}
            yield f"{path} maxProperties", path, many, "FieldValueTooMany"
        for key in node.get("required") or []:
            yield f"{path}.{key} required", f"{path}.{key}", None, "FieldValueRequired"


def put_at(spec, path, value):
    *parents, last = path.split(".")[1:]
    node = spec
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return spec


@pytest.mark.parametrize(
    ("path", "value", "reason"), [c[1:] for c in constraint_cases()], ids=[c[0] for c in constraint_cases()]
)
def test_every_schema_constraint_refuses_with_the_field_named(kube_api, namespace, path, value, reason):
    spec = put_at(copy.deepcopy(BASE), path, value)
    status, answer = kube_api.post(f"{RC}/namespaces/{namespace}/redisclusters", body(spec))
    assert status == 422, answer
    causes = answer["details"]["causes"]
    assert any(c["field"] == path and c["reason"] == reason for c in causes), causes
    assert f"{path}: " in answer["message"]


def test_the_examples_of_the_api_servers_wording(kube_api, namespace):
    collection = f"{RC}/namespaces/{namespace}/redisclusters"
    status, answer = kube_api.post(collection, body(spec_with(numReplicaNodes=7), name="seven"))
    assert status == 422
    assert answer["message"] == (
        'RedisCluster.redis.elasticache-operator.io "seven" is invalid: spec.numReplicaNodes: Invalid value: 7:'
        " spec.numReplicaNodes in body should be less than or equal to 5"
    )
    status, answer = kube_api.post(collection, body(spec_with(engine="memcached", port=80), name="two"))
    assert answer["message"] == (
        'RedisCluster.redis.elasticache-operator.io "two" is invalid: [spec.engine: Unsupported value: "memcached":'
        ' supported values: "redis", "valkey", spec.port: Invalid value: 80: spec.port in body should be greater'
        ' than or equal to 1024, <nil>: Invalid value: "null": some validation rules were not checked because'
        " the object was invalid; correct the existing errors to complete validation]"
    )


def test_unknown_fields_are_pruned_with_a_warning_or_refused_when_strict(kube_api, namespace):
    collection = f"{RC}/namespaces/{namespace}/redisclusters"
    response = kube_api.http.post(
        kube_api.base + collection, json=body(spec_with(shards=3, logging={"level": "debug"})), timeout=30
    )
    assert response.status_code == 201
    stored = response.json()["spec"]
    assert "shards" not in stored and "level" not in stored["logging"]
    assert 'unknown field \\"spec.shards\\"' in response.headers["Warning"]
    response = kube_api.http.post(
        kube_api.base + collection,
        json=body(spec_with(shards=3), name="strict"),
        params={"fieldValidation": "Strict"},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        'RedisCluster in version "v1alpha1" cannot be handled as a RedisCluster: strict decoding error:'
        ' unknown field "spec.shards"'
    )


def test_status_is_validated_too(kube_api, namespace):
    collection = f"{RC}/namespaces/{namespace}/redisclusters"
    _, created = kube_api.post(collection, body(spec_with()))
    status_path = f"{collection}/{created['metadata']['name']}/status"
    condition = {"type": "Ready", "status": "True", "reason": "Available", "message": ""}
    status, answer = kube_api.merge(status_path, {"status": {"conditions": [{**condition, "status": "Maybe"}]}})
    assert status == 422 and "status.conditions[0].status: Unsupported value" in answer["message"]
    status, answer = kube_api.merge(status_path, {"status": {"conditions": [condition, condition]}})
    assert status == 422 and "status.conditions[1]: Duplicate value" in answer["message"]
    status, answer = kube_api.merge(status_path, {"status": {"conditions": [condition], "shards": 2, "extra": 1}})
    assert status == 200 and "extra" not in answer["status"] and answer["status"]["shards"] == 2


def test_an_object_stored_past_admission_is_ratcheted(kube_api, namespace):
    """What the operator meets when a rule is newer than the object: the invalid spec stays
    readable and its status writable; changing the spec again must satisfy the rules."""
    collection = f"{RC}/namespaces/{namespace}/redisclusters"
    response = kube_api.http.post(
        kube_api.base + collection,
        json=body(spec_with(numShards=3), name="legacy"),
        headers={"X-Sandbox-Skip-Admission": "true"},
        timeout=30,
    )
    assert response.status_code == 201 and response.json()["spec"]["numShards"] == 3
    path = f"{collection}/legacy"
    assert kube_api.merge(path, {"metadata": {"labels": {"team": "checkout"}}})[0] == 200
    status, _ = kube_api.merge(path + "/status", {"status": {"conditions": [{"type": "Ready", "status": "False"}]}})
    assert status == 200
    status, answer = kube_api.merge(path, {"spec": {"instanceSize": "cache.r7g.large"}})
    assert status == 422 and "numShards greater than 1 requires enableSharding: true" in answer["message"]
    assert kube_api.merge(path, {"spec": {"numShards": 1}})[0] == 200


def test_names_and_labels_are_validated(kube_api, namespace):
    collection = f"{RC}/namespaces/{namespace}/redisclusters"
    status, answer = kube_api.post(collection, body(spec_with(), name="Bad_Name"))
    assert status == 422 and answer["details"]["causes"][0]["field"] == "metadata.name"
    status, answer = kube_api.post(collection, body(spec_with(), labels={"elasticache-operator.io/instance": "a b"}))
    assert status == 422 and answer["details"]["causes"][0]["field"] == "metadata.labels"
    status, answer = kube_api.post("/api/v1/namespaces", {"metadata": {"name": "has.dot"}})
    assert status == 422 and "RFC 1123 label" in answer["message"]
