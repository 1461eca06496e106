"""Read observed → ask the pure core → act → describe the outcome. No kopf here: the
handlers turn an Outcome into a status patch, Events and a requeue."""

from __future__ import annotations

import dataclasses
import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from . import ADOPT_ANNOTATION, metrics
from .aws.ec2 import EC2, observed_security_group
from .aws.elasticache import ElastiCache
from .aws.errors import AWSCallError, Kind
from .aws.logs import Logs
from .aws.observer import Observer
from .core import access, adoption, naming
from .core import conditions as c
from .core.connection import connection_data
from .core.decide import (
    Applying,
    aws_error,
    claimed_elsewhere,
    decide,
    holding_after_failure,
    invalid_spec,
    status_fields,
)
from .core.desired import DesiredGroup, Identity, Placement, create_request, desired_group
from .core.observed import ObservedGroup
from .core.password import NONE, PasswordAction, Pending, password_action
from .core.spec import OWNERSHIP_TAG_PREFIX, auth_token_problem, describe_validation_error, parse_spec
from .kube.secrets import ConnectionSecret, SecretProblem, Secrets
from .kube.security_group_policies import PoliciesUnavailable, SecurityGroupPolicies
from .kube.status import StatusWriter
from .settings import Settings


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


@dataclass
class Outcome:
    status: dict[str, Any] = field(default_factory=dict)  # merged into .status
    events: list[Event] = field(default_factory=list)
    requeue_after: float | None = None
    done: bool = True  # for deletion: whether the finalizer may go
    verdict: c.Verdict | None = None  # what the status says, for the handlers' log line
    throttled: bool = False  # AWS throttled a call: try again later, nothing else changed

    @property
    def waiting(self) -> bool:
        """AWS is working as expected, or asked to slow down (not an error being retried)."""
        progressing = self.verdict is not None and self.verdict.progressing and self.verdict.reason != c.AWS_ERROR
        return progressing or self.throttled


@dataclass
class Deps:
    elasticache: ElastiCache
    observer: Observer
    logs: Logs
    secrets: Secrets
    status: StatusWriter
    settings: Settings
    policies: SecurityGroupPolicies
    ec2: EC2 | None = None  # None: security groups are not the operator's to manage
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(uid: str) -> threading.Lock:
    """Handlers and the resync timer may run at once for one object; AWS calls must not."""
    with _locks_guard:
        return _locks.setdefault(uid, threading.Lock())


def forget(uid: str) -> None:
    with _locks_guard:
        _locks.pop(uid, None)


def _identity(body: dict[str, Any], settings: Settings) -> Identity:
    meta = body["metadata"]
    return Identity(meta["namespace"], meta["name"], meta["uid"], settings.cluster_name)


def _stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _conclude(
    body: dict[str, Any],
    verdict: c.Verdict,
    fields: dict[str, Any],
    deps: Deps,
    requeue: float | None,
    events: list[Event] | None = None,
    client_access: tuple[c.Status, str, str] | None = None,
) -> Outcome:
    """Status with conditions, an Event if Ready changed, and the requeue for this verdict."""
    status = body.get("status") or {}
    generation = body["metadata"].get("generation")
    previous = c.ready_of(status.get("conditions") or [])
    conditions = c.apply_verdict(list(status.get("conditions") or []), verdict, generation, _stamp(deps.now()))
    if client_access is not None:
        conditions = c.set_condition(conditions, c.CLIENT_ACCESS, *client_access, generation, _stamp(deps.now()))
    events = list(events or [])
    if previous != (verdict.ready, verdict.reason):
        kind = "Warning" if verdict.terminal or verdict.reason == c.AWS_ERROR else "Normal"
        events.insert(0, Event(kind, verdict.reason, verdict.message))  # the transition, then what it caused
    outcome_status = {**fields, "observedGeneration": generation, "conditions": conditions}
    if fields:  # this installation manages the object: say so, so another one never takes it for its own
        outcome_status["operatorInstance"] = deps.settings.instance
    if requeue is None and verdict.progressing:
        requeue = deps.settings.poll_seconds
    result = (
        "error"
        if verdict.reason == c.AWS_ERROR
        else "ready"
        if verdict.ready == "True"
        else "stalled"
        if verdict.terminal
        else "progressing"
    )
    metrics.reconcile_total.labels(result).inc()
    metrics.record_phase(body["metadata"]["uid"], verdict.reason)
    return Outcome(status=outcome_status, events=events, requeue_after=requeue, verdict=verdict)


