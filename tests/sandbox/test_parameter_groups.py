"""The ElastiCache stand-in's cache parameter groups follow botocore's model and AWS's parameter tables."""

import time
import uuid

import pytest
from botocore.exceptions import ClientError

FAMILIES = ("redis6.x", "redis7", "valkey7", "valkey8")
# Parameters users commonly set: every family the stand-in knows has them.
COMMON = (
    "maxmemory-policy",
    "maxmemory-samples",
    "reserved-memory-percent",
    "notify-keyspace-events",
    "timeout",
    "tcp-keepalive",
    "activedefrag",
    "active-defrag-cycle-min",
    "active-defrag-cycle-max",
    "active-defrag-ignore-bytes",
    "active-defrag-threshold-lower",
    "active-defrag-threshold-upper",
    "lua-time-limit",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "cluster-enabled",
    "cluster-require-full-coverage",
    "cluster-allow-reads-when-down",
    "appendonly",
    "appendfsync",
    "set-max-intset-entries",
    "list-compress-depth",
    "client-output-buffer-limit-normal-hard-limit",
    "client-output-buffer-limit-pubsub-soft-limit",
    "close-on-replica-write",
    "databases",
    "repl-backlog-size",
    "min-replicas-to-write",
)


def group_name():
    return f"pg-{uuid.uuid4().hex[:10]}"


def error_of(call):
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def engine_defaults(ec, family, page=100):
    """Every page of DescribeEngineDefaultParameters, and the number of pages."""
    parameters, marker, pages = [], None, 0
    while True:
        request = {"CacheParameterGroupFamily": family, "MaxRecords": page, **({"Marker": marker} if marker else {})}
        defaults = ec.describe_engine_default_parameters(**request)["EngineDefaults"]
        assert defaults["CacheParameterGroupFamily"] == family
        parameters += defaults["Parameters"]
        pages += 1
        marker = defaults.get("Marker")
        if not marker:
            return parameters, pages


def parameters_of(ec, name, page=100, **extra):
    parameters, marker = [], None
    while True:
        answer = ec.describe_cache_parameters(
            CacheParameterGroupName=name, MaxRecords=page, **extra, **({"Marker": marker} if marker else {})
        )
        parameters += answer["Parameters"]
        marker = answer.get("Marker")
        if not marker:
            return parameters


def by_name(parameters):
    return {p["ParameterName"]: p for p in parameters}


def create(ec, family="redis7", name=None, **extra):
    return ec.create_cache_parameter_group(
        CacheParameterGroupName=name or group_name(), CacheParameterGroupFamily=family, Description="test", **extra
    )["CacheParameterGroup"]


def modify(ec, name, **values):
    pairs = [{"ParameterName": k.replace("_", "-"), "ParameterValue": v} for k, v in values.items()]
    return ec.modify_cache_parameter_group(CacheParameterGroupName=name, ParameterNameValues=pairs)


def satisfies(parameter, value):
    """An independent reading of AWS's AllowedValues: `a-b`, `a-`, `-` and single values for integers,
    comma-separated enumerations for strings."""
    allowed = parameter.get("AllowedValues")
    if parameter["DataType"] == "integer":
        number = int(value)  # ValueError: not of the DataType
        for item in allowed.split(","):
            if item == "-" or item == str(number):
                return True
            sign, rest = ("-", item[1:]) if item.startswith("-") else ("", item)
            if "-" in rest:
                low, high = rest.split("-", 1)
                if int(sign + low) <= number and (not high or number <= int(high)):
                    return True
        return False
    assert parameter["DataType"] == "string"
    if parameter["ParameterName"] == "rename-commands":
        return value == ""  # by default nothing is renamed
    return allowed is None or value in allowed.split(",")


# --- the families' tables ------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_s_table_is_well_formed(elasticache, family):
    parameters, _ = engine_defaults(elasticache.client(), family)
    names = [p["ParameterName"] for p in parameters]
    assert len(names) == len(set(names)) and len(names) >= 60
    assert names == sorted(names, key=lambda n: n.replace("-", "")), "AWS lists parameters by name, hyphens ignored"
    for p in parameters:
        assert p["Source"] == "system" and p["Description"] and p["MinimumEngineVersion"]
        assert p["ChangeType"] in ("immediate", "requires-reboot"), p
        assert p["DataType"] in ("string", "integer"), p
        assert isinstance(p["IsModifiable"], bool)
        if p["ParameterName"] == "notify-keyspace-events":  # AWS reports neither a value nor AllowedValues
            assert "ParameterValue" not in p and "AllowedValues" not in p
            continue
        assert p["AllowedValues"], p
        assert satisfies(p, p["ParameterValue"]), p
    missing = [name for name in COMMON if name not in names]
    assert not missing
    table = by_name(parameters)
    assert table["maxmemory-policy"]["AllowedValues"] == (
        "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction"
    )
    assert table["timeout"]["AllowedValues"] == "0,20-" and table["reserved-memory-percent"]["AllowedValues"] == "0-100"
    assert table["databases"]["ChangeType"] == table["cluster-enabled"]["ChangeType"] == "requires-reboot"
    assert table["maxmemory-policy"]["IsModifiable"] and not table["appendonly"]["IsModifiable"]
    # Conditionally modifiable (only in a custom group no cluster uses): not modifiable in the defaults.
    assert not table["cluster-enabled"]["IsModifiable"] and not table["databases"]["IsModifiable"]


