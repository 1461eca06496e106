"""The Kubernetes API stand-in behaves as kube-apiserver does where the operator relies on it."""

import base64
import datetime
import json
import uuid

import pytest
import requests
from kubernetes import client as k8s

from elasticache_operator.leader import KubernetesLeases, LeaseConflict, Record

RC = "/apis/redis.elasticache-operator.io/v1alpha1"
PASSWORD = {"secretKeyRef": {"name": "pw", "key": "password"}}


def unique(prefix="obj"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_namespace(api):
    name = unique("ns")
    status, _ = api.post("/api/v1/namespaces", {"metadata": {"name": name}})
    assert status == 201
    return name


def make_cluster(api, namespace, name=None, **spec):
    body = {
        "apiVersion": "redis.elasticache-operator.io/v1alpha1",
        "kind": "RedisCluster",
        "metadata": {"name": name or unique("rc")},
        "spec": {"instanceSize": "cache.t4g.micro", "defaultUserPassword": PASSWORD, **spec},
        "status": {"host": "smuggled"},
    }
    status, obj = api.post(f"{RC}/namespaces/{namespace}/redisclusters", body)
    assert status == 201, obj
    return obj


def path_of(obj):
    meta = obj["metadata"]
    return f"{RC}/namespaces/{meta['namespace']}/redisclusters/{meta['name']}"


def test_create_fills_identity_and_ignores_status(kube_api):
    ns = make_namespace(kube_api)
    obj = make_cluster(kube_api, ns)
    meta = obj["metadata"]
    uuid.UUID(meta["uid"])
    assert meta["namespace"] == ns and meta["generation"] == 1
    assert meta["creationTimestamp"].endswith("Z") and int(meta["resourceVersion"]) > 0
    assert "status" not in obj  # the status subresource is the only way to write status


def test_generate_name_and_duplicates(kube_api):
    ns = make_namespace(kube_api)
    status, obj = kube_api.post(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"generateName": "cfg-"}})
    assert status == 201 and obj["metadata"]["name"].startswith("cfg-") and len(obj["metadata"]["name"]) > 4
    status, err = kube_api.post(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": obj["metadata"]["name"]}})
    assert status == 409 and err["reason"] == "AlreadyExists"


def test_namespaces_exist_before_their_objects(kube_api):
    assert kube_api.get("/api/v1/namespaces/default")[0] == 200
    names = [n["metadata"]["name"] for n in kube_api.get("/api/v1/namespaces")[1]["items"]]
    assert "default" in names
    status, err = kube_api.post("/api/v1/namespaces/nowhere/secrets", {"metadata": {"name": "s"}})
    assert status == 404 and err["reason"] == "NotFound"


def test_resource_version_on_every_write_generation_on_spec_only(kube_api):
    obj = make_cluster(kube_api, make_namespace(kube_api))
    path = path_of(obj)
    rv0 = int(obj["metadata"]["resourceVersion"])
    _, labelled = kube_api.merge(path, {"metadata": {"labels": {"team": "a"}}})
    assert int(labelled["metadata"]["resourceVersion"]) > rv0 and labelled["metadata"]["generation"] == 1
    _, with_status = kube_api.merge(path + "/status", {"status": {"host": "h"}})
    assert with_status["metadata"]["generation"] == 1
    _, changed = kube_api.merge(path, {"spec": {"numReplicaNodes": 2}})
    assert changed["metadata"]["generation"] == 2
    _, again = kube_api.merge(path, {"spec": {"numReplicaNodes": 2}})
    assert again["metadata"]["resourceVersion"] == changed["metadata"]["resourceVersion"]  # no-op: no write


def test_status_subresource_isolation(kube_api):
    obj = make_cluster(kube_api, make_namespace(kube_api))
    path = path_of(obj)
    _, after = kube_api.merge(path + "/status", {"status": {"host": "h"}, "spec": {"numReplicaNodes": 1}})
    assert after["status"] == {"host": "h"} and after["spec"]["numReplicaNodes"] == 0
    _, after = kube_api.merge(path, {"status": {"host": "other"}, "spec": {"numReplicaNodes": 2}})
    assert after["status"] == {"host": "h"} and after["spec"]["numReplicaNodes"] == 2


def test_stale_resource_version_conflicts(kube_api):
    obj = make_cluster(kube_api, make_namespace(kube_api))
    path = path_of(obj)
    stale = obj["metadata"]["resourceVersion"]
    kube_api.merge(path, {"metadata": {"labels": {"x": "1"}}})
    status, err = kube_api.merge(path, {"metadata": {"resourceVersion": stale, "labels": {"x": "2"}}})
    assert status == 409 and err["reason"] == "Conflict"
    status, _ = kube_api.put(path, {**obj, "spec": {"instanceSize": "cache.m7g.large"}})
    assert status == 409


def test_put_replaces_the_object(kube_api):
    obj = make_cluster(kube_api, make_namespace(kube_api), numReplicaNodes=2)
    status, replaced = kube_api.put(
        path_of(obj), {**obj, "spec": {"instanceSize": "cache.m7g.large", "defaultUserPassword": PASSWORD}}
    )
    assert status == 200 and replaced["spec"]["instanceSize"] == "cache.m7g.large"
    assert replaced["spec"]["numReplicaNodes"] == 0  # the 2 is gone: replaced, then defaulted
    assert replaced["metadata"]["uid"] == obj["metadata"]["uid"] and replaced["metadata"]["generation"] == 2


def test_json_patch_test_failure_is_422(kube_api):
    obj = make_cluster(kube_api, make_namespace(kube_api))
    path = path_of(obj)
    ops = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "0"},
        {"op": "add", "path": "/metadata/finalizers", "value": ["x/y"]},
    ]
    status, err = kube_api.json_patch(path, ops)
    assert status == 422 and err["reason"] == "Invalid"
    ops[0]["value"] = obj["metadata"]["resourceVersion"]
    status, ok = kube_api.json_patch(path, ops)
    assert status == 200 and ok["metadata"]["finalizers"] == ["x/y"]