def reconcile(body: dict[str, Any], deps: Deps) -> Outcome:
    with _lock_for(body["metadata"]["uid"]), metrics.reconcile_duration_seconds.time():
        return _reconcile(body, deps)


def _group_id(body: dict[str, Any], identity: Identity) -> tuple[str, str | None]:
    """The group this RedisCluster is about, and the one its adopt annotation names (if any)."""
    annotation = ((body["metadata"].get("annotations") or {}).get(ADOPT_ANNOTATION) or "").strip().lower() or None
    return annotation or (body.get("status") or {}).get("replicationGroupId") or identity.group_id, annotation


def _reconcile(body: dict[str, Any], deps: Deps) -> Outcome:
    settings = deps.settings
    identity = _identity(body, settings)
    status = body.get("status") or {}
    group_id, annotation = _group_id(body, identity)
    raw_spec = body.get("spec") or {}
    secret_name = raw_spec.get("connectionSecretName") or f"{identity.name}-redis"
    fields = status_fields(group_id, None, secret_name)
    if elsewhere := claimed_elsewhere(status, settings.instance):
        return _conclude(body, elsewhere, {}, deps, None)

    try:
        spec = parse_spec(raw_spec)
    except ValidationError as e:
        return _conclude(body, invalid_spec(describe_validation_error(e)), fields, deps, None)
    if holding_after_failure(status, body["metadata"].get("generation")):
        return Outcome()  # the last AWS answer was final for this spec: no new calls until it changes

    password: str | None = None
    if spec.default_user_password is not None:
        ref = spec.default_user_password.secret_key_ref
        try:
            password = deps.secrets.read_value(identity.namespace, ref.name, ref.key)
        except SecretProblem as e:
            return _conclude(body, invalid_spec(str(e)), fields, deps, settings.retry_seconds)
        if problem := auth_token_problem(password):
            message = f"The password in Secret {ref.name} key {ref.key!r} {problem}"
            return _conclude(body, invalid_spec(message), fields, deps, settings.retry_seconds)

    desired = desired_group(spec, identity, group_id)
    secret_name = spec.secret_name(identity.name)
    if spec.management_policy == "ObserveOnly":
        return _observe_only(body, desired, group_id, annotation, password, secret_name, deps)
    assert password is not None  # the spec requires it unless ObserveOnly
    pending_name = naming.pending_secret_name(secret_name)
    operation = "DescribeReplicationGroups"
    try:
        managed = status.get("replicationGroupId")
        if annotation and managed and managed != annotation and _owned(deps.observer.observe(managed), identity):
            moved = c.Verdict(
                "False",
                c.ADOPTION_REFUSED,
                f"This RedisCluster manages replication group {managed}; the annotation now names {annotation}."
                " Moving to another group is not supported: set the annotation back",
                terminal=True,
            )
            return _conclude(body, moved, status_fields(managed, None, secret_name), deps, None)
        observed = deps.observer.observe(group_id)
        if annotation and not _owned(observed, identity):
            operation = "AddTagsToResource"
            return _adopt(body, desired, group_id, secret_name, deps)
        fields = status_fields(group_id, observed, secret_name)
        client_access = None
        if deps.ec2 is not None and (observed is None or _owned(observed, identity)):
            operation = "AuthorizeSecurityGroupIngress"
            reach = _ensure_access(body, spec.accessibility.accessibility_mode, desired, observed, deps)
            desired = dataclasses.replace(desired, security_group_ids=reach.group_ids)
            fields.update(reach.fields)
            client_access = reach.condition
        now = deps.now()
        if observed is None:
            connection, pending, action = None, None, NONE
        else:
            connection = deps.secrets.read_connection(identity.namespace, secret_name, identity.uid)
            published = connection.applied_password if connection.exists else None
            pending = None
            if published != password or status.get("passwordPending"):
                pending = deps.secrets.read_pending(identity.namespace, pending_name, identity.uid)
            if pending is not None:  # remembered in status, so it is read until settled, even after a crash
                fields["passwordPending"] = True
            action = password_action(
                password,
                published,
                pending,
                observed.auth_token_modified,
                observed.status == "available",
                now,
                datetime.timedelta(seconds=settings.password_grace_seconds),
            )
        decision = decide(
            desired,
            observed,
            identity.uid,
            password=action,
            applying=Applying.from_status(status),
            generation=body["metadata"].get("generation"),
            log_retention_applied=status.get("slowLogRetentionDays"),
            tag_keys_applied=frozenset(status.get("tagKeys") or ()),
        )
        events: list[Event] = []
        if decision.create:
            if desired.slow_log:
                operation = "CreateLogGroup"
                deps.logs.ensure_log_group(desired.slow_log.log_group, desired.slow_log.retention_days, desired.tags)
                fields["slowLogRetentionDays"] = desired.slow_log.retention_days
            # Written down first: the connection Secret must get the token AWS was created with.
            deps.secrets.write_pending(identity.namespace, pending_name, Pending(password, "CREATE", ""), body)
            fields["passwordPending"] = True
            operation = "CreateReplicationGroup"
            groups = desired.security_group_ids or tuple(settings.security_group_ids)
            placement = Placement(settings.cache_subnet_group, groups)
            description = f"RedisCluster {identity.namespace}/{identity.name} (elasticache-operator)"
            if deps.elasticache.create(create_request(desired, password, placement, description)):
                deps.observer.noted_create(group_id, desired.tags)
            else:  # the id is taken: by a create of ours that raced, or by someone else's group
                deps.observer.noted_change(group_id)
                deps.observer.describe(group_id)
        elif decision.plan is not None and observed is not None:
            plan = decision.plan
            if (decision.step or plan.add_tags or plan.remove_tags) and not _still_owned(observed, identity, deps):
                operation = "ListTagsForResource"
                return _conclude(body, _disowned(group_id), fields, deps, None)
            if plan.log_group:
                operation = "CreateLogGroup"
                deps.logs.ensure_log_group(plan.log_group.log_group, plan.log_group.retention_days, desired.tags)
                fields["slowLogRetentionDays"] = plan.log_group.retention_days
            if decision.step is not None:
                step = decision.step
                if step.pending is not None:
                    deps.secrets.write_pending(identity.namespace, pending_name, step.pending, body)
                    fields["passwordPending"] = True
                operation = step.operation
                changed = deps.elasticache.apply(group_id, step)
                deps.observer.noted_change(group_id, status="modifying" if changed else None)
                assert decision.applying is not None
                events.append(Event("Normal", "ApplyingChange", decision.applying.message))
            if plan.add_tags:
                operation = "AddTagsToResource"
                deps.elasticache.add_tags(observed.arn, plan.add_tags)
            if plan.remove_tags:
                operation = "RemoveTagsFromResource"
                deps.elasticache.remove_tags(observed.arn, plan.remove_tags)
            if plan.add_tags or plan.remove_tags:
                kept = {k: v for k, v in observed.tags.items() if k not in plan.remove_tags}
                deps.observer.noted_change(group_id, tags={**kept, **plan.add_tags})
        if observed is not None:
            fields["applying"] = decision.applying.as_status() if decision.applying else None
            if decision.plan is not None or decision.create:
                fields["tagKeys"] = sorted(spec.tags)
        if connection is not None and observed is not None and observed.endpoints is not None:
            publish = _password_to_publish(action, connection, pending, password)
            if decision.write_secret:
                data = connection_data(observed.endpoints, observed.sharded, publish)
                try:
                    written = deps.secrets.apply_connection(identity.namespace, secret_name, data, body, connection)
                except SecretProblem as e:
                    return _conclude(body, invalid_spec(str(e)), fields, deps, None)
                if written != "unchanged":
                    said = "with the new password" if action.kind == "publish" else "with host, port and password"
                    events.append(Event("Normal", "ConnectionSecret", f"Secret {secret_name} {written} {said}"))
                if action.kind == "publish" and pending is not None:
                    stamp = now.isoformat()
                    deps.secrets.write_pending(
                        identity.namespace, pending_name, dataclasses.replace(pending, published_at=stamp), body
                    )
            if action.kind == "finish":
                deps.secrets.delete_pending(identity.namespace, pending_name)
                fields["passwordPending"] = None
                if pending is not None and pending.call == "SET":
                    events.append(Event("Normal", "PasswordRotated", "The previous password no longer works"))
        requeue = None
        if action.until is not None:
            requeue = min(max((action.until - now).total_seconds(), 1.0), settings.poll_seconds * 4)
        return _conclude(body, decision.verdict, fields, deps, requeue, events, client_access)
    except AWSCallError as e:
        if e.throttled:  # AWS asked to slow down: wait, and say nothing new about the cluster
            return Outcome(requeue_after=settings.poll_seconds, throttled=True)
        metrics.reconcile_errors_total.inc()
        terminal = e.kind is Kind.TERMINAL
        delay = None if terminal else settings.poll_seconds if e.kind is Kind.TRANSIENT else settings.retry_seconds
        return _conclude(body, aws_error(operation, e.code, e.message, terminal), fields, deps, delay)
    except SecretProblem as e:
        return _conclude(body, invalid_spec(str(e)), fields, deps, settings.retry_seconds)