def test_the_families_differ_where_aws_says_they_do(elasticache):
    ec = elasticache.client()
    redis6, redis7, valkey7, valkey8 = (by_name(engine_defaults(ec, f)[0]) for f in FAMILIES)
    assert (len(redis6), len(redis7), len(valkey7), len(valkey8)) == (62, 64, 64, 67)
    # Redis OSS 6.x: added parameters (acl-pubsub-default only from 6.2), lua-replicate-commands removed.
    assert redis6["acl-pubsub-default"]["MinimumEngineVersion"] == "6.2.0"
    assert redis6["acl-pubsub-default"]["AllowedValues"] == "resetchannels,allchannels"
    assert redis6["tracking-table-max-keys"]["AllowedValues"] == "1-100000000"
    assert "lua-replicate-commands" not in redis6 and redis6["timeout"]["MinimumEngineVersion"] == "6.0.0"
    # Redis OSS 7: listpack encodings replace ziplist ones; new cluster parameters.
    assert "hash-max-ziplist-entries" in redis6 and "hash-max-ziplist-entries" not in redis7
    assert "hash-max-listpack-entries" in redis7 and "hash-max-listpack-entries" not in redis6
    assert "list-max-ziplist-size" not in redis7
    assert redis7["cluster-preferred-endpoint-type"]["ParameterValue"] == "tls-dynamic"
    assert redis7["cluster-preferred-endpoint-type"]["AllowedValues"] == "ip,tls-dynamic"
    # Valkey 7.2's parameters are Redis OSS 7's.
    strip = lambda table: {n: {k: v for k, v in p.items() if k != "MinimumEngineVersion"} for n, p in table.items()}
    assert strip(valkey7) == strip(redis7) and valkey7["timeout"]["MinimumEngineVersion"] == "7.2.0"
    # Valkey 8: lazyfree parameters gone, a compatibility switch added, new defaults and ranges.
    assert "lazyfree-lazy-eviction" in valkey7 and "lazyfree-lazy-eviction" not in valkey8
    assert "replica-lazy-flush" not in valkey8 and "lazyfree-lazy-user-del" not in valkey8
    assert valkey8["extended-redis-compatibility"]["ParameterValue"] == "yes"
    assert (valkey7["repl-backlog-size"]["ParameterValue"], valkey8["repl-backlog-size"]["ParameterValue"]) == (
        "1048576",
        "10485760",
    )
    assert (valkey7["maxmemory-samples"]["AllowedValues"], valkey8["maxmemory-samples"]["AllowedValues"]) == (
        "1-",
        "1-64",
    )
    assert valkey8["commandlog-large-reply-max-len"]["MinimumEngineVersion"] == "8.1.0"


def test_engine_defaults_page_and_refuse_unknown_families(elasticache):
    ec = elasticache.client()
    whole, pages = engine_defaults(ec, "valkey8")
    paged, many = engine_defaults(ec, "valkey8", page=20)
    assert pages == 1 and many == 4 and paged == whole
    assert error_of(lambda: ec.describe_engine_default_parameters(CacheParameterGroupFamily="redis9"))[0] == (
        "InvalidParameterValue"
    )
    for bad in ({"MaxRecords": 19}, {"MaxRecords": 101}, {"Marker": "not-a-marker"}):
        code = error_of(
            lambda bad=bad: ec.describe_engine_default_parameters(CacheParameterGroupFamily="redis7", **bad)
        )
        assert code[0] == "InvalidParameterValue"


# --- default groups ------------------------------------------------------------------------------------


