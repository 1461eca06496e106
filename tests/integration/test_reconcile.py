"""A user's view: kubectl-apply a RedisCluster, get a replication group, a Secret and honest status."""

from urllib.parse import unquote, urlsplit

import pytest

from elasticache_operator.core.naming import (
    TAG_CLUSTER,
    TAG_NAME,
    TAG_NAMESPACE,
    TAG_UID,
)
from elasticache_operator.handlers import finalizer_name

from ..support.stack import TOKEN, eventually, group_id_of

pytestmark = pytest.mark.integration


def test_single_node_cluster_end_to_end(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "sessions", tags={"team": "checkout"})
    obj = cluster.wait_ready(namespace, "sessions")

    group = aws.group(group_id_of(created))
    assert group["CacheNodeType"] == "cache.t4g.micro" and len(group["MemberClusters"]) == 1
    assert group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"] and group["AuthTokenEnabled"]
    assert group["LogDeliveryConfigurations"][0]["LogType"] == "slow-log"
    tags = aws.tags(group["ARN"])
    assert tags["team"] == "checkout" and tags[TAG_UID] == created["metadata"]["uid"]
    assert (tags[TAG_NAMESPACE], tags[TAG_NAME], tags[TAG_CLUSTER]) == (namespace, "sessions", "integration")

    status = obj["status"]
    assert status["replicationGroupId"] == group["ReplicationGroupId"] and status["arn"] == group["ARN"]
    assert status["observedGeneration"] == obj["metadata"]["generation"]
    assert status["host"] == group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    assert status["engineVersion"].startswith("6.2.")
    assert {c["type"] for c in status["conditions"]} == {"Ready", "Reconciling", "Stalled", "ClientAccess"}

    data = cluster.secret_data(namespace, "sessions-redis")
    assert data["host"] == status["host"] and data["port"] == "6379" and data["password"] == TOKEN
    assert data["sharding"] == "disabled" and data["tls"] == "true"
    url = urlsplit(data["url"])
    assert url.scheme == "rediss" and unquote(url.password) == TOKEN and url.hostname == status["host"]
    secret = cluster.core.read_namespaced_secret("sessions-redis", namespace)
    assert secret.metadata.owner_references[0].uid == created["metadata"]["uid"]

    # One Event for the whole creation (each Event is a write): Creating is said by the status alone, and
    # the connection Secret written as Ready turned True is said in Ready's Event.
    reasons = cluster.wait_event(namespace, "sessions", "Available")
    assert "Creating" not in reasons and "ConnectionSecret" not in reasons
    [available] = cluster.event_messages(namespace, "sessions", "Available")
    assert available.endswith("; Secret sessions-redis created with host, port and password")
    assert "creation" not in cluster.get(namespace, "sessions")["status"]  # the password is published

    log_groups = aws.logs.describe_log_groups(logGroupNamePrefix=f"/elasticache/{group['ReplicationGroupId']}/")
    assert log_groups["logGroups"][0]["retentionInDays"] == 90


