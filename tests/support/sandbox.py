"""Test handles on the sandbox's stand-ins, each started as its own process."""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from .processes import ROOT, free_port, running

# The data plane runs real Redis servers; a machine without them skips those tests, saying how to get them.
NO_REDIS = (
    "the data plane runs real Redis servers: redis-server is not installed (scripts/bootstrap installs it)"
    if shutil.which("redis-server") is None
    else ""
)
needs_redis = pytest.mark.skipif(bool(NO_REDIS), reason=NO_REDIS or "redis-server is installed")


class ElastiCacheSandbox:
    """boto3 clients for the ElastiCache stand-in, plus its fault-injection and request-count API."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str = "elasticache", attempts: int = 1):  # noqa: ANN201 - a boto3 client
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
            config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
        )

    def inject(self, **fault: object) -> None:
        requests.post(f"{self.endpoint}/_sandbox/faults", json=fault, timeout=10).raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(f"{self.endpoint}/_sandbox/faults", timeout=10).raise_for_status()

    def request_log(self, since: int = 0) -> list[dict[str, object]]:
        """Every call served after sequence number `since`: seq, time, action, id (the ReplicationGroupId)."""
        answer = requests.get(f"{self.endpoint}/_sandbox/requests", params={"log": 1, "since": since}, timeout=30)
        return list(answer.json()["log"])

    def requests_served(self) -> dict[str, int]:
        return requests.get(f"{self.endpoint}/_sandbox/requests", timeout=10).json()["requests"]

    def calls(self, action: str) -> int:
        return self.requests_served().get(action, 0)


@contextlib.contextmanager
def elasticache_api(
    log: pathlib.Path, create: float, modify: float, delete: float, data_dir: pathlib.Path | None = None
) -> Iterator[ElastiCacheSandbox]:
    """With `data_dir`, real redis-server processes serve every group (the data plane)."""
    port = free_port()
    args = [
        "-m",
        "elasticache_sandbox.elasticache_api",
        "--port",
        str(port),
        "--create-seconds",
        str(create),
        "--modify-seconds",
        str(modify),
        "--delete-seconds",
        str(delete),
        *(["--data-dir", str(data_dir)] if data_dir else []),
    ]
    with running(args, log, port):
        yield ElastiCacheSandbox(f"http://127.0.0.1:{port}")


@contextlib.contextmanager
def kube_api(log: pathlib.Path, *extra: str) -> Iterator[str]:
    """Yields the API's base URL."""
    port = free_port()
    args = [
        "-m",
        "elasticache_sandbox.kube",
        "--port",
        str(port),
        "--crd",
        str(ROOT / "crds"),
        *extra,
    ]
    with running(args, log, port):
        yield f"http://127.0.0.1:{port}"


class KubeFaults:
    """Fault injection on the Kubernetes API stand-in (`/_sandbox/faults` at `base`, the URL
    `kube_api()` yields; see elasticache_sandbox/kube/faults.py), as `ElastiCacheSandbox.inject`
    does on the ElastiCache one: `inject(kind="error", code=429, verb="get", seconds=5)`. As a context
    manager it clears the faults on the way out."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def inject(self, **fault: object) -> dict[str, Any]:
        """Adds a fault; returns the listing (see `state`)."""
        response = requests.post(f"{self.base}/_sandbox/faults", json=fault, timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def clear(self) -> None:
        """Removes every fault; held requests and silenced watches go on."""
        requests.delete(f"{self.base}/_sandbox/faults", timeout=10).raise_for_status()

    def state(self) -> dict[str, Any]:
        """`{"faults": [...], "held": requests held now, "silenced": watches holding back an event,
        "watches": open watch streams}`."""
        response = requests.get(f"{self.base}/_sandbox/faults", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def wait_for(self, condition: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict[str, Any]:
        """Polls `state()` until `condition` holds on it; returns that state."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if condition(state):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Kubernetes stand-in's faults never reached the condition: {state}")
            time.sleep(0.05)

    def __enter__(self) -> KubeFaults:
        return self

    def __exit__(self, *_: object) -> None:
        self.clear()