def test_aws_s_default_groups_are_there_and_cannot_be_changed(elasticache):
    ec = elasticache.client()
    listed = {g["CacheParameterGroupName"]: g for g in ec.describe_cache_parameter_groups()["CacheParameterGroups"]}
    for family in FAMILIES:
        plain, cluster_on = listed[f"default.{family}"], listed[f"default.{family}.cluster.on"]
        assert plain["CacheParameterGroupFamily"] == cluster_on["CacheParameterGroupFamily"] == family
        assert plain["Description"] == f"Default parameter group for {family}"
        assert plain["ARN"].endswith(f":parametergroup:default.{family}") and plain["IsGlobal"] is False
        assert by_name(parameters_of(ec, f"default.{family}"))["cluster-enabled"]["ParameterValue"] == "no"
        assert by_name(parameters_of(ec, f"default.{family}.cluster.on"))["cluster-enabled"]["ParameterValue"] == "yes"
    code, message, _ = error_of(lambda: modify(ec, "default.redis7", timeout="60"))
    assert code == "InvalidParameterValue" and "default" in message
    assert error_of(
        lambda: ec.reset_cache_parameter_group(CacheParameterGroupName="default.redis7", ResetAllParameters=True)
    )[0] == ("InvalidParameterValue")
    assert error_of(lambda: ec.delete_cache_parameter_group(CacheParameterGroupName="default.valkey8"))[0] == (
        "InvalidCacheParameterGroupState"
    )
    assert by_name(parameters_of(ec, "default.redis7"))["timeout"]["ParameterValue"] == "0"


# --- create -----------------------------------------------------------------------------------------------


def test_a_new_group_is_a_copy_of_its_family_s_defaults(elasticache):
    ec = elasticache.client()
    name = group_name()
    group = create(ec, "valkey8", name.upper(), Tags=[{"Key": "team", "Value": "cache"}])
    assert group["CacheParameterGroupName"] == name and group["CacheParameterGroupFamily"] == "valkey8"
    assert group["ARN"] == f"arn:aws:elasticache:us-east-1:123456789012:parametergroup:{name}"
    assert group["Description"] == "test" and group["IsGlobal"] is False
    [described] = ec.describe_cache_parameter_groups(CacheParameterGroupName=name.upper())["CacheParameterGroups"]
    assert described == group
    defaults = by_name(engine_defaults(ec, "valkey8")[0])
    parameters = by_name(parameters_of(ec, name))
    assert {n: p.get("ParameterValue") for n, p in parameters.items()} == {
        n: p.get("ParameterValue") for n, p in defaults.items()
    }
    # In a custom group, what one may set is Source user and modifiable; what one may not, system.
    assert parameters["maxmemory-policy"]["Source"] == "user" and parameters["maxmemory-policy"]["IsModifiable"]
    assert parameters["cluster-enabled"]["Source"] == "user" and parameters["cluster-enabled"]["IsModifiable"]
    assert parameters["appendonly"]["Source"] == "system" and not parameters["appendonly"]["IsModifiable"]
    assert ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"] == [{"Key": "team", "Value": "cache"}]
    ec.add_tags_to_resource(ResourceName=group["ARN"], Tags=[{"Key": "env", "Value": "test"}])
    ec.remove_tags_from_resource(ResourceName=group["ARN"], TagKeys=["team"])
    assert ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"] == [{"Key": "env", "Value": "test"}]
    code, message, status = error_of(lambda: create(ec, "redis7", name))
    assert code == "CacheParameterGroupAlreadyExists" and status == 400


@pytest.mark.parametrize(
    "name", ["1starts-with-digit", "two--hyphens", "ends-with-", "under_score", "dot.ted", "a" * 256]
)
def test_names_follow_aws_s_rules(elasticache, name):
    assert error_of(lambda: create(elasticache.client(), name=name))[0] == "InvalidParameterValue"


def test_the_longest_and_shortest_names_are_accepted(elasticache):
    ec = elasticache.client()
    longest = "z" + uuid.uuid4().hex + "-" + "x" * 221
    assert len(longest) == 255
    for name in (longest, "q"):
        assert create(ec, name=name)["CacheParameterGroupName"] == name
        ec.delete_cache_parameter_group(CacheParameterGroupName=name)


def test_a_family_the_stand_in_does_not_know_is_refused(elasticache):
    assert error_of(lambda: create(elasticache.client(), family="redis5.1"))[0] == "InvalidParameterValue"


def test_at_most_150_groups_of_one_s_own_per_region(elasticache):
    ec = elasticache.client()
    groups = ec.get_paginator("describe_cache_parameter_groups").paginate().build_full_result()["CacheParameterGroups"]
    own = [g for g in groups if not g["CacheParameterGroupName"].startswith("default.")]
    created = [create(ec, "redis6.x")["CacheParameterGroupName"] for _ in range(150 - len(own))]
    try:
        code, _, status = error_of(lambda: create(ec, "redis6.x"))
        assert code == "CacheParameterGroupQuotaExceeded" and status == 400
    finally:
        for name in created:
            ec.delete_cache_parameter_group(CacheParameterGroupName=name)
    create(ec, "redis6.x")  # room again


