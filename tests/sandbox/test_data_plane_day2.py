"""The data plane follows the day-2 actions as ElastiCache's servers would: resharding moves slots and
keys online, replicas come and go behind a reader endpoint that keeps its address, and AuthToken
rotation makes both passwords work until SET leaves only the new one. Checked through real redis
clients, as an application would see it."""

import socket
import threading
import time
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from ..support import sandbox

pytestmark = sandbox.needs_redis

TOKEN = "data-plane-token-2026"
NEW_TOKEN = "data-plane-token-rotated"
CHANGE_SECONDS = 240  # a reshard on a busy two-core machine starts nodes and migrates thousands of slots


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data-plane-day2")


@pytest.fixture(scope="module")
def aws(tmp_path_factory, data_dir):
    log = tmp_path_factory.mktemp("elasticache-data-plane") / "elasticache.log"
    with sandbox.elasticache_api(log, create=0.3, modify=0.3, delete=0.3, data_dir=data_dir) as api:
        yield api
    print("".join(line for line in log.read_text().splitlines(keepends=True) if "HTTP/1.1" not in line)[-3000:])


@pytest.fixture(scope="module")
def ca_file(aws, data_dir):
    return str(data_dir / "ca" / "ca.pem")


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except redis.RedisError as e:
            last = e
        else:
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"{what} not reached in {timeout}s; last: {last!r}")


def describe(ec, gid):
    return ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]


def available(ec, gid, timeout=CHANGE_SECONDS):
    def settled():
        group = describe(ec, gid)
        assert group["Status"] != "create-failed", f"{gid} failed to come up: see the stand-in's log"
        return group["Status"] == "available" and group

    return wait_until(settled, timeout, f"{gid} available")


def create(ec, **request):
    gid = f"dp-{uuid.uuid4().hex[:8]}"
    ec.create_replication_group(
        ReplicationGroupId=gid,
        ReplicationGroupDescription="data plane day 2",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
        **{"AutomaticFailoverEnabled": True, **request},
    )
    return available(ec, gid)


def node(endpoint, ca_file, password=TOKEN, retry=True):
    """A client of one endpoint; without `retry` a refused password fails at once (redis-py retries
    AuthenticationError, a ConnectionError, with backoff)."""
    return redis.Redis(
        host=endpoint["Address"],
        port=endpoint["Port"],
        password=password,
        ssl=True,
        ssl_ca_certs=ca_file,
        socket_timeout=10,
        **({} if retry else {"retry": Retry(NoBackoff(), 0)}),
    )


def authenticates(endpoint, ca_file, password):
    try:
        return node(endpoint, ca_file, password, retry=False).ping()
    except redis.AuthenticationError:
        return False


def cluster(endpoint, ca_file, password=TOKEN):
    return RedisCluster(
        host=endpoint["Address"],
        port=endpoint["Port"],
        password=password,
        ssl=True,
        ssl_ca_certs=ca_file,
        socket_timeout=10,
    )


def refused(endpoint):
    try:
        socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=2).close()
        return False
    except OSError:
        return True


def slot_owners(app):
    """(start, end, primary address) of every slot range, as CLUSTER SLOTS reports it."""
    ranges = app.execute_command("CLUSTER SLOTS", target_nodes=RedisCluster.RANDOM)
    return sorted((start, end, info["primary"][0]) for (start, end), info in ranges.items())


def assert_all_slots_served_by(app, primaries):
    owners = slot_owners(app)
    assert owners[0][0] == 0 and owners[-1][1] == 16383
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in zip(owners, owners[1:], strict=False))
    assert len({address for _, _, address in owners}) == primaries


def slots_as_described(group):
    """The slot ranges NodeGroups[].Slots lists, in order."""
    ranges = []
    for node_group in group["NodeGroups"]:
        for part in node_group["Slots"].split(","):
            low, _, high = part.partition("-")
            ranges.append((int(low), int(high or low)))
    return sorted(ranges)


