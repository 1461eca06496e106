"""The Kubernetes API stand-in misbehaves on demand as a real kube-apiserver (or its network) does: cut
watch streams, 410 Gone on resume, 409 Conflict, 429/500/503, and requests left unanswered. Each fault
is seen through plain HTTP, and watches and 429 also through the clients the operator uses: the official
`kubernetes` client (status, Secrets, Leases, the Secret watch) and aiohttp (kopf's watches).

And a namespace is deleted as kube-apiserver and the namespace controller delete it: Terminating, no new
content, everything inside deleted, the Namespace gone once nothing (finalized) is left.

Nothing here sleeps for a fixed time: each test waits on a condition the server reports (faults' state:
requests held, watches silenced) or on the client's own timeout, so a busy machine only makes it slower.
"""

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid

import aiohttp
import pytest
import requests
import urllib3
from kubernetes import client as k8s
from kubernetes import watch as k8s_watch

from ..support.sandbox import KubeFaults

RC = "/apis/redis.elasticache-operator.io/v1alpha1"
PASSWORD = {"secretKeyRef": {"name": "pw", "key": "password"}}
CONFLICT = (
    'Operation cannot be fulfilled on redisclusters.redis.elasticache-operator.io "{}": the object has been'
    " modified; please apply your changes to the latest version and try again"
)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def faults(kube_api):
    with KubeFaults(kube_api.base) as faults:
        yield faults


@pytest.fixture
def ns(kube_api):
    name = unique("flt")
    assert kube_api.post("/api/v1/namespaces", {"metadata": {"name": name}})[0] == 201
    return name


def configmap(api, ns, name=None, **metadata):
    status, obj = api.post(
        f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": name or unique("cm"), **metadata}}
    )
    assert status == 201, obj
    return obj


def redis_cluster(api, ns, **metadata):
    body = {
        "apiVersion": "redis.elasticache-operator.io/v1alpha1",
        "kind": "RedisCluster",
        "metadata": {"name": unique("rc"), **metadata},
        "spec": {"instanceSize": "cache.t4g.micro", "defaultUserPassword": PASSWORD},
    }
    status, obj = api.post(f"{RC}/namespaces/{ns}/redisclusters", body)
    assert status == 201, obj
    return obj


def k8s_client(api):
    configuration = k8s.Configuration()
    configuration.host = api.base
    return k8s.ApiClient(configuration)


