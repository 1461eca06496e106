"""TestFailover follows AWS: a replica of the named shard becomes its primary while the group is
`modifying`, the events come in the order the API reference lists, and the refusals carry AWS's codes.
With the data plane, a client writing through the primary endpoint (or the configuration endpoint)
keeps writing to the primary, and no acknowledged write is lost."""

import threading
import time
import uuid

import pytest
import redis
from botocore.exceptions import ClientError
from redis.cluster import RedisCluster

from ..support import sandbox

TOKEN = "failover-test-token"
RG, CC = "replication-group", "cache-cluster"
SECONDS = 240


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    log = tmp_path_factory.mktemp("failover") / "elasticache.log"
    with sandbox.elasticache_api(log, create=0.3, modify=0.4, delete=0.3) as api:
        yield api


def uid():
    return f"fo-{uuid.uuid4().hex[:8]}"


def create(ec, **overrides):
    request = dict(
        ReplicationGroupId=uid(),
        ReplicationGroupDescription="failover",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
        NumCacheClusters=3,
        AutomaticFailoverEnabled=True,
    )
    request.update(overrides)
    return ec.create_replication_group(**{k: v for k, v in request.items() if v is not None})["ReplicationGroup"][
        "ReplicationGroupId"
    ]


def create_sharded(ec, shards=2, replicas=1, **overrides):
    return create(
        ec,
        NumCacheClusters=None,
        NumNodeGroups=shards,
        ReplicasPerNodeGroup=replicas,
        CacheParameterGroupName="default.redis7.cluster.on",
        **overrides,
    )