def test_resharding_moves_slots_and_keys_online(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumNodeGroups=3, ReplicasPerNodeGroup=1, CacheParameterGroupName="default.redis7.cluster.on")
    gid, endpoint = group["ReplicationGroupId"], group["ConfigurationEndpoint"]
    app = cluster(endpoint, ca_file)
    keys = [f"key:{i}" for i in range(1500)]
    app.mset_nonatomic({key: i for i, key in enumerate(keys)})
    assert_all_slots_served_by(app, 3)

    written, failures, stop = [], [], threading.Event()

    def keep_writing():  # an application writing while the slots move
        writer = cluster(endpoint, ca_file)
        i = 0
        while not stop.is_set():
            try:
                writer.set(f"live:{i}", i)
                written.append(i)
            except redis.RedisError as e:  # what the servers answer: none is expected while slots move
                failures.append(repr(e))
            except Exception:  # noqa: BLE001 - redis-py's cluster client can trip over its own topology refresh
                writer = cluster(endpoint, ca_file)
            i += 1
            time.sleep(0.002)  # an application's pace, leaving the small test machine some CPU

    thread = threading.Thread(target=keep_writing, daemon=True)
    thread.start()
    try:
        ec.modify_replication_group_shard_configuration(ReplicationGroupId=gid, NodeGroupCount=4, ApplyImmediately=True)
        progress, deadline = [], time.monotonic() + CHANGE_SECONDS
        while (current := describe(ec, gid))["Status"] == "modifying" and time.monotonic() < deadline:
            progress.append(current["PendingModifiedValues"]["Resharding"]["SlotMigration"]["ProgressPercentage"])
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert progress and progress == sorted(progress) and progress[-1] <= 100  # starting nodes alone takes a while
    group = available(ec, gid)
    assert group["ConfigurationEndpoint"] == endpoint
    assert [ng["NodeGroupId"] for ng in group["NodeGroups"]] == ["0001", "0002", "0003", "0004"]
    assert failures == [] and len(written) > 0
    fresh = cluster(endpoint, ca_file)
    assert [int(v) for v in fresh.mget_nonatomic(keys)] == list(range(1500))
    assert [int(v) for v in fresh.mget_nonatomic([f"live:{i}" for i in written])] == written
    assert [int(app.get(f"key:{i}")) for i in range(0, 1500, 7)] == list(range(0, 1500, 7))  # old clients follow
    assert_all_slots_served_by(fresh, 4)
    described = slots_as_described(group)
    served = [(start, end) for start, end, _ in slot_owners(fresh)]
    assert described == served  # NodeGroups[].Slots says what the servers do
    primaries = [n for n in fresh.get_nodes() if n.server_type == "primary"]
    assert len(primaries) == 4 and all(fresh.dbsize(target_nodes=p) > 0 for p in primaries)

    ec.modify_replication_group_shard_configuration(
        ReplicationGroupId=gid, NodeGroupCount=2, NodeGroupsToRemove=["0001", "0003"], ApplyImmediately=True
    )
    group = available(ec, gid)
    assert group["ConfigurationEndpoint"] == endpoint
    assert [ng["NodeGroupId"] for ng in group["NodeGroups"]] == ["0002", "0004"]
    fresh = cluster(endpoint, ca_file)
    assert [int(v) for v in fresh.mget_nonatomic(keys)] == list(range(1500))
    assert [int(v) for v in fresh.mget_nonatomic([f"live:{i}" for i in written])] == written
    assert_all_slots_served_by(fresh, 2)
    assert slots_as_described(group) == [(start, end) for start, end, _ in slot_owners(fresh)]
    nodes = fresh.execute_command("CLUSTER NODES", target_nodes=RedisCluster.RANDOM)
    assert len(nodes) == 4  # the removed shards' nodes are forgotten: two primaries, two replicas
    assert fresh.set("after", "resharding") and fresh.get("after") == b"resharding"