def eventually(check, timeout=30, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(interval)


class Watcher:
    """A watch read on a thread: its events as they arrive, and how it ended."""

    def __init__(self, api, path, **params):
        self.events, self.error, self.done = [], None, threading.Event()
        self.response = requests.get(
            api.base + path, params={"watch": "true", "timeoutSeconds": "120", **params}, stream=True, timeout=(10, 120)
        )
        assert self.response.status_code == 200
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in self.response.iter_lines():
                if line:
                    self.events.append(json.loads(line))
        except Exception as e:  # noqa: BLE001 - how the stream ended is what the tests look at
            self.error = e
        finally:
            self.done.set()

    def names(self):
        return [(e["type"], e["object"]["metadata"].get("name")) for e in self.events]

    def close(self):
        """Hang up: shutting the socket down wakes the reading thread (closing the response would wait
        for it)."""
        connection = self.response.raw.connection
        if connection is not None and connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
        assert self.done.wait(30)
        self.response.close()


# --- the control API ------------------------------------------------------------------------------


def test_faults_are_listed_refused_when_malformed_and_cleared(kube_api, faults):
    faults.inject(kind="error", code=500, verb=["get", "list"], resource="configmaps", seconds=60)
    [error, conflict] = faults.inject(kind="conflict", subresource="status", count=2)["faults"]
    assert error["kind"] == "error" and error["code"] == 500 and error["count"] == -1 and 0 < error["seconds"] <= 60
    assert conflict == {**conflict, "kind": "conflict", "count": 2, "subresource": "status", "fired": 0}
    for bad in (
        {"kind": "explode"},
        {"kind": "cut", "verb": "get"},  # watches only
        {"kind": "conflict", "verb": "create"},  # a create cannot be stale
        {"kind": "error", "code": 404},
        {"kind": "error", "code": 429, "count": 0},
        {"kind": "hang", "seconds": -1},
        {"kind": "hang", "when": "now"},
    ):
        response = requests.post(f"{kube_api.base}/_sandbox/faults", json=bad, timeout=10)
        assert response.status_code == 400 and response.json()["error"].startswith("not a fault"), bad
    faults.clear()
    assert faults.state() == {"faults": [], "held": 0, "silenced": 0, "watches": 0}


# --- cut watch streams ----------------------------------------------------------------------------


def test_cut_ends_an_open_watch_mid_stream_without_a_final_event(kube_api, faults, ns):
    first = configmap(kube_api, ns)
    watcher = Watcher(kube_api, f"/api/v1/namespaces/{ns}/configmaps")
    other = Watcher(kube_api, "/api/v1/namespaces", fieldSelector=f"metadata.name={ns}")
    try:
        eventually(lambda: watcher.events and other.events)
        faults.inject(kind="cut", resource="configmaps", namespace=ns)
        assert watcher.done.wait(30)
        assert isinstance(watcher.error, requests.exceptions.ChunkedEncodingError)  # not a clean end
        assert watcher.names() == [("ADDED", first["metadata"]["name"])]  # and no ERROR event
        # Only the watch the fault names was cut, and the fault was used up (count 1).
        assert not other.done.is_set() and faults.state()["faults"] == []
        later = configmap(kube_api, ns)
        again = Watcher(
            kube_api, f"/api/v1/namespaces/{ns}/configmaps", resourceVersion=first["metadata"]["resourceVersion"]
        )
        eventually(lambda: again.names() == [("ADDED", later["metadata"]["name"])])
        again.close()
    finally:
        watcher.close()
        other.close()


def test_cut_for_a_while_also_cuts_new_watches_right_after_their_headers(kube_api, faults, ns):
    configmap(kube_api, ns)
    faults.inject(kind="cut", verb="watch", namespace=ns, seconds=120)
    for _ in range(2):
        watcher = Watcher(kube_api, f"/api/v1/namespaces/{ns}/configmaps")  # 200 and headers: the stream began
        assert watcher.done.wait(30) and isinstance(watcher.error, requests.exceptions.ChunkedEncodingError)
        assert watcher.events == []
    assert faults.state()["faults"][0]["fired"] == 2
    faults.clear()
    watcher = Watcher(kube_api, f"/api/v1/namespaces/{ns}/configmaps")
    eventually(lambda: len(watcher.events) == 1)
    watcher.close()


def test_a_cut_watch_as_the_kubernetes_client_and_kopfs_aiohttp_meet_it(kube_api, faults, ns):
    configmap(kube_api, ns)
    core = k8s.CoreV1Api(k8s_client(kube_api))
    stream = k8s_watch.Watch().stream(core.list_namespaced_config_map, ns, timeout_seconds=120)
    assert next(stream)["type"] == "ADDED"
    faults.inject(kind="cut", resource="configmaps")
    with pytest.raises(urllib3.exceptions.ProtocolError):  # the operator's Secret watch starts over on it
        next(stream)

    async def kopf_like():
        url = f"{kube_api.base}/api/v1/namespaces/{ns}/configmaps"
        async with aiohttp.ClientSession() as session:
            async with session.get(url, params={"watch": "true", "timeoutSeconds": "120"}) as response:
                assert json.loads(await response.content.readline())["type"] == "ADDED"
                faults.inject(kind="cut", resource="configmaps")
                with pytest.raises(aiohttp.ClientPayloadError):  # kopf's watch_objs() catches exactly this
                    while await response.content.readline():
                        pass

    asyncio.run(kopf_like())


# --- 410 Gone -------------------------------------------------------------------------------------


def test_a_watch_resuming_from_a_resource_version_gets_410_expired(kube_api, faults, ns):
    cm = configmap(kube_api, ns)
    since = cm["metadata"]["resourceVersion"]
    faults.inject(kind="gone", namespace=ns)
    path = f"/api/v1/namespaces/{ns}/configmaps"
    listed = Watcher(kube_api, path)  # starts with a list: not resuming, not affected
    eventually(lambda: listed.names() == [("ADDED", cm["metadata"]["name"])])
    listed.close()
    resumed = Watcher(kube_api, path, resourceVersion=since)
    assert resumed.done.wait(30) and resumed.error is None  # the stream ends cleanly after the event
    [event] = resumed.events
    assert event["type"] == "ERROR"
    assert event["object"] == {
        **event["object"],
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": 410,
        "reason": "Expired",
    }
    assert event["object"]["message"].startswith(f"too old resource version: {since} (")
    again = Watcher(kube_api, path, resourceVersion=since)  # count 1: used up
    later = configmap(kube_api, ns)
    eventually(lambda: again.names() == [("ADDED", later["metadata"]["name"])])
    again.close()


def test_410_through_the_kubernetes_client(kube_api, faults, ns):
    cm = configmap(kube_api, ns)
    core = k8s.CoreV1Api(k8s_client(kube_api))
    faults.inject(kind="gone", resource="configmaps")
    stream = k8s_watch.Watch().stream(
        core.list_namespaced_config_map, ns, resource_version=cm["metadata"]["resourceVersion"], timeout_seconds=60
    )
    with pytest.raises(k8s.ApiException) as raised:  # with a timeout the client does not retry: the caller lists
        next(stream)
    assert raised.value.status == 410 and raised.value.reason.startswith("Expired: too old resource version")


# --- 409 Conflict ---------------------------------------------------------------------------------


def test_conflict_on_status_writes_leaves_the_object_unchanged(kube_api, faults, ns):
    rc = redis_cluster(kube_api, ns)
    name = rc["metadata"]["name"]
    path = f"{RC}/namespaces/{ns}/redisclusters/{name}"
    faults.inject(kind="conflict", resource="redisclusters", subresource="status", count=2)
    status, err = kube_api.merge(path + "/status", {"status": {"host": "h"}})
    assert status == 409
    assert err == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": CONFLICT.format(name),
        "reason": "Conflict",
        "details": {"name": name, "group": "redis.elasticache-operator.io", "kind": "redisclusters"},
        "code": 409,
    }
    assert kube_api.merge(path, {"metadata": {"labels": {"a": "b"}}})[0] == 200  # not the status: served
    assert "status" not in kube_api.get(path)[1]  # the refused write was not applied
    # The operator's StatusWriter, through the kubernetes client, meets the second one.
    custom = k8s.CustomObjectsApi(k8s_client(kube_api))
    with pytest.raises(k8s.ApiException) as raised:
        custom.patch_namespaced_custom_object_status(
            "redis.elasticache-operator.io", "v1alpha1", ns, "redisclusters", name, {"status": {"host": "h"}}
        )
    assert raised.value.status == 409 and json.loads(raised.value.body)["reason"] == "Conflict"
    assert kube_api.merge(path + "/status", {"status": {"host": "h"}})[1]["status"] == {"host": "h"}


