"""The Kubernetes side of the benchmark, over plain HTTP: objects, a burst of POSTs, and watches that
timestamp what a user's tooling would see (Ready=True, the connection Secret)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import requests

GROUP, VERSION, PLURAL = "redis.elasticache-operator.io", "v1alpha1", "redisclusters"
NAMESPACE = "bench"
PASSWORD_SECRET = "bench-password"
PASSWORD = "Bench-Password-2026-long"  # 16–128 characters, allowed specials only
INSTANCE_SIZE = "cache.t4g.micro"
USER_TAG = ("bench", "scale")  # a user tag on every group: removing it is drift that no event reports


def name_of(i: int) -> str:
    return f"rc-{i:05d}"


def redis_cluster(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "RedisCluster",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "instanceSize": INSTANCE_SIZE,
            "defaultUserPassword": {"secretKeyRef": {"name": PASSWORD_SECRET, "key": "password"}},
            "numReplicaNodes": 0,
            "deletionPolicy": "Delete",
            "tags": {USER_TAG[0]: USER_TAG[1]},
        },
    }


class Kube:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def _check(self, response: requests.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
        return response.json() if response.content else {}

    def setup_namespace(self) -> None:
        self._check(self.http.post(f"{self.base}/api/v1/namespaces", json={"metadata": {"name": NAMESPACE}}))
        secret = {"metadata": {"name": PASSWORD_SECRET}, "stringData": {"password": PASSWORD}}
        self._check(self.http.post(f"{self.base}/api/v1/namespaces/{NAMESPACE}/secrets", json=secret))

    def collection(self) -> str:
        return f"{self.base}/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"

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
                body = redis_cluster(name)
                sent = time.time()
                async with session.post(url, json=body) as response:
                    payload = await response.json()
                    if response.status >= 400:
                        raise RuntimeError(f"POST {name}: {response.status} {payload}")
                results[name] = {"sent": sent, "answered": time.time(), "uid": payload["metadata"]["uid"]}

        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=300)) as session:
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

    def __init__(self, base: str) -> None:
        self.base = base
        self.clusters: dict[str, Seen] = {}
        self.secrets: dict[str, float] = {}  # connection Secret name → first seen with a host
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []

    def start(self) -> None:
        clusters = f"{self.base}/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"
        secrets = f"{self.base}/api/v1/namespaces/{NAMESPACE}/secrets"
        for url, handle in ((clusters, self._cluster), (secrets, self._secret)):
            thread = threading.Thread(target=self._watch, args=(url, handle), daemon=True, name=f"watch {url}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def _watch(self, url: str, handle: Any) -> None:
        version = "0"
        session = requests.Session()
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