def test_groups_list_in_pages(elasticache):
    ec = elasticache.client()
    prefix = f"pg-page-{uuid.uuid4().hex[:6]}"
    for n in range(25):
        create(ec, name=f"{prefix}-{n:02}")
    names, marker, pages = [], None, 0
    while True:
        answer = ec.describe_cache_parameter_groups(MaxRecords=20, **({"Marker": marker} if marker else {}))
        assert len(answer["CacheParameterGroups"]) <= 20
        names += [g["CacheParameterGroupName"] for g in answer["CacheParameterGroups"]]
        pages += 1
        marker = answer.get("Marker")
        if not marker:
            break
    assert pages >= 2 and len(names) == len(set(names)) and names == sorted(names)
    assert [n for n in names if n.startswith(prefix)] == [f"{prefix}-{n:02}" for n in range(25)]


# --- modify and reset ------------------------------------------------------------------------------------


def test_modify_sets_values_that_describe_then_shows(elasticache):
    ec = elasticache.client()
    name = create(ec, "redis7")["CacheParameterGroupName"]
    answer = modify(
        ec,
        name,
        maxmemory_policy="allkeys-lru",
        notify_keyspace_events="KEx",
        timeout="300",
        slowlog_log_slower_than="-1",
        cluster_enabled="yes",
    )
    assert answer["CacheParameterGroupName"] == name
    parameters = by_name(parameters_of(ec, name))
    assert parameters["maxmemory-policy"]["ParameterValue"] == "allkeys-lru"
    assert parameters["notify-keyspace-events"]["ParameterValue"] == "KEx"
    assert parameters["timeout"]["ParameterValue"] == "300"
    assert parameters["slowlog-log-slower-than"]["ParameterValue"] == "-1"
    assert parameters["cluster-enabled"]["ParameterValue"] == "yes"
    assert parameters["tcp-keepalive"]["ParameterValue"] == "300"  # untouched


