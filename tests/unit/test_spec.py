import pytest
from pydantic import ValidationError

from elasticache_operator.core.spec import (
    auth_token_problem,
    describe_validation_error,
    parse_spec,
    transition_problems,
)

PASSWORD_REF = {"secretKeyRef": {"name": "redis-password", "key": "password"}}


def spec(**fields):
    return {"instanceSize": "cache.t4g.micro", "defaultUserPassword": PASSWORD_REF, **fields}


def test_defaults_follow_stacktape():
    parsed = parse_spec(spec())
    assert parsed.engine == "redis"
    assert parsed.effective_engine_version == "6.2"
    assert parsed.port == 6379
    assert parsed.num_shards == 1 and parsed.num_replica_nodes == 0
    assert parsed.logging.disabled is False and parsed.logging.retention_days == 90
    assert parsed.deletion_policy == "Snapshot"
    assert parsed.secret_name("cache") == "cache-redis"


def test_valkey_gets_a_valkey_default_version():
    assert parse_spec(spec(engine="valkey")).effective_engine_version == "8.0"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"numShards": 3}, "numShards greater than 1 requires enableSharding: true"),
        ({"enableSharding": True}, "a sharded cluster needs numReplicaNodes of at least 1"),
        ({"enableAutomaticFailover": True}, "enableAutomaticFailover needs numReplicaNodes of at least 1"),
        ({"engineVersion": "5.0.6"}, "slow-log delivery needs engineVersion 6.0 or later"),
        ({"tags": {"aws:cost": "x"}}, "reserved"),
        ({"tags": {"elasticache-operator.io/uid": "x"}}, "reserved"),
    ],
)
def test_cross_field_rules_name_the_fix(fields, message):
    with pytest.raises(ValidationError) as caught:
        parse_spec(spec(**fields))
    assert message in describe_validation_error(caught.value)


def test_old_engine_is_fine_without_slow_log():
    assert parse_spec(spec(engineVersion="5.0.6", logging={"disabled": True})).engine_version == "5.0.6"


def test_field_errors_name_the_path():
    with pytest.raises(ValidationError) as caught:
        parse_spec(spec(instanceSize="t4g.micro", numReplicaNodes=9))
    text = describe_validation_error(caught.value)
    assert "spec.instanceSize" in text and "spec.numReplicaNodes" in text


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        parse_spec(spec(replicas=2))


def test_transitions_refuse_immutable_changes():
    old = spec(enableSharding=True, numReplicaNodes=1, numShards=2)
    assert transition_problems(old, {**old, "numShards": 3}) == []
    assert transition_problems(old, {**old, "numReplicaNodes": 2}) == []  # AWS resizes sharded groups too
    assert transition_problems(old, {**old, "enableSharding": False}) == [
        "enableSharding can only be turned on (in place, one-way)"
    ]
    flat = spec(numReplicaNodes=1)
    assert transition_problems(flat, {**flat, "numReplicaNodes": 2}) == []
    assert transition_problems(flat, {**flat, "port": 6380}) == ["port cannot be changed after creation"]


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("short", "16 to 128 characters long, not 5"),
        ("x" * 129, "not 129"),
        ("correct-horse-battery/staple", "'/'"),
        ('correct-horse-battery"staple', "'\"'"),
        ("correct-horse-battery@staple", "'@'"),
        ("correct horse battery staple", "' '"),
        ("correct-horse-battery%staple", "'%'"),
        ("correct-horse-battery-stapl\u00e9", "not printable ASCII"),
    ],
)
def test_auth_token_refusals_say_which_character(token, fragment):
    problem = auth_token_problem(token)
    assert problem is not None and fragment in problem


def test_auth_token_allows_exactly_the_aws_specials():
    assert auth_token_problem("Aa0!&#$^<>-" + "x" * 5) is None
    assert auth_token_problem("x" * 16) is None and auth_token_problem("x" * 128) is None
