"""Day 2: every change a user can express in the spec is applied in place, one AWS change at a time,
in the safe order, each step said in Ready's message and in an Event."""

from urllib.parse import unquote, urlsplit

import pytest

from ..support.stack import TOKEN, eventually
from .test_reconcile import group_id_of

pytestmark = pytest.mark.integration

NEW_TOKEN = "the-next-token-2027"


def applied_steps(cluster, namespace, name):
    """The ApplyingChange Events' messages, in the order they were posted."""
    events = cluster.core.list_namespaced_event(namespace).items
    ordered = sorted(events, key=lambda e: int(e.metadata.resource_version))
    return [e.message for e in ordered if e.involved_object.name == name and e.reason == "ApplyingChange"]


def settle(cluster, namespace, name, generation, timeout=60):
    obj = cluster.wait_settled(namespace, name, generation=generation, timeout=timeout)
    assert "applying" not in obj["status"]
    return obj


def test_replicas_grow_and_shrink_and_failover_goes_off_first(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "replicas", numReplicaNodes=1, enableAutomaticFailover=True)
    cluster.wait_ready(namespace, "replicas")
    gid = group_id_of(created)

    cluster.patch_spec(namespace, "replicas", {"numReplicaNodes": 3})
    obj = settle(cluster, namespace, "replicas", 2)
    assert len(aws.group(gid)["MemberClusters"]) == 4 and obj["status"]["replicasPerShard"] == 3
    assert applied_steps(cluster, namespace, "replicas") == ["Applying step 1/1: IncreaseReplicaCount 1→3"]

    cluster.patch_spec(namespace, "replicas", {"numReplicaNodes": 0, "enableAutomaticFailover": False})
    settle(cluster, namespace, "replicas", 3)
    group = aws.group(gid)
    assert len(group["MemberClusters"]) == 1 and group["AutomaticFailover"] == "disabled"
    assert applied_steps(cluster, namespace, "replicas")[1:] == [
        "Applying step 1/2: ModifyReplicationGroup automatic failover off",
        "Applying step 2/2: DecreaseReplicaCount 3→0",
    ]
    data = cluster.secret_data(namespace, "replicas-redis")
    assert data["host"] == obj["status"]["host"]  # the primary endpoint did not move


def test_shards_out_and_in_online(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "shards", enableSharding=True, numShards=2, numReplicaNodes=1)
    ready = cluster.wait_ready(namespace, "shards")
    gid = group_id_of(created)

    cluster.patch_spec(namespace, "shards", {"numShards": 4})
    settle(cluster, namespace, "shards", 2)
    assert sorted(g["NodeGroupId"] for g in aws.group(gid)["NodeGroups"]) == ["0001", "0002", "0003", "0004"]

    removals = aws.calls("ModifyReplicationGroupShardConfiguration")
    cluster.patch_spec(namespace, "shards", {"numShards": 1, "numReplicaNodes": 2})
    obj = settle(cluster, namespace, "shards", 3)
    assert [g["NodeGroupId"] for g in aws.group(gid)["NodeGroups"]] == ["0001"]  # the highest went first
    assert aws.calls("ModifyReplicationGroupShardConfiguration") == removals + 1
    assert applied_steps(cluster, namespace, "shards")[-2:] == [
        "Applying step 1/2: IncreaseReplicaCount 1→2",
        "Applying step 2/2: ModifyReplicationGroupShardConfiguration 4→1 shards",
    ]
    assert obj["status"]["shards"] == 1 and obj["status"]["replicasPerShard"] == 2
    assert cluster.secret_data(namespace, "shards-redis")["host"] == ready["status"]["host"]