def test_replicated_cluster_has_a_reader_endpoint(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(
        namespace, "catalog", numReplicaNodes=2, enableAutomaticFailover=True, connectionSecretName="catalog-conn"
    )
    obj = cluster.wait_ready(namespace, "catalog")
    group = aws.group(group_id_of(created))
    assert len(group["MemberClusters"]) == 3 and group["AutomaticFailover"] == "enabled"
    data = cluster.secret_data(namespace, "catalog-conn")
    assert data["readerHost"] == group["NodeGroups"][0]["ReaderEndpoint"]["Address"] != ""
    assert obj["status"]["replicasPerShard"] == 2


def test_sharded_cluster_uses_the_configuration_endpoint(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "events", enableSharding=True, numShards=3, numReplicaNodes=1, engine="valkey")
    obj = cluster.wait_ready(namespace, "events")
    group = aws.group(group_id_of(created))
    assert group["ClusterEnabled"] and len(group["NodeGroups"]) == 3
    data = cluster.secret_data(namespace, "events-redis")
    assert data["host"] == group["ConfigurationEndpoint"]["Address"] and data["readerHost"] == ""
    assert data["sharding"] == "enabled" and obj["status"]["shards"] == 3


def test_in_place_changes_are_applied(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "grow", numReplicaNodes=1)
    cluster.wait_ready(namespace, "grow")
    cluster.patch_spec(
        namespace,
        "grow",
        {
            "instanceSize": "cache.r7g.large",
            "engineVersion": "7.1",
            "automatedBackupRetentionDays": 7,
            "enableAutomaticFailover": True,
            "tags": {"tier": "gold"},
        },
    )
    gid = group_id_of(created)
    eventually(
        lambda: (g := aws.group(gid))["CacheNodeType"] == "cache.r7g.large" and g["Status"] == "available",
        message="group modified",
    )
    obj = cluster.wait_settled(namespace, "grow", generation=2)
    group = aws.group(gid)
    assert group["SnapshotRetentionLimit"] == 7 and group["AutomaticFailover"] == "enabled"
    assert obj["status"]["engineVersion"].startswith("7.1")
    assert aws.tags(group["ARN"])["tier"] == "gold"
    assert "Modifying" in cluster.wait_event(namespace, "grow", "Modifying")


def test_admission_refuses_a_change_that_cannot_be_made(cluster, namespace):
    cluster.password_secret(namespace)
    cluster.create(namespace, "fixed-port")
    refusal = cluster.refusal(lambda: cluster.patch_spec(namespace, "fixed-port", {"port": 6380}))
    assert refusal["code"] == 422 and "port cannot be changed after creation" in refusal["message"]


def test_a_change_past_admission_is_reported_not_attempted(cluster, aws, namespace):
    """The operator's own check, for an object admission did not see (stored before the rule existed)."""
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "fixed")
    cluster.wait_ready(namespace, "fixed")
    modifies = aws.calls("ModifyReplicationGroup")
    cluster.patch_spec_past_admission(namespace, "fixed", {"port": 6380})
    condition = cluster.wait_reason(namespace, "fixed", "ChangeNotSupported")
    assert "port 6380" in condition["message"]
    assert cluster.condition(namespace, "fixed", "Stalled")["status"] == "True"
    assert aws.group(group_id_of(created))["Status"] == "available"
    assert aws.calls("ModifyReplicationGroup") == modifies


def test_invalid_password_makes_no_aws_call(cluster, aws, namespace):
    cluster.password_secret(namespace, value="short/pass")
    before = aws.calls("CreateReplicationGroup")
    cluster.create(namespace, "badpass")
    condition = cluster.wait_reason(namespace, "badpass", "InvalidSpec")
    assert "must be 16 to 128 characters long" in condition["message"]
    assert "short/pass" not in condition["message"]  # the password never appears in status
    assert cluster.condition(namespace, "badpass", "Stalled")["status"] == "True"
    assert aws.calls("CreateReplicationGroup") == before


def test_admission_refuses_an_invalid_spec(cluster, namespace):
    refusal = cluster.refusal(lambda: cluster.create(namespace, "refused", numShards=3))
    assert refusal["code"] == 422 and refusal["reason"] == "Invalid"
    assert "numShards greater than 1 requires enableSharding: true" in refusal["message"]


def test_an_invalid_spec_past_admission_makes_no_aws_call(cluster, aws, namespace):
    cluster.password_secret(namespace)
    before = aws.calls("CreateReplicationGroup")
    cluster.create_past_admission(namespace, "badspec", numShards=3)
    condition = cluster.wait_reason(namespace, "badspec", "InvalidSpec")
    assert "numShards greater than 1 requires enableSharding: true" in condition["message"]
    assert aws.calls("CreateReplicationGroup") == before
    cluster.patch_spec(namespace, "badspec", {"numShards": 1})
    cluster.wait_ready(namespace, "badspec")


def test_objects_of_another_operator_instance_are_left_alone(cluster, aws, namespace):
    """Two installations share one cluster (two AWS accounts): neither touches the other's objects,
    not even the other's finalizer while the object is being deleted."""
    cluster.password_secret(namespace)
    theirs = finalizer_name("another-installation")  # as that installation's operator would have added it
    other = cluster.body("elsewhere")
    other["metadata"]["labels"] = {"elasticache-operator.io/instance": "another-installation"}
    other["metadata"]["finalizers"] = [theirs]
    cluster.custom.create_namespaced_custom_object(
        "redis.elasticache-operator.io", "v1alpha1", namespace, "redisclusters", other
    )
    cluster.create(namespace, "mine")  # made after it: the operator's watch sees the other one first
    cluster.wait_ready(namespace, "mine")
    cluster.delete(namespace, "elsewhere")
    cluster.delete(namespace, "mine")  # and this deletion is seen after that one
    eventually(lambda: not cluster.exists(namespace, "mine"), message="own RedisCluster deleted")
    untouched = cluster.get(namespace, "elsewhere")
    assert "status" not in untouched and untouched["metadata"]["finalizers"] == [theirs]
    assert not [g for g in aws.groups() if g["ReplicationGroupId"].startswith(f"{namespace}-elsewhere")]
    cluster.custom.patch_namespaced_custom_object(  # the other installation's part, done by hand
        "redis.elasticache-operator.io",
        "v1alpha1",
        namespace,
        "redisclusters",
        "elsewhere",
        {"metadata": {"finalizers": None}},
    )
    eventually(lambda: not cluster.exists(namespace, "elsewhere"), message="the other object released")