def test_merge_patch_null_removes_keys(kube_api):
    obj = make_cluster(kube_api, make_namespace(kube_api), tags={"a": "1", "b": "2"})
    _, after = kube_api.merge(path_of(obj), {"spec": {"tags": {"a": None}}})
    assert after["spec"]["tags"] == {"b": "2"}


def test_label_selectors(kube_api):
    ns = make_namespace(kube_api)
    for name, labels in [("a", {"tier": "cache", "env": "prod"}), ("b", {"tier": "cache", "env": "dev"}), ("c", {})]:
        kube_api.post(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": name, "labels": labels}})

    def names(selector):
        _, listing = kube_api.get(f"/api/v1/namespaces/{ns}/configmaps", labelSelector=selector)
        return sorted(i["metadata"]["name"] for i in listing["items"])

    assert names("tier=cache") == ["a", "b"]
    assert names("tier=cache,env!=prod") == ["b"]
    assert names("env in (prod,staging)") == ["a"]
    assert names("env notin (prod)") == ["b", "c"]
    assert names("!tier") == ["c"] and names("env") == ["a", "b"]


def test_lists_carry_kind_and_resource_version(kube_api):
    ns = make_namespace(kube_api)
    make_cluster(kube_api, ns)
    _, listing = kube_api.get(f"{RC}/namespaces/{ns}/redisclusters")
    assert listing["kind"] == "RedisClusterList" and listing["apiVersion"] == "redis.elasticache-operator.io/v1alpha1"
    assert int(listing["metadata"]["resourceVersion"]) > 0 and len(listing["items"]) == 1


def test_secret_string_data_becomes_data(kube_api):
    ns = make_namespace(kube_api)
    status, secret = kube_api.post(
        f"/api/v1/namespaces/{ns}/secrets",
        {"metadata": {"name": "s"}, "stringData": {"password": "p#$^<>&"}, "data": {"x": "eA=="}},
    )
    assert status == 201 and "stringData" not in secret and secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["password"]).decode() == "p#$^<>&" and secret["data"]["x"] == "eA=="


