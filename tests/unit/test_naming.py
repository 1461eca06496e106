import re

from hypothesis import given
from hypothesis import strategies as st

from elasticache_operator.core import naming

DNS_LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
AWS_GROUP_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@given(namespace=DNS_LABEL, name=DNS_LABEL, uid=st.uuids())
def test_group_ids_are_valid_for_aws(namespace, name, uid):
    group_id = naming.replication_group_id(namespace, name, str(uid))
    assert AWS_GROUP_ID.match(group_id), group_id
    assert "--" not in group_id and not group_id.endswith("-")


def test_group_id_is_deterministic_and_readable():
    first = naming.replication_group_id("shop", "sessions", "0b6f")
    assert first == naming.replication_group_id("shop", "sessions", "0b6f")
    assert first.startswith("shop-sessions-")


def test_a_recreated_object_gets_a_new_group():
    assert naming.replication_group_id("shop", "cache", "uid-1") != naming.replication_group_id(
        "shop", "cache", "uid-2"
    )


def test_ownership_is_decided_by_uid():
    tags = naming.ownership_tags("shop", "cache", "uid-1", "prod")
    assert naming.is_owned(tags, "uid-1")
    assert not naming.is_owned(tags, "uid-2")
    assert not naming.is_owned({}, "uid-1")
