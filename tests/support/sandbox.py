"""Test handles on the sandbox's stand-ins, each started as its own process."""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import Iterator

import requests

from .processes import ROOT, free_port, running


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
        "elasticache_operator.sandbox.elasticache_api",
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
        "elasticache_operator.sandbox.kube",
        "--port",
        str(port),
        "--crd",
        str(ROOT / "crds" / "redisclusters.yaml"),
        *extra,
    ]
    with running(args, log, port):
        yield f"http://127.0.0.1:{port}"