def test_finalizers_hold_deletion_until_removed(kube_api):
    obj = make_cluster(kube_api, make_namespace(kube_api))
    path = path_of(obj)
    kube_api.merge(path, {"metadata": {"finalizers": ["example.com/hold"]}})
    status, deleting = kube_api.delete(path)
    assert status == 200 and deleting["metadata"]["deletionTimestamp"]
    assert kube_api.get(path)[0] == 200
    status, err = kube_api.merge(path, {"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}})
    assert status == 422
    kube_api.merge(path, {"metadata": {"finalizers": []}})
    assert kube_api.get(path)[0] == 404


def owned_secret(api, ns, owner):
    ref = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    name = unique("owned")
    api.post(f"/api/v1/namespaces/{ns}/secrets", {"metadata": {"name": name, "ownerReferences": [ref]}})
    return f"/api/v1/namespaces/{ns}/secrets/{name}"


def test_owned_objects_are_collected_only_when_the_owner_is_really_gone(kube_api):
    ns = make_namespace(kube_api)
    owner = make_cluster(kube_api, ns)
    kube_api.merge(path_of(owner), {"metadata": {"finalizers": ["example.com/hold"]}})
    secret = owned_secret(kube_api, ns, owner)
    kube_api.delete(path_of(owner))
    assert kube_api.get(secret)[0] == 200  # the owner still exists, finalizing
    kube_api.merge(path_of(owner), {"metadata": {"finalizers": None}})
    assert kube_api.get(secret)[0] == 404


def test_orphan_propagation_keeps_dependents(kube_api):
    ns = make_namespace(kube_api)
    owner = make_cluster(kube_api, ns)
    secret = owned_secret(kube_api, ns, owner)
    kube_api.delete(path_of(owner), {"propagationPolicy": "Orphan"})
    status, kept = kube_api.get(secret)
    assert status == 200 and kept["metadata"]["ownerReferences"] == []


def watch_events(api, path, headers=None, **params):
    with requests.get(
        api.base + path,
        params={"watch": "true", "timeoutSeconds": "1", **params},
        headers=headers,
        stream=True,
        timeout=30,
    ) as r:
        return [json.loads(line) for line in r.iter_lines() if line]


def test_metadata_only_lists_and_watches_never_carry_a_secrets_data(kube_api):
    """What a controller asks for to follow Secrets it must not read (client-go's metadata client)."""
    ns = make_namespace(kube_api)
    path = f"/api/v1/namespaces/{ns}/secrets"
    kube_api.post(path, {"metadata": {"name": "pw", "labels": {"a": "b"}}, "stringData": {"password": "hunter2"}})
    response = kube_api.http.get(
        kube_api.base + path,
        headers={"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"},
        timeout=10,
    )
    listing = response.json()
    assert listing["kind"] == "PartialObjectMetadataList" and listing["apiVersion"] == "meta.k8s.io/v1"
    [item] = listing["items"]
    assert item["kind"] == "PartialObjectMetadata" and item["metadata"]["labels"] == {"a": "b"}
    assert "data" not in item and "stringData" not in item
    since = listing["metadata"]["resourceVersion"]
    kube_api.merge(f"{path}/pw", {"stringData": {"password": "hunter3"}})
    metadata = {"Accept": "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"}
    [event] = watch_events(kube_api, path, headers=metadata, resourceVersion=since)
    assert event["type"] == "MODIFIED" and event["object"]["kind"] == "PartialObjectMetadata"
    assert set(event["object"]) == {"apiVersion", "kind", "metadata"}
    assert int(event["object"]["metadata"]["resourceVersion"]) > int(since)
    [full] = watch_events(kube_api, path, resourceVersion=since)  # and without asking, the whole object
    assert "data" in full["object"]


def test_watch_resumes_from_a_resource_version(kube_api):
    ns = make_namespace(kube_api)
    first = make_cluster(kube_api, ns)
    since = first["metadata"]["resourceVersion"]
    second = make_cluster(kube_api, ns)
    kube_api.merge(path_of(first), {"spec": {"numReplicaNodes": 1}})
    events = watch_events(kube_api, f"{RC}/namespaces/{ns}/redisclusters", resourceVersion=since)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", second["metadata"]["name"]),
        ("MODIFIED", first["metadata"]["name"]),
    ]


def test_watch_streams_are_served_as_json(kube_api):
    with requests.get(
        kube_api.base + "/api/v1/namespaces", params={"watch": "true", "timeoutSeconds": "1"}, stream=True, timeout=30
    ) as response:
        assert response.headers["Content-Type"].startswith("application/json")


def test_watch_without_version_lists_first(kube_api):
    ns = make_namespace(kube_api)
    obj = make_cluster(kube_api, ns)
    events = watch_events(kube_api, f"{RC}/namespaces/{ns}/redisclusters")
    assert [(e["type"], e["object"]["metadata"]["uid"]) for e in events] == [("ADDED", obj["metadata"]["uid"])]


def test_watch_from_an_expired_version_is_gone(kube_api):
    ns = make_namespace(kube_api)
    obj = make_cluster(kube_api, ns)
    since = obj["metadata"]["resourceVersion"]
    for i in range(60):  # the server keeps 50 events
        kube_api.merge(path_of(obj), {"metadata": {"labels": {"i": str(i)}}})
    [event] = watch_events(kube_api, f"{RC}/namespaces/{ns}/redisclusters", resourceVersion=since)
    assert event["type"] == "ERROR" and event["object"]["code"] == 410


def test_discovery_lists_the_crd_and_registers_new_ones(kube_api):
    _, resources = kube_api.get("/apis/redis.elasticache-operator.io/v1alpha1")
    names = {r["name"]: r for r in resources["resources"]}
    assert names["redisclusters"]["kind"] == "RedisCluster" and names["redisclusters"]["namespaced"]
    assert "redisclusters/status" in names
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Cluster",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }
    assert kube_api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)[0] == 201
    status, created = kube_api.post("/apis/example.com/v1/widgets", {"metadata": {"name": "w"}})
    assert status == 201 and created["kind"] == "Widget" and "namespace" not in created["metadata"]