def test_at_most_20_parameters_per_call(elasticache):
    ec = elasticache.client()
    name = create(ec, "redis7")["CacheParameterGroupName"]
    modifiable = [
        p["ParameterName"]
        for p in parameters_of(ec, name)
        if p["IsModifiable"] and p["DataType"] == "integer" and satisfies(p, "7") and p["ParameterValue"] != "7"
    ]
    assert len(modifiable) >= 21
    pairs = [{"ParameterName": n, "ParameterValue": "7"} for n in modifiable]
    ec.modify_cache_parameter_group(CacheParameterGroupName=name, ParameterNameValues=pairs[:20])
    code, message, _ = error_of(
        lambda: ec.modify_cache_parameter_group(CacheParameterGroupName=name, ParameterNameValues=pairs[:21])
    )
    assert code == "InvalidParameterCombination"
    assert message == "Cannot modify more than 20 parameters in a single request"
    values = by_name(parameters_of(ec, name))
    assert [values[n]["ParameterValue"] for n in modifiable[:20]] == ["7"] * 20
    assert values[modifiable[20]]["ParameterValue"] != "7"


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("maxmemory-policy", "lru"),  # not in the enumeration
        ("activedefrag", "true"),  # yes/no only
        ("timeout", "5"),  # 1-19 are invalid
        ("timeout", "ten"),  # not an integer
        ("reserved-memory-percent", "101"),
        ("active-defrag-cycle-max", "0"),
        ("active-defrag-ignore-bytes", "1048576"),  # the guide's range starts at 10485760
        ("databases", "0"),
        ("notify-keyspace-events", "KEq"),  # only K E g $ l s h z x e A
        ("rename-commands", "NOSUCHCOMMAND blocked"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(elasticache, parameter, value):
    ec = elasticache.client()
    name = create(ec, "redis6.x")["CacheParameterGroupName"]
    pairs = [
        {"ParameterName": "maxmemory-samples", "ParameterValue": "10"},
        {"ParameterName": parameter, "ParameterValue": value},
    ]
    code, message, _ = error_of(
        lambda: ec.modify_cache_parameter_group(CacheParameterGroupName=name, ParameterNameValues=pairs)
    )
    assert code == "InvalidParameterValue" and parameter in message
    assert by_name(parameters_of(ec, name))["maxmemory-samples"]["ParameterValue"] == "3"  # all or nothing


def test_unknown_and_unmodifiable_parameters_are_refused(elasticache):
    ec = elasticache.client()
    redis6, redis7 = create(ec, "redis6.x")["CacheParameterGroupName"], create(ec, "redis7")["CacheParameterGroupName"]
    code, message, _ = error_of(lambda: modify(ec, redis7, hash_max_ziplist_entries="256"))  # gone in redis7
    assert code == "InvalidParameterValue" and "hash-max-ziplist-entries" in message
    for parameter in ("appendonly", "lua-time-limit", "maxclients", "replica-allow-chaining"):
        pair = [{"ParameterName": parameter, "ParameterValue": "yes" if parameter != "lua-time-limit" else "5000"}]
        code, message, _ = error_of(
            lambda pair=pair: ec.modify_cache_parameter_group(CacheParameterGroupName=redis7, ParameterNameValues=pair)
        )
        assert (code, message) == ("InvalidParameterValue", f"The parameter {parameter} cannot be modified.")
    # activerehashing: conditionally modifiable up to redis6.x, hidden in Redis OSS 7.
    modify(ec, redis6, activerehashing="no")
    assert error_of(lambda: modify(ec, redis7, activerehashing="no"))[0] == "InvalidParameterValue"
    assert not by_name(parameters_of(ec, redis7))["activerehashing"]["IsModifiable"]
    code, _, status = error_of(lambda: modify(ec, "no-such-group", timeout="60"))
    assert (code, status) == ("CacheParameterGroupNotFound", 404)
    empty = error_of(lambda: ec.modify_cache_parameter_group(CacheParameterGroupName=redis7, ParameterNameValues=[]))
    assert empty[0] == "InvalidParameterValue"


def test_reset_puts_named_parameters_or_all_back_to_the_family_defaults(elasticache):
    ec = elasticache.client()
    name = create(ec, "valkey8")["CacheParameterGroupName"]
    modify(ec, name, timeout="60", maxmemory_policy="noeviction", tcp_keepalive="60", repl_backlog_size="16384")
    answer = ec.reset_cache_parameter_group(
        CacheParameterGroupName=name, ParameterNameValues=[{"ParameterName": "timeout"}]
    )
    assert answer["CacheParameterGroupName"] == name
    values = {n: p.get("ParameterValue") for n, p in by_name(parameters_of(ec, name)).items()}
    assert (values["timeout"], values["maxmemory-policy"], values["tcp-keepalive"]) == ("0", "noeviction", "60")
    ec.reset_cache_parameter_group(CacheParameterGroupName=name, ResetAllParameters=True)
    values = {n: p.get("ParameterValue") for n, p in by_name(parameters_of(ec, name)).items()}
    defaults = {n: p.get("ParameterValue") for n, p in by_name(engine_defaults(ec, "valkey8")[0]).items()}
    assert values == defaults and values["repl-backlog-size"] == "10485760"
    both = error_of(
        lambda: ec.reset_cache_parameter_group(
            CacheParameterGroupName=name, ResetAllParameters=True, ParameterNameValues=[{"ParameterName": "timeout"}]
        )
    )
    assert both[0] == "InvalidParameterCombination"
    assert error_of(lambda: ec.reset_cache_parameter_group(CacheParameterGroupName=name))[0] == (
        "InvalidParameterCombination"
    )
    unknown = error_of(
        lambda: ec.reset_cache_parameter_group(
            CacheParameterGroupName=name, ParameterNameValues=[{"ParameterName": "x"}]
        )
    )
    assert unknown[0] == "InvalidParameterValue"


# --- describe parameters -----------------------------------------------------------------------------------


def test_describe_parameters_filters_by_source_and_pages(elasticache):
    ec = elasticache.client()
    name = create(ec, "redis7")["CacheParameterGroupName"]
    everything = parameters_of(ec, name)
    assert parameters_of(ec, name, page=20) == everything and len(everything) == 64
    user = parameters_of(ec, name, Source="user")
    system = parameters_of(ec, name, Source="system")
    assert {p["Source"] for p in user} == {"user"} and {p["Source"] for p in system} == {"system"}
    assert len(user) + len(system) == len(everything) and "appendonly" in by_name(system)
    assert parameters_of(ec, name, Source="engine-default") == []  # ElastiCache reports only user and system
    code = error_of(lambda: ec.describe_cache_parameters(CacheParameterGroupName=name, Source="users"))[0]
    assert code == "InvalidParameterValue"
    code, _, status = error_of(lambda: ec.describe_cache_parameters(CacheParameterGroupName="nope"))
    assert (code, status) == ("CacheParameterGroupNotFound", 404)


# --- delete, and groups in use ---------------------------------------------------------------------------------


def test_delete_removes_the_group_and_its_tags(elasticache):
    ec = elasticache.client()
    group = create(ec, "redis7", Tags=[{"Key": "k", "Value": "v"}])
    name = group["CacheParameterGroupName"]
    ec.delete_cache_parameter_group(CacheParameterGroupName=name)
    code, message, status = error_of(lambda: ec.describe_cache_parameter_groups(CacheParameterGroupName=name))
    assert (code, message, status) == ("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.", 404)
    assert error_of(lambda: ec.list_tags_for_resource(ResourceName=group["ARN"]))[0] == "CacheParameterGroupNotFound"
    tag = [{"Key": "k", "Value": "v"}]
    assert error_of(lambda: ec.add_tags_to_resource(ResourceName=group["ARN"], Tags=tag))[0] == (
        "CacheParameterGroupNotFound"
    )
    assert error_of(lambda: ec.delete_cache_parameter_group(CacheParameterGroupName=name))[0] == (
        "CacheParameterGroupNotFound"
    )
    create(ec, "redis7", name)  # the name is free again
    assert ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"] == []


def _wait_gone(ec, gid, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ec.describe_replication_groups(ReplicationGroupId=gid)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ReplicationGroupNotFoundFault":
                return
            raise
        time.sleep(0.1)
    raise AssertionError(f"{gid} was never deleted")


def _wait_available(ec, gid, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]["Status"] == "available":
            return
        time.sleep(0.1)
    raise AssertionError(f"{gid} never became available")


def test_a_group_in_use_cannot_be_deleted_nor_its_conditional_parameters_changed(elasticache):
    ec = elasticache.client()
    name = create(ec, "redis7")["CacheParameterGroupName"]
    modify(ec, name, databases="32")  # nothing uses the group yet
    gid = f"t-{uuid.uuid4().hex[:10]}"
    ec.create_replication_group(
        ReplicationGroupId=gid,
        ReplicationGroupDescription="uses a custom parameter group",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=1,
        CacheParameterGroupName=name,
    )
    code, message, _ = error_of(lambda: ec.delete_cache_parameter_group(CacheParameterGroupName=name))
    assert code == "InvalidCacheParameterGroupState" and name in message
    assert error_of(lambda: modify(ec, name, cluster_enabled="yes"))[:2] == (
        "InvalidParameterValue",
        "The parameter cluster-enabled cannot be modified.",
    )
    parameters = by_name(parameters_of(ec, name))
    assert not parameters["cluster-enabled"]["IsModifiable"] and parameters["cluster-enabled"]["Source"] == "user"
    modify(ec, name, maxmemory_policy="allkeys-lfu")  # what changes at once still may
    ec.reset_cache_parameter_group(CacheParameterGroupName=name, ResetAllParameters=True)
    after = by_name(parameters_of(ec, name))
    assert after["databases"]["ParameterValue"] == "32"  # kept: it cannot change while the group is in use
    assert after["maxmemory-policy"]["ParameterValue"] == "volatile-lru"
    _wait_available(ec, gid)
    ec.delete_replication_group(ReplicationGroupId=gid)
    _wait_gone(ec, gid)
    ec.delete_cache_parameter_group(CacheParameterGroupName=name)


# --- faults and the contract ------------------------------------------------------------------------------------


def test_faults_apply_to_the_parameter_group_actions(elasticache):
    ec = elasticache.client()
    before = elasticache.calls("CreateCacheParameterGroup")
    elasticache.inject(operation="CreateCacheParameterGroup", code="Throttling", status=400, count=1)
    try:
        assert error_of(lambda: create(ec, "redis7"))[0] == "Throttling"
        create(ec, "redis7")
    finally:
        elasticache.clear_faults()
    assert elasticache.calls("CreateCacheParameterGroup") == before + 2


def test_the_error_codes_are_botocore_s():
    import botocore.session

    model = botocore.session.get_session().get_service_model("elasticache")

    def codes(operation):
        return {s.metadata.get("error", {}).get("code", s.name) for s in model.operation_model(operation).error_shapes}

    assert {"CacheParameterGroupAlreadyExists", "CacheParameterGroupQuotaExceeded", "InvalidParameterValue"} <= codes(
        "CreateCacheParameterGroup"
    )
    assert {"CacheParameterGroupNotFound", "InvalidParameterValue", "InvalidParameterCombination"} <= codes(
        "ModifyCacheParameterGroup"
    )
    assert {"CacheParameterGroupNotFound", "InvalidParameterCombination"} <= codes("ResetCacheParameterGroup")
    assert {"CacheParameterGroupNotFound", "InvalidCacheParameterGroupState"} <= codes("DeleteCacheParameterGroup")
    assert {"CacheParameterGroupNotFound", "InvalidParameterValue"} <= codes("DescribeCacheParameters")
    assert "CacheParameterGroupNotFound" in codes("ListTagsForResource") & codes("AddTagsToResource")


# --- groups in use: attached at create and modify, followed by the member clusters ---------------------------


def replication_group(ec, **extra):
    """A replication group created with these settings (None drops one), its id."""
    gid = f"t-{uuid.uuid4().hex[:10]}"
    request = dict(
        ReplicationGroupId=gid,
        ReplicationGroupDescription="parameter groups",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
    )
    request.update(extra)
    ec.create_replication_group(**{k: v for k, v in request.items() if v is not None})
    return gid


def status_of(ec, member):
    """The CacheParameterGroup a member cluster reports, and its node's ParameterGroupStatus."""
    cluster = ec.describe_cache_clusters(CacheClusterId=member, ShowCacheNodeInfo=True)["CacheClusters"][0]
    return cluster["CacheParameterGroup"], cluster["CacheNodes"][0]["ParameterGroupStatus"]


def in_sync(name):
    return {"CacheParameterGroupName": name, "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": []}


def pending_reboot(name):
    return {"CacheParameterGroupName": name, "ParameterApplyStatus": "pending-reboot", "CacheNodeIdsToReboot": ["0001"]}


def test_create_takes_a_group_of_the_engine_s_family_and_cluster_mode(elasticache):
    ec = elasticache.client()
    plain, sharding, older = (
        create(ec, family)["CacheParameterGroupName"] for family in ("redis7", "redis7", "redis6.x")
    )
    modify(ec, sharding, cluster_enabled="yes")
    assert error_of(lambda: replication_group(ec, CacheParameterGroupName="pg-none"))[:2] == (
        "CacheParameterGroupNotFound",
        "CacheParameterGroup pg-none not found.",
    )
    assert error_of(lambda: replication_group(ec, CacheParameterGroupName=older))[:2] == (
        "InvalidParameterCombination",
        "Expected a parameter group of family redis7 but found one of family redis6.x",
    )
    assert error_of(lambda: replication_group(ec, Engine="valkey", EngineVersion="8.0", CacheParameterGroupName=plain))[
        :2
    ] == ("InvalidParameterCombination", "Expected a parameter group of family valkey8 but found one of family redis7")
    sharded = {"NumCacheClusters": None, "NumNodeGroups": 2, "ReplicasPerNodeGroup": 1}
    assert error_of(lambda: replication_group(ec, CacheParameterGroupName=plain, **sharded))[:2] == (
        "InvalidParameterCombination",
        "Cluster mode should be enabled in parameter group, but found it is disabled.",
    )
    assert error_of(lambda: replication_group(ec, ClusterMode="disabled", CacheParameterGroupName=sharding))[:2] == (
        "InvalidParameterCombination",
        "Cluster mode should be disabled in parameter group, but found it is enabled.",
    )
    # With no name, the family's default group: the cluster mode one when sharded.
    defaults = {
        replication_group(ec): "default.redis7",
        replication_group(ec, EngineVersion="6.2"): "default.redis6.x",
        replication_group(ec, Engine="valkey", EngineVersion="8.0"): "default.valkey8",
        replication_group(ec, **sharded): "default.redis7.cluster.on",
    }
    for gid, name in defaults.items():
        member = ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]["MemberClusters"][0]
        assert status_of(ec, member) == (in_sync(name), "in-sync")
    # A group of one's own with cluster-enabled yes makes the replication group cluster mode enabled.
    gid = replication_group(ec, NumCacheClusters=None, ReplicasPerNodeGroup=1, CacheParameterGroupName=sharding)
    group = ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]
    assert group["ClusterEnabled"] is True and group["ClusterMode"] == "enabled"
    assert status_of(ec, group["MemberClusters"][0])[0] == in_sync(sharding)


