"""Engine settings proved on the servers, through the connection Secret: spec.parameters are what
CONFIG GET answers on every node (and a change reaches them without a reboot), Redis OSS moves to
Valkey in place under a writing client with no failed command and no key lost, and cluster mode goes on
in place with every key kept, spread over the new shards, and read by a cluster client from the new
Secret."""

import pytest
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from ..support.stack import eventually, group_id_of
from .test_backups import cluster_client
from .test_data_plane import client, ready_secret
from .test_day2_data_plane import Traffic

pytestmark = pytest.mark.e2e

SETTLE = 300  # generous: a busy 2-core machine, three test workers beside this one


def strict(data, ca_file, host_key="host"):
    """A client that retries nothing (redis-py 6+ retries a dropped connection on its own by default),
    so a server that restarts or drops it fails the command in hand, and the test sees it."""
    app = client(data, ca_file, host_key)
    app.set_retry(Retry(NoBackoff(), 0))
    return app


def config(app, name):
    """The value in force on the server the client reaches (CONFIG is neither renamed nor blocked in
    the stand-in's data plane: rename-commands is kept in the parameter group only)."""
    return app.config_get(name)[name]


@pytest.mark.timeout(600)
def test_parameters_are_in_force_on_every_node_and_a_change_needs_no_reboot(cluster, namespace, ca_file):
    parameters = {"maxmemory-policy": "allkeys-lru", "notify-keyspace-events": "Ex"}
    data = ready_secret(cluster, namespace, "tuned", numReplicaNodes=1, parameters=parameters)
    primary, replica = strict(data, ca_file), strict(data, ca_file, "readerHost")
    assert primary.info("replication")["role"] == "master" and replica.info("replication")["role"] == "slave"
    for node in (primary, replica):
        assert config(node, "maxmemory-policy") == "allkeys-lru"
        assert set(config(node, "notify-keyspace-events")) == set("Ex")  # redis-server writes it "xE"

    # Ex: keyevent notifications of expired keys, as an app relying on them would see them.
    events = primary.pubsub()
    events.subscribe("__keyevent@0__:expired")
    eventually(lambda: (events.get_message(timeout=1) or {}).get("type") == "subscribe", 30, message="subscribed")
    primary.set("cart:42", "three socks", px=50)
    message = eventually(lambda: events.get_message(timeout=1), 30, message="an expired keyevent")
    assert message["channel"] == b"__keyevent@0__:expired" and message["data"] == b"cart:42"
    events.close()

    cluster.patch_spec(namespace, "tuned", {"parameters": {**parameters, "maxmemory-policy": "volatile-lfu"}})
    for node in (primary, replica):  # the same connections: no node restarted for an immediate parameter
        eventually(lambda node=node: config(node, "maxmemory-policy") == "volatile-lfu", SETTLE, message="CONFIG GET")
    obj = cluster.wait_settled(namespace, "tuned", generation=2, timeout=SETTLE)
    applied = eventually(
        lambda: (c := cluster.condition(namespace, "tuned", "ParametersApplied")).get("status") == "True" and c,
        SETTLE,
        message="ParametersApplied",
    )
    assert applied["reason"] == "InEffect" and not obj["status"].get("parametersPendingReboot")
    assert set(config(primary, "notify-keyspace-events")) == set("Ex")  # the others untouched
    assert cluster.secret_data(namespace, "tuned-redis") == data


@pytest.mark.timeout(600)
def test_redis_moves_to_valkey_in_place_and_a_writing_app_sees_no_failure(cluster, namespace, ca_file):
    # Redis OSS 6.2 (the default) → Valkey 8.0: another family, so the parameter group moves too.
    data = ready_secret(cluster, namespace, "moving", parameters={"maxmemory-policy": "allkeys-lfu"})
    before = cluster.get(namespace, "moving")
    assert before["status"]["engineVersion"].startswith("6.2")
    app = client(data, ca_file)
    keys = {f"profile:{n}": f"user-{n}" for n in range(200)}
    app.mset(keys)

    with Traffic(lambda: strict(data, ca_file)) as traffic:
        cluster.patch_spec(namespace, "moving", {"engine": "valkey", "engineVersion": "8.0"})
        obj = cluster.wait_settled(namespace, "moving", generation=2, timeout=SETTLE)
    # The stand-in models the move as AWS documents it from Redis OSS 5.0.6: no downtime, the servers
    # untouched (elasticache_api.py), so not one command of the app may fail.
    assert traffic.failures == [] and len(traffic.written) > 10
    assert obj["status"]["engineVersion"].startswith("8.0")
    valkey = [f"{group_id_of(before)}-valkey8"]
    eventually(lambda: cluster.get(namespace, "moving")["status"]["parameterGroups"] == valkey, 60, message="groups")

    assert cluster.secret_data(namespace, "moving-redis") == data  # host and password unchanged
    after = client(data, ca_file)  # a new connection with the same values
    assert {key: value.decode() for key, value in zip(keys, after.mget(list(keys)), strict=True)} == keys
    missing = [n for n in traffic.written if after.get(f"key:{n}") != str(n).encode()]
    assert missing == []
    assert config(after, "maxmemory-policy") == "allkeys-lfu"  # the values came along into the Valkey group