def test_replicas_come_and_go_behind_a_reader_endpoint_that_stays(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumCacheClusters=2)
    gid = group["ReplicationGroupId"]
    [node_group] = group["NodeGroups"]
    primary_endpoint, reader_endpoint = node_group["PrimaryEndpoint"], node_group["ReaderEndpoint"]
    assert primary_endpoint["Address"] != reader_endpoint["Address"]
    primary, reader = node(primary_endpoint, ca_file), node(reader_endpoint, ca_file)
    primary.set("sku:1", "red shoe")
    wait_until(lambda: reader.get("sku:1") == b"red shoe", 20, "a read through the reader endpoint")
    assert reader.info("replication")["role"] == "slave"

    ec.increase_replica_count(ReplicationGroupId=gid, NewReplicaCount=3, ApplyImmediately=True)
    group = available(ec, gid)
    [node_group] = group["NodeGroups"]
    assert node_group["PrimaryEndpoint"] == primary_endpoint and node_group["ReaderEndpoint"] == reader_endpoint
    assert primary.info("replication")["connected_slaves"] == 3  # available means the servers are there
    replicas = [m["ReadEndpoint"] for m in node_group["NodeGroupMembers"] if m["CurrentRole"] == "replica"]
    assert len(replicas) == 3
    for endpoint in replicas:  # every new member is a synced replica, reachable at its own address
        member = node(endpoint, ca_file)
        assert member.info("replication")["master_link_status"] == "up" and member.get("sku:1") == b"red shoe"
    behind_reader = {node(reader_endpoint, ca_file).info("server")["run_id"] for _ in range(9)}
    assert len(behind_reader) == 3  # the reader endpoint spreads connections over the replicas

    before = {m["CacheClusterId"]: m["ReadEndpoint"] for m in node_group["NodeGroupMembers"]}
    ec.decrease_replica_count(ReplicationGroupId=gid, NewReplicaCount=1, ApplyImmediately=True)
    group = available(ec, gid)
    [node_group] = group["NodeGroups"]
    assert node_group["ReaderEndpoint"] == reader_endpoint and len(node_group["NodeGroupMembers"]) == 2
    assert primary.info("replication")["connected_slaves"] == 1
    gone = [endpoint for member, endpoint in before.items() if member not in group["MemberClusters"]]
    assert len(gone) == 2 and all(refused(endpoint) for endpoint in gone)  # the removed replicas' servers stopped
    primary.set("sku:2", "blue hat")
    wait_until(lambda: node(reader_endpoint, ca_file).get("sku:2") == b"blue hat", 20, "a read after the decrease")
    assert reader.get("sku:1") == b"red shoe"  # a client of the reader endpoint reconnects and reads on
    with pytest.raises(redis.ReadOnlyError):
        node(reader_endpoint, ca_file).set("sku:3", "green sock")

    ec.delete_replication_group(ReplicationGroupId=gid)
    wait_until(
        lambda: gid not in {g["ReplicationGroupId"] for g in ec.describe_replication_groups()["ReplicationGroups"]},
        30,
        "deleted",
    )
    wait_until(lambda: refused(primary_endpoint) and refused(reader_endpoint), 30, "the endpoints to close")


def test_sharded_replicas_join_and_leave_the_cluster(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumNodeGroups=2, ReplicasPerNodeGroup=1, CacheParameterGroupName="default.redis7.cluster.on")
    gid, endpoint = group["ReplicationGroupId"], group["ConfigurationEndpoint"]
    app = cluster(endpoint, ca_file)
    for i in range(200):
        app.set(f"k:{i}", i)

    def replicas_per_primary():
        nodes = app.execute_command("CLUSTER NODES", target_nodes=RedisCluster.RANDOM)
        masters = {info["node_id"]: 0 for info in nodes.values() if "master" in info["flags"]}
        for info in nodes.values():
            if "slave" in info["flags"]:
                masters[info["master_id"]] += 1
        return sorted(masters.values())

    ec.increase_replica_count(
        ReplicationGroupId=gid,
        ReplicaConfiguration=[{"NodeGroupId": "0002", "NewReplicaCount": 3}],
        ApplyImmediately=True,
    )
    group = available(ec, gid)
    assert [len(ng["NodeGroupMembers"]) for ng in group["NodeGroups"]] == [2, 4]
    assert replicas_per_primary() == [1, 3]
    ec.decrease_replica_count(
        ReplicationGroupId=gid, ReplicasToRemove=[f"{gid}-0002-002", f"{gid}-0002-003"], ApplyImmediately=True
    )
    group = available(ec, gid)
    assert [len(ng["NodeGroupMembers"]) for ng in group["NodeGroups"]] == [2, 2]
    assert wait_until(lambda: replicas_per_primary() == [1, 1], 30, "the removed replicas forgotten")
    assert group["ConfigurationEndpoint"] == endpoint
    fresh = cluster(endpoint, ca_file)
    assert [int(fresh.get(f"k:{i}")) for i in range(200)] == list(range(200))


