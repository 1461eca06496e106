"""The observer's copy of the security groups: a full listing that began before one RedisCluster's groups
were read again never overwrites them with what it saw earlier (review finding: a group leaked)."""

import itertools

from elasticache_operator.aws.observer import Observer, Timing

UID_TAG = "elasticache-operator.io/uid"


def group(group_id, uid):
    return {"GroupId": group_id, "GroupName": group_id, "Tags": [{"Key": UID_TAG, "Value": uid}]}


class EC2:
    """DescribeSecurityGroups as the operator calls it; `during_full_listing` runs while a full one is under way."""

    def __init__(self, groups):
        self.groups = list(groups)
        self.during_full_listing = lambda: None

    def owned_security_groups(self, cluster_name, uid=None):
        listed = [g for g in self.groups if uid is None or g["Tags"][0]["Value"] == uid]
        if uid is None:
            self.during_full_listing()  # what it returns was read before this happened
        return listed


def observer(ec2):
    ticks = itertools.count()
    timing = Timing(resync_seconds=600, events_seconds=5, idle_events_seconds=30, busy_listing_seconds=60)
    return Observer(None, None, "prod", timing, clock=lambda: float(next(ticks)), ec2=ec2)


def test_a_refresh_of_one_cluster_returns_what_ec2_lists_now():
    ec2 = EC2([group("sg-a", "uid-a"), group("sg-b", "uid-b")])
    watcher = observer(ec2)
    assert [g["GroupId"] for g in watcher.refresh_security_groups("uid-a")] == ["sg-a"]
    ec2.groups = [group("sg-b", "uid-b")]
    assert watcher.refresh_security_groups("uid-a") == [] and watcher.security_groups("uid-a") == []


def test_a_full_listing_begun_earlier_does_not_overwrite_a_newer_read_of_one_cluster():
    ec2 = EC2([group("sg-b", "uid-b")])  # uid-a's group not made yet when the full listing reads
    watcher = observer(ec2)

    def made_meanwhile():
        ec2.groups.append(group("sg-a", "uid-a"))
        watcher.refresh_security_groups("uid-a")

    ec2.during_full_listing = made_meanwhile
    watcher.refresh_security_groups()
    assert [g["GroupId"] for g in watcher.security_groups("uid-a")] == ["sg-a"]
    assert [g["GroupId"] for g in watcher.security_groups("uid-b")] == ["sg-b"]
    ec2.during_full_listing = lambda: None
    ec2.groups = [group("sg-b", "uid-b")]
    watcher.refresh_security_groups()  # begun after: it is the newer view and wins
    assert watcher.security_groups("uid-a") == []
