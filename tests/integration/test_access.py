"""spec.accessibility: security groups the operator owns, kept as the mode says (drift restored), swapped
when the mode changes, an EKS SecurityGroupPolicy for opted-in pods, and nothing left behind on delete."""

import contextlib

import pytest
from kubernetes.client.exceptions import ApiException

from ..support.stack import eventually
from .test_reconcile import group_id_of

pytestmark = pytest.mark.integration

POLICIES = ("vpcresources.k8s.aws", "v1beta1", "securitygrouppolicies")
POLICY_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "securitygrouppolicies.vpcresources.k8s.aws"},
    "spec": {
        "group": "vpcresources.k8s.aws",
        "names": {"kind": "SecurityGroupPolicy", "plural": "securitygrouppolicies", "singular": "securitygrouppolicy"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1beta1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    }
                },
            }
        ],
    },
}


@pytest.fixture
def ec2(aws):
    return aws.client("ec2", attempts=3)


def security_group(ec2, group_id):
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def ingress(group):
    return sorted(
        (p["FromPort"], r.get("CidrIp") or r.get("GroupId"))
        for p in group["IpPermissions"]
        for r in p.get("IpRanges", []) + p.get("UserIdGroupPairs", [])
    )


def attached(aws, gid):
    member = aws.group(gid)["MemberClusters"][0]
    [node] = aws.elasticache.describe_cache_clusters(CacheClusterId=member)["CacheClusters"]
    return [g["SecurityGroupId"] for g in node["SecurityGroups"]]


def test_vpc_mode_admits_the_vpc_and_a_removed_rule_comes_back(cluster, aws, ec2, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "open", deletionPolicy="Delete")
    obj = cluster.wait_ready(namespace, "open")
    gid = group_id_of(created)
    [sg] = obj["status"]["securityGroupIds"]
    assert attached(aws, gid) == [sg]
    vpc = ec2.describe_vpcs(VpcIds=[security_group(ec2, sg)["VpcId"]])["Vpcs"][0]
    assert ingress(security_group(ec2, sg)) == [(6379, vpc["CidrBlock"])]
    assert cluster.condition(namespace, "open", "ClientAccess")["reason"] == "WholeVPC"

    ec2.revoke_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "IpRanges": [{"CidrIp": vpc["CidrBlock"]}]}
        ],
    )
    eventually(lambda: ingress(security_group(ec2, sg)) == [(6379, vpc["CidrBlock"])], 30, message="rule restored")

    cluster.delete(namespace, "open")
    eventually(lambda: not cluster.exists(namespace, "open"), 60, message="deleted")
    with pytest.raises(Exception, match="InvalidGroup.NotFound"):
        security_group(ec2, sg)


def test_scoping_to_workloads_swaps_groups_and_gives_opted_in_pods_the_clients_group(cluster, aws, ec2, namespace):
    cluster.password_secret(namespace)
    created = cluster.create(namespace, "private", deletionPolicy="Delete")
    gid = group_id_of(created)
    [vpc_sg] = cluster.wait_ready(namespace, "private")["status"]["securityGroupIds"]
    if policies_installed(cluster):
        pytest.skip("this cluster has the SecurityGroupPolicy CRD; the missing-CRD half of this test needs none")

    cluster.patch_spec(namespace, "private", {"accessibility": {"accessibilityMode": "scoping-workloads-in-vpc"}})
    condition = eventually(
        lambda: (
            (c := cluster.condition(namespace, "private", "ClientAccess")).get("reason")
            == "SecurityGroupPolicyUnavailable"
            and c
        ),
        60,
        message="the missing CRD reported",
    )
    assert condition["status"] == "False" and "accessibilityMode vpc" in condition["message"]
    obj = cluster.wait_settled(namespace, "private", generation=2, timeout=60)  # the cluster itself is fine
    [scoped] = obj["status"]["securityGroupIds"]
    clients = obj["status"]["clientSecurityGroupId"]
    eventually(lambda: attached(aws, gid) == [scoped], 60, message="groups swapped")
    assert ingress(security_group(ec2, scoped)) == [(6379, clients)]
    eventually(
        lambda: not ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [vpc_sg]}])["SecurityGroups"],
        60,
        message="old group deleted",
    )

    made_crd = install_policies(cluster)
    try:
        policy = eventually(lambda: get_policy(cluster, namespace, "private-redis-clients"), 60, message="policy")
        assert policy["spec"]["podSelector"] == {"matchLabels": {"redis.elasticache-operator.io/connect-to": "private"}}
        assert policy["spec"]["securityGroups"]["groupIds"] == [clients]
        assert policy["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
        eventually(
            lambda: cluster.condition(namespace, "private", "ClientAccess").get("reason") == "ScopedToWorkloads",
            60,
            message="scoped",
        )
        cluster.delete(namespace, "private")
        eventually(lambda: not cluster.exists(namespace, "private"), 60, message="deleted")
        left = ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [scoped, clients]}])
        assert left["SecurityGroups"] == []
    finally:
        if made_crd:
            with contextlib.suppress(ApiException):
                cluster.extensions.delete_custom_resource_definition(POLICY_CRD["metadata"]["name"])


def policies_installed(cluster):
    try:
        cluster.extensions.read_custom_resource_definition(POLICY_CRD["metadata"]["name"])
        return True
    except ApiException as e:
        if e.status == 404:
            return False
        raise


def install_policies(cluster):
    if policies_installed(cluster):
        return False
    cluster.extensions.create_custom_resource_definition(POLICY_CRD)
    return True


def get_policy(cluster, namespace, name):
    try:
        return cluster.custom.get_namespaced_custom_object(*POLICIES[:2], namespace, POLICIES[2], name)
    except ApiException as e:
        if e.status == 404:
            return None
        raise