def test_rotation_makes_both_tokens_work_until_set_leaves_the_new_one(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumCacheClusters=2)
    gid = group["ReplicationGroupId"]
    [node_group] = group["NodeGroups"]
    endpoints = [node_group["PrimaryEndpoint"], node_group["ReaderEndpoint"]] + [
        m["ReadEndpoint"] for m in node_group["NodeGroupMembers"]
    ]

    def accepted(password):
        return [authenticates(endpoint, ca_file, password) for endpoint in endpoints]

    assert accepted(TOKEN) == [True] * 4 and accepted(NEW_TOKEN) == [False] * 4
    ec.modify_replication_group(
        ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )
    available(ec, gid)
    assert accepted(TOKEN) == [True] * 4 and accepted(NEW_TOKEN) == [True] * 4

    ec.modify_replication_group(
        ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )
    available(ec, gid)
    assert accepted(TOKEN) == [False] * 4 and accepted(NEW_TOKEN) == [True] * 4
    primary = node(node_group["PrimaryEndpoint"], ca_file, NEW_TOKEN)
    primary.set("after", "rotation")  # the replica still replicates: it authenticates with the new token
    replica = node(node_group["ReaderEndpoint"], ca_file, NEW_TOKEN)
    wait_until(lambda: replica.get("after") == b"rotation", 20, "replication after SET")
    assert replica.info("replication")["master_link_status"] == "up"

    # A replica added now starts with the current token.
    ec.increase_replica_count(ReplicationGroupId=gid, NewReplicaCount=2, ApplyImmediately=True)
    group = available(ec, gid)
    newest = group["NodeGroups"][0]["NodeGroupMembers"][-1]["ReadEndpoint"]
    assert node(newest, ca_file, NEW_TOKEN).get("after") == b"rotation"
    assert not authenticates(newest, ca_file, TOKEN)


def test_rotation_reaches_every_node_of_a_sharded_group(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumNodeGroups=2, ReplicasPerNodeGroup=1, CacheParameterGroupName="default.redis7.cluster.on")
    gid, endpoint = group["ReplicationGroupId"], group["ConfigurationEndpoint"]
    cluster(endpoint, ca_file).set("k", "v")
    ec.modify_replication_group(ReplicationGroupId=gid, AuthToken=NEW_TOKEN, ApplyImmediately=True)  # ROTATE
    available(ec, gid)
    nodes = cluster(endpoint, ca_file, NEW_TOKEN).execute_command("CLUSTER NODES", target_nodes=RedisCluster.RANDOM)
    addresses = [{"Address": address.rsplit(":", 1)[0], "Port": endpoint["Port"]} for address in nodes]
    assert len(addresses) == 4
    assert all(authenticates(a, ca_file, TOKEN) and authenticates(a, ca_file, NEW_TOKEN) for a in addresses)
    ec.modify_replication_group(
        ReplicationGroupId=gid, AuthToken=NEW_TOKEN, AuthTokenUpdateStrategy="SET", ApplyImmediately=True
    )
    available(ec, gid)
    assert all(authenticates(a, ca_file, NEW_TOKEN) and not authenticates(a, ca_file, TOKEN) for a in addresses)
    assert cluster(endpoint, ca_file, NEW_TOKEN).get("k") == b"v"


def test_endpoints_serve_tls_only(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumCacheClusters=1, AutomaticFailoverEnabled=False)
    [node_group] = group["NodeGroups"]
    for endpoint in (node_group["PrimaryEndpoint"], node_group["ReaderEndpoint"]):
        assert node(endpoint, ca_file).ping()  # with no replica the reader endpoint leads to the primary
        with socket.create_connection((endpoint["Address"], endpoint["Port"]), timeout=5) as raw:
            raw.sendall(b"PING\r\n")
            try:
                reply = raw.recv(64)
            except ConnectionResetError:
                reply = b""
            assert not reply.startswith(b"+PONG")


