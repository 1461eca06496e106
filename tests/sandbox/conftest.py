import pytest
import requests

from ..support import sandbox


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
    log = tmp_path_factory.mktemp("kube-api") / "kube-api.log"
    with sandbox.kube_api(log, "--history-limit", "50") as base:
        yield Api(base)


@pytest.fixture(scope="module")
def elasticache(tmp_path_factory):
    log = tmp_path_factory.mktemp("elasticache") / "elasticache.log"
    with sandbox.elasticache_api(log, create=0.6, modify=0.4, delete=0.4) as api:
        yield api