@dataclass(frozen=True)
class AccessOutcome:
    group_ids: tuple[str, ...] | None  # what the replication group should carry (None: not known yet)
    fields: dict[str, Any]  # for status
    condition: tuple[c.Status, str, str]  # ClientAccess


def _ensure_access(
    body: dict[str, Any], mode: str, desired: DesiredGroup, observed: ObservedGroup | None, deps: Deps
) -> AccessOutcome:
    """Make the security groups of the accessibility mode exist with exactly their rules (rules removed
    by hand come back), drop the other mode's once detached, and keep the pods' SecurityGroupPolicy."""
    assert deps.ec2 is not None
    identity = _identity(body, deps.settings)
    vpc, cidrs = deps.observer.network()
    wanted = access.desired_access(mode, desired.group_id, desired.port, cidrs)
    attached = observed.security_group_ids if observed else ()
    extra = tuple(deps.settings.security_group_ids)

    def changes() -> access.AccessChanges:
        owned = [observed_security_group(g) for g in deps.observer.security_groups(identity.uid)]
        return access.access_changes(wanted, desired.port, owned, extra, attached)

    todo = changes()
    for _ in range(2):  # a second pass admits a clients group created in the first
        if not (todo.create or todo.authorize or todo.revoke or todo.delete):
            break
        ownership = naming.ownership_tags(identity.namespace, identity.name, identity.uid, identity.cluster_name)
        for group in todo.create:
            deps.ec2.create_security_group(
                group.name, group.description, vpc, {**ownership, access.ROLE_TAG: group.role}
            )
        for group_id, rule in todo.authorize:
            deps.ec2.authorize(group_id, rule)
        for group_id, rule in todo.revoke:
            deps.ec2.revoke(group_id, rule)
        for group_id in todo.delete:
            deps.ec2.delete_security_group(group_id)
        deps.observer.refresh_security_groups(identity.uid)
        todo = changes()
    fields: dict[str, Any] = {"securityGroupIds": list(todo.security_group_ids or ())}
    policy_name = f"{identity.name}-redis-clients"
    if wanted.clients is None:
        if (body.get("status") or {}).get("securityGroupPolicy"):
            deps.policies.delete(identity.namespace, policy_name)
        fields.update(clientSecurityGroupId=None, securityGroupPolicy=None)
        condition: tuple[c.Status, str, str] = ("True", "WholeVPC", f"Any workload in {vpc} can connect")
        return AccessOutcome(todo.security_group_ids, fields, condition)
    fields["clientSecurityGroupId"] = todo.clients_group_id
    if todo.clients_group_id is None:
        return AccessOutcome(todo.security_group_ids, fields, ("False", "Creating", "Creating security groups"))
    groups = (todo.clients_group_id, *deps.settings.client_security_group_ids)
    policy = access.security_group_policy(policy_name, identity.name, groups)
    try:
        deps.policies.apply(identity.namespace, policy, body)
    except PoliciesUnavailable:
        fields["securityGroupPolicy"] = None
        message = (
            f"Only members of security group {todo.clients_group_id} can connect, but this Kubernetes cluster has"
            " no SecurityGroupPolicy CRD (EKS security groups for pods), so no pod gets it: enable security"
            " groups for pods, give other clients that security group, or use accessibilityMode vpc"
        )
        return AccessOutcome(todo.security_group_ids, fields, ("False", "SecurityGroupPolicyUnavailable", message))
    fields["securityGroupPolicy"] = policy_name
    message = (
        f"Only pods labelled {access.CONNECT_LABEL}={identity.name} (SecurityGroupPolicy {policy_name}) and members"
        f" of security group {todo.clients_group_id} can connect"
    )
    return AccessOutcome(todo.security_group_ids, fields, ("True", "ScopedToWorkloads", message))


