"""Taking over a replication group made elsewhere (CloudFormation, Terraform, by hand), or only watching it.

A group is adopted only if what cannot change in place already matches the spec, and only if no other
RedisCluster owns it; nothing is changed before that. Then it is tagged as this RedisCluster's and is
managed like a group the operator created. `managementPolicy: ObserveOnly` reads and reports, and never
changes, tags or deletes anything; switching it to Manage adopts.
"""

from __future__ import annotations

from . import conditions as c
from .connection import ConnectionSecret, connection_data
from .decide import status_fields
from .desired import DesiredGroup
from .effects import ChangeTags, Decided, Event, Post, WriteConnectionSecret
from .naming import TAG_NAME, TAG_NAMESPACE, TAG_UID
from .observed import ObservedGroup
from .plan import plan_changes
from .visit import user_tags


def owner_elsewhere(observed: ObservedGroup, uid: str) -> str | None:
    """The RedisCluster (namespace/name) that owns the group, if it is not this one."""
    owner = observed.tags.get(TAG_UID)
    if owner is None or owner == uid:
        return None
    return f"{observed.tags.get(TAG_NAMESPACE, '?')}/{observed.tags.get(TAG_NAME, '?')}"


def adoption_problems(desired: DesiredGroup, observed: ObservedGroup) -> list[str]:
    """Differences only a new group could resolve; an adoption goes ahead only without any."""
    problems = []
    if desired.sharded != observed.sharded:
        problems.append(
            f"it is {'sharded' if observed.sharded else 'not sharded'} and the spec has enableSharding:"
            f" {str(desired.sharded).lower()}"
        )
    if observed.port is not None and observed.port != desired.port:
        problems.append(f"its port is {observed.port} and the spec says {desired.port}")
    if observed.engine != desired.engine:
        problems.append(f"its engine is {observed.engine} and the spec says {desired.engine}")
    if not observed.transit_encryption:
        problems.append("it has no in-transit encryption, which the connection Secret promises (tls: true)")
    return problems


def refused(group_id: str, problems: list[str]) -> c.Verdict:
    return c.Verdict(
        "False",
        c.ADOPTION_REFUSED,
        f"Replication group {group_id} is not adopted: {'; '.join(problems)}. Nothing was changed: make the spec"
        " match, or name another group",
        terminal=True,
    )


def missing(group_id: str) -> c.Verdict:
    return c.Verdict(
        "False",
        c.INVALID_SPEC,
        f"The annotation names replication group {group_id}, which does not exist in this region (yet)",
        terminal=True,
    )


def observing(desired: DesiredGroup, observed: ObservedGroup | None, group_id: str) -> c.Verdict:
    """Ready follows the group; the message says what differs from the spec, and that nothing is changed."""
    if observed is None:
        return missing(group_id)
    base = c.verdict_for_aws_status(observed.status)
    note = f"Observing replication group {group_id} (managementPolicy ObserveOnly: the operator changes nothing)"
    if observed.status == "available":
        differences = [s.summary for s in plan_changes(desired, observed, log_retention_applied=0).steps]
        differences += plan_changes(desired, observed).unsupported
        if differences:
            note += "; it differs from the spec: " + "; ".join(differences)
        return c.Verdict("True", c.OBSERVING, note)
    return c.Verdict(base.ready, base.reason, f"{note}; {base.message}", progressing=base.progressing)


def decide_adoption(desired: DesiredGroup, observed: ObservedGroup | None, uid: str, secret_name: str) -> Decided:
    """Tag the group as this RedisCluster's, if its fixed shape matches and nobody else owns it."""
    group_id = desired.group_id
    unlinked = {"connectionSecretName": secret_name}  # no replicationGroupId until the group is this one's
    if observed is None:
        return Decided(missing(group_id), status=unlinked, retry=True)
    if owner := owner_elsewhere(observed, uid):
        message = f"Replication group {group_id} belongs to RedisCluster {owner}; it is not adopted"
        return Decided(c.Verdict("False", c.NOT_OWNED, message, terminal=True), status=unlinked)
    if problems := adoption_problems(desired, observed):
        return Decided(refused(group_id, problems), status=unlinked)
    adopted = c.Verdict(
        "False", c.MODIFYING, f"Adopted replication group {group_id}; bringing it in line with the spec", True
    )
    effects = (
        ChangeTags(group_id, observed.arn, desired.tags, (), {**observed.tags, **desired.tags}),
        Post(Event("Normal", "Adopted", f"Replication group {group_id} is now managed by this RedisCluster")),
    )
    fields = {**status_fields(group_id, observed, secret_name), "tagKeys": sorted(user_tags(desired))}
    return Decided(adopted, effects, fields, requeue_after=0.1)


def decide_observing(
    desired: DesiredGroup,
    observed: ObservedGroup | None,
    password: str | None,
    connection: ConnectionSecret | None,
    secret_name: str,
) -> Decided:
    """Ready follows the group; the connection Secret is written only when a password is given."""
    verdict = observing(desired, observed, desired.group_id)
    if observed is None:
        return Decided(verdict, status={"connectionSecretName": secret_name}, retry=True)
    effects = []
    if password is not None and connection is not None and observed.endpoints is not None and verdict.ready == "True":
        data = connection_data(observed.endpoints, observed.sharded, password)
        effects.append(WriteConnectionSecret(secret_name, data, connection))
    return Decided(verdict, tuple(effects), status_fields(desired.group_id, observed, secret_name))
