"""Who can connect (spec.accessibility), as the same read → decide → act: the security groups of the
mode exist with exactly their rules (rules removed by hand come back), the other mode's go once
detached, and the pods' SecurityGroupPolicy is kept (core/access.py decides, effects here call EC2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..aws.ec2 import observed_security_group
from ..core import access, naming
from ..core import conditions as c
from ..core.desired import DesiredGroup
from ..core.effects import Event
from ..core.observed import ObservedGroup
from ..kube.security_group_policies import PoliciesUnavailable
from . import Visit
from .effects import Carried, acts, carry_out

ROUNDS = 2  # a second round admits a clients group created in the first


@dataclass(frozen=True)
class Reach:
    group_ids: tuple[str, ...] | None  # what the replication group should carry (None: not known yet)
    fields: dict[str, Any]  # for status
    condition: tuple[c.Status, str, str]  # ClientAccess


def converge(visit: Visit, mode: str, desired: DesiredGroup, observed: ObservedGroup | None) -> Reach:
    """Up to two rounds of read → decide → act on EC2, then the policy for the pods."""
    vpc, cidrs = visit.deps.observer.network()
    wanted = access.desired_access(mode, desired.group_id, desired.port, cidrs)
    attached = observed.security_group_ids if observed else ()
    identity = visit.identity
    ownership = naming.ownership_tags(identity.namespace, identity.name, identity.uid, identity.cluster_name)
    todo = _changes(visit, wanted, desired.port, attached)
    for _ in range(ROUNDS):
        effects = access.change_effects(todo, vpc, ownership)
        if not effects:
            break
        carried = carry_out(effects, visit)
        if carried.failure is not None:
            raise carried.failure
        visit.deps.observer.refresh_security_groups(identity.uid)
        todo = _changes(visit, wanted, desired.port, attached)
    return _policy(visit, wanted, todo, vpc)


def _changes(visit: Visit, wanted: access.Access, port: int, attached: tuple[str, ...]) -> access.AccessChanges:
    owned = [observed_security_group(g) for g in visit.deps.observer.security_groups(visit.identity.uid)]
    return access.access_changes(wanted, port, owned, tuple(visit.deps.settings.security_group_ids), attached)


def _policy(visit: Visit, wanted: access.Access, todo: access.AccessChanges, vpc: str) -> Reach:
    """The clients' group for pods (scoping mode), through an EKS SecurityGroupPolicy; ClientAccess says who."""
    identity, deps = visit.identity, visit.deps
    fields: dict[str, Any] = {"securityGroupIds": list(todo.security_group_ids or ())}
    policy_name = f"{identity.name}-redis-clients"
    if wanted.clients is None:
        if visit.status.get("securityGroupPolicy"):
            deps.policies.delete(identity.namespace, policy_name)
        fields.update(clientSecurityGroupId=None, securityGroupPolicy=None)
        return Reach(todo.security_group_ids, fields, ("True", "WholeVPC", f"Any workload in {vpc} can connect"))
    fields["clientSecurityGroupId"] = todo.clients_group_id
    if todo.clients_group_id is None:
        return Reach(todo.security_group_ids, fields, ("False", "Creating", "Creating security groups"))
    groups = (todo.clients_group_id, *deps.settings.client_security_group_ids)
    try:
        deps.policies.apply(
            identity.namespace, access.security_group_policy(policy_name, identity.name, groups), visit.body
        )
    except PoliciesUnavailable:
        fields["securityGroupPolicy"] = None
        message = (
            f"Only members of security group {todo.clients_group_id} can connect, but this Kubernetes cluster has"
            " no SecurityGroupPolicy CRD (EKS security groups for pods), so no pod gets it: enable security"
            " groups for pods, give other clients that security group, or use accessibilityMode vpc"
        )
        return Reach(todo.security_group_ids, fields, ("False", "SecurityGroupPolicyUnavailable", message))
    fields["securityGroupPolicy"] = policy_name
    message = (
        f"Only pods labelled {access.CONNECT_LABEL}={identity.name} (SecurityGroupPolicy {policy_name}) and members"
        f" of security group {todo.clients_group_id} can connect"
    )
    return Reach(todo.security_group_ids, fields, ("True", "ScopedToWorkloads", message))


@acts(access.CreateSecurityGroup)
def _create(effect: access.CreateSecurityGroup, visit: Visit, carried: Carried) -> None:
    assert visit.deps.ec2 is not None
    visit.deps.ec2.create_security_group(effect.name, effect.description, effect.vpc, effect.tags)


@acts(access.AuthorizeIngress)
def _authorize(effect: access.AuthorizeIngress, visit: Visit, carried: Carried) -> None:
    assert visit.deps.ec2 is not None
    visit.deps.ec2.authorize(effect.security_group_id, effect.rule)


@acts(access.RevokeIngress)
def _revoke(effect: access.RevokeIngress, visit: Visit, carried: Carried) -> None:
    assert visit.deps.ec2 is not None
    visit.deps.ec2.revoke(effect.security_group_id, effect.rule)


@acts(access.DeleteSecurityGroup)
def _delete(effect: access.DeleteSecurityGroup, visit: Visit, carried: Carried) -> None:
    assert visit.deps.ec2 is not None
    visit.deps.ec2.delete_security_group(effect.security_group_id)
    if effect.said:
        carried.events.append(Event("Normal", "Deleted", f"Security group {effect.security_group_id} deleted"))
