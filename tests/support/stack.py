"""The whole stack for end-to-end tests: the Kubernetes API (stand-in, or a real cluster named by
E2E_KUBECONFIG with crds/ loaded into it), the ElastiCache stand-in, and the real operator process,
plus the handles tests use to look at each side as a user would.

Every stack has an operator instance of its own (ELASTICACHE_OPERATOR_INSTANCE and the label
elasticache-operator.io/instance on every RedisCluster it makes), so stacks that share one real
cluster never act on each other's objects. A stack cleans up after itself while its operator still
runs, and then checks that its ElastiCache holds no replication group any more.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import pathlib
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from . import sandbox
from .processes import ROOT, free_port, running
from .sandbox import ElastiCacheSandbox

GROUP, VERSION, PLURAL = "redis.elasticache-operator.io", "v1alpha1", "redisclusters"
SNAPSHOTS = "redissnapshots"
INSTANCE_LABEL = "elasticache-operator.io/instance"
SKIP_ADMISSION = "X-Sandbox-Skip-Admission"  # the stand-in's switch (sandbox/kube/server.py)
TOKEN = "integration-test-token-2026"  # a valid AuthToken: 16–128 characters, allowed specials only

# kube-controller-manager's controllers that tests rely on (named as its --controllers flag names them).
# A bare kube-apiserver runs neither; kind, k3d and every real cluster run both; the stand-in does their
# part itself (sandbox/elasticache_sandbox/kube/server.py).
GARBAGE_COLLECTOR = "garbage-collector-controller"
NAMESPACE_CONTROLLER = "namespace-controller"
NOT_RUNNING = {
    GARBAGE_COLLECTOR: (
        "this API server runs no garbage collector (kube-controller-manager); dependents of a deleted owner"
        " are never deleted"
    ),
    NAMESPACE_CONTROLLER: (
        "this API server runs no namespace controller (kube-controller-manager); a deleted namespace never goes away"
    ),
}
_controllers_by_api: dict[str, dict[str, str]] = {}  # API server URL -> {controller: "" if it runs, else why not}


def eventually(check, timeout=30.0, interval=0.2, message="condition"):
    """Poll until `check()` returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (ApiException, requests.RequestException) as e:
            last = e
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"{message} not reached in {timeout}s; last: {last!r}")


def group_id_of(obj: dict) -> str:
    """The replication group id the operator derives for a RedisCluster."""
    from elasticache_operator.core.naming import replication_group_id

    meta = obj["metadata"]
    return replication_group_id(meta["namespace"], meta["name"], meta["uid"])


def stand_in() -> bool:
    """The Kubernetes API is the project's stand-in (not a real cluster named by E2E_KUBECONFIG)."""
    return not os.environ.get("E2E_KUBECONFIG")