def _still_owned(observed: ObservedGroup, identity: Identity, deps: Deps) -> bool:
    """Before changing or deleting a group: its ownership tags, read now. Tag changes raise no event, so
    the shared observation may not know yet that someone took them away."""
    tags = deps.elasticache.tags(observed.arn)
    deps.observer.noted_change(observed.group_id, tags=tags)
    return naming.is_owned(tags, identity.uid)


def _disowned(group_id: str) -> c.Verdict:
    return c.Verdict(
        "False",
        c.NOT_OWNED,
        f"Replication group {group_id} no longer carries this RedisCluster's ownership tags; the operator leaves it"
        " alone. Put the tags back to manage it again",
        terminal=True,
    )


def _role(group: dict[str, Any]) -> str:
    return next((t["Value"] for t in group.get("Tags") or [] if t["Key"] == access.ROLE_TAG), "")


def desired_user_tags(desired: DesiredGroup) -> dict[str, str]:
    return {k: v for k, v in desired.tags.items() if not k.startswith(OWNERSHIP_TAG_PREFIX)}


def _owned(observed: ObservedGroup | None, identity: Identity) -> bool:
    return observed is not None and naming.is_owned(observed.tags, identity.uid)


def _adopt(body: dict[str, Any], desired: DesiredGroup, group_id: str, secret_name: str, deps: Deps) -> Outcome:
    """Take over the group the annotation names, if its fixed shape matches and nobody else owns it."""
    identity = _identity(body, deps.settings)
    unlinked = {"connectionSecretName": secret_name}  # no replicationGroupId until the group is this one's
    observed = deps.observer.describe(group_id, fresh_tags=True)
    if observed is None:
        return _conclude(body, adoption.missing(group_id), unlinked, deps, deps.settings.retry_seconds)
    if owner := adoption.owner_elsewhere(observed, identity.uid):
        verdict = c.Verdict(
            "False",
            c.NOT_OWNED,
            f"Replication group {group_id} belongs to RedisCluster {owner}; it is not adopted",
            terminal=True,
        )
        return _conclude(body, verdict, unlinked, deps, None)
    if problems := adoption.adoption_problems(desired, observed):
        return _conclude(body, adoption.refused(group_id, problems), unlinked, deps, None)
    deps.elasticache.add_tags(observed.arn, desired.tags)
    deps.observer.noted_change(group_id, tags={**observed.tags, **desired.tags})
    adopted = c.Verdict(
        "False", c.MODIFYING, f"Adopted replication group {group_id}; bringing it in line with the spec", True
    )
    events = [Event("Normal", "Adopted", f"Replication group {group_id} is now managed by this RedisCluster")]
    fields = {**status_fields(group_id, observed, secret_name), "tagKeys": sorted(desired_user_tags(desired))}
    return _conclude(body, adopted, fields, deps, 0.1, events)


