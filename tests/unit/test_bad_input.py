"""Hostile and odd input: whatever admission lets through, the operator reconciles or refuses with a
sentence, and never sends AWS a request AWS would refuse (so nothing is left half-made)."""

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from elasticache_operator.core.desired import Placement, create_request, desired_group
from elasticache_operator.core.naming import MAX_GROUP_ID, replication_group_id
from elasticache_operator.core.observed import observed_group
from elasticache_operator.core.plan import plan_changes
from elasticache_operator.core.spec import auth_token_problem, describe_validation_error, parse_spec
from elasticache_sandbox.elasticache_api import GROUP_ID, validate_create

from ..support.crd import admit
from .builders import IDENTITY, PASSWORD_REF
from .test_crd import SPECS

TOKEN = "a-valid-auth-token-16"
MOTO_NAMES = {
    "ReplicationGroupId": "replication_group_id",
    "AuthToken": "auth_token",
    "TransitEncryptionEnabled": "transit_encryption_enabled",
    "AutomaticFailoverEnabled": "automatic_failover_enabled",
    "NumCacheClusters": "num_cache_clusters",
    "ReplicasPerNodeGroup": "replicas_per_node_group",
    "NumNodeGroups": "num_node_groups",
    "CacheParameterGroupName": "cache_parameter_group_name",
    "SnapshotRetentionLimit": "snapshot_retention_limit",
    "Tags": "tags",
    "Engine": "engine",
    "EngineVersion": "engine_version",
    "LogDeliveryConfigurations": "log_delivery_configurations",
}

UNICODE_TAGS = st.dictionaries(
    st.text(alphabet=string.ascii_letters + "äé 日本_.:/=+-@#$%\u200b", min_size=0, max_size=12),
    st.text(alphabet=string.ascii_letters + "äé 日本_.:/=+-@#$%\u200b", min_size=0, max_size=12),
    max_size=3,
)


# Specs near the edges of what is valid, so most pass admission and reach the request AWS would get.
NEAR_VALID = st.fixed_dictionaries(
    {
        "instanceSize": st.sampled_from(["cache.t4g.micro", "cache.r7g.16xlarge", "cache.m5.large"]),
        "defaultUserPassword": st.just(PASSWORD_REF),
        "engine": st.sampled_from(["redis", "valkey"]),
        "enableSharding": st.booleans(),
        "numReplicaNodes": st.integers(0, 5),
    },
    optional={
        "engineVersion": st.sampled_from(["6.0", "6.2", "7.0", "7.1", "7.2", "8.0", "10.0", "6.2.6"]),
        "numShards": st.integers(1, 500),
        "enableAutomaticFailover": st.booleans(),
        "port": st.integers(1024, 65535),
        "automatedBackupRetentionDays": st.integers(0, 35),
        "logging": st.fixed_dictionaries(
            {},
            optional={
                "disabled": st.booleans(),
                "format": st.sampled_from(["json", "text"]),
                "retentionDays": st.sampled_from([1, 90, 3653]),
            },
        ),
        "tags": st.one_of(
            UNICODE_TAGS, st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=128), st.just("v"))
        ),
        "deletionPolicy": st.sampled_from(["Delete", "Retain", "Snapshot"]),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(SPECS, NEAR_VALID, NEAR_VALID), st.one_of(st.none(), UNICODE_TAGS))
def test_what_admission_lets_through_is_reconciled_or_refused_never_half_made(spec, tags):
    if tags is not None:
        spec = {**spec, "tags": tags}
    if spec.get("defaultUserPassword") is None or spec.get("managementPolicy") == "ObserveOnly":
        return  # no group is created for these
    if admit(spec) != []:
        return  # refused at admission: the first line of defence
    try:
        model = parse_spec(spec)
    except ValidationError as e:
        assert describe_validation_error(e)  # refused with a sentence (InvalidSpec), before any AWS call
        return
    desired = desired_group(model, IDENTITY)
    request = create_request(desired, TOKEN, Placement(), "a RedisCluster")
    validate_create({MOTO_NAMES[k]: v for k, v in request.items() if k in MOTO_NAMES})  # AWS accepts it
    created = observed_group(
        {
            "ReplicationGroupId": desired.group_id,
            "Status": "available",
            "CacheNodeType": desired.node_type,
            "Engine": desired.engine,
            "ClusterEnabled": desired.sharded,
            "NodeGroups": [{"NodeGroupId": f"{i + 1:04}"} for i in range(desired.num_shards)],
        },
        desired.engine_version,
        desired.tags,
    )
    plan_changes(desired, created)  # comparing with what AWS holds raises nothing either


K8S_NAMES = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(K8S_NAMES, K8S_NAMES, st.uuids(), K8S_NAMES, K8S_NAMES, st.uuids())
def test_group_ids_are_valid_for_aws_and_never_shared(ns1, name1, uid1, ns2, name2, uid2):
    first = replication_group_id(ns1, name1, str(uid1))
    second = replication_group_id(ns2, name2, str(uid2))
    for group_id in (first, second):
        assert GROUP_ID.match(group_id) and len(group_id) <= MAX_GROUP_ID and "--" not in group_id
    assert first != second


def test_very_long_and_look_alike_names_still_get_distinct_ids():
    long = "a" * 63
    ids = {
        replication_group_id(long, long + "b" * 190, "uid-1"),
        replication_group_id(long, long + "c" * 190, "uid-2"),
        replication_group_id("team-a", "cache", "uid-3"),
        replication_group_id("team", "a-cache", "uid-4"),  # the same slug, told apart by the hash
        replication_group_id("9lives", "0", "uid-5"),
    }
    assert len(ids) == 5 and all(GROUP_ID.match(i) and len(i) <= MAX_GROUP_ID for i in ids)


def test_passwords_at_every_boundary():
    assert auth_token_problem("a" * 15) and not auth_token_problem("a" * 16)
    assert not auth_token_problem("a" * 128) and auth_token_problem("a" * 129)
    for forbidden in ("/", '"', "@", " ", "é", "\u200b", "%", "'"):
        assert auth_token_problem("a" * 15 + forbidden), forbidden
    for allowed in "!&#$^<>-":
        assert auth_token_problem("a" * 15 + allowed) is None, allowed


def test_unicode_tags_are_refused_with_a_sentence_before_any_aws_call():
    spec = {"instanceSize": "cache.t4g.micro", "defaultUserPassword": PASSWORD_REF, "tags": {"équipe": "日本"}}
    assert any("letters, digits, spaces" in message for message in admit(spec))
    try:
        parse_spec(spec)
        raise AssertionError("the model took a tag AWS may not")
    except ValidationError as e:
        assert re.search("letters, digits, spaces", describe_validation_error(e))