def test_missing_password_secret_then_created(cluster, namespace):
    cluster.create(namespace, "later")
    condition = cluster.wait_reason(namespace, "later", "InvalidSpec")
    assert "redis-password" in condition["message"] and "does not exist" in condition["message"]
    cluster.password_secret(namespace)
    cluster.wait_ready(namespace, "later")


def test_a_group_that_is_not_ours_is_never_touched(cluster, aws, namespace):
    created = cluster.create(namespace, "squatter")  # no Secret yet: nothing happens in AWS
    cluster.wait_reason(namespace, "squatter", "InvalidSpec")
    gid = group_id_of(created)
    aws.elasticache.create_replication_group(
        ReplicationGroupId=gid,
        ReplicationGroupDescription="made by hand",
        CacheNodeType="cache.m7g.large",
        Engine="redis",
        TransitEncryptionEnabled=True,
        AuthToken="someone-elses-token",
        NumCacheClusters=1,
        Tags=[{"Key": "owner", "Value": "terraform"}],
    )
    cluster.password_secret(namespace)
    condition = cluster.wait_reason(namespace, "squatter", "NotOwned")
    assert gid in condition["message"]
    eventually(lambda: aws.group(gid)["Status"] == "available")
    cluster.delete(namespace, "squatter")
    eventually(lambda: not cluster.exists(namespace, "squatter"), message="CR removed")
    group = aws.group(gid)
    assert group is not None and group["CacheNodeType"] == "cache.m7g.large"
    assert aws.tags(group["ARN"]) == {"owner": "terraform"}
    aws.delete_group(gid)  # the test made it by hand; it cleans it up by hand


def test_passwords_never_reach_status_events_or_logs(cluster, namespace, logs_dir):
    cluster.password_secret(namespace)
    cluster.create(namespace, "quiet")
    obj = cluster.wait_ready(namespace, "quiet")
    assert TOKEN not in str(obj)
    assert all(TOKEN not in (e.message or "") for e in cluster.core.list_namespaced_event(namespace).items)
    assert TOKEN not in (logs_dir / "operator.log").read_text()


def test_settled_clusters_cost_no_aws_reads_of_their_own(cluster, aws, namespace):
    """Reads are shared: whatever the number of RedisClusters, a resync is a few paged listings, and no
    group is described on its own unless something happened to it."""
    cluster.password_secret(namespace)
    names = ("frugal-a", "frugal-b", "frugal-c")
    ours = {group_id_of(cluster.create(namespace, name)) for name in names}
    for name in names:
        cluster.wait_ready(namespace, name)
    # From the first full resync after all three are Ready: until then the shared observation may still
    # hold one of them as creating, and look at it on its own, as it does at any busy group.
    ready_at = aws.request_log()[-1]["seq"]
    resyncs = lambda: [c for c in aws.request_log(ready_at) if c["action"] == "GetResources"]  # noqa: E731
    eventually(lambda: len(resyncs()) >= 4, 60, message="four full resyncs")
    start, end = resyncs()[0]["seq"], resyncs()[3]["seq"]
    window = [c for c in aws.request_log(start) if c["seq"] <= end]
    # Other tests' objects may still be waiting on their groups (an adoption of a group that does not exist).
    per_group = [c for c in window if c["id"] in ours and c["action"].startswith("Describe")]
    assert per_group == []
    listings = [c for c in window if c["action"] == "DescribeReplicationGroups"]
    assert 2 <= len(listings) <= 8  # a page per resync (and per busy listing of other tests' groups)
    nodes = [c for c in window if c["action"] == "DescribeCacheClusters"]
    assert len(nodes) <= len(listings)  # nodes are listed with the groups, not described one by one


def test_logs_are_json_lines_and_waiting_is_not_an_error(cluster, namespace, logs_dir):
    import json

    cluster.password_secret(namespace)
    cluster.create(namespace, "logged")
    cluster.wait_ready(namespace, "logged")
    records = [
        json.loads(line) for line in (logs_dir / "operator.log").read_text().splitlines() if line.startswith("{")
    ]
    waiting = [r for r in records if "[waiting]" in r["message"]]
    assert waiting and all(r["severity"] == "info" for r in waiting)