# --- 429, 500, 503 --------------------------------------------------------------------------------


def test_429_with_retry_after_and_the_status_body(kube_api, faults, ns):
    cm = configmap(kube_api, ns)
    path = f"/api/v1/namespaces/{ns}/configmaps/{cm['metadata']['name']}"
    faults.inject(kind="error", code=429, verb="get", resource="configmaps", retry_after_seconds=3)
    response = kube_api.http.get(kube_api.base + path, timeout=10)
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Too many requests, please try again later.",
        "reason": "TooManyRequests",
        "details": {"retryAfterSeconds": 3},
        "code": 429,
    }
    faults.inject(kind="error", code=429, plain=True)  # as the max-in-flight and APF filters answer
    response = kube_api.http.get(kube_api.base + path, timeout=10)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "Too many requests, please try again later.\n"
    assert kube_api.get(path)[0] == 200


def test_429_through_the_kubernetes_client(kube_api, faults, ns):
    """urllib3 under the kubernetes client retries GETs on 429 with Retry-After (3 times, waiting as
    told) before the caller sees the ApiException; PATCHes are not retried."""
    cm = configmap(kube_api, ns)
    name = cm["metadata"]["name"]
    core = k8s.CoreV1Api(k8s_client(kube_api))
    faults.inject(kind="error", code=429, verb="get", resource="configmaps")
    assert core.read_namespaced_config_map(name, ns).metadata.name == name  # retried after 1 s
    assert faults.state()["faults"] == []  # the one 429 was served
    faults.inject(kind="error", code=429, verb="get", resource="configmaps", count=5)
    with pytest.raises(k8s.ApiException) as raised:
        core.read_namespaced_config_map(name, ns)
    assert raised.value.status == 429 and raised.value.headers["Retry-After"] == "1"
    assert faults.state()["faults"][0]["fired"] == 4  # one call, four requests
    faults.inject(kind="error", code=429, verb="update", resource="configmaps")
    with pytest.raises(k8s.ApiException) as refused:
        core.patch_namespaced_config_map(name, ns, {"data": {"a": "b"}})
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"
    assert json.loads(refused.value.body)["details"] == {"retryAfterSeconds": 1}
    assert "data" not in kube_api.get(f"/api/v1/namespaces/{ns}/configmaps/{name}")[1]


