"""The real operator, as a separate process, against the Kubernetes API and ElastiCache over HTTP."""

import pathlib

import pytest

from ..support import stack as stacks


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("integration-logs")


@pytest.fixture(scope="session")
def stack(logs_dir):
    with stacks.Stack.start("integration", logs_dir, create=1) as running, running.operator():
        yield running
        running.finish()


@pytest.fixture
def aws(stack) -> stacks.AWS:
    return stack.aws


@pytest.fixture
def cluster(stack) -> stacks.Cluster:
    return stack.cluster


@pytest.fixture
def namespace(cluster) -> str:
    return cluster.namespace()
