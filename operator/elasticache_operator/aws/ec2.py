"""EC2: the VPC a cluster lives in, and the security groups the operator owns for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.access import ObservedSecurityGroup, Rule
from ..core.naming import TAG_CLUSTER, TAG_UID
from .calls import Calls
from .errors import AWSCallError

PAGE = 1000  # DescribeSecurityGroups' MaxResults maximum


class EC2:
    def __init__(self, client: Any, calls: Calls) -> None:
        self.client, self.calls = client, calls

    def _call(self, operation: str, fn: Callable[..., Any], write: bool = False, **kwargs: Any) -> Any:
        return self.calls(operation, fn, write=write, **kwargs)

    def default_vpc(self) -> str | None:
        vpcs = self._call(
            "DescribeVpcs", self.client.describe_vpcs, Filters=[{"Name": "isDefault", "Values": ["true"]}]
        )["Vpcs"]
        return vpcs[0]["VpcId"] if vpcs else None

    def vpc_cidrs(self, vpc_id: str) -> tuple[str, ...]:
        [vpc] = self._call("DescribeVpcs", self.client.describe_vpcs, VpcIds=[vpc_id])["Vpcs"]
        blocks = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet") or [] if _associated(a)]
        return tuple(sorted(set(blocks or [vpc["CidrBlock"]])))

    def owned_security_groups(self, cluster_name: str, uid: str | None = None) -> list[dict[str, Any]]:
        """Every security group tagged for this Kubernetes cluster (or for one RedisCluster), 1000 a page."""
        filters = [{"Name": f"tag:{TAG_CLUSTER}", "Values": [cluster_name]}]
        if uid is not None:
            filters.append({"Name": f"tag:{TAG_UID}", "Values": [uid]})
        groups: list[dict[str, Any]] = []
        token = ""
        while True:
            params: dict[str, Any] = {
                "Filters": filters,
                "MaxResults": PAGE,
                **({"NextToken": token} if token else {}),
            }
            page = self.calls("DescribeSecurityGroups", self.client.describe_security_groups, **params)
            groups += page["SecurityGroups"]
            token = page.get("NextToken") or ""
            if not token:
                return groups

    def create_security_group(self, name: str, description: str, vpc_id: str, tags: dict[str, str]) -> str:
        try:
            return str(
                self._call(
                    "CreateSecurityGroup",
                    self.client.create_security_group,
                    write=True,
                    GroupName=name,
                    Description=description,
                    VpcId=vpc_id,
                    TagSpecifications=[
                        {"ResourceType": "security-group", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
                    ],
                )["GroupId"]
            )
        except AWSCallError as e:
            if e.code != "InvalidGroup.Duplicate":  # made on an earlier visit that died before noting it
                raise
            found = self._call(
                "DescribeSecurityGroups",
                self.client.describe_security_groups,
                Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc_id]}],
            )["SecurityGroups"]
            return str(found[0]["GroupId"])

    def authorize(self, group_id: str, rule: Rule) -> None:
        try:
            self._call(
                "AuthorizeSecurityGroupIngress",
                self.client.authorize_security_group_ingress,
                write=True,
                GroupId=group_id,
                IpPermissions=[_permission(rule)],
            )
        except AWSCallError as e:
            if e.code != "InvalidPermission.Duplicate":
                raise

    def revoke(self, group_id: str, rule: Rule) -> None:
        try:
            self._call(
                "RevokeSecurityGroupIngress",
                self.client.revoke_security_group_ingress,
                write=True,
                GroupId=group_id,
                IpPermissions=[_permission(rule)],
            )
        except AWSCallError as e:
            if e.code != "InvalidPermission.NotFound":
                raise

    def delete_security_group(self, group_id: str) -> None:
        try:
            self._call("DeleteSecurityGroup", self.client.delete_security_group, write=True, GroupId=group_id)
        except AWSCallError as e:
            if e.code != "InvalidGroup.NotFound":
                raise


def _associated(association: dict[str, Any]) -> bool:
    return bool((association.get("CidrBlockState") or {}).get("State", "associated") == "associated")


def _permission(rule: Rule) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": rule.port, "ToPort": rule.port}
    if rule.cidr:
        permission["IpRanges"] = [{"CidrIp": rule.cidr}]
    if rule.source_group:
        permission["UserIdGroupPairs"] = [{"GroupId": rule.source_group}]
    return permission


def observed_security_group(group: dict[str, Any]) -> ObservedSecurityGroup:
    """The single-port TCP ingress rules of a security group, one Rule per port and source."""
    rules = set()
    for permission in group.get("IpPermissions") or []:
        if permission.get("IpProtocol") != "tcp" or permission.get("FromPort") != permission.get("ToPort"):
            continue  # not a kind the operator makes (nor removes)
        port = int(permission["FromPort"])
        rules |= {Rule(port, cidr=r["CidrIp"]) for r in permission.get("IpRanges") or []}
        rules |= {Rule(port, source_group=p["GroupId"]) for p in permission.get("UserIdGroupPairs") or []}
    return ObservedSecurityGroup(group["GroupId"], group["GroupName"], frozenset(rules))
