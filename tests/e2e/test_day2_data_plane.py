"""Day 2 through the data plane: an application keeps working, with only the connection Secret's
values, while its cluster is scaled and its password rotated."""

import contextlib
import threading

import pytest
import redis
from redis.cluster import RedisCluster

from ..support.stack import TOKEN, eventually
from .test_data_plane import client, ready_secret

pytestmark = pytest.mark.e2e

NEW_TOKEN = "rotated-token-for-e2e-2027"


class Traffic:
    """An application writing one key after another until stopped; counts what failed."""

    def __init__(self, connect):
        self.connect, self.written, self.failures = connect, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        app, n = self.connect(), 0
        while not self._stop.is_set():
            n += 1
            try:
                app.set(f"key:{n}", n)
                self.written.append(n)
            except (redis.RedisError, AttributeError) as e:  # redis-py's cluster client can raise the latter
                self.failures.append(repr(e))  # while its topology refreshes; a real app retries too
                with contextlib.suppress(redis.RedisError):
                    app = self.connect()

    def __enter__(self):
        self._thread.start()
        eventually(lambda: len(self.written) > 10, 30, message="traffic flowing")
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)


def settle(cluster, namespace, name, generation):
    return cluster.wait_settled(namespace, name, generation=generation, timeout=180)


def test_replicas_come_and_go_under_traffic(cluster, namespace, ca_file):
    data = ready_secret(cluster, namespace, "reads", numReplicaNodes=1, enableAutomaticFailover=True)
    with Traffic(lambda: client(data, ca_file)) as traffic:
        cluster.patch_spec(namespace, "reads", {"numReplicaNodes": 3})
        settle(cluster, namespace, "reads", 2)
    assert traffic.failures == []
    primary, reader = client(data, ca_file), client(data, ca_file, "readerHost")
    assert primary.info("replication")["connected_slaves"] == 3
    last = traffic.written[-1]
    assert eventually(lambda: reader.get(f"key:{last}") == str(last).encode(), 20, message="replicated")

    cluster.patch_spec(namespace, "reads", {"numReplicaNodes": 0, "enableAutomaticFailover": False})
    settle(cluster, namespace, "reads", 3)
    assert primary.info("replication")["connected_slaves"] == 0
    assert client(data, ca_file, "readerHost").get(f"key:{last}") == str(last).encode()  # reader: the primary now
    assert cluster.secret_data(namespace, "reads-redis") == data  # the endpoints did not move


def cluster_client(data, ca_file):
    return RedisCluster(
        host=data["host"], port=int(data["port"]), password=data["password"], ssl=True, ssl_ca_certs=ca_file
    )


def primaries(data, ca_file):
    """How many primaries serve the slots, checking that together they serve every slot once."""
    slots = cluster_client(data, ca_file).execute_command("CLUSTER SLOTS", target_nodes=RedisCluster.RANDOM)
    ranges = sorted(slots)  # redis-py: {(start, end): {"primary": (host, port), "replicas": [...]}}
    assert ranges[0][0] == 0 and ranges[-1][1] == 16383
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in zip(ranges, ranges[1:], strict=False))
    return len({served["primary"] for served in slots.values()})


def test_shards_are_added_and_removed_online_and_no_key_is_lost(cluster, namespace, ca_file):
    data = ready_secret(cluster, namespace, "sharded", enableSharding=True, numShards=2, numReplicaNodes=1)
    with Traffic(lambda: cluster_client(data, ca_file)) as traffic:
        cluster.patch_spec(namespace, "sharded", {"numShards": 3})
        settle(cluster, namespace, "sharded", 2)
        assert primaries(data, ca_file) == 3
        cluster.patch_spec(namespace, "sharded", {"numShards": 2})
        settle(cluster, namespace, "sharded", 3)
    assert primaries(data, ca_file) == 2
    app = cluster_client(data, ca_file)
    missing = [n for n in traffic.written if app.get(f"key:{n}") != str(n).encode()]
    assert missing == [] and len(traffic.written) > 100


def wait_retired(cluster, namespace, connection_secret, stack):
    """Until the rotation's SET retired the previous password (its pending Secret is gone)."""
    pending = f"{connection_secret}-pending"
    names = lambda: [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]  # noqa: E731
    eventually(lambda: pending not in names(), stack.password_grace_seconds + 60, message="old password retired")


def test_a_rotated_password_works_at_once_and_the_old_one_only_for_the_grace_period(cluster, namespace, ca_file, stack):
    data = ready_secret(cluster, namespace, "rotate")
    old = data["password"]
    cluster.core.patch_namespaced_secret("redis-password", namespace, {"stringData": {"password": NEW_TOKEN}})
    eventually(lambda: cluster.secret_data(namespace, "rotate-redis")["password"] == NEW_TOKEN, 60, message="switched")
    assert client(data, ca_file, password=NEW_TOKEN).ping()
    assert client(data, ca_file, password=old).ping()  # clients that have not switched yet still get in
    wait_retired(cluster, namespace, "rotate-redis", stack)
    with pytest.raises(redis.AuthenticationError):
        client(data, ca_file, password=old).ping()
    fresh = cluster.secret_data(namespace, "rotate-redis")
    assert redis.Redis.from_url(fresh["url"], ssl_ca_certs=ca_file, socket_timeout=5).ping()


def test_a_password_changed_while_its_group_is_created_is_rotated_in_before_it_is_published(
    cluster, namespace, ca_file, stack
):
    """The create went out with the old password: the connection Secret never holds one AWS does not know."""
    cluster.password_secret(namespace)
    aws, creates = stack.aws, stack.aws.calls("CreateReplicationGroup")
    aws.inject(operation="CreateReplicationGroup", code="", delay_seconds=3)  # in flight for a while
    try:
        cluster.create(namespace, "rekeyed")
        eventually(lambda: aws.calls("CreateReplicationGroup") > creates, 60, message="the create sent")
        cluster.core.patch_namespaced_secret("redis-password", namespace, {"stringData": {"password": NEW_TOKEN}})
    finally:
        aws.clear_faults()
    obj = cluster.wait_ready(namespace, "rekeyed", timeout=180)
    data = cluster.secret_data(namespace, "rekeyed-redis")
    assert data["password"] == NEW_TOKEN and "creation" not in obj["status"]
    assert client(data, ca_file).ping()
    steps = cluster.event_messages(namespace, "rekeyed", "ApplyingChange")
    assert "Applying step 1/1: ModifyReplicationGroup AuthToken ROTATE" in steps
    wait_retired(cluster, namespace, "rekeyed-redis", stack)  # SET: only the Secret's password opens the door
    with pytest.raises(redis.AuthenticationError):
        client(data, ca_file, password=TOKEN).ping()
    assert client(data, ca_file).ping()
