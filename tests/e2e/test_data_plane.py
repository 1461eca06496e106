"""A user's app, given only the connection Secret, reaches a real Redis over TLS with the password."""

import socket
import time

import pytest
import redis
from redis.cluster import RedisCluster

from ..support.stack import TOKEN, eventually

pytestmark = pytest.mark.e2e


def client(data, ca_file, host_key="host", password=None):
    return redis.Redis(
        host=data[host_key],
        port=int(data["port"]),
        username="default",
        password=data["password"] if password is None else password,
        ssl=data["tls"] == "true",
        ssl_ca_certs=ca_file,
        socket_timeout=5,
    )


def ready_secret(cluster, namespace, name, **spec):
    cluster.password_secret(namespace)
    cluster.create(namespace, name, **spec)
    obj = cluster.wait_ready(namespace, name, timeout=180)
    return cluster.secret_data(namespace, obj["status"]["connectionSecretName"])


def test_single_node_serves_tls_with_the_password(cluster, namespace, ca_file):
    data = ready_secret(cluster, namespace, "sessions")
    now = str(time.time())
    app = redis.Redis.from_url(data["url"], ssl_ca_certs=ca_file, socket_timeout=5)  # the url alone is enough
    assert app.set("currentTime", now) and app.get("currentTime").decode() == now
    with pytest.raises(redis.AuthenticationError):
        client(data, ca_file, password="not-the-password-123").ping()
    with socket.create_connection((data["host"], int(data["port"])), timeout=5) as raw:
        raw.sendall(b"PING\r\n")  # plaintext: the server only speaks TLS, and hangs up
        try:
            reply = raw.recv(64)
        except ConnectionResetError:
            reply = b""
        assert not reply.startswith(b"+PONG")


def test_replicas_replicate_and_the_reader_endpoint_reads(cluster, namespace, ca_file):
    data = ready_secret(cluster, namespace, "catalog", numReplicaNodes=2, enableAutomaticFailover=True)
    assert data["readerHost"] and data["readerHost"] != data["host"]
    primary, reader = client(data, ca_file), client(data, ca_file, "readerHost")
    primary.set("sku:1", "red shoe")
    assert eventually(lambda: reader.get("sku:1") == b"red shoe", 10, message="replicated read")
    info = primary.info("replication")
    assert info["role"] == "master" and info["connected_slaves"] == 2
    assert reader.info("replication")["role"] == "slave"
    with pytest.raises(redis.ReadOnlyError):
        reader.set("sku:2", "blue hat")


def test_sharded_cluster_routes_by_slot(cluster, namespace, ca_file):
    data = ready_secret(cluster, namespace, "events", enableSharding=True, numShards=3, numReplicaNodes=1)
    assert data["sharding"] == "enabled" and data["readerHost"] == ""
    app = RedisCluster(
        host=data["host"],
        port=int(data["port"]),
        password=data["password"],
        ssl=True,
        ssl_ca_certs=ca_file,
        socket_timeout=5,
    )
    for i in range(100):
        app.set(f"event:{i}", i)
    assert [int(app.get(f"event:{i}")) for i in range(100)] == list(range(100))
    slots = app.execute_command("CLUSTER SLOTS", target_nodes=RedisCluster.RANDOM)
    ranges = sorted((start, end) for start, end, *_ in slots)
    assert ranges[0][0] == 0 and ranges[-1][1] == 16383 and len(ranges) == 3
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in zip(ranges, ranges[1:], strict=False))
    primaries = [n for n in app.get_nodes() if n.server_type == "primary"]
    assert len(primaries) == 3 and all(app.dbsize(target_nodes=p) > 0 for p in primaries)


def test_deleting_the_cluster_stops_its_servers(cluster, namespace, ca_file):
    data = ready_secret(cluster, namespace, "brief", deletionPolicy="Delete")
    assert client(data, ca_file).ping()
    cluster.delete(namespace, "brief")
    eventually(lambda: not cluster.exists(namespace, "brief"), 30, message="CR removed")

    def refused():
        try:
            socket.create_connection((data["host"], int(data["port"])), timeout=1).close()
            return False
        except OSError:
            return True

    eventually(refused, 20, message="server stopped")
    assert TOKEN == data["password"]