class Cluster:
    """The Kubernetes side, through the official client, as a user's tooling would talk to it.
    Objects it creates carry its operator instance's label; namespaces it creates are remembered."""

    def __init__(self, kubeconfig: str, instance: str = "") -> None:
        api_client = k8s_config.new_client_from_config(config_file=kubeconfig)
        self.core = k8s.CoreV1Api(api_client)
        self.custom = k8s.CustomObjectsApi(api_client)
        self.extensions = k8s.ApiextensionsV1Api(api_client)
        self.kubeconfig = kubeconfig
        self.instance = instance
        self.namespaces: list[str] = []

    def load_crds(self) -> None:
        """Create or update the CRDs from crds/, as `kubectl apply -f crds/` would; test workers in
        parallel may do it at once, so a write that loses the race is tried again."""
        for path in sorted((ROOT / "crds").glob("*.yaml")):
            crd = yaml.safe_load(path.read_text())
            name = crd["metadata"]["name"]
            eventually(lambda crd=crd: self._apply_crd(crd), message=f"CRD {name} applied")
            eventually(lambda name=name: self._established(name), message="CRD established")

    def _apply_crd(self, crd: dict) -> bool:
        name = crd["metadata"]["name"]
        try:
            self.extensions.create_custom_resource_definition(crd)
            return True
        except ApiException as e:
            if e.status != 409:
                raise
        current = self.extensions.read_custom_resource_definition(name)
        try:
            self.extensions.replace_custom_resource_definition(
                name, {**crd, "metadata": {**crd["metadata"], "resourceVersion": current.metadata.resource_version}}
            )
            return True
        except ApiException as e:
            if e.status != 409:
                raise
            return False  # another worker wrote it in between: again, from its version

    def _established(self, name: str) -> bool:
        crd = self.extensions.read_custom_resource_definition(name).to_dict()
        conditions = (crd.get("status") or {}).get("conditions") or []
        return any(c["type"] == "Established" and c["status"] == "True" for c in conditions) or not conditions

    def namespace(self) -> str:
        name = f"it-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace({"metadata": {"name": name}})
        self.namespaces.append(name)
        return name

    def password_secret(self, namespace: str, name: str = "redis-password", value: str = TOKEN) -> None:
        self.core.create_namespaced_secret(namespace, {"metadata": {"name": name}, "stringData": {"password": value}})

    def body(self, name: str, **spec) -> dict:
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "RedisCluster",
            "metadata": {"name": name, "labels": {INSTANCE_LABEL: self.instance} if self.instance else {}},
            "spec": {
                "instanceSize": "cache.t4g.micro",
                "defaultUserPassword": {"secretKeyRef": {"name": "redis-password", "key": "password"}},
                **spec,
            },
        }

    def snapshot_body(self, name: str, **spec) -> dict:
        return {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "RedisSnapshot",
            "metadata": {"name": name, "labels": {INSTANCE_LABEL: self.instance} if self.instance else {}},
            "spec": spec,
        }

    def create_snapshot(self, namespace: str, name: str, **spec) -> dict:
        body = self.snapshot_body(name, **spec)
        return self.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, SNAPSHOTS, body)

    def get_snapshot(self, namespace: str, name: str) -> dict:
        return self.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, SNAPSHOTS, name)

    def delete_snapshot(self, namespace: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, SNAPSHOTS, name)

    def snapshot_exists(self, namespace: str, name: str) -> bool:
        try:
            self.get_snapshot(namespace, name)
            return True
        except ApiException as e:
            if e.status == 404:
                return False
            raise

    def snapshot_condition(self, namespace: str, name: str, type_: str = "Ready") -> dict:
        status = self.get_snapshot(namespace, name).get("status") or {}
        return next((c for c in status.get("conditions") or [] if c["type"] == type_), {})

    def wait_snapshot(self, namespace: str, name: str, reason: str = "Available", timeout: float = 60) -> dict:
        """The RedisSnapshot once Ready's reason is `reason`."""
        eventually(
            lambda: self.snapshot_condition(namespace, name).get("reason") == reason,
            timeout,
            message=f"RedisSnapshot {namespace}/{name} {reason}",
        )
        return self.get_snapshot(namespace, name)

    def create(self, namespace: str, name: str, **spec) -> dict:
        return self.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, self.body(name, **spec))

    def _path(self, namespace: str, name: str = "") -> str:
        return f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}" + (f"/{name}" if name else "")

    def past_admission(self, method: str, path: str, body: dict, content_type: str = "application/json") -> dict:
        """Write an object the CRD's schema or CEL rules would refuse, as one stored before a rule existed.
        Only the stand-in can: on a real cluster the calling test is skipped, saying so."""
        if not stand_in():
            pytest.skip(
                "a real API server admits nothing past the CRD's rules; the stand-in can (first line of"
                " defence tested elsewhere)"
            )
        server = json.loads(pathlib.Path(self.kubeconfig).read_text())["clusters"][0]["cluster"]["server"]
        response = requests.request(
            method,
            server + path,
            json=body,
            headers={"Content-Type": content_type, SKIP_ADMISSION: "true"},
            timeout=30,
        )
        assert response.ok, response.text
        return response.json()

    def create_past_admission(self, namespace: str, name: str, **spec) -> dict:
        return self.past_admission("POST", self._path(namespace), self.body(name, **spec))

    def patch_spec_past_admission(self, namespace: str, name: str, spec: dict) -> dict:
        return self.past_admission("PATCH", self._path(namespace, name), {"spec": spec}, "application/merge-patch+json")

    def refusal(self, call) -> dict:
        """The API server's answer to a write it refuses (the Status body of a 4xx)."""
        try:
            call()
        except ApiException as e:
            return json.loads(e.body)
        raise AssertionError("the API server accepted the write")

    def get(self, namespace: str, name: str) -> dict:
        return self.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)

    def patch_spec(self, namespace: str, name: str, spec: dict) -> dict:
        return self.custom.patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name, {"spec": spec})

    def delete(self, namespace: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)

    def exists(self, namespace: str, name: str) -> bool:
        try:
            self.get(namespace, name)
            return True
        except ApiException as e:
            if e.status == 404:
                return False
            raise

    def condition(self, namespace: str, name: str, type_: str = "Ready", obj: dict | None = None) -> dict:
        status = (obj or self.get(namespace, name)).get("status") or {}
        return next((c for c in status.get("conditions") or [] if c["type"] == type_), {})

    def wait_settled(self, namespace: str, name: str, generation: int, timeout: float = 40) -> dict:
        """Ready=True for this generation, judged on one read of the object."""

        def settled():
            obj = self.get(namespace, name)
            ok = (obj.get("status") or {}).get("observedGeneration") == generation
            return ok and self.condition(namespace, name, obj=obj).get("status") == "True" and obj

        return eventually(settled, timeout, message=f"{namespace}/{name} Ready at generation {generation}")

    def wait_ready(self, namespace: str, name: str, timeout: float = 40) -> dict:
        eventually(
            lambda: self.condition(namespace, name).get("status") == "True",
            timeout,
            message=f"{namespace}/{name} Ready",
        )
        return self.get(namespace, name)

    def wait_reason(self, namespace: str, name: str, reason: str, timeout: float = 40) -> dict:
        return eventually(
            lambda: (c := self.condition(namespace, name)).get("reason") == reason and c,
            timeout,
            message=f"{namespace}/{name} reason {reason}",
        )

    def secret_data(self, namespace: str, name: str) -> dict[str, str]:
        import base64

        secret = self.core.read_namespaced_secret(name, namespace)
        return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}

    def event_reasons(self, namespace: str, name: str) -> list[str]:
        """Reasons in the order they were posted (resourceVersion grows with every write)."""
        events = self.core.list_namespaced_event(namespace).items
        ordered = sorted(events, key=lambda e: int(e.metadata.resource_version))
        return [e.reason for e in ordered if e.involved_object.name == name]

    def event_messages(self, namespace: str, name: str, reason: str) -> list[str]:
        events = self.core.list_namespaced_event(namespace).items
        return [e.message for e in events if e.involved_object.name == name and e.reason == reason]

    def wait_event(self, namespace: str, name: str, reason: str, timeout: float = 30) -> list[str]:
        """The reasons once `reason` is among them: Events are posted after the status is written, on
        their own, so a test that has seen the status may still be ahead of them."""
        eventually(lambda: reason in self.event_reasons(namespace, name), timeout, message=f"a {reason} Event")
        return self.event_reasons(namespace, name)

    def mine(self, plural: str = PLURAL) -> list[dict]:
        """Every RedisCluster (or RedisSnapshot) of this stack's instance, in every namespace."""
        selector = f"{INSTANCE_LABEL}={self.instance}" if self.instance else f"!{INSTANCE_LABEL}"
        return self.custom.list_cluster_custom_object(GROUP, VERSION, plural, label_selector=selector)["items"]

    def clean_up(self, timeout: float = 180) -> None:
        """Delete every RedisCluster this stack made (the operator must be running: the finalizers are
        its to remove), then its RedisSnapshots (final snapshots among them), then the namespaces."""
        for plural in (PLURAL, SNAPSHOTS):
            for obj in self.mine(plural):
                with contextlib.suppress(ApiException):
                    self.custom.delete_namespaced_custom_object(
                        GROUP, VERSION, obj["metadata"]["namespace"], plural, obj["metadata"]["name"]
                    )
            eventually(lambda plural=plural: not self.mine(plural), timeout, interval=0.5, message=f"{plural} deleted")
        for namespace in self.namespaces:
            with contextlib.suppress(ApiException):
                self.core.delete_namespace(namespace)
        self.namespaces.clear()

    def garbage_collected(self, timeout: float = 30) -> bool:
        """Whether this API collects dependents of deleted owners (kube-controller-manager does; a bare
        kube-apiserver does not): probed with two ConfigMaps."""
        namespace = self.namespace()
        owner = self.core.create_namespaced_config_map(namespace, {"metadata": {"name": "gc-owner"}})
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "gc-owner", "uid": owner.metadata.uid}
        self.core.create_namespaced_config_map(
            namespace, {"metadata": {"name": "gc-dependent", "ownerReferences": [ref]}}
        )
        self.core.delete_namespaced_config_map("gc-owner", namespace)
        try:
            eventually(
                lambda: (
                    "gc-dependent"
                    not in [c.metadata.name for c in self.core.list_namespaced_config_map(namespace).items]
                ),
                timeout,
                interval=0.5,
            )
            return True
        except AssertionError:
            return False

    def namespaces_deleted(self, timeout: float = 60) -> str:
        """Why a deleted namespace does not go away here ("" if it does). The API server only marks it
        Terminating, with the `kubernetes` finalizer in spec.finalizers; kube-controller-manager's
        namespace controller empties it and removes the finalizer (the stand-in does both itself, at
        once for an empty one). Probed with an empty namespace, read until it answers 404."""
        name = f"probe-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace({"metadata": {"name": name}})
        self.core.delete_namespace(name)

        def gone() -> bool:
            try:
                self.core.read_namespace(name)
            except ApiException as e:
                if e.status == 404:
                    return True
                raise
            return False

        try:
            eventually(gone, timeout, interval=0.5, message=f"namespace {name} gone")
            return ""
        except AssertionError:
            pass
        # The namespace controller reports on a namespace it could not finish (say, an aggregated API
        # that does not answer discovery): then it runs, but deleted namespaces still stay.
        conditions = self.core.read_namespace(name).status.conditions or []
        if not conditions:
            return NOT_RUNNING[NAMESPACE_CONTROLLER]
        failing = "; ".join(f"{c.type}: {c.message}" for c in conditions if c.status == "True")
        return (
            f"this API server's namespace controller did not finish deleting an empty namespace in {timeout:g}s"
            f" ({failing or 'no condition says why'}); a deleted namespace does not go away"
        )

    def _controllers(self) -> dict[str, str]:
        """Each controller probed, once per API server in this test process (the probes run side by
        side, so a bare kube-apiserver costs the longer wait once): "" if it runs, else why not."""
        api = self.core.api_client.configuration.host
        if api not in _controllers_by_api:
            with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="controller-probe") as probes:
                collected = probes.submit(self.garbage_collected)
                deleted = probes.submit(self.namespaces_deleted)
                _controllers_by_api[api] = {
                    GARBAGE_COLLECTOR: "" if collected.result() else NOT_RUNNING[GARBAGE_COLLECTOR],
                    NAMESPACE_CONTROLLER: deleted.result(),
                }
        return _controllers_by_api[api]

    def controllers(self) -> frozenset[str]:
        """Which of kube-controller-manager's controllers that tests rely on run behind this API
        (GARBAGE_COLLECTOR, NAMESPACE_CONTROLLER)."""
        return frozenset(name for name, why_not in self._controllers().items() if not why_not)

    def require_controller(self, controller: str) -> None:
        """Skip the calling test, saying why, unless `controller` runs behind this API. Call it before
        the test makes anything, so that a skipped test leaves nothing for the stack's teardown. The
        stand-in does the controllers' part itself: there a missing one fails, never skips quietly."""
        if why_not := self._controllers()[controller]:
            assert not stand_in(), f"the Kubernetes stand-in should do the {controller}'s part: {why_not}"
            pytest.skip(why_not)