def test_several_changes_at_once_go_in_the_documented_order(cluster, aws, namespace):
    cluster.password_secret(namespace)
    cluster.create(namespace, "many", enableSharding=True, numShards=2, numReplicaNodes=2)
    cluster.wait_ready(namespace, "many")
    cluster.patch_spec(
        namespace,
        "many",
        {"numShards": 3, "numReplicaNodes": 1, "instanceSize": "cache.r7g.large", "automatedBackupRetentionDays": 3},
    )
    obj = settle(cluster, namespace, "many", 2, timeout=90)
    assert applied_steps(cluster, namespace, "many") == [
        "Applying step 1/4: ModifyReplicationGroupShardConfiguration 2→3 shards",
        "Applying step 2/4: ModifyReplicationGroup node type cache.t4g.micro→cache.r7g.large",
        "Applying step 3/4: ModifyReplicationGroup backup retention 0→3 days",
        "Applying step 4/4: DecreaseReplicaCount 2→1",
    ]
    group = aws.group(obj["status"]["replicationGroupId"])
    assert len(group["NodeGroups"]) == 3 and group["CacheNodeType"] == "cache.r7g.large"
    assert all(len(g["NodeGroupMembers"]) == 2 for g in group["NodeGroups"])


def test_a_new_password_is_rotated_in_without_downtime(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "rotating")
    cluster.wait_ready(namespace, "rotating")
    assert cluster.secret_data(namespace, "rotating-redis")["password"] == TOKEN
    eventually(lambda: "rotating-redis-pending" not in secrets(cluster, namespace), message="creation settled")

    cluster.core.patch_namespaced_secret("redis-password", namespace, {"stringData": {"password": NEW_TOKEN}})
    # Found by the resync timer: ROTATE, then the connection Secret switches while both passwords work.
    eventually(
        lambda: cluster.secret_data(namespace, "rotating-redis")["password"] == NEW_TOKEN,
        60,
        message="connection Secret switched",
    )
    assert unquote(urlsplit(cluster.secret_data(namespace, "rotating-redis")["url"]).password) == NEW_TOKEN
    # Then, after the grace period, SET retires the old one and the pending Secret goes.
    eventually(lambda: "rotating-redis-pending" not in secrets(cluster, namespace), 60, message="rotation done")
    obj = cluster.wait_ready(namespace, "rotating")
    assert "passwordPending" not in obj["status"]
    assert "PasswordRotated" in cluster.wait_event(namespace, "rotating", "PasswordRotated")
    messages = applied_steps(cluster, namespace, "rotating")
    assert messages[-2:] == [
        "Applying step 1/1: ModifyReplicationGroup AuthToken ROTATE",
        "Applying step 1/1: ModifyReplicationGroup AuthToken SET",
    ]
    assert aws.group(group_id_of(created))["AuthTokenEnabled"]
    everything = str(obj) + " ".join(e.message or "" for e in cluster.core.list_namespaced_event(namespace).items)
    assert NEW_TOKEN not in everything and TOKEN not in everything


def secrets(cluster, namespace):
    return [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]


def test_slow_log_off_on_format_and_retention(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "logs")
    cluster.wait_ready(namespace, "logs")
    gid = group_id_of(created)
    log_group = f"/elasticache/{gid}/slow-log"

    def delivery():
        configs = aws.group(gid).get("LogDeliveryConfigurations") or []
        return next((c for c in configs if c["LogType"] == "slow-log" and c["Status"] != "disabling"), None)

    def retention():
        [group] = aws.logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
        return group.get("retentionInDays")

    cluster.patch_spec(namespace, "logs", {"logging": {"disabled": True}})
    settle(cluster, namespace, "logs", 2)
    assert delivery() is None and retention() == 90  # the log group and its records stay

    cluster.patch_spec(namespace, "logs", {"logging": {"disabled": False, "format": "text", "retentionDays": 30}})
    settle(cluster, namespace, "logs", 3)
    assert delivery()["LogFormat"] == "text" and retention() == 30

    cluster.patch_spec(namespace, "logs", {"logging": {"format": "json", "retentionDays": 7}})
    obj = settle(cluster, namespace, "logs", 4)
    assert delivery()["LogFormat"] == "json" and retention() == 7 and obj["status"]["slowLogRetentionDays"] == 7

    cluster.delete(namespace, "logs")
    eventually(lambda: not cluster.exists(namespace, "logs"), 60, message="deleted")
    assert aws.logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"] == []


def warnings(cluster, namespace, name, reason):
    """Warning Events of one reason, messages in the order they were posted."""
    events = cluster.core.list_namespaced_event(namespace).items
    ordered = sorted(events, key=lambda e: int(e.metadata.resource_version))
    return [e.message for e in ordered if e.involved_object.name == name and e.reason == reason and e.type == "Warning"]


