"""Bringing existing replication groups under management, or only watching them, without ever changing
a group that does not match or that another RedisCluster owns."""

import uuid

import pytest

from elasticache_operator import ADOPT_ANNOTATION
from elasticache_operator.core.naming import TAG_UID

from ..support.stack import TOKEN, eventually

pytestmark = pytest.mark.integration

WRITES = ("ModifyReplicationGroup", "AddTagsToResource", "RemoveTagsFromResource", "DeleteReplicationGroup")


def made_by_terraform(aws, replicas=1, **overrides):
    group_id = f"tf-{uuid.uuid4().hex[:10]}"
    request = dict(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription="made by terraform",
        CacheNodeType="cache.t4g.micro",
        Engine="redis",
        EngineVersion="6.2",
        TransitEncryptionEnabled=True,
        AuthToken=TOKEN,
        NumCacheClusters=replicas + 1,
        AutomaticFailoverEnabled=replicas > 0,
        Tags=[{"Key": "owner", "Value": "terraform"}],
    )
    request.update(overrides)
    aws.elasticache.create_replication_group(**request)
    eventually(lambda: aws.group(group_id)["Status"] == "available", message="group available")
    return group_id


def adopting(cluster, namespace, name, group_id, **spec):
    if "redis-password" not in [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]:
        cluster.password_secret(namespace)
    body = cluster.body(name, **spec)
    body["metadata"]["annotations"] = {ADOPT_ANNOTATION: group_id}
    return cluster.custom.create_namespaced_custom_object(
        "redis.elasticache-operator.io", "v1alpha1", namespace, "redisclusters", body
    )


def writes(aws):
    return {action: aws.calls(action) for action in WRITES}


def test_a_matching_group_is_adopted_tagged_and_then_managed(cluster, aws, namespace):
    group_id = made_by_terraform(aws, replicas=1)
    creates = aws.calls("CreateReplicationGroup")
    created = adopting(
        cluster, namespace, "legacy", group_id, numReplicaNodes=1, enableAutomaticFailover=True, deletionPolicy="Retain"
    )
    obj = cluster.wait_ready(namespace, "legacy", timeout=60)
    assert obj["status"]["replicationGroupId"] == group_id and aws.calls("CreateReplicationGroup") == creates
    tags = aws.tags(aws.group(group_id)["ARN"])
    assert tags[TAG_UID] == created["metadata"]["uid"] and tags["owner"] == "terraform"
    assert cluster.secret_data(namespace, "legacy-redis")["password"] == TOKEN
    assert "Adopted" in cluster.wait_event(namespace, "legacy", "Adopted")

    cluster.patch_spec(namespace, "legacy", {"numReplicaNodes": 2})  # managed like one it created
    cluster.wait_settled(namespace, "legacy", generation=2, timeout=60)
    assert len(aws.group(group_id)["MemberClusters"]) == 3
    cluster.delete(namespace, "legacy")
    eventually(lambda: not cluster.exists(namespace, "legacy"), message="released")
    assert aws.group(group_id)["Status"] == "available"  # Retain: still there
    aws.delete_group(group_id)


def test_a_group_whose_fixed_shape_differs_is_refused_and_left_untouched(cluster, aws, namespace):
    group_id = made_by_terraform(aws, replicas=1, Port=6380)
    before = writes(aws)
    adopting(cluster, namespace, "mismatch", group_id, enableSharding=True, numReplicaNodes=1)
    condition = cluster.wait_reason(namespace, "mismatch", "AdoptionRefused")
    assert "its port is 6380 and the spec says 6379" in condition["message"]
    assert "not sharded and the spec has enableSharding: true" in condition["message"]
    assert cluster.condition(namespace, "mismatch", "Stalled")["status"] == "True"
    assert writes(aws) == before and aws.tags(aws.group(group_id)["ARN"]) == {"owner": "terraform"}
    cluster.delete(namespace, "mismatch")
    eventually(lambda: not cluster.exists(namespace, "mismatch"), message="released")
    assert aws.group(group_id)["Status"] == "available"  # never this RedisCluster's: never deleted
    aws.delete_group(group_id)


def test_a_group_another_redis_cluster_owns_is_not_taken(cluster, aws, namespace):
    cluster.password_secret(namespace)
    owner = cluster.create(namespace, "owner")
    cluster.wait_ready(namespace, "owner")
    taken = cluster.get(namespace, "owner")["status"]["replicationGroupId"]
    before = writes(aws)
    adopting(cluster, namespace, "thief", taken)
    condition = cluster.wait_reason(namespace, "thief", "NotOwned")
    assert f"{namespace}/owner" in condition["message"]
    assert writes(aws) == before
    assert aws.tags(aws.group(taken)["ARN"])[TAG_UID] == owner["metadata"]["uid"]


def test_an_annotation_naming_no_group_creates_nothing(cluster, aws, namespace):
    creates = aws.calls("CreateReplicationGroup")
    adopting(cluster, namespace, "ghost", "no-such-group-here")
    condition = cluster.wait_reason(namespace, "ghost", "InvalidSpec")
    assert "no-such-group-here" in condition["message"] and "does not exist" in condition["message"]
    assert aws.calls("CreateReplicationGroup") == creates


def test_observe_only_reports_and_never_writes_then_manage_adopts(cluster, aws, namespace):
    group_id = made_by_terraform(aws, replicas=0)
    before = writes(aws)
    adopting(cluster, namespace, "watched", group_id, managementPolicy="ObserveOnly", instanceSize="cache.r7g.large")
    condition = cluster.wait_reason(namespace, "watched", "Observing")
    obj = cluster.get(namespace, "watched")
    assert condition["status"] == "True"
    assert "node type cache.t4g.micro→cache.r7g.large" in condition["message"]  # reported, not applied
    assert cluster.secret_data(namespace, "watched-redis")["host"] == obj["status"]["host"]
    assert writes(aws) == before

    cluster.patch_spec(namespace, "watched", {"managementPolicy": "Manage"})
    cluster.wait_settled(namespace, "watched", generation=2, timeout=60)
    group = aws.group(group_id)
    assert group["CacheNodeType"] == "cache.r7g.large" and TAG_UID in aws.tags(group["ARN"])
    cluster.patch_spec(namespace, "watched", {"deletionPolicy": "Delete"})
    cluster.delete(namespace, "watched")
    eventually(lambda: aws.group(group_id) is None, 60, message="deleted by its policy once managed")


def test_observe_only_without_a_password_writes_no_secret_and_deletes_nothing(cluster, aws, namespace):
    group_id = made_by_terraform(aws, replicas=0)
    body = cluster.body("peek", managementPolicy="ObserveOnly", deletionPolicy="Delete")
    del body["spec"]["defaultUserPassword"]
    body["metadata"]["annotations"] = {ADOPT_ANNOTATION: group_id}
    cluster.custom.create_namespaced_custom_object(
        "redis.elasticache-operator.io", "v1alpha1", namespace, "redisclusters", body
    )
    cluster.wait_reason(namespace, "peek", "Observing")
    assert "peek-redis" not in [s.metadata.name for s in cluster.core.list_namespaced_secret(namespace).items]
    cluster.delete(namespace, "peek")
    eventually(lambda: not cluster.exists(namespace, "peek"), message="released")
    assert aws.group(group_id)["Status"] == "available"  # ObserveOnly: the deletion policy does not apply
    aws.delete_group(group_id)
