import pytest
import requests

from ..support.processes import ROOT, free_port, running


class Api:
    """Plain HTTP against the API, so each test controls verbs and content types exactly."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def request(self, method, path, body=None, content_type="application/json", **params):
        headers = {"Content-Type": content_type} if body is not None else {}
        response = self.http.request(method, self.base + path, json=body, headers=headers, params=params, timeout=30)
        return response.status_code, response.json() if response.content else None

    def get(self, path, **params):
        return self.request("GET", path, **params)

    def post(self, path, body):
        return self.request("POST", path, body)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def merge(self, path, body):
        return self.request("PATCH", path, body, "application/merge-patch+json")

    def json_patch(self, path, ops):
        return self.request("PATCH", path, ops, "application/json-patch+json")

    def delete(self, path, body=None):
        return self.request("DELETE", path, body)


@pytest.fixture(scope="module")
def kube_api(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("kube-api") / "kube-api.log"
    args = [
        "-m",
        "elasticache_operator.sandbox.kube_api",
        "--port",
        str(port),
        "--crd",
        str(ROOT / "crds" / "redisclusters.yaml"),
        "--history-limit",
        "50",
    ]
    with running(args, log, port):
        yield Api(f"http://127.0.0.1:{port}")


class ElastiCacheSandbox:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service="elasticache", attempts=1):
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

    def inject(self, **fault):
        requests.post(f"{self.endpoint}/_sandbox/faults", json=fault, timeout=10).raise_for_status()

    def clear_faults(self):
        requests.delete(f"{self.endpoint}/_sandbox/faults", timeout=10).raise_for_status()

    def requests_served(self):
        return requests.get(f"{self.endpoint}/_sandbox/requests", timeout=10).json()["requests"]


@pytest.fixture(scope="module")
def elasticache(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("elasticache") / "elasticache.log"
    args = [
        "-m",
        "elasticache_operator.sandbox.elasticache_api",
        "--port",
        str(port),
        "--create-seconds",
        "0.6",
        "--modify-seconds",
        "0.4",
        "--delete-seconds",
        "0.4",
    ]
    with running(args, log, port):
        yield ElastiCacheSandbox(f"http://127.0.0.1:{port}")
