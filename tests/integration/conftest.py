"""The real operator, as a separate process, against the Kubernetes API and ElastiCache over HTTP."""

import pathlib

import pytest

from ..support import sandbox, stack


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("integration-logs")


@pytest.fixture(scope="session")
def kubeconfig(logs_dir):
    with stack.kubernetes(logs_dir) as path:
        yield path


@pytest.fixture(scope="session")
def aws(logs_dir):
    with sandbox.elasticache_api(logs_dir / "elasticache.log", create=1, modify=0.5, delete=0.5) as api:
        yield stack.AWS(api.endpoint)


@pytest.fixture(scope="session")
def operator_process(kubeconfig, aws, logs_dir):
    with stack.operator(kubeconfig, aws.endpoint, logs_dir):
        yield


@pytest.fixture
def cluster(kubeconfig, operator_process) -> stack.Cluster:
    return stack.Cluster(kubeconfig)


@pytest.fixture
def namespace(cluster) -> str:
    return cluster.namespace()
