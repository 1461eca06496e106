"""End to end through the data plane: the Secret's values must open a real TLS connection."""

import pathlib

import pytest

from ..support import stack as stacks


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("e2e-logs")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("data-plane")


@pytest.fixture(scope="session")
def stack(logs_dir, data_dir):
    # A grace period long enough for a test to see both passwords work, on a busy machine too.
    with (
        stacks.Stack.start("e2e", logs_dir, create=0.5, data_dir=data_dir, password_grace_seconds=20) as running,
        running.operator(),
    ):
        yield running
        running.finish()


@pytest.fixture(scope="session")
def ca_file(stack, data_dir) -> str:
    return str(data_dir / "ca" / "ca.pem")


@pytest.fixture
def cluster(stack) -> stacks.Cluster:
    return stack.cluster


@pytest.fixture
def namespace(cluster) -> str:
    return cluster.namespace()