def test_500_and_503_with_the_api_servers_status(kube_api, faults, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    faults.inject(kind="error", code=500, verb="list")
    status, err = kube_api.get(path)
    assert status == 500
    assert err == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Internal error occurred: etcdserver: leader changed",
        "reason": "InternalError",
        "details": {"causes": [{"message": "etcdserver: leader changed"}]},
        "code": 500,
    }
    faults.inject(kind="error", code=503, verb="create")
    response = kube_api.http.post(kube_api.base + path, json={"metadata": {"name": "refused"}}, timeout=10)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "apiserver is shutting down",
        "reason": "ServiceUnavailable",
        "code": 503,
    }
    assert kube_api.get(f"{path}/refused")[0] == 404  # not applied
    core = k8s.CoreV1Api(k8s_client(kube_api))
    faults.inject(kind="error", code=500, verb="get", message="etcdserver: request timed out")
    with pytest.raises(k8s.ApiException) as raised:
        core.read_namespace(ns)
    assert raised.value.status == 500 and "etcdserver: request timed out" in raised.value.body


def test_errors_for_a_while_then_served_again(kube_api, faults, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    started = time.monotonic()
    faults.inject(kind="error", code=503, verb="*", namespace=ns, seconds=1.5)
    assert kube_api.get(path)[0] == 503 and kube_api.get(path)[0] == 503
    assert kube_api.get("/api/v1/namespaces/default")[0] == 200  # another namespace (and cluster scope)
    eventually(lambda: kube_api.get(path)[0] == 200)
    assert time.monotonic() - started >= 1.5 and faults.state()["faults"] == []


# --- no answer ------------------------------------------------------------------------------------


def test_held_requests_time_out_on_the_client_and_a_held_write_is_dropped(kube_api, faults, ns):
    cm = configmap(kube_api, ns)
    path = f"{kube_api.base}/api/v1/namespaces/{ns}/configmaps"
    faults.inject(kind="hang", verb=["get", "create"], resource="configmaps")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{path}/{cm['metadata']['name']}", timeout=(10, 1))
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(path, json={"metadata": {"name": "held"}}, timeout=(10, 1))
    # A request whose client hangs up is dropped: the create is never applied, not even once the
    # server answers again.
    assert faults.wait_for(lambda s: s["held"] == 0)["faults"][0]["fired"] == 2
    assert kube_api.get(f"/api/v1/namespaces/{ns}/secrets")[0] == 200  # other resources are served
    faults.clear()
    assert kube_api.get(f"/api/v1/namespaces/{ns}/configmaps/held")[0] == 404
    assert kube_api.get(f"/api/v1/namespaces/{ns}/configmaps/{cm['metadata']['name']}")[0] == 200


def test_held_requests_are_served_when_the_time_is_up(kube_api, faults, ns):
    started = time.monotonic()
    faults.inject(kind="hang", verb="*", seconds=1.5)
    response = requests.post(
        f"{kube_api.base}/api/v1/namespaces/{ns}/configmaps", json={"metadata": {"name": "late"}}, timeout=60
    )
    assert response.status_code == 201 and time.monotonic() - started >= 1.5
    assert faults.state()["faults"] == []
    assert kube_api.get(f"/api/v1/namespaces/{ns}/configmaps/late")[0] == 200


def test_open_watches_go_silent_while_the_server_does_not_answer(kube_api, faults, ns):
    first = configmap(kube_api, ns)
    watcher = Watcher(kube_api, f"/api/v1/namespaces/{ns}/configmaps")
    try:
        eventually(lambda: watcher.events)
        faults.inject(kind="hang", verb="watch")  # writes still go through: only the watch is silent
        later = configmap(kube_api, ns)
        faults.wait_for(lambda s: s["silenced"] == 1)  # the event is there, held back
        assert watcher.names() == [("ADDED", first["metadata"]["name"])]
        with pytest.raises(requests.exceptions.ReadTimeout):  # a new watch is held too: not even headers
            requests.get(
                f"{kube_api.base}/api/v1/namespaces/{ns}/configmaps", params={"watch": "true"}, timeout=(10, 1)
            )
        faults.clear()
        eventually(lambda: ("ADDED", later["metadata"]["name"]) in watcher.names())
        assert not watcher.done.is_set()
    finally:
        watcher.close()


def test_a_silent_server_through_the_kubernetes_client(kube_api, faults, ns):
    """The kubernetes client's reads retry a read timeout (urllib3, 3 times) before failing; a write
    fails on the first."""
    core = k8s.CoreV1Api(k8s_client(kube_api))
    faults.inject(kind="hang", verb="*", namespace=ns)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        core.create_namespaced_config_map(ns, {"metadata": {"name": "held"}}, _request_timeout=(10, 0.5))
    with pytest.raises(urllib3.exceptions.MaxRetryError) as raised:
        core.list_namespaced_config_map(ns, _request_timeout=(10, 0.5))
    assert isinstance(raised.value.reason, urllib3.exceptions.ReadTimeoutError)
    assert faults.wait_for(lambda s: s["held"] == 0)["faults"][0]["fired"] == 5  # the create, and the list 4 times
    faults.clear()
    assert core.list_namespaced_config_map(ns).items == []


# --- namespace deletion ---------------------------------------------------------------------------


def test_deleting_a_namespace_deletes_its_content_then_the_namespace(kube_api, ns):
    rc = redis_cluster(kube_api, ns)
    owned = {"apiVersion": rc["apiVersion"], "kind": "RedisCluster", "name": rc["metadata"]["name"]}
    kube_api.post(
        f"/api/v1/namespaces/{ns}/secrets",
        {"metadata": {"name": "conn", "ownerReferences": [{**owned, "uid": rc["metadata"]["uid"]}]}},
    )
    configmap(kube_api, ns, "plain")
    status, namespace = kube_api.get(f"/api/v1/namespaces/{ns}")
    assert namespace["spec"] == {"finalizers": ["kubernetes"]} and namespace["status"] == {"phase": "Active"}
    since = namespace["metadata"]["resourceVersion"]
    status, deleting = kube_api.delete(f"/api/v1/namespaces/{ns}")
    assert status == 200 and deleting["metadata"]["deletionTimestamp"]
    assert deleting["status"]["phase"] == "Terminating" and deleting["spec"]["finalizers"] == ["kubernetes"]
    eventually(lambda: kube_api.get(f"/api/v1/namespaces/{ns}")[0] == 404)
    for path in (f"{RC}/namespaces/{ns}/redisclusters", f"/api/v1/namespaces/{ns}/secrets"):
        assert kube_api.get(path)[1]["items"] == []
    watcher = Watcher(kube_api, "/api/v1/namespaces", resourceVersion=since, fieldSelector=f"metadata.name={ns}")
    try:
        eventually(lambda: watcher.events and watcher.events[-1]["type"] == "DELETED")
        phases = [(e["type"], e["object"]["status"]["phase"]) for e in watcher.events]
        assert phases[0] == ("MODIFIED", "Terminating") and phases[-1] == ("DELETED", "Terminating")
    finally:
        watcher.close()
    assert kube_api.post("/api/v1/namespaces", {"metadata": {"name": ns}})[0] == 201  # the name is free again
    assert kube_api.get(f"/api/v1/namespaces/{ns}/configmaps")[1]["items"] == []


def test_a_namespace_waits_for_finalizers_and_refuses_new_content(kube_api, ns):
    held = redis_cluster(kube_api, ns, finalizers=["example.com/hold"])
    path = f"{RC}/namespaces/{ns}/redisclusters/{held['metadata']['name']}"
    configmap(kube_api, ns, "plain")
    assert kube_api.delete(f"/api/v1/namespaces/{ns}")[0] == 200
    eventually(lambda: kube_api.get(f"/api/v1/namespaces/{ns}/configmaps/plain")[0] == 404)
    status, obj = kube_api.get(path)
    assert status == 200 and obj["metadata"]["deletionTimestamp"]  # deleted, held by its finalizer

    def conditions():
        namespace = kube_api.get(f"/api/v1/namespaces/{ns}")[1]
        return {c["type"]: c for c in namespace["status"].get("conditions") or []}

    remaining = eventually(lambda: conditions().get("NamespaceFinalizersRemaining") and conditions())
    assert remaining["NamespaceContentRemaining"]["status"] == "True"
    assert remaining["NamespaceContentRemaining"]["message"] == (
        "Some resources are remaining: redisclusters.redis.elasticache-operator.io has 1 resource instances"
    )
    assert remaining["NamespaceFinalizersRemaining"]["reason"] == "SomeFinalizersRemain"
    assert remaining["NamespaceFinalizersRemaining"]["message"] == (
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    )
    assert remaining["NamespaceDeletionContentFailure"]["status"] == "False"

    status, err = kube_api.post(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "new"}})
    assert status == 403 and err["reason"] == "Forbidden"
    assert err["message"] == (
        f'configmaps "new" is forbidden: unable to create new content in namespace {ns} because it is being terminated'
    )
    assert err["details"]["causes"] == [
        {
            "reason": "NamespaceTerminating",
            "message": f"namespace {ns} is being terminated",
            "field": "metadata.namespace",
        }
    ]
    status, err = kube_api.post(f"/api/v1/namespaces/{ns}/events", {"metadata": {"generateName": "ev-"}})
    assert status == 403 and err["message"].startswith("events is forbidden: unable to create new content")
    status, err = kube_api.delete(f"/api/v1/namespaces/{ns}")
    assert status == 409 and err["reason"] == "Conflict" and "ensuring all content is removed" in err["message"]
    # Updates are allowed (an operator removes its finalizer with one), and a write to the Namespace
    # itself keeps it Terminating.
    assert kube_api.merge(path, {"metadata": {"labels": {"step": "cleanup"}}})[0] == 200
    status, namespace = kube_api.merge(f"/api/v1/namespaces/{ns}", {"metadata": {"labels": {"x": "y"}}, "spec": None})
    assert status == 200 and namespace["status"]["phase"] == "Terminating"
    assert namespace["spec"]["finalizers"] == ["kubernetes"]

    assert kube_api.merge(path, {"metadata": {"finalizers": None}})[0] == 200  # the operator is done
    eventually(lambda: kube_api.get(f"/api/v1/namespaces/{ns}")[0] == 404)
    assert kube_api.get(path)[0] == 404


def test_finalizing_a_namespace_by_hand_removes_it_at_once(kube_api, ns):
    redis_cluster(kube_api, ns, finalizers=["example.com/hold"])
    assert kube_api.delete(f"/api/v1/namespaces/{ns}")[0] == 200
    namespace = eventually(lambda: (n := kube_api.get(f"/api/v1/namespaces/{ns}")[1])["status"].get("conditions") and n)
    # What `kubectl replace --raw /api/v1/namespaces/NS/finalize` does to a namespace stuck Terminating.
    status, _ = kube_api.put(f"/api/v1/namespaces/{ns}/finalize", {**namespace, "spec": {"finalizers": []}})
    assert status == 200 and kube_api.get(f"/api/v1/namespaces/{ns}")[0] == 404


def test_the_system_namespaces_cannot_be_deleted(kube_api):
    status, err = kube_api.delete("/api/v1/namespaces/default")
    assert status == 403 and err["message"] == 'namespaces "default" is forbidden: this namespace may not be deleted'
    assert kube_api.get("/api/v1/namespaces/default")[1]["status"]["phase"] == "Active"