@pytest.mark.timeout(900)
def test_cluster_mode_goes_on_in_place_and_every_key_is_spread_over_the_shards(cluster, namespace, ca_file):
    data = ready_secret(
        cluster, namespace, "growing", engineVersion="7.1", numReplicaNodes=1, enableAutomaticFailover=True
    )
    assert data["sharding"] == "disabled"
    keys = {f"item:{n}": f"value-{n}" for n in range(200)}
    plain = client(data, ca_file)  # db 0, the only one cluster mode keeps
    plain.mset(keys)
    assert plain.dbsize() == 200

    cluster.patch_spec(namespace, "growing", {"enableSharding": True, "numShards": 2})
    obj = cluster.wait_settled(namespace, "growing", generation=2, timeout=SETTLE * 2)
    assert obj["status"]["shards"] == 2 and obj["status"]["sharding"] == "enabled"

    fresh = eventually(
        lambda: (d := cluster.secret_data(namespace, "growing-redis"))["sharding"] == "enabled" and d,
        60,
        message="the Secret says sharding: enabled",
    )
    assert fresh["host"] == obj["status"]["host"] and fresh["host"] != data["host"]  # the configuration endpoint
    assert fresh["readerHost"] == "" and fresh["password"] == data["password"] and fresh["port"] == data["port"]

    app = cluster_client(fresh, ca_file)
    assert {key: (app.get(key) or b"").decode() for key in keys} == keys

    slots = app.execute_command("CLUSTER SLOTS", target_nodes=RedisCluster.RANDOM)
    ranges = sorted(slots)  # redis-py: {(start, end): {"primary": (host, port), "replicas": [...]}}
    assert ranges[0][0] == 0 and ranges[-1][1] == 16383
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in zip(ranges, ranges[1:], strict=False))
    assert len({served["primary"] for served in slots.values()}) == 2
    primaries = [n for n in app.get_nodes() if n.server_type == "primary"]
    sizes = {p.name: app.dbsize(target_nodes=p) for p in primaries}
    assert len(sizes) == 2 and all(size > 0 for size in sizes.values()), sizes
    assert sum(sizes.values()) == 200, sizes  # each key on one shard only: none left behind on the old one


@pytest.mark.timeout(600)
def test_cluster_mode_refused_for_keys_outside_db_0_is_said_and_goes_on_once_they_move(cluster, namespace, ca_file):
    """Cluster mode keeps database 0 only: with a key elsewhere ElastiCache leaves the group disabled. The
    operator says so in Ready, asks again only once per retry interval (never a loop), and goes on once
    the key is in db 0."""
    data = ready_secret(
        cluster, namespace, "mixed", engineVersion="7.1", numReplicaNodes=1, enableAutomaticFailover=True
    )
    plain = client(data, ca_file)
    plain.set("in:zero", "kept")
    plain.execute_command("SELECT", 1)
    plain.set("in:one", "elsewhere")

    cluster.patch_spec(namespace, "mixed", {"enableSharding": True, "numShards": 1})
    refused = eventually(
        lambda: "did not turn cluster mode on" in (r := cluster.condition(namespace, "mixed")).get("message", "") and r,
        SETTLE,
        message="Ready says the conversion did not take",
    )
    assert refused["status"] == "False" and refused["reason"] == "AWSError"
    assert cluster.get(namespace, "mixed")["status"]["sharding"] == "disabled"

    plain.move("in:one", 0)  # the fix a user makes: every key in db 0
    obj = cluster.wait_settled(namespace, "mixed", generation=2, timeout=SETTLE)
    assert obj["status"]["sharding"] == "enabled"
    fresh = eventually(lambda: (d := cluster.secret_data(namespace, "mixed-redis"))["sharding"] == "enabled" and d, 60)
    app = cluster_client(fresh, ca_file)
    assert app.get("in:zero") == b"kept" and app.get("in:one") == b"elsewhere"