def test_members_report_pending_reboot_until_their_node_is_rebooted(elasticache):
    ec = elasticache.client()
    name = create(ec, "redis7")["CacheParameterGroupName"]
    gid = replication_group(ec, CacheParameterGroupName=name)
    first, second = f"{gid}-001", f"{gid}-002"
    _wait_available(ec, gid)
    assert status_of(ec, first) == status_of(ec, second) == (in_sync(name), "in-sync")
    modify(ec, name, maxmemory_policy="allkeys-lru")  # immediate: nothing waits
    assert status_of(ec, first) == (in_sync(name), "in-sync")
    modify(ec, name, acl_pubsub_default="resetchannels")  # requires-reboot
    assert status_of(ec, first) == status_of(ec, second) == (pending_reboot(name), "pending-reboot")
    answer = ec.reboot_cache_cluster(CacheClusterId=first, CacheNodeIdsToReboot=["0001"])["CacheCluster"]
    assert answer["CacheClusterStatus"] == "rebooting cache cluster nodes"
    assert ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]["Status"] == "modifying"
    _wait_available(ec, gid)
    assert status_of(ec, first) == (in_sync(name), "in-sync")
    assert status_of(ec, second) == (pending_reboot(name), "pending-reboot")
    # Back to the value the second node still runs with: now the first one waits for a reboot.
    modify(ec, name, acl_pubsub_default="allchannels")
    assert status_of(ec, first) == (pending_reboot(name), "pending-reboot")
    assert status_of(ec, second) == (in_sync(name), "in-sync")