def _observe_only(
    body: dict[str, Any],
    desired: DesiredGroup,
    group_id: str,
    annotation: str | None,
    password: str | None,
    secret_name: str,
    deps: Deps,
) -> Outcome:
    """Read and report; write nothing to AWS. The connection Secret only when a password is given."""
    identity = _identity(body, deps.settings)
    if annotation is None and not (body.get("status") or {}).get("replicationGroupId"):
        message = f"managementPolicy ObserveOnly needs the annotation {ADOPT_ANNOTATION} naming the group to observe"
        return _conclude(body, invalid_spec(message), {"connectionSecretName": secret_name}, deps, None)
    try:
        observed = deps.observer.observe(group_id)
        if observed is None or not observed.arn:
            observed = deps.observer.describe(group_id)
        verdict = adoption.observing(desired, observed, group_id)
        fields = status_fields(group_id, observed, secret_name)
        if observed is None:
            return _conclude(body, verdict, {"connectionSecretName": secret_name}, deps, deps.settings.retry_seconds)
        events: list[Event] = []
        if password is not None and observed.endpoints is not None and verdict.ready == "True":
            current = deps.secrets.read_connection(identity.namespace, secret_name, identity.uid)
            data = connection_data(observed.endpoints, observed.sharded, password)
            written = deps.secrets.apply_connection(identity.namespace, secret_name, data, body, current)
            if written != "unchanged":
                events.append(Event("Normal", "ConnectionSecret", f"Secret {secret_name} {written}"))
        return _conclude(body, verdict, fields, deps, None, events)
    except AWSCallError as e:
        if e.throttled:
            return Outcome(requeue_after=deps.settings.poll_seconds, throttled=True)
        return _conclude(body, aws_error("DescribeReplicationGroups", e.code, e.message, False), {}, deps, None)
    except SecretProblem as e:
        return _conclude(body, invalid_spec(str(e)), {}, deps, deps.settings.retry_seconds)


