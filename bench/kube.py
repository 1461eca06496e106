"""The Kubernetes side of the benchmark, over HTTP(S): objects, a burst of POSTs, and watches that
timestamp what a user's tooling would see (Ready=True, the connection Secret).

The API is the stand-in (plain HTTP, no credentials needed) or, with `--kubeconfig`, an existing cluster,
reached with that kubeconfig's server, CA and credentials (`Access`). The stand-in also keeps an audit
trail of the requests it served (`GET /_sandbox/audit`), which `audit_counts` counts by client, verb and
resource: the Kubernetes requests the operator made per cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import pathlib
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import requests
import yaml

GROUP, VERSION, PLURAL = "redis.elasticache-operator.io", "v1alpha1", "redisclusters"
NAMESPACE = "bench"
PASSWORD_SECRET = "bench-password"
PASSWORD = "Bench-Password-2026-long"  # 16–128 characters, allowed specials only
INSTANCE_SIZE = "cache.t4g.micro"
USER_TAG = ("bench", "scale")  # a user tag on every group: removing it is drift that no event reports


INSTANCE_LABEL = "elasticache-operator.io/instance"
AUDIT_PATH = "/_sandbox/audit"  # the stand-in's audit trail (sandbox/elasticache_sandbox/kube/server.py)
AUDIT_CAPACITY = 200_000  # entries the stand-in keeps (its _audit deque's maxlen): past it, the oldest go


def name_of(i: int) -> str:
    return f"rc-{i:05d}"


def redis_cluster(name: str, namespace: str = NAMESPACE, instance: str = "") -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "RedisCluster",
        "metadata": {"name": name, "namespace": namespace, "labels": {INSTANCE_LABEL: instance} if instance else {}},
        "spec": {
            "instanceSize": INSTANCE_SIZE,
            "defaultUserPassword": {"secretKeyRef": {"name": PASSWORD_SECRET, "key": "password"}},
            "numReplicaNodes": 0,
            "deletionPolicy": "Delete",
            "tags": {USER_TAG[0]: USER_TAG[1]},
        },
    }


@dataclass(frozen=True)
class Access:
    """How to reach the API: its URL, and the TLS settings and credentials a kubeconfig gives."""

    base: str
    headers: dict[str, str] = field(default_factory=dict)
    verify: bool | str = True  # False, True, or a CA bundle's path
    cert: tuple[str, str] | None = None  # client certificate and key files

    @classmethod
    def from_kubeconfig(cls, path: pathlib.Path) -> Access:
        """The current context of a kubeconfig, read by the official client (inline CA and client
        certificate data are written to files by it; a token or an exec plugin's token becomes a header)."""
        from kubernetes import client as k8s_client
        from kubernetes import config as k8s_config

        configuration = k8s_client.Configuration()
        k8s_config.load_kube_config(config_file=str(path), client_configuration=configuration)
        headers = {  # a token (or an exec plugin's): `Authorization: Bearer …`, as the official client sends it
            setting["key"].title(): setting["value"]
            for setting in configuration.auth_settings().values()
            if setting.get("in") == "header" and setting.get("value")
        }
        verify: bool | str = bool(configuration.verify_ssl)
        if verify and configuration.ssl_ca_cert:
            verify = configuration.ssl_ca_cert
        cert = (configuration.cert_file, configuration.key_file) if configuration.cert_file else None
        return cls(configuration.host.rstrip("/"), headers, verify, cert)

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(self.headers)
        session.verify = self.verify
        if self.cert:
            session.cert = self.cert
        return session

    def ssl_context(self) -> ssl.SSLContext | bool:
        """For aiohttp: True (the system's CAs), False (no verification), or a context with the CA and
        the client certificate."""
        if not self.base.startswith("https") or (self.verify is True and not self.cert):
            return True
        if self.verify is False:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        else:
            context = ssl.create_default_context(cafile=self.verify if isinstance(self.verify, str) else None)
        if self.cert:
            context.load_cert_chain(*self.cert)
        return context


def apply_crds(access: Access, crd_dir: pathlib.Path, timeout: float = 60) -> None:
    """Create or replace the CRDs in crd_dir, as `kubectl apply -f crds/` (and tests/support/stack.py's
    Cluster.load_crds) would, and wait until they are established."""
    http = access.session()
    base = f"{access.base}/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    for path in sorted(crd_dir.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        name = crd["metadata"]["name"]
        deadline = time.monotonic() + timeout
        while True:
            answer = http.post(base, json=crd, timeout=30)
            if answer.status_code == 409:
                current = http.get(f"{base}/{name}", timeout=30).json()
                body = {
                    **crd,
                    "metadata": {**crd["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]},
                }
                answer = http.put(f"{base}/{name}", json=body, timeout=30)
            if answer.status_code < 400:
                break
            if answer.status_code != 409 or time.monotonic() > deadline:  # 409: someone else wrote it meanwhile
                raise RuntimeError(f"CRD {name}: {answer.status_code} {answer.text}")
        while time.monotonic() < deadline:
            conditions = (http.get(f"{base}/{name}", timeout=30).json().get("status") or {}).get("conditions") or []
            if not conditions or any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"CRD {name} not established within {timeout:.0f}s")


def audit_trail(access: Access) -> list[dict[str, str]]:
    """Every resource request the stand-in served so far (up to AUDIT_CAPACITY), in the order served."""
    answer = access.session().get(f"{access.base}{AUDIT_PATH}", timeout=120)
    answer.raise_for_status()
    items: list[dict[str, str]] = answer.json()["items"]
    return items


class Kube:
    def __init__(self, access: Access | str, namespace: str = NAMESPACE, instance: str = "") -> None:
        self.access = access if isinstance(access, Access) else Access(access)
        self.base = self.access.base
        self.namespace = namespace
        self.instance = instance
        self.http = self.access.session()

    def _check(self, response: requests.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
        return response.json() if response.content else {}

    def setup_namespace(self) -> None:
        self._check(self.http.post(f"{self.base}/api/v1/namespaces", json={"metadata": {"name": self.namespace}}))
        secret = {"metadata": {"name": PASSWORD_SECRET}, "stringData": {"password": PASSWORD}}
        self._check(self.http.post(f"{self.base}/api/v1/namespaces/{self.namespace}/secrets", json=secret))

    def clean_up(self, timeout: float = 300) -> dict[str, Any]:
        """Remove what the benchmark made in an existing cluster: every RedisCluster in its namespace
        (finalizers dropped: the operators are stopped by then, and the ElastiCache stand-in with its
        groups goes with the run), then the namespace, and wait until it is gone."""
        started = time.monotonic()
        removed = 0
        for obj in self.list().get("items") or []:
            name = obj["metadata"]["name"]
            if obj["metadata"].get("finalizers"):
                with contextlib.suppress(RuntimeError):
                    self._check(
                        self.http.patch(
                            f"{self.collection()}/{name}",
                            data=json.dumps({"metadata": {"finalizers": None}}),
                            headers={"Content-Type": "application/merge-patch+json"},
                            timeout=60,
                        )
                    )
            removed += 1
        self.http.delete(self.collection(), timeout=300)
        self.http.delete(f"{self.base}/api/v1/namespaces/{self.namespace}", timeout=60)
        gone = False
        while time.monotonic() - started < timeout:
            if self.http.get(f"{self.base}/api/v1/namespaces/{self.namespace}", timeout=30).status_code == 404:
                gone = True
                break
            time.sleep(1)
        return {"redisclusters": removed, "namespace_gone": gone, "seconds": round(time.monotonic() - started, 1)}

    def collection(self) -> str:
        return f"{self.base}/apis/{GROUP}/{VERSION}/namespaces/{self.namespace}/{PLURAL}"

    def list(self) -> dict[str, Any]:
        return self._check(self.http.get(self.collection(), timeout=120))

    def patch_spec(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return self._check(
            self.http.patch(
                f"{self.collection()}/{name}",
                data=json.dumps({"spec": spec}),
                headers={"Content-Type": "application/merge-patch+json"},
                timeout=60,
            )
        )

    def burst(self, names: list[str], concurrency: int = 64) -> dict[str, dict[str, Any]]:
        """POST one object per name, `concurrency` at a time, as fast as the API takes them; per name:
        when its POST was sent and answered (wall clock) and the uid it got."""
        return asyncio.run(self._burst(names, concurrency))

    async def _burst(self, names: list[str], concurrency: int) -> dict[str, dict[str, Any]]:
        results: dict[str, dict[str, Any]] = {}
        queue: asyncio.Queue[str] = asyncio.Queue()
        for name in names:
            queue.put_nowait(name)
        url = self.collection()

        async def worker(session: aiohttp.ClientSession) -> None:
            while not queue.empty():
                name = queue.get_nowait()
                body = redis_cluster(name, self.namespace, self.instance)
                sent = time.time()
                async with session.post(url, json=body) as response:
                    payload = await response.json()
                    if response.status >= 400:
                        raise RuntimeError(f"POST {name}: {response.status} {payload}")
                results[name] = {"sent": sent, "answered": time.time(), "uid": payload["metadata"]["uid"]}

        connector = aiohttp.TCPConnector(limit=concurrency, ssl=self.access.ssl_context())
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=300), headers=self.access.headers
        ) as session:
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return results


@dataclass
class Seen:
    """What a watch saw of one RedisCluster: when it was first Ready=True at each generation (and
    replica count, status.replicasPerShard)."""

    ready_at: dict[tuple[int, int | None], float] = field(default_factory=dict)  # → wall clock
    last: dict[str, Any] = field(default_factory=dict)


class Watcher:
    """Watches RedisClusters and Secrets in the benchmark's namespace from threads, stamping each event
    with the wall clock as it arrives, the way `kubectl get -w` would see it."""

    def __init__(self, access: Access | str, namespace: str = NAMESPACE) -> None:
        self.access = access if isinstance(access, Access) else Access(access)
        self.base = self.access.base
        self.namespace = namespace
        self.clusters: dict[str, Seen] = {}
        self.secrets: dict[str, float] = {}  # connection Secret name → first seen with a host
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []

    def start(self) -> None:
        clusters = f"{self.base}/apis/{GROUP}/{VERSION}/namespaces/{self.namespace}/{PLURAL}"
        secrets = f"{self.base}/api/v1/namespaces/{self.namespace}/secrets"
        for url, handle in ((clusters, self._cluster), (secrets, self._secret)):
            thread = threading.Thread(target=self._watch, args=(url, handle), daemon=True, name=f"watch {url}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def _watch(self, url: str, handle: Any) -> None:
        version = "0"
        session = self.access.session()
        while not self._stop.is_set():
            try:
                listing = session.get(url, timeout=120).json()
                for item in listing.get("items") or []:
                    handle(item)
                version = listing["metadata"]["resourceVersion"]
                params = {"watch": "true", "resourceVersion": version, "timeoutSeconds": "3600"}
                with session.get(url, params=params, stream=True, timeout=(10, None)) as response:
                    for line in response.iter_lines():
                        if self._stop.is_set():
                            return
                        if not line:
                            continue
                        event = json.loads(line)
                        if event.get("type") == "ERROR":
                            break  # expired: list again
                        handle(event["object"])
            except (requests.RequestException, ValueError) as e:
                if self._stop.is_set():
                    return
                self.errors.append(f"{url}: {e!r}")
                time.sleep(0.5)

    def _cluster(self, obj: dict[str, Any]) -> None:
        now = time.time()
        meta, status = obj["metadata"], obj.get("status") or {}
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
        with self.lock:
            seen = self.clusters.setdefault(meta["name"], Seen())
            seen.last = obj
            generation = status.get("observedGeneration")
            if ready.get("status") == "True" and generation == meta.get("generation"):
                seen.ready_at.setdefault((generation, status.get("replicasPerShard")), now)

    def _secret(self, obj: dict[str, Any]) -> None:
        now = time.time()
        name = obj["metadata"]["name"]
        if name.endswith("-redis") and (obj.get("data") or {}).get("host"):
            with self.lock:
                self.secrets.setdefault(name, now)

    def ready_count(self, names: list[str], generation: int = 1) -> int:
        """How many of `names` were seen Ready=True at `generation`; the caller holds the lock."""
        return sum(1 for n in names if any(g == generation for g, _ in (self.clusters.get(n) or Seen()).ready_at))