def test_modify_replication_group_switches_its_members_once_modified(elasticache):
    ec = elasticache.client()
    old, new = create(ec, "redis7")["CacheParameterGroupName"], create(ec, "redis7")["CacheParameterGroupName"]
    gid = replication_group(ec, CacheParameterGroupName=old)
    _wait_available(ec, gid)
    request = {"ReplicationGroupId": gid, "ApplyImmediately": True}
    assert error_of(lambda: ec.modify_replication_group(CacheParameterGroupName="pg-none", **request))[0] == (
        "CacheParameterGroupNotFound"
    )
    older = create(ec, "redis6.x")["CacheParameterGroupName"]
    assert error_of(lambda: ec.modify_replication_group(CacheParameterGroupName=older, **request))[:2] == (
        "InvalidParameterCombination",
        "Expected a parameter group of family redis7 but found one of family redis6.x",
    )
    code, message, _ = error_of(
        lambda: ec.modify_replication_group(CacheParameterGroupName="default.redis7.cluster.on", **request)
    )
    assert code == "InvalidParameterCombination" and "cluster-enabled" in message
    group = ec.modify_replication_group(CacheParameterGroupName=new, **request)["ReplicationGroup"]
    assert group["Status"] == "modifying"
    assert status_of(ec, f"{gid}-001")[0]["CacheParameterGroupName"] == old  # not before the change is done
    _wait_available(ec, gid)
    assert status_of(ec, f"{gid}-001") == status_of(ec, f"{gid}-002") == (in_sync(new), "in-sync")
    ec.delete_cache_parameter_group(CacheParameterGroupName=old)  # no longer in use
    assert error_of(lambda: ec.delete_cache_parameter_group(CacheParameterGroupName=new))[0] == (
        "InvalidCacheParameterGroupState"
    )
    assert error_of(lambda: ec.modify_replication_group(CacheParameterGroupName=new, **request))[:2] == (
        "InvalidParameterCombination",
        "No modifications were requested.",
    )