def _password_to_publish(
    action: PasswordAction, connection: ConnectionSecret, pending: Pending | None, source: str
) -> str:
    """The password the connection Secret holds after this visit: always one AWS accepts."""
    if action.kind == "publish" and action.token is not None:
        return action.token
    if connection.applied_password is not None:
        return connection.applied_password
    if pending is not None:
        return pending.token  # the token the group was created with
    return source  # a group created before the pending Secret existed


def finalize(body: dict[str, Any], deps: Deps) -> Outcome:
    """Carry out the deletion policy; `done` only once AWS confirms (or the policy keeps the group)."""
    with _lock_for(body["metadata"]["uid"]):
        outcome = _finalize(body, deps)
    if outcome.done:
        forget(body["metadata"]["uid"])
        metrics.record_phase(body["metadata"]["uid"], None)
    return outcome


def _finalize(body: dict[str, Any], deps: Deps) -> Outcome:
    identity = _identity(body, deps.settings)
    status = body.get("status") or {}
    group_id, _ = _group_id(body, identity)
    if (body.get("spec") or {}).get("managementPolicy") == "ObserveOnly":
        return Outcome(events=[Event("Normal", "Released", f"Replication group {group_id} was only observed; kept")])
    policy = (body.get("spec") or {}).get("deletionPolicy", "Snapshot")
    if policy not in ("Delete", "Retain", "Snapshot"):
        policy = "Snapshot"  # never lose data on a malformed spec
    if elsewhere := claimed_elsewhere(status, deps.settings.instance):
        # Never "gone" to the wrong installation: the finalizer stays until the right one deletes it.
        outcome = _conclude(body, elsewhere, {}, deps, deps.settings.retry_seconds)
        outcome.done = False
        return outcome
    try:
        observed = deps.observer.observe(group_id)
        if observed is None or observed.status in ("available", "create-failed"):
            observed = deps.observer.describe(group_id)  # gone, or about to be deleted: AWS says so, now
        if observed is None:
            events = [Event("Normal", "Deleted", f"Replication group {group_id} is gone")]
            if policy != "Retain" and deps.logs.delete_log_group_if_owned(
                naming.log_group_name(group_id), identity.uid
            ):
                events.append(Event("Normal", "Deleted", f"Slow-log group {naming.log_group_name(group_id)} deleted"))
            if policy != "Retain" and deps.ec2 is not None:
                deps.observer.refresh_security_groups(identity.uid)
                owned = deps.observer.security_groups(identity.uid)
                # The cluster's groups first: they admit the clients' group, which can go only after them.
                for group in sorted(owned, key=lambda g: _role(g) == "clients"):
                    deps.ec2.delete_security_group(group["GroupId"])
                    events.append(Event("Normal", "Deleted", f"Security group {group['GroupId']} deleted"))
                if owned:
                    deps.observer.refresh_security_groups(identity.uid)
            return Outcome(events=events)
        if not naming.is_owned(observed.tags, identity.uid):
            return Outcome(
                events=[
                    Event(
                        "Warning", c.NOT_OWNED, f"Replication group {group_id} is not this RedisCluster's; left in AWS"
                    )
                ]
            )
        if policy == "Retain":
            return Outcome(
                events=[
                    Event("Normal", "Retained", f"Replication group {group_id} is kept in AWS with its data and tags")
                ]
            )
        fields = status_fields(group_id, observed, status.get("connectionSecretName", ""))
        deleting = c.Verdict("False", c.DELETING, f"Deleting replication group {group_id}", progressing=True)
        events = []
        if observed.status in ("available", "create-failed"):
            if not _still_owned(observed, identity, deps):
                return Outcome(events=[Event("Warning", c.NOT_OWNED, f"{_disowned(group_id).message}; left in AWS")])
            snapshot = None
            if policy == "Snapshot" and observed.status == "available":
                stamp = body["metadata"].get("deletionTimestamp") or _stamp(deps.now())
                snapshot = naming.final_snapshot_name(group_id, stamp)
            deleted = deps.elasticache.delete(group_id, snapshot)
            deps.observer.noted_change(group_id, status="deleting" if deleted else None)
            events.append(
                Event(
                    "Normal",
                    "DeletingGroup",
                    f"Deleting replication group {group_id}"
                    + (f" after final snapshot {snapshot}" if snapshot else " without a final snapshot"),
                )
            )
        elif observed.status != "deleting":
            deleting = c.Verdict(
                "False",
                c.DELETING,
                f"Waiting for replication group {group_id} to leave {observed.status} before deleting",
                progressing=True,
            )
        outcome = _conclude(body, deleting, fields, deps, deps.settings.poll_seconds, events)
        outcome.done = False
        return outcome
    except AWSCallError as e:
        if e.throttled:
            return Outcome(requeue_after=deps.settings.poll_seconds, done=False, throttled=True)
        metrics.reconcile_errors_total.inc()
        outcome = _conclude(
            body,
            aws_error("DeleteReplicationGroup", e.code, e.message, False),
            {},
            deps,
            deps.settings.retry_seconds if e.kind is not Kind.TRANSIENT else deps.settings.poll_seconds,
        )
        outcome.done = False
        return outcome
