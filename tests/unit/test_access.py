"""spec.accessibility as security groups: what should exist, and what to change to get there."""

from elasticache_operator.core.access import (
    CONNECT_LABEL,
    ObservedSecurityGroup,
    Rule,
    access_changes,
    desired_access,
    security_group_policy,
)

VPC = desired_access("vpc", "g1", 6379, ("10.0.0.0/16", "10.1.0.0/16"))
SCOPED = desired_access("scoping-workloads-in-vpc", "g1", 6379, ("10.0.0.0/16",))


def group(id_, name, *rules):
    return ObservedSecurityGroup(id_, name, frozenset(rules))


def test_vpc_mode_admits_the_port_from_every_cidr_block_of_the_vpc():
    changes = access_changes(VPC, 6379, [], (), ())
    assert [g.name for g in changes.create] == ["elasticache-operator-g1-vpc"] and changes.security_group_ids is None
    made = group("sg-1", "elasticache-operator-g1-vpc")
    changes = access_changes(VPC, 6379, [made], ("sg-extra",), ())
    assert changes.authorize == (("sg-1", Rule(6379, cidr="10.0.0.0/16")), ("sg-1", Rule(6379, cidr="10.1.0.0/16")))
    assert changes.security_group_ids == ("sg-1", "sg-extra") and changes.clients_group_id is None


def test_a_rule_removed_by_hand_comes_back_and_one_added_by_hand_goes():
    drifted = group("sg-1", "elasticache-operator-g1-vpc", Rule(6379, cidr="10.0.0.0/16"), Rule(22, cidr="0.0.0.0/0"))
    changes = access_changes(VPC, 6379, [drifted], (), ("sg-1",))
    assert changes.authorize == (("sg-1", Rule(6379, cidr="10.1.0.0/16")),)
    assert changes.revoke == (("sg-1", Rule(22, cidr="0.0.0.0/0")),)


def test_scoped_mode_admits_only_the_clients_group_once_it_exists():
    first = access_changes(SCOPED, 6379, [], (), ())
    assert {g.name for g in first.create} == {"elasticache-operator-g1-clients", "elasticache-operator-g1-scoped"}
    both = [group("sg-c", "elasticache-operator-g1-clients"), group("sg-s", "elasticache-operator-g1-scoped")]
    changes = access_changes(SCOPED, 6379, both, (), ())
    assert changes.authorize == (("sg-s", Rule(6379, source_group="sg-c")),) and changes.revoke == ()
    assert changes.security_group_ids == ("sg-s",) and changes.clients_group_id == "sg-c"


def test_a_mode_change_swaps_groups_and_deletes_the_old_ones_only_once_detached():
    old = group("sg-v", "elasticache-operator-g1-vpc", Rule(6379, cidr="10.0.0.0/16"))
    new = [
        group("sg-c", "elasticache-operator-g1-clients"),
        group("sg-s", "elasticache-operator-g1-scoped", Rule(6379, source_group="sg-c")),
    ]
    attached = access_changes(SCOPED, 6379, [old, *new], (), ("sg-v",))
    assert attached.security_group_ids == ("sg-s",) and attached.delete == ()
    detached = access_changes(SCOPED, 6379, [old, *new], (), ("sg-s",))
    assert detached.delete == ("sg-v",)
    back = access_changes(VPC, 6379, [*new, group("sg-v2", "elasticache-operator-g1-vpc")], (), ("sg-v2",))
    assert back.delete == ("sg-s", "sg-c")  # the scoped group (which admits the clients') goes first


def test_the_pods_policy_selects_the_opted_in_label():
    policy = security_group_policy("cache-redis-clients", "cache", ("sg-c", "sg-eks"))
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {CONNECT_LABEL: "cache"}},
        "securityGroups": {"groupIds": ["sg-c", "sg-eks"]},
    }
