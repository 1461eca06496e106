"""Who may reach a cluster over the network (Stacktape's `accessibility`), as EC2 security groups.

`vpc`: one security group the operator owns admits the cluster's port from the VPC's CIDR blocks.
`scoping-workloads-in-vpc`: two groups, one for the cluster and one for its clients; the cluster's
admits the port only from the clients' group, which pods get through an EKS SecurityGroupPolicy
selecting the label `redis.elasticache-operator.io/connect-to: <RedisCluster name>`.

Each mode has groups of its own, so changing the mode creates the new groups, swaps them on the
replication group (ModifyReplicationGroup SecurityGroupIds), and deletes the old ones once detached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .effects import Effect

CONNECT_LABEL = "redis.elasticache-operator.io/connect-to"
ROLE_TAG = "elasticache-operator.io/security-group-role"  # cluster or clients


@dataclass(frozen=True, order=True)
class Rule:
    """One TCP ingress permission: from a CIDR block, or from another security group (by id)."""

    port: int
    cidr: str = ""
    source_group: str = ""


@dataclass(frozen=True)
class WantedGroup:
    name: str  # the EC2 GroupName, unique in the VPC
    role: str  # cluster: attached to the replication group; clients: given to pods
    description: str
    cidrs: tuple[str, ...] = ()  # admitted on the port
    from_group: str = ""  # the name of the (clients) group admitted on the port


@dataclass(frozen=True)
class ObservedSecurityGroup:
    id: str
    name: str
    rules: frozenset[Rule]


@dataclass(frozen=True)
class Access:
    groups: tuple[WantedGroup, ...]
    attached: str  # the name of the group the replication group carries
    clients: str | None  # the name of the group pods get (scoping mode only)


@dataclass(frozen=True)
class AccessChanges:
    create: tuple[WantedGroup, ...]
    authorize: tuple[tuple[str, Rule], ...]  # (group id, rule); rules from groups still to create wait
    revoke: tuple[tuple[str, Rule], ...]
    security_group_ids: tuple[str, ...] | None  # what the replication group should carry, once all exist
    delete: tuple[str, ...]  # group ids of the other mode, once the replication group no longer has them
    clients_group_id: str | None


def desired_access(mode: str, group_id: str, port: int, vpc_cidrs: tuple[str, ...]) -> Access:
    prefix = f"elasticache-operator-{group_id}"
    if mode == "scoping-workloads-in-vpc":
        clients = WantedGroup(f"{prefix}-clients", "clients", f"Clients of ElastiCache {group_id} (pods opt in)")
        cluster = WantedGroup(
            f"{prefix}-scoped", "cluster", f"ElastiCache {group_id}: its clients only", from_group=clients.name
        )
        return Access((clients, cluster), attached=cluster.name, clients=clients.name)
    vpc = WantedGroup(f"{prefix}-vpc", "cluster", f"ElastiCache {group_id}: the whole VPC", cidrs=vpc_cidrs)
    return Access((vpc,), attached=vpc.name, clients=None)


def access_changes(
    access: Access,
    port: int,
    owned: list[ObservedSecurityGroup],
    extra_group_ids: tuple[str, ...],
    attached_ids: tuple[str, ...],
) -> AccessChanges:
    """`owned`: the security groups the operator made for this cluster; `extra_group_ids`: the ones the
    settings add to every group; `attached_ids`: what the replication group carries now."""
    by_name = {g.name: g for g in owned}
    wanted_names = {g.name for g in access.groups}
    create = tuple(g for g in access.groups if g.name not in by_name)
    authorize, revoke = [], []
    for wanted in access.groups:
        have = by_name.get(wanted.name)
        if have is None:
            continue
        rules = {Rule(port, cidr=c) for c in wanted.cidrs}
        if wanted.from_group:
            source = by_name.get(wanted.from_group)
            if source is None:
                rules = set()  # its source group is still to be created: next visit
            else:
                rules.add(Rule(port, source_group=source.id))
        authorize += [(have.id, r) for r in sorted(rules - have.rules)]
        revoke += [(have.id, r) for r in sorted(have.rules - rules)] if rules or not wanted.from_group else []
    attached = by_name.get(access.attached)
    wanted_ids = None if attached is None else (attached.id, *extra_group_ids)
    others = [g for g in owned if g.name not in wanted_names]
    delete = tuple(g.id for g in others if g.id not in attached_ids)
    # The other mode's cluster group first: it may admit the other mode's clients group.
    delete = tuple(sorted(delete, key=lambda i: next(g.name for g in others if g.id == i).endswith("-clients")))
    clients = by_name.get(access.clients) if access.clients else None
    return AccessChanges(
        create=create,
        authorize=tuple(authorize),
        revoke=tuple(revoke),
        security_group_ids=wanted_ids,
        delete=delete,
        clients_group_id=clients.id if clients else None,
    )


def security_group_policy(name: str, cluster: str, group_ids: tuple[str, ...]) -> dict[str, object]:
    """The EKS SecurityGroupPolicy (vpcresources.k8s.aws/v1beta1) giving opted-in pods the clients' group."""
    return {
        "apiVersion": "vpcresources.k8s.aws/v1beta1",
        "kind": "SecurityGroupPolicy",
        "metadata": {"name": name},
        "spec": {
            "podSelector": {"matchLabels": {CONNECT_LABEL: cluster}},
            "securityGroups": {"groupIds": list(group_ids)},
        },
    }


@dataclass(frozen=True)
class CreateSecurityGroup(Effect):
    name: str
    description: str
    vpc: str
    tags: dict[str, str]


@dataclass(frozen=True)
class AuthorizeIngress(Effect):
    security_group_id: str
    rule: Rule


@dataclass(frozen=True)
class RevokeIngress(Effect):
    security_group_id: str
    rule: Rule


@dataclass(frozen=True)
class DeleteSecurityGroup(Effect):
    security_group_id: str
    said: bool = False  # post a `Deleted` Event (when the RedisCluster itself goes)


def role_of(group: dict[str, Any]) -> str:
    """A security group's role tag, as DescribeSecurityGroups lists it (cluster or clients)."""
    return next((t["Value"] for t in group.get("Tags") or [] if t["Key"] == ROLE_TAG), "")


def change_effects(changes: AccessChanges, vpc: str, ownership: dict[str, str]) -> list[Effect]:
    """The EC2 calls that make the observed groups what the mode wants, in an order EC2 accepts."""
    effects: list[Effect] = [
        CreateSecurityGroup(g.name, g.description, vpc, {**ownership, ROLE_TAG: g.role}) for g in changes.create
    ]
    effects += [AuthorizeIngress(group_id, rule) for group_id, rule in changes.authorize]
    effects += [RevokeIngress(group_id, rule) for group_id, rule in changes.revoke]
    effects += [DeleteSecurityGroup(group_id) for group_id in changes.delete]
    return effects


def removal_effects(owned: list[tuple[str, str]]) -> list[Effect]:
    """Deleting a RedisCluster's groups, given as (id, role): the cluster's first, as they admit the
    clients' group, which can go only after them."""
    ordered = sorted(owned, key=lambda group: group[1] == "clients")
    return [DeleteSecurityGroup(group_id, said=True) for group_id, _ in ordered]
