"""End to end through the data plane: the Secret's values must open a real TLS connection."""

import pathlib

import pytest

from ..support import sandbox, stack


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("e2e-logs")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("data-plane")


@pytest.fixture(scope="session")
def kubeconfig(logs_dir):
    with stack.kubernetes(logs_dir) as path:
        yield path


@pytest.fixture(scope="session")
def aws(logs_dir, data_dir):
    with sandbox.elasticache_api(
        logs_dir / "elasticache.log", create=0.5, modify=0.5, delete=0.5, data_dir=data_dir
    ) as api:
        yield stack.AWS(api.endpoint)


@pytest.fixture(scope="session")
def ca_file(aws, data_dir) -> str:
    return str(data_dir / "ca" / "ca.pem")


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