def config(client, name):
    return client.config_get(name).get(name)


def test_parameter_groups_reach_the_servers(aws, ca_file):
    """A group's parameters are in force on every node from the start; an immediate change reaches them by
    CONFIG SET; a requires-reboot one waits until the node is rebooted."""
    ec = aws.client()
    name = f"dp-pg-{uuid.uuid4().hex[:8]}"
    ec.create_cache_parameter_group(CacheParameterGroupName=name, CacheParameterGroupFamily="redis7", Description="dp")

    def modify(**values):
        pairs = [{"ParameterName": k.replace("_", "-"), "ParameterValue": v} for k, v in values.items()]
        ec.modify_cache_parameter_group(CacheParameterGroupName=name, ParameterNameValues=pairs)

    modify(maxmemory_policy="allkeys-lru", databases="32", notify_keyspace_events="Ex")
    group = create(ec, NumCacheClusters=2, CacheParameterGroupName=name)
    gid = group["ReplicationGroupId"]
    primary = node(group["NodeGroups"][0]["PrimaryEndpoint"], ca_file)
    replica = node(
        {"Address": group["NodeGroups"][0]["NodeGroupMembers"][1]["ReadEndpoint"]["Address"], "Port": 6379}, ca_file
    )
    for server in (primary, replica):
        assert config(server, "maxmemory-policy") == "allkeys-lru"
        assert config(server, "databases") == "32"
        assert config(server, "notify-keyspace-events") in ("xE", "Ex")
        assert config(server, "tcp-keepalive") == "300"  # AWS's default, not redis-server's
    modify(maxmemory_policy="volatile-ttl", reserved_memory_percent="30")  # the latter is ElastiCache's own
    wait_until(
        lambda: all(config(s, "maxmemory-policy") == "volatile-ttl" for s in (primary, replica)),
        60,
        "maxmemory-policy volatile-ttl on every node",
    )

    def apply_status(member):
        return ec.describe_cache_clusters(CacheClusterId=member)["CacheClusters"][0]["CacheParameterGroup"][
            "ParameterApplyStatus"
        ]

    wait_until(lambda: apply_status(f"{gid}-001") == "in-sync", 60, "in-sync")
    modify(acl_pubsub_default="resetchannels")
    assert apply_status(f"{gid}-002") == "pending-reboot"
    assert config(replica, "acl-pubsub-default") == "allchannels"  # not before a reboot
    ec.reboot_cache_cluster(CacheClusterId=f"{gid}-002", CacheNodeIdsToReboot=["0001"])
    available(ec, gid)
    replica = node(
        {"Address": group["NodeGroups"][0]["NodeGroupMembers"][1]["ReadEndpoint"]["Address"], "Port": 6379}, ca_file
    )
    assert config(replica, "acl-pubsub-default") == "resetchannels"
    assert config(replica, "maxmemory-policy") == "volatile-ttl"
    assert apply_status(f"{gid}-002") == "in-sync" and apply_status(f"{gid}-001") == "pending-reboot"
    # Another group attached: its immediate parameters reach the servers.
    other = f"dp-pg-{uuid.uuid4().hex[:8]}"
    ec.create_cache_parameter_group(CacheParameterGroupName=other, CacheParameterGroupFamily="redis7", Description="dp")
    ec.modify_cache_parameter_group(
        CacheParameterGroupName=other,
        ParameterNameValues=[
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lfu"},
            {"ParameterName": "databases", "ParameterValue": "32"},
        ],
    )
    ec.modify_replication_group(ReplicationGroupId=gid, CacheParameterGroupName=other, ApplyImmediately=True)
    available(ec, gid)
    assert config(primary, "maxmemory-policy") == "allkeys-lfu"
    ec.delete_replication_group(ReplicationGroupId=gid)