class AWS(ElastiCacheSandbox):
    """The AWS side, read as a user would with the AWS CLI."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint)
        self.elasticache = self.client(attempts=3)
        self.logs = self.client("logs", attempts=3)

    def group(self, group_id: str) -> dict | None:
        try:
            return self.elasticache.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        except self.elasticache.exceptions.ReplicationGroupNotFoundFault:
            return None

    def tags(self, arn: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.elasticache.list_tags_for_resource(ResourceName=arn)["TagList"]}

    def groups(self) -> list[dict]:
        return self.elasticache.describe_replication_groups()["ReplicationGroups"]

    def delete_group(self, group_id: str) -> None:
        """For tests that leave a group in AWS on purpose (Retain, made by hand): gone once AWS is done."""
        eventually(lambda: (g := self.group(group_id)) is None or g["Status"] in ("available", "create-failed"))
        with contextlib.suppress(self.elasticache.exceptions.ReplicationGroupNotFoundFault):
            self.elasticache.delete_replication_group(ReplicationGroupId=group_id)
        eventually(lambda: self.group(group_id) is None, message=f"group {group_id} deleted")


@contextlib.contextmanager
def kubernetes(logs_dir: pathlib.Path) -> Iterator[str]:
    """Yields a kubeconfig path: E2E_KUBECONFIG's cluster, or the stand-in."""
    external = os.environ.get("E2E_KUBECONFIG")
    if external:
        Cluster(external).load_crds()
        yield external
        return
    path = logs_dir / "kubeconfig.json"
    with sandbox.kube_api(logs_dir / "kube-api.log", "--kubeconfig", str(path)):
        yield str(path)