def gadget_crd(properties):
    spec = {"type": "object", "properties": {"source": {"type": "object", "properties": properties}}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec}}},
                }
            ],
        },
    }


def test_a_crd_schema_is_decoded_strictly_for_kubectl_apply_and_must_be_structural(kube_api):
    """YAML makes `{type: string, description: named it, if one did.}` a schema with a key "if one did.":
    kubectl apply (fieldValidation=Strict) is refused, a lenient client is warned and the key dropped.
    A property with no schema at all is not structural, which apiextensions refuses either way."""
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    slipped = gadget_crd({"name": {"type": "string", "description": "named it", "if one did.": None}})
    status, refusal = kube_api.post(f"{crds}?fieldValidation=Strict", slipped)
    assert status == 400 and 'unknown field "spec.versions[0]' in refusal["message"], refusal
    assert 'properties.source.properties.name.if one did."' in refusal["message"]

    status, refusal = kube_api.post(crds, gadget_crd({"name": {"type": "string"}, "bare": None}))
    assert status == 422, refusal
    assert "properties[spec].properties[source].properties[bare].type: Required value" in refusal["message"]

    status, created = kube_api.post(crds, slipped)
    assert status == 201
    schema = created["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert schema["properties"]["spec"]["properties"]["source"]["properties"]["name"] == {
        "type": "string",
        "description": "named it",
    }


def test_crd_defaults_are_applied_on_writes(kube_api):
    obj = make_cluster(kube_api, make_namespace(kube_api))
    assert obj["spec"]["numShards"] == 1 and obj["spec"]["deletionPolicy"] == "Snapshot"
    assert obj["spec"]["logging"] == {"disabled": False, "format": "json", "retentionDays": 90}
    _, after = kube_api.merge(path_of(obj), {"spec": {"logging": None}})
    assert after["spec"]["logging"]["retentionDays"] == 90  # defaulted again, as on a real server


def test_kubectl_tables_use_the_printer_columns(kube_api):
    ns = make_namespace(kube_api)
    obj = make_cluster(kube_api, ns)
    kube_api.merge(
        path_of(obj) + "/status",
        {
            "status": {
                "host": "h.example",
                "conditions": [{"type": "Ready", "status": "True", "reason": "Available", "message": "ok"}],
            }
        },
    )
    response = kube_api.http.get(
        f"{kube_api.base}{RC}/namespaces/{ns}/redisclusters",
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
        timeout=10,
    )
    table = response.json()
    assert table["kind"] == "Table"
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names == ["Name", "Ready", "Host", "Shards", "Replicas", "Status", "Age"]
    [row] = table["rows"]
    assert row["cells"][:5] == [obj["metadata"]["name"], "True", "h.example", 1, 0] and row["cells"][5] == "ok"


