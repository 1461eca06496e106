"""The fault matrix: each module runs a stack of its own and starts, kills and restarts operators itself."""

import pathlib

import pytest

from ..support import stack as stacks


@pytest.fixture(scope="module")
def stack(tmp_path_factory, request):
    logs_dir: pathlib.Path = tmp_path_factory.mktemp(f"faults-{request.module.__name__.rsplit('.', 1)[-1]}")
    with stacks.Stack.start("faults", logs_dir, create=1) as running:
        yield running
        with running.operator("operator-cleanup"):
            running.finish()


@pytest.fixture
def aws(stack):
    return stack.aws


@pytest.fixture
def cluster(stack):
    return stack.cluster


@pytest.fixture
def namespace(cluster):
    namespace = cluster.namespace()
    cluster.password_secret(namespace)
    return namespace


@pytest.fixture(scope="module")
def operator(stack):
    """One operator for a whole module (modules that kill operators start their own)."""
    with stack.operator("operator") as process:
        yield process