class Traffic:
    """A client writing and reading through an endpoint until stopped, counting what failed."""

    def __init__(self, client):
        self.client, self.failed, self.done = client, [], 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        n = 0
        while not self.stop.is_set():
            try:
                self.client.set(f"traffic:{n}", n)
                assert self.client.get(f"traffic:{n}") == str(n).encode()
                self.done += 1
            except (redis.RedisError, AssertionError) as e:
                self.failed.append(repr(e))
            n += 1
            time.sleep(0.01)

    def finish(self):
        self.stop.set()
        self.thread.join(10)
        return self.done, self.failed


def test_redis_oss_becomes_valkey_with_its_keys_and_no_failed_command(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumCacheClusters=2)
    gid = group["ReplicationGroupId"]
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]
    app = node(endpoint, ca_file)
    app.mset({f"key:{n}": n for n in range(100)})
    traffic = Traffic(node(endpoint, ca_file))
    ec.modify_replication_group(ReplicationGroupId=gid, Engine="valkey", EngineVersion="8.0", ApplyImmediately=True)
    after = available(ec, gid)
    done, failed = traffic.finish()
    assert after["Engine"] == "valkey" and after["NodeGroups"][0]["PrimaryEndpoint"] == endpoint
    assert done > 0 and failed == []
    assert app.mget([f"key:{n}" for n in range(100)]) == [str(n).encode() for n in range(100)]
    ec.delete_replication_group(ReplicationGroupId=gid)


def test_cluster_mode_compatible_serves_both_protocols_and_enabled_a_cluster_client(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumCacheClusters=2)
    gid = group["ReplicationGroupId"]
    primary = group["NodeGroups"][0]["PrimaryEndpoint"]
    plain = node(primary, ca_file)
    plain.mset({f"key:{n}": n for n in range(200)})
    plain.set("ttl", "x", ex=3600)
    ec.modify_replication_group(ReplicationGroupId=gid, ClusterMode="compatible", ApplyImmediately=True)
    group = available(ec, gid)
    assert group["ClusterMode"] == "compatible"
    # Both protocols: a plain client through the primary endpoint, a cluster client through the configuration one.
    assert plain.get("key:7") == b"7"
    app = cluster(group["ConfigurationEndpoint"], ca_file)
    assert app.get("key:199") == b"199" and 0 < app.ttl("ttl") <= 3600
    assert_all_slots_served_by(app, 1)
    ec.modify_replication_group(ReplicationGroupId=gid, ClusterMode="enabled", ApplyImmediately=True)
    group = available(ec, gid)
    assert group["ClusterEnabled"] is True
    app = cluster(group["ConfigurationEndpoint"], ca_file)
    assert [app.get(f"key:{n}") for n in range(200)] == [str(n).encode() for n in range(200)]
    app.set("written-after", "yes")
    # It reshards as any cluster mode enabled group does, the old keys going along.
    ec.modify_replication_group_shard_configuration(ReplicationGroupId=gid, NodeGroupCount=2, ApplyImmediately=True)
    group = available(ec, gid)
    app = cluster(group["ConfigurationEndpoint"], ca_file)
    assert_all_slots_served_by(app, 2)
    assert [app.get(f"key:{n}") for n in range(200)] == [str(n).encode() for n in range(200)]
    ec.delete_replication_group(ReplicationGroupId=gid)


def test_keys_outside_database_0_keep_the_group_cluster_mode_disabled(aws, ca_file):
    ec = aws.client()
    group = create(ec, NumCacheClusters=2)
    gid = group["ReplicationGroupId"]
    client = redis.Redis(
        host=group["NodeGroups"][0]["PrimaryEndpoint"]["Address"],
        port=6379,
        password=TOKEN,
        ssl=True,
        ssl_ca_certs=ca_file,
        db=3,
    )
    client.set("elsewhere", "1")
    ec.modify_replication_group(ReplicationGroupId=gid, ClusterMode="compatible", ApplyImmediately=True)
    group = available(ec, gid)
    assert group["ClusterMode"] == "disabled" and "ConfigurationEndpoint" not in group
    assert client.get("elsewhere") == b"1"
    ec.delete_replication_group(ReplicationGroupId=gid)