def test_field_selectors_on_nested_fields_as_kubectl_describe_sends(kube_api):
    ns = make_namespace(kube_api)
    obj = make_cluster(kube_api, ns)
    for name, involved in [("mine", obj["metadata"]), ("other", {"name": "else", "uid": "u-2"})]:
        kube_api.post(
            f"/api/v1/namespaces/{ns}/events",
            {
                "metadata": {"name": name},
                "type": "Normal",
                "reason": "Creating",
                "message": name,
                "involvedObject": {"kind": "RedisCluster", "name": involved["name"], "uid": involved["uid"]},
                "lastTimestamp": "2026-11-23T12:00:00.123456+00:00",
            },
        )
    selector = f"involvedObject.name={obj['metadata']['name']},involvedObject.uid={obj['metadata']['uid']}"
    _, listing = kube_api.get(f"/api/v1/namespaces/{ns}/events", fieldSelector=selector)
    assert [e["metadata"]["name"] for e in listing["items"]] == ["mine"]
    response = kube_api.http.get(
        f"{kube_api.base}/api/v1/namespaces/{ns}/events",
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
        timeout=10,
    )
    table = response.json()
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Last Seen",
        "Type",
        "Reason",
        "Object",
        "Message",
    ]
    assert {tuple(r["cells"][2:]) for r in table["rows"]} == {
        ("Normal", "Creating", obj["metadata"]["name"], "mine"),
        ("Normal", "Creating", "else", "other"),
    }


LEASES = "/apis/coordination.k8s.io/v1"


def lease_spec(holder, renew="2026-11-23T12:00:00.000000Z"):
    return {
        "holderIdentity": holder,
        "leaseDurationSeconds": 15,
        "acquireTime": "2026-11-23T12:00:00.000000Z",
        "renewTime": renew,
        "leaseTransitions": 0,
    }


def test_leases_are_served_with_optimistic_concurrency_for_leader_election(kube_api):
    ns = make_namespace(kube_api)
    path = f"{LEASES}/namespaces/{ns}/leases"
    body = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "op"},
        "spec": lease_spec("a"),
    }
    status, lease = kube_api.post(path, body)
    assert status == 201 and lease["kind"] == "Lease" and lease["metadata"]["namespace"] == ns
    assert lease["spec"] == lease_spec("a") and int(lease["metadata"]["resourceVersion"]) > 0
    status, err = kube_api.post(path, body)
    assert status == 409 and err["reason"] == "AlreadyExists"  # two candidates creating it: one wins
    # Two candidates read the same version and both try to take it: only the first write counts.
    status, taken = kube_api.put(f"{path}/op", {**lease, "spec": lease_spec("b")})
    assert status == 200 and taken["spec"]["holderIdentity"] == "b"
    assert taken["metadata"]["resourceVersion"] != lease["metadata"]["resourceVersion"]
    status, err = kube_api.put(f"{path}/op", {**lease, "spec": lease_spec("c")})
    assert status == 409 and err["reason"] == "Conflict"
    assert 'leases.coordination.k8s.io "op"' in err["message"]
    stale = {"metadata": {"resourceVersion": lease["metadata"]["resourceVersion"]}, "spec": {"holderIdentity": "c"}}
    assert kube_api.merge(f"{path}/op", stale)[0] == 409
    assert kube_api.get(f"{path}/op")[1]["spec"]["holderIdentity"] == "b"
    _, resources = kube_api.get(LEASES)
    [leases] = [r for r in resources["resources"] if r["name"] == "leases"]
    assert leases["kind"] == "Lease" and leases["namespaced"] and {"get", "create", "update"} <= set(leases["verbs"])


def test_the_elections_lease_calls_work_against_it(kube_api):
    """leader.KubernetesLeases, through the official client: read, create, guarded replace."""

    def at(seconds):
        return datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC) + datetime.timedelta(seconds=seconds)

    ns = make_namespace(kube_api)
    configuration = k8s.Configuration()
    configuration.host = kube_api.base
    leases = KubernetesLeases(k8s.CustomObjectsApi(k8s.ApiClient(configuration)), ns, "op")
    assert leases.read(10) is None
    mine = Record("a", 15, at(0), at(0), 0)
    leases.create(mine, 10)
    with pytest.raises(LeaseConflict):
        leases.create(mine, 10)
    record, body = leases.read(10)
    assert record == mine and body["spec"]["renewTime"] == "2026-11-23T12:00:00.000000Z"  # MicroTime, as sent
    renewed = Record("a", 15, at(0), at(2), 0)
    leases.replace(body, renewed, 10)
    assert leases.read(10)[0] == renewed
    with pytest.raises(LeaseConflict):
        leases.replace(body, Record("b", 15, at(3), at(3), 1), 10)  # written from a stale read
    released = Record("", 1, at(4), at(4), 0)
    leases.replace(leases.read(10)[1], released, 10)
    record, body = leases.read(10)
    assert record == released and "holderIdentity" not in body["spec"]
