"""Backups hold the data: CreateSnapshot writes a real RDB file per shard, CacheSize reports its size,
and a group restored from the snapshot starts with the same keys (TTLs kept), each on the shard that
owns its slot, whatever the shard counts. Checked through real redis clients, over TLS."""

import math
import os
import subprocess
import time
import uuid

import pytest
import redis
from botocore.exceptions import ClientError
from redis.cluster import RedisCluster
from redis.crc import key_slot

from ..support import sandbox

pytestmark = sandbox.needs_redis

TOKEN = "snapshot-restore-token"
SECONDS = 240  # starting servers and moving keys on a busy two-core machine
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("snapshot-data")


@pytest.fixture(scope="module")
def aws(tmp_path_factory, data_dir):
    log = tmp_path_factory.mktemp("snapshot-restore") / "elasticache.log"
    with sandbox.elasticache_api(log, create=0.3, modify=0.3, delete=0.3, data_dir=data_dir) as api:
        yield api
    print("".join(line for line in log.read_text().splitlines(keepends=True) if "HTTP/1.1" not in line)[-3000:])


@pytest.fixture(scope="module")
def ca_file(aws, data_dir):
    return str(data_dir / "ca" / "ca.pem")


def wait_for(check, what, timeout=SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not reached in {timeout}s")


def describe(ec, gid):
    try:
        return ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ReplicationGroupNotFoundFault":
            return None
        raise


def settled(ec, gid, wanted="available"):
    def done():
        group = describe(ec, gid)
        assert group is not None and group["Status"] in (wanted, "creating", "modifying", "snapshotting"), group
        return group["Status"] == wanted and group

    return wait_for(done, f"{gid} {wanted}")


def create(ec, sharded=False, **request):
    gid = f"rs-{uuid.uuid4().hex[:8]}"
    layout = (
        {"NumNodeGroups": 3, "ReplicasPerNodeGroup": 1, "CacheParameterGroupName": "default.redis7.cluster.on"}
        if sharded
        else {"NumCacheClusters": 2}
    )
    ec.create_replication_group(
        ReplicationGroupId=gid,
        ReplicationGroupDescription="snapshot and restore",
        Engine="redis",
        CacheNodeType="cache.t4g.micro",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
        AutomaticFailoverEnabled=True,
        **{**layout, **request},
    )
    return gid


def take(ec, gid, **source):
    name = f"{gid}-backup"
    ec.create_snapshot(SnapshotName=name, **(source or {"ReplicationGroupId": gid}))
    wait_for(lambda: ec.describe_snapshots(SnapshotName=name)["Snapshots"][0]["SnapshotStatus"] == "available", name)
    settled(ec, gid)
    return ec.describe_snapshots(SnapshotName=name, ShowNodeGroupConfig=True)["Snapshots"][0]


def delete(ec, gid):
    ec.delete_replication_group(ReplicationGroupId=gid)
    wait_for(lambda: describe(ec, gid) is None, f"{gid} deleted")


def node(endpoint, ca_file, db=0):
    return redis.Redis(
        host=endpoint["Address"],
        port=endpoint["Port"],
        password=TOKEN,
        ssl=True,
        ssl_ca_certs=ca_file,
        socket_timeout=30,
        db=db,
    )


def cluster(endpoint, ca_file):
    return RedisCluster(
        host=endpoint["Address"],
        port=endpoint["Port"],
        password=TOKEN,
        ssl=True,
        ssl_ca_certs=ca_file,
        socket_timeout=30,
    )


def fill(client, count, size=0):
    """`count` keys of four kinds, every tenth with a TTL; returns what was written, to compare."""
    written = {}
    pipe = client.pipeline(transaction=False)
    for n in range(count):
        key = f"key:{n}"
        if n % 4 == 0:
            value = os.urandom(size).hex() if size else f"value-{n}"
            pipe.set(key, value)
            written[key] = ("string", value.encode())
        elif n % 4 == 1:
            pipe.hset(key, mapping={"a": n, "b": "x"})
            written[key] = ("hash", {b"a": str(n).encode(), b"b": b"x"})
        elif n % 4 == 2:
            pipe.rpush(key, *range(3))
            written[key] = ("list", [b"0", b"1", b"2"])
        else:
            pipe.zadd(key, {"m": n})
            written[key] = ("zset", [(b"m", float(n))])
        if n % 10 == 0:
            pipe.expire(key, 3600)
        if len(pipe) >= 500:
            pipe.execute()
    pipe.execute()
    return written


def read(client, key, kind):
    return {
        "string": lambda: client.get(key),
        "hash": lambda: client.hgetall(key),
        "list": lambda: client.lrange(key, 0, -1),
        "zset": lambda: client.zrange(key, 0, -1, withscores=True),
    }[kind]()


def assert_same_keys(client, written):
    assert {key: read(client, key, kind) for key, (kind, _) in written.items()} == {
        key: value for key, (_, value) in written.items()
    }
    ttls = {key: client.ttl(key) for key in written}
    with_ttl = {key for key, ttl in ttls.items() if ttl != -1}
    assert with_ttl == {f"key:{n}" for n in range(0, len(written), 10)}  # TTLs kept, and only those
    assert all(0 < ttls[key] <= 3600 for key in with_ttl)


def assert_each_key_on_its_shard(app, written, layout):
    """Every primary holds exactly the keys of the slots the group's NodeGroups say it serves."""
    described = {}
    for node_group in layout:
        for part in node_group["Slots"].split(","):
            low, _, high = part.partition("-")
            described.update(dict.fromkeys(range(int(low), int(high or low) + 1), node_group["NodeGroupId"]))
    served = app.execute_command("CLUSTER SLOTS", target_nodes=RedisCluster.RANDOM)
    address = {}
    for (start, end), info in served.items():
        address.update(dict.fromkeys(range(start, end + 1), info["primary"][0]))
    assert len(address) == 16384
    by_primary = {}
    for primary in (n for n in app.get_nodes() if n.server_type == "primary"):
        by_primary[primary.host] = {key.decode() for key in app.scan_iter(count=1000, target_nodes=primary)}
    assert sorted(k for keys in by_primary.values() for k in keys) == sorted(written)
    for host, keys in by_primary.items():
        assert all(address[key_slot(key.encode())] == host for key in keys)
    shard_of = {}
    for slot, host in address.items():
        shard_of.setdefault(host, set()).add(described[slot])
    assert all(len(shards) == 1 for shards in shard_of.values())  # one node group per primary


def test_a_non_sharded_group_round_trips_through_its_snapshot(aws, ca_file, data_dir):
    ec = aws.client()
    gid = create(ec)
    [node_group] = settled(ec, gid)["NodeGroups"]
    written = fill(node(node_group["PrimaryEndpoint"], ca_file), 2000, size=3000)  # 500 strings of 6 kB: 3 MB

    backup = take(ec, gid)
    [shard] = backup["NodeSnapshots"]
    rdb = data_dir / "snapshots" / backup["SnapshotName"] / "0001.rdb"
    assert rdb.stat().st_size > 2 * MIB  # a real dump, not a token
    assert shard["CacheSize"] == f"{math.ceil(rdb.stat().st_size / MIB)} MB"
    assert shard["CacheClusterId"] == f"{gid}-002"  # read from the replica
    assert subprocess.run(["redis-check-rdb", str(rdb)], capture_output=True).returncode == 0
    delete(ec, gid)

    again = create(ec, SnapshotName=backup["SnapshotName"], NumCacheClusters=3)
    [node_group] = settled(ec, again)["NodeGroups"]
    assert_same_keys(node(node_group["PrimaryEndpoint"], ca_file), written)
    for member in node_group["NodeGroupMembers"]:  # the replicas hold it too
        replica = node(member["ReadEndpoint"], ca_file)
        wait_for(lambda replica=replica: replica.dbsize() == len(written), f"{member['CacheClusterId']} synced", 30)

    ec.delete_snapshot(SnapshotName=backup["SnapshotName"])

    def gone():
        try:
            ec.describe_snapshots(SnapshotName=backup["SnapshotName"])
        except ec.exceptions.SnapshotNotFoundFault:
            return True
        return False

    wait_for(gone, "the snapshot deleted", 30)
    assert not rdb.exists()  # its files with it


def test_a_sharded_group_restores_into_the_same_and_into_another_shard_count(aws, ca_file, data_dir):
    ec = aws.client()
    gid = create(ec, sharded=True)
    group = settled(ec, gid)
    written = fill(cluster(group["ConfigurationEndpoint"], ca_file), 1200)
    backup = take(ec, gid)
    assert [n["NodeGroupId"] for n in backup["NodeSnapshots"]] == ["0001", "0002", "0003"]
    for shard in backup["NodeSnapshots"]:
        assert (data_dir / "snapshots" / backup["SnapshotName"] / f"{shard['NodeGroupId']}.rdb").stat().st_size > 0
    delete(ec, gid)

    same = create(ec, sharded=True, SnapshotName=backup["SnapshotName"])
    group = settled(ec, same)
    app = cluster(group["ConfigurationEndpoint"], ca_file)
    assert_same_keys(app, written)
    assert_each_key_on_its_shard(app, written, group["NodeGroups"])

    fewer = create(
        ec,
        sharded=True,
        SnapshotName=backup["SnapshotName"],
        NumNodeGroups=2,
        NodeGroupConfiguration=[{"Slots": "0-2999", "ReplicaCount": 1}, {"Slots": "3000-16383", "ReplicaCount": 1}],
    )
    group = settled(ec, fewer)
    assert [ng["Slots"] for ng in group["NodeGroups"]] == ["0-2999", "3000-16383"]
    app = cluster(group["ConfigurationEndpoint"], ca_file)
    assert_same_keys(app, written)
    assert_each_key_on_its_shard(app, written, group["NodeGroups"])
    for replica in (n for n in app.get_nodes() if n.server_type == "replica"):  # available: replicas too
        assert app.dbsize(target_nodes=replica) > 0


def test_a_non_sharded_snapshot_seeds_a_sharded_group(aws, ca_file):
    ec = aws.client()
    gid = create(ec)
    [node_group] = settled(ec, gid)["NodeGroups"]
    written = fill(node(node_group["PrimaryEndpoint"], ca_file), 800)
    backup = take(ec, gid, CacheClusterId=f"{gid}-001")  # a node named: here the primary
    assert backup["NodeSnapshots"][0]["CacheClusterId"] == f"{gid}-001"
    delete(ec, gid)

    sharded = create(
        ec,
        sharded=True,
        SnapshotName=backup["SnapshotName"],
        NodeGroupConfiguration=[{"Slots": "0-5000"}, {"Slots": "5001-6000"}, {"Slots": "6001-16383"}],
    )
    group = settled(ec, sharded)
    app = cluster(group["ConfigurationEndpoint"], ca_file)
    assert_same_keys(app, written)
    assert_each_key_on_its_shard(app, written, group["NodeGroups"])


def test_keys_outside_db_0_fail_a_restore_into_cluster_mode(aws, ca_file):
    ec = aws.client()
    gid = create(ec)
    [node_group] = settled(ec, gid)["NodeGroups"]
    node(node_group["PrimaryEndpoint"], ca_file).set("in-db-0", "yes")
    node(node_group["PrimaryEndpoint"], ca_file, db=1).set("in-db-1", "yes")
    backup = take(ec, gid)
    sharded = create(ec, sharded=True, SnapshotName=backup["SnapshotName"], NumNodeGroups=1)
    settled(ec, sharded, "create-failed")
    wait_for(
        lambda: (
            ec.describe_snapshots(SnapshotName=backup["SnapshotName"])["Snapshots"][0]["SnapshotStatus"] == "available"
        ),
        "the snapshot available again",
    )
    plain = create(ec, SnapshotName=backup["SnapshotName"])  # cluster mode disabled has the databases
    [node_group] = settled(ec, plain)["NodeGroups"]
    assert node(node_group["PrimaryEndpoint"], ca_file).get("in-db-0") == b"yes"
    assert node(node_group["PrimaryEndpoint"], ca_file, db=1).get("in-db-1") == b"yes"


def test_the_final_snapshot_holds_the_data_of_the_deleted_group(aws, ca_file):
    ec = aws.client()
    gid = create(ec, sharded=True, NumNodeGroups=2)
    group = settled(ec, gid)
    written = fill(cluster(group["ConfigurationEndpoint"], ca_file), 400)
    ec.delete_replication_group(ReplicationGroupId=gid, FinalSnapshotIdentifier=f"{gid}-final")
    wait_for(lambda: describe(ec, gid) is None, f"{gid} deleted")
    final = ec.describe_snapshots(SnapshotName=f"{gid}-final")["Snapshots"][0]
    assert final["SnapshotStatus"] == "available" and all(n["CacheSize"] == "1 MB" for n in final["NodeSnapshots"])
    again = create(ec, sharded=True, NumNodeGroups=2, SnapshotName=f"{gid}-final")
    app = cluster(settled(ec, again)["ConfigurationEndpoint"], ca_file)
    assert_same_keys(app, written)