def wait_for(check, what, timeout=SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached in {timeout}s")


def describe(ec, gid):
    return ec.describe_replication_groups(ReplicationGroupId=gid)["ReplicationGroups"][0]


def available(ec, gid):
    return wait_for(lambda: (g := describe(ec, gid))["Status"] == "available" and g, f"{gid} available")


def code_of(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def roles(group, shard="0001"):
    node_group = next(ng for ng in group["NodeGroups"] if ng["NodeGroupId"] == shard)
    return [(m["CacheClusterId"], m.get("CurrentRole")) for m in node_group["NodeGroupMembers"]]


FAILOVER_MESSAGES = ("Test Failover", "Failover from", "Recovering cache nodes", "Finished recovery")


def failover_events(ec, gid, members):
    """The failover events of the group and its nodes, oldest first, each as (source, message)."""
    sources, found, marker = {gid, *members}, [], None
    while True:
        page = ec.describe_events(Duration=60, MaxRecords=100, **({"Marker": marker} if marker else {}))
        found += [
            (e["SourceIdentifier"], e["Message"])
            for e in page["Events"]
            if e["SourceIdentifier"] in sources and e["Message"].startswith(FAILOVER_MESSAGES)
        ]
        marker = page.get("Marker")
        if not marker:
            return found[::-1]  # DescribeEvents lists the newest first


def expected_events(gid, shard, old, new):
    return [
        (gid, f"Test Failover API called for node group {shard}"),
        (old, f"Failover from primary node {old} to replica node {new} completed"),
        (gid, f"Failover from primary node {old} to replica node {new} completed"),
        (old, "Recovering cache nodes 0001"),
        (old, "Finished recovery for cache nodes 0001"),
    ]


def test_a_replica_becomes_the_primary_while_the_group_is_modifying(aws):
    ec = aws.client()
    gid = create(ec)
    before = available(ec, gid)
    assert roles(before) == [(f"{gid}-001", "primary"), (f"{gid}-002", "replica"), (f"{gid}-003", "replica")]
    answer = ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0001")["ReplicationGroup"]
    assert answer["Status"] == "modifying" and describe(ec, gid)["Status"] == "modifying"
    assert code_of(lambda: ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0001"))[0] == (
        "InvalidReplicationGroupState"
    )  # one test of a group at a time
    assert code_of(lambda: ec.increase_replica_count(ReplicationGroupId=gid, NewReplicaCount=3, ApplyImmediately=True))[
        0
    ] == ("InvalidReplicationGroupState")
    after = available(ec, gid)
    assert sorted(roles(after)) == [(f"{gid}-001", "replica"), (f"{gid}-002", "primary"), (f"{gid}-003", "replica")]
    assert after["NodeGroups"][0]["PrimaryEndpoint"] == before["NodeGroups"][0]["PrimaryEndpoint"]  # the DNS name
    assert failover_events(ec, gid, after["MemberClusters"]) == expected_events(gid, "0001", f"{gid}-001", f"{gid}-002")
    # Again: the new primary hands over to a replica in turn.
    ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0001")
    assert dict(roles(available(ec, gid)))[f"{gid}-002"] == "replica"


def test_shards_of_a_sharded_group_fail_over_one_at_a_time(aws):
    ec = aws.client()
    gid = create_sharded(ec, shards=2, replicas=2)
    available(ec, gid)
    ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0002")
    assert code_of(lambda: ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0001"))[0] == (
        "InvalidReplicationGroupState"
    )
    other = create(ec)  # another group's shards may be tested meanwhile
    available(ec, other)
    ec.test_failover(ReplicationGroupId=other, NodeGroupId="0001")
    group = available(ec, gid)
    members = [m["CacheClusterId"] for m in group["NodeGroups"][1]["NodeGroupMembers"]]
    assert members[0] == f"{gid}-0002-002"  # the new primary first; no CurrentRole in cluster mode
    assert all("CurrentRole" not in m for ng in group["NodeGroups"] for m in ng["NodeGroupMembers"])
    assert failover_events(ec, gid, group["MemberClusters"]) == expected_events(
        gid, "0002", f"{gid}-0002-001", f"{gid}-0002-002"
    )
    ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0001")  # now the next shard
    available(ec, gid)
    available(ec, other)


def test_test_failover_is_refused_as_aws_documents(aws):
    ec = aws.client()
    plain = create(ec)
    assert code_of(lambda: ec.test_failover(ReplicationGroupId=plain, NodeGroupId="0001"))[0] == (
        "InvalidReplicationGroupState"
    )  # creating
    available(ec, plain)
    assert code_of(lambda: ec.test_failover(ReplicationGroupId=plain, NodeGroupId="0002")) == (
        "NodeGroupNotFoundFault",
        404,
    )
    assert code_of(lambda: ec.test_failover(ReplicationGroupId=plain, NodeGroupId="first"))[0] == (
        "InvalidParameterValue"
    )
    assert code_of(lambda: ec.test_failover(ReplicationGroupId="no-such-group", NodeGroupId="0001")) == (
        "ReplicationGroupNotFoundFault",
        404,
    )
    manual = create(ec, AutomaticFailoverEnabled=False)
    lonely = create_sharded(ec, shards=2, replicas=0)
    for gid in (manual, lonely):
        available(ec, gid)
        assert code_of(lambda gid=gid: ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0001"))[0] == (
            "TestFailoverNotAvailableFault"
        )
    assert describe(ec, manual)["Status"] == describe(ec, lonely)["Status"] == "available"


def test_fifteen_shards_a_day_per_account(tmp_path):
    with sandbox.elasticache_api(tmp_path / "elasticache.log", create=0.2, modify=0.2, delete=0.2) as api:
        ec = api.client()
        groups = [create_sharded(ec, shards=3) for _ in range(5)]
        for gid in groups:
            available(ec, gid)
        for shard in ("0001", "0002", "0003"):
            for gid in groups:  # shards of different groups side by side
                ec.test_failover(ReplicationGroupId=gid, NodeGroupId=shard)
            for gid in groups:
                available(ec, gid)
        assert code_of(lambda: ec.test_failover(ReplicationGroupId=groups[0], NodeGroupId="0001"))[0] == (
            "APICallRateForCustomerExceeded"
        )
        assert describe(ec, groups[0])["Status"] == "available"


# --- through the data plane ---------------------------------------------------------------

data_plane = sandbox.needs_redis


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("failover-data")


@pytest.fixture(scope="module")
def served(tmp_path_factory, data_dir):
    if sandbox.NO_REDIS:
        pytest.skip(sandbox.NO_REDIS)
    log = tmp_path_factory.mktemp("failover-data-plane") / "elasticache.log"
    with sandbox.elasticache_api(log, create=0.3, modify=0.4, delete=0.3, data_dir=data_dir) as api:
        yield api
    print("".join(line for line in log.read_text().splitlines(keepends=True) if "HTTP/1.1" not in line)[-3000:])


class Writer:
    """Writes n:i, i = 1, 2, … through one client, counting what was acknowledged and what failed;
    reconnects after an error, as an application does."""

    def __init__(self, connect):
        self.connect = connect
        self.acknowledged, self.failed = [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        client, n = self.connect(), 0
        while not self._stop.is_set():
            n += 1
            try:
                client.set(f"n:{n}", n)
                self.acknowledged.append((time.monotonic(), n))
            except Exception as e:  # noqa: BLE001 - every failure counts, whatever raised it
                self.failed.append((time.monotonic(), repr(e)))
                try:
                    client = self.connect()
                except Exception:  # noqa: BLE001
                    time.sleep(0.05)
            time.sleep(0.002)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(30)


def tls(endpoint, ca_file, cls=redis.Redis):
    return cls(
        host=endpoint["Address"],
        port=endpoint["Port"],
        password=TOKEN,
        ssl=True,
        ssl_ca_certs=ca_file,
        socket_timeout=5,
        socket_connect_timeout=5,
    )


@data_plane
def test_a_client_of_the_primary_endpoint_keeps_writing_to_the_primary(served, data_dir):
    ec, ca_file = served.client(), str(data_dir / "ca" / "ca.pem")
    gid = create(ec)
    before = available(ec, gid)
    [node_group] = before["NodeGroups"]
    endpoint = node_group["PrimaryEndpoint"]
    member = {m["CacheClusterId"]: m["ReadEndpoint"] for m in node_group["NodeGroupMembers"]}

    with Writer(lambda: tls(endpoint, ca_file)) as writer:
        wait_for(lambda: len(writer.acknowledged) > 50, "writes before")
        called = time.monotonic()
        ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0001")
        after = available(ec, gid)
        done = time.monotonic()
        wait_for(lambda: any(t > done for t, _ in writer.acknowledged), "writes after")
    assert sorted(roles(after))[:2] == [(f"{gid}-001", "replica"), (f"{gid}-002", "primary")]
    assert any(t > called for t, _ in writer.acknowledged)

    through_endpoint = tls(endpoint, ca_file)
    new_primary, old_primary = tls(member[f"{gid}-002"], ca_file), tls(member[f"{gid}-001"], ca_file)
    assert through_endpoint.info("server")["run_id"] == new_primary.info("server")["run_id"]
    assert new_primary.info("replication")["role"] == "master"
    replication = old_primary.info("replication")
    assert replication["role"] == "slave" and replication["master_host"] == member[f"{gid}-002"]["Address"]
    assert replication["master_link_status"] == "up"
    third = tls(member[f"{gid}-003"], ca_file).info("replication")
    assert third["master_host"] == member[f"{gid}-002"]["Address"]
    # No acknowledged write is lost: the handover waited for the replica.
    numbers = [n for _, n in writer.acknowledged]
    stored = through_endpoint.mget([f"n:{n}" for n in numbers])
    assert [int(v) if v is not None else None for v in stored] == numbers
    wait_for(lambda: old_primary.dbsize() == through_endpoint.dbsize(), "the old primary resynced", 30)
    with pytest.raises(redis.ReadOnlyError):
        old_primary.set("x", 1)
    assert failover_events(ec, gid, after["MemberClusters"]) == expected_events(gid, "0001", f"{gid}-001", f"{gid}-002")


@data_plane
def test_a_cluster_client_keeps_writing_through_a_shards_failover(served, data_dir):
    ec, ca_file = served.client(), str(data_dir / "ca" / "ca.pem")
    gid = create_sharded(ec, shards=2, replicas=1)
    endpoint = available(ec, gid)["ConfigurationEndpoint"]
    app = tls(endpoint, ca_file, RedisCluster)
    old_primaries = {n.host for n in app.get_nodes() if n.server_type == "primary"}

    with Writer(lambda: tls(endpoint, ca_file, RedisCluster)) as writer:
        wait_for(lambda: len(writer.acknowledged) > 50, "writes before")
        ec.test_failover(ReplicationGroupId=gid, NodeGroupId="0001")
        after = available(ec, gid)
        done = time.monotonic()
        wait_for(lambda: any(t > done for t, _ in writer.acknowledged), "writes after")

    fresh = tls(endpoint, ca_file, RedisCluster)
    primaries = {n.host for n in fresh.get_nodes() if n.server_type == "primary"}
    assert len(primaries) == 2 and len(primaries & old_primaries) == 1  # one shard has a new primary
    nodes = fresh.execute_command("CLUSTER NODES", target_nodes=RedisCluster.RANDOM)
    masters = {info["node_id"]: address for address, info in nodes.items() if "master" in info["flags"]}
    replicas = {
        address.rsplit(":", 1)[0]: masters[info["master_id"]]
        for address, info in nodes.items()
        if "slave" in info["flags"]
    }
    assert len(replicas) == 2 and all(address.rsplit(":", 1)[0] in primaries for address in replicas.values())
    numbers = [n for _, n in writer.acknowledged]
    stored = fresh.mget_nonatomic([f"n:{n}" for n in numbers])
    assert [int(v) if v is not None else None for v in stored] == numbers
    assert failover_events(ec, gid, after["MemberClusters"]) == expected_events(
        gid, "0001", f"{gid}-0001-001", f"{gid}-0001-002"
    )
