"""A resync lists groups, then their tags, in separate calls: a group deleted in between shows up in the
shared observation torn, 'deleting' without its ownership tags. A review found its security group left
behind on a busy machine: the finalizer took the torn group for someone else's and let the object go.
Here the window is made wide on purpose: deletion takes 4 s, the operator resyncs without pause, and
the tag listing answers 1.5 s late."""

import pytest

from ..support import stack as stacks
from ..support.stack import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs_dir = tmp_path_factory.mktemp("faults-torn-listing")
    with stacks.Stack.start("torn", logs_dir, create=1, delete=4) as running:
        yield running
        with running.operator("operator-cleanup"):
            running.finish()


def test_a_torn_group_is_read_again_so_its_security_groups_still_go(stack):
    cluster, aws = stack.cluster, stack.aws
    ec2 = aws.client("ec2", attempts=3)
    namespace = cluster.namespace()
    cluster.password_secret(namespace)
    with stack.operator("operator", extra_env={"ELASTICACHE_OPERATOR_RESYNC_SECONDS": "0.2"}):
        cluster.create(namespace, "torn", deletionPolicy="Delete")
        [sg] = cluster.wait_ready(namespace, "torn")["status"]["securityGroupIds"]
        aws.inject(operation="GetResources", code="", delay_seconds=1.5, count=-1)
        try:
            cluster.delete(namespace, "torn")
            eventually(lambda: not cluster.exists(namespace, "torn"), 90, message="deleted")
        finally:
            aws.clear_faults()
        with pytest.raises(Exception, match="InvalidGroup.NotFound"):
            ec2.describe_security_groups(GroupIds=[sg])
        assert "NotOwned" not in cluster.event_reasons(namespace, "torn")