def test_a_setting_and_a_tag_changed_in_aws_are_put_back_with_a_warning_naming_them(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "drift", automatedBackupRetentionDays=3, tags={"team": "checkout"})
    cluster.wait_settled(namespace, "drift", generation=1)
    gid = group_id_of(created)
    group = aws.group(gid)

    aws.elasticache.modify_replication_group(ReplicationGroupId=gid, SnapshotRetentionLimit=9, ApplyImmediately=True)
    eventually(lambda: (g := aws.group(gid))["Status"] == "available" and g["SnapshotRetentionLimit"] == 3, 60)
    said = eventually(lambda: warnings(cluster, namespace, "drift", "DriftCorrected"), message="a DriftCorrected Event")
    assert said == [
        "automatedBackupRetentionDays was changed outside the operator: ElastiCache has 9, the spec says 3;"
        " putting it back"
    ]

    settle(cluster, namespace, "drift", 1)  # drift is what differs once the spec is in effect again
    aws.elasticache.add_tags_to_resource(ResourceName=group["ARN"], Tags=[{"Key": "team", "Value": "search"}])
    eventually(lambda: aws.tags(group["ARN"])["team"] == "checkout", 60, message="the tag put back")
    said = eventually(
        lambda: (w := warnings(cluster, namespace, "drift", "DriftCorrected")) and len(w) == 2 and w,
        message="a second DriftCorrected Event",
    )
    assert (
        said[1] == "tags.team was changed outside the operator: ElastiCache has search, the spec says checkout;"
        " putting it back"
    )
    cluster.wait_settled(namespace, "drift", generation=1)
    assert len(warnings(cluster, namespace, "drift", "DriftCorrected")) == 2  # once per correction


def test_a_change_of_the_spec_is_no_drift(cluster, aws, namespace):
    cluster.password_secret(namespace)
    cluster.create(namespace, "nodrift")
    cluster.wait_settled(namespace, "nodrift", generation=1)
    cluster.patch_spec(namespace, "nodrift", {"automatedBackupRetentionDays": 5, "tags": {"team": "a"}})
    settle(cluster, namespace, "nodrift", 2)
    assert warnings(cluster, namespace, "nodrift", "DriftCorrected") == []
    assert applied_steps(cluster, namespace, "nodrift") == [
        "Applying step 1/1: ModifyReplicationGroup backup retention 0→5 days"
    ]


def test_a_slow_log_delivery_aws_does_not_apply_is_reported_and_asked_for_again_once_per_retry(cluster, aws, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "nolog")
    cluster.wait_settled(namespace, "nolog", generation=1)
    gid = group_id_of(created)
    refused = "The resource policy of CloudWatch Logs does not allow ElastiCache to deliver to this log group"
    aws.inject(operation="ModifyReplicationGroup", code="", outcome="log-delivery-error", message=refused, count=2)
    since = max((entry["seq"] for entry in aws.request_log()), default=0)

    cluster.patch_spec(namespace, "nolog", {"logging": {"format": "text"}})
    ready = cluster.wait_reason(namespace, "nolog", "AWSError", timeout=60)
    assert ready["status"] == "False" and refused in ready["message"] and "slow-log delivery" in ready["message"]
    cluster.wait_event(namespace, "nolog", "AWSError")
    assert any(refused in message for message in warnings(cluster, namespace, "nolog", "AWSError"))

    obj = settle(cluster, namespace, "nolog", 2, timeout=90)  # the third request (no fault left) takes
    [delivery] = [c for c in aws.group(gid)["LogDeliveryConfigurations"] if c["LogType"] == "slow-log"]
    assert delivery["Status"] == "active" and delivery["LogFormat"] == "text" and "slowLogError" not in obj["status"]
    asked = [e for e in aws.request_log(since) if e["action"] == "ModifyReplicationGroup" and e["id"] == gid]
    assert len(asked) == 3, asked  # the change, then once per retry interval: never in a loop
    gaps = [b["time"] - a["time"] for a, b in zip(asked, asked[1:], strict=False)]
    assert min(gaps) >= 0.5, gaps  # the retry interval is 1 s in these tests