@contextlib.contextmanager
def operator(
    kubeconfig: str,
    aws_endpoint: str,
    logs_dir: pathlib.Path,
    name: str = "operator",
    instance: str = "",
    password_grace_seconds: float = 2,
    extra_env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """The operator as users run it: `python -m elasticache_operator`, configured by environment
    (`extra_env` adds to it or overrides it)."""
    env = {
        "KUBECONFIG": kubeconfig,
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_REGION": "us-east-1",
        "ELASTICACHE_OPERATOR_CLUSTER_NAME": "integration",
        "ELASTICACHE_OPERATOR_INSTANCE": instance,
        "ELASTICACHE_OPERATOR_LOG_FORMAT": "json",  # the Helm chart's default
        "ELASTICACHE_OPERATOR_POLL_SECONDS": "0.5",
        "ELASTICACHE_OPERATOR_RETRY_SECONDS": "1",
        "ELASTICACHE_OPERATOR_RESYNC_SECONDS": "3",
        "ELASTICACHE_OPERATOR_EVENTS_SECONDS": "0.3",
        "ELASTICACHE_OPERATOR_IDLE_EVENTS_SECONDS": "1",
        "ELASTICACHE_OPERATOR_BUSY_LISTING_SECONDS": "2",
        "ELASTICACHE_OPERATOR_AWS_CALLS_PER_SECOND": "200",
        "ELASTICACHE_OPERATOR_AWS_BURST": "200",
        "ELASTICACHE_OPERATOR_PASSWORD_GRACE_SECONDS": str(password_grace_seconds),
        "ELASTICACHE_OPERATOR_AWS_MAX_ATTEMPTS": "2",
        "ELASTICACHE_OPERATOR_METRICS_PORT": str(free_port()),
        "ELASTICACHE_OPERATOR_HEALTH_PORT": str(free_port()),
        **(extra_env or {}),
    }
    log = logs_dir / f"{name}.log"
    with running(["-m", "elasticache_operator"], log, env=env) as process:
        health = f"http://127.0.0.1:{env['ELASTICACHE_OPERATOR_HEALTH_PORT']}/healthz"
        eventually(lambda: requests.get(health, timeout=2).ok, 30, message="operator healthy")
        process.metrics_url = f"http://127.0.0.1:{env['ELASTICACHE_OPERATOR_METRICS_PORT']}/metrics"  # type: ignore[attr-defined]
        yield process
    print(log.read_text()[-5000:])


class Stack:
    """One Kubernetes API, one ElastiCache stand-in, one operator instance: what a test suite runs on."""

    def __init__(
        self, kubeconfig: str, aws: AWS, logs_dir: pathlib.Path, name: str, password_grace_seconds: float = 2
    ) -> None:
        self.instance = f"{name}-{uuid.uuid4().hex[:6]}"
        self.password_grace_seconds = password_grace_seconds
        self.cluster = Cluster(kubeconfig, self.instance)
        self.aws, self.logs_dir, self.kubeconfig = aws, logs_dir, kubeconfig

    @classmethod
    @contextlib.contextmanager
    def start(
        cls,
        name: str,
        logs_dir: pathlib.Path,
        *,
        create: float,
        data_dir: pathlib.Path | None = None,
        password_grace_seconds: float = 2,
        delete: float = 0.5,
    ) -> Iterator[Stack]:
        with (
            kubernetes(logs_dir) as kubeconfig,
            sandbox.elasticache_api(
                logs_dir / "elasticache.log", create=create, modify=0.5, delete=delete, data_dir=data_dir
            ) as api,
        ):
            yield cls(kubeconfig, AWS(api.endpoint), logs_dir, name, password_grace_seconds)

    def operator(
        self, name: str = "operator", extra_env: dict[str, str] | None = None
    ) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
        return self._track(
            operator(
                self.kubeconfig,
                self.aws.endpoint,
                self.logs_dir,
                name,
                self.instance,
                self.password_grace_seconds,
                extra_env,
            )
        )

    @contextlib.contextmanager
    def _track(
        self, running: contextlib.AbstractContextManager[subprocess.Popen[bytes]]
    ) -> Iterator[subprocess.Popen[bytes]]:
        with running as process:
            self.process = process
            yield process

    def kube_faults(self) -> sandbox.KubeFaults:
        """Faults injected into the Kubernetes API: only the stand-in takes them (a test skips otherwise)."""
        if not stand_in():
            pytest.skip("faults are injected into the Kubernetes API stand-in; a real cluster takes none")
        server = json.loads(pathlib.Path(self.kubeconfig).read_text())["clusters"][0]["cluster"]["server"]
        return sandbox.KubeFaults(server)

    def metric(self, name: str) -> float:
        """A metric of the running operator, summed over its labels, as Prometheus would scrape it."""
        text = requests.get(self.process.metrics_url, timeout=10).text  # type: ignore[attr-defined]
        return sum(
            float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith((name + " ", name + "{"))
        )

    def finish(self) -> None:
        """With the operator still running: delete what the tests left, then check nothing is left in AWS."""
        self.cluster.clean_up()
        leftovers = [g["ReplicationGroupId"] for g in self.aws.groups()]
        assert leftovers == [], f"replication groups left behind in ElastiCache: {leftovers}"
