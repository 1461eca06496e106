"""Backups you can restore and failover you can rehearse, proved with data: keys written through the
connection Secret are in the snapshot, come back in a cluster restored from it (also after the
cluster was deleted, and into another shard count), and survive a failover test."""

import pytest
import redis
from redis.cluster import RedisCluster

from ..support.stack import eventually
from .test_data_plane import client, ready_secret

pytestmark = pytest.mark.e2e

KEYS = {f"order:{n}": f"basket-{n}" for n in range(200)}


def cluster_client(data, ca_file):
    return RedisCluster(
        host=data["host"],
        port=int(data["port"]),
        username="default",
        password=data["password"],
        ssl=True,
        ssl_ca_certs=ca_file,
        socket_timeout=5,
    )


def connect(data, ca_file):
    return cluster_client(data, ca_file) if data["sharding"] == "enabled" else client(data, ca_file)


def write(data, ca_file):
    app = connect(data, ca_file)
    for key, value in KEYS.items():
        app.set(key, value)
    app.set("session:ttl", "short-lived", ex=3600)
    return app


def read_back(data, ca_file):
    app = connect(data, ca_file)
    assert {key: (app.get(key) or b"").decode() for key in KEYS} == KEYS
    assert 0 < app.ttl("session:ttl") <= 3600


def restored(cluster, namespace, name, ca_file, **spec):
    cluster.create(namespace, name, **spec)
    obj = cluster.wait_ready(namespace, name, timeout=240)
    return obj, cluster.secret_data(namespace, obj["status"]["connectionSecretName"])


def test_a_snapshot_taken_now_holds_the_keys_and_a_restore_brings_them_back(cluster, namespace, ca_file):
    data = ready_secret(cluster, namespace, "orders", numReplicaNodes=1, enableAutomaticFailover=True)
    write(data, ca_file)
    cluster.create_snapshot(namespace, "orders-now", redisClusterName="orders")
    snapshot = cluster.wait_snapshot(namespace, "orders-now", timeout=120)["status"]
    assert snapshot["sizeBytes"] > 0 and snapshot["source"]["cacheClusterId"]  # taken from a replica

    obj, copy = restored(cluster, namespace, "orders-copy", ca_file, restoreFrom={"redisSnapshotName": "orders-now"})
    assert copy["host"] != data["host"] and obj["status"]["restoredFrom"]["redisSnapshotName"] == "orders-now"
    read_back(copy, ca_file)


@pytest.mark.parametrize(("shards", "restored_shards"), [(1, 1), (2, 2), (2, 3)], ids=["flat", "sharded", "reshard"])
def test_a_deleted_cluster_comes_back_from_its_final_snapshot(cluster, namespace, ca_file, shards, restored_shards):
    sharded = {"enableSharding": True, "numShards": shards, "numReplicaNodes": 1} if shards > 1 else {}
    data = ready_secret(cluster, namespace, "sessions", deletionPolicy="Snapshot", engineVersion="7.1", **sharded)
    write(data, ca_file)

    cluster.delete(namespace, "sessions")
    final = cluster.wait_snapshot(namespace, "sessions-final", timeout=180)
    assert final["spec"]["deletionPolicy"] == "Retain" and final["status"]["sizeBytes"] > 0
    eventually(lambda: not cluster.exists(namespace, "sessions"), 120, message="the RedisCluster gone")

    spec = {"enableSharding": True, "numShards": restored_shards, "numReplicaNodes": 1} if shards > 1 else {}
    obj, back = restored(
        cluster,
        namespace,
        "sessions",
        ca_file,
        engineVersion="7.1",
        restoreFrom={"redisSnapshotName": "sessions-final"},
        **spec,
    )
    assert obj["status"]["shards"] == restored_shards
    read_back(back, ca_file)


def test_a_failover_rehearsal_moves_every_primary_and_the_secret_still_reaches_the_data(cluster, namespace, ca_file):
    data = ready_secret(cluster, namespace, "drill", numReplicaNodes=1, enableAutomaticFailover=True)
    write(data, ca_file)
    before = cluster.get(namespace, "drill")
    cluster.custom.patch_namespaced_custom_object(
        "redis.elasticache-operator.io",
        "v1alpha1",
        namespace,
        "redisclusters",
        "drill",
        {"metadata": {"annotations": {"redis.elasticache-operator.io/test-failover": "drill-1"}}},
    )
    test = eventually(
        lambda: (
            (t := (cluster.get(namespace, "drill")["status"].get("lastFailoverTest") or {})).get("result")
            == "Completed"
            and t
        ),
        120,
        message="the failover test completed",
    )
    [shard] = test["shards"]
    assert test["value"] == "drill-1" and shard["primaryAfter"] != shard["primaryBefore"]
    assert cluster.secret_data(namespace, "drill-redis") == data  # the endpoint follows the new primary
    app = eventually(lambda: _writable(data, ca_file), 30, message="writes through the primary endpoint")
    assert app.get("order:7") == b"basket-7"
    assert "FailoverTestCompleted" in cluster.wait_event(namespace, "drill", "FailoverTestCompleted")
    assert before["status"]["host"] == cluster.get(namespace, "drill")["status"]["host"]


def _writable(data, ca_file):
    try:
        app = client(data, ca_file)
        app.set("after-failover", "yes")
        return app
    except redis.RedisError:
        return None


def test_a_rehearsal_is_refused_in_words_without_a_replica(cluster, namespace):
    ready_secret(cluster, namespace, "single")
    cluster.custom.patch_namespaced_custom_object(
        "redis.elasticache-operator.io",
        "v1alpha1",
        namespace,
        "redisclusters",
        "single",
        {"metadata": {"annotations": {"redis.elasticache-operator.io/test-failover": "1"}}},
    )
    test = eventually(
        lambda: cluster.get(namespace, "single")["status"].get("lastFailoverTest"), 60, message="the test refused"
    )
    assert test["result"] == "Refused" and "enableAutomaticFailover: true" in test["message"]
    cluster.wait_event(namespace, "single", "FailoverTestRefused")