def test_an_upgrade_across_families_names_a_group_of_the_new_family(elasticache):
    ec = elasticache.client()
    six = create(ec, "redis6.x")["CacheParameterGroupName"]
    gid = replication_group(ec, EngineVersion="6.2", CacheParameterGroupName=six)
    _wait_available(ec, gid)
    request = {"ReplicationGroupId": gid, "EngineVersion": "7.1", "ApplyImmediately": True}
    assert error_of(lambda: ec.modify_replication_group(**request))[:2] == (
        "InvalidParameterCombination",
        "Expected a parameter group of family redis7 but found one of family redis6.x",
    )
    seven = create(ec, "redis7")["CacheParameterGroupName"]
    ec.modify_replication_group(CacheParameterGroupName=seven, **request)
    _wait_available(ec, gid)
    cluster = ec.describe_cache_clusters(CacheClusterId=f"{gid}-001")["CacheClusters"][0]
    assert cluster["EngineVersion"] == "7.1.0" and cluster["CacheParameterGroup"] == in_sync(seven)
    # A group on AWS's default group moves to the new family's default by itself.
    plain = replication_group(ec, EngineVersion="6.2")
    _wait_available(ec, plain)
    ec.modify_replication_group(ReplicationGroupId=plain, EngineVersion="7.1", ApplyImmediately=True)
    _wait_available(ec, plain)
    assert status_of(ec, f"{plain}-002")[0] == in_sync("default.redis7")


def test_reboot_is_refused_where_aws_refuses_it(elasticache):
    ec = elasticache.client()
    sharded = replication_group(ec, NumCacheClusters=None, NumNodeGroups=2, ReplicasPerNodeGroup=1)
    plain = replication_group(ec)
    _wait_available(ec, sharded)
    code, message, _ = error_of(
        lambda: ec.reboot_cache_cluster(CacheClusterId=f"{sharded}-0001-001", CacheNodeIdsToReboot=["0001"])
    )
    assert (code, message) == (
        "InvalidParameterCombination",
        "Rebooting is not supported on Valkey or Redis OSS (cluster mode enabled) clusters.",
    )
    assert error_of(lambda: ec.reboot_cache_cluster(CacheClusterId="no-such-cluster", CacheNodeIdsToReboot=["0001"]))[
        0
    ] == ("CacheClusterNotFound")
    _wait_available(ec, plain)
    assert error_of(lambda: ec.reboot_cache_cluster(CacheClusterId=f"{plain}-001", CacheNodeIdsToReboot=["0002"]))[
        0
    ] == ("InvalidParameterValue")
    ec.modify_replication_group(ReplicationGroupId=plain, SnapshotRetentionLimit=3, ApplyImmediately=True)
    assert error_of(lambda: ec.reboot_cache_cluster(CacheClusterId=f"{plain}-001", CacheNodeIdsToReboot=["0001"]))[
        0
    ] == ("InvalidCacheClusterState")
