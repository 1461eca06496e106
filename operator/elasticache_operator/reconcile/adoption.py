"""Taking over a group made elsewhere, or only watching it (core/adoption.py decides): read, decide, act."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ADOPT_ANNOTATION
from ..aws.errors import AWSCallError
from ..core import adoption
from ..core.decide import invalid_spec
from ..core.desired import DesiredGroup
from ..kube.secrets import SecretProblem
from . import Outcome, Visit
from .effects import act, failed

if TYPE_CHECKING:
    from .cluster import Target


def adopt(visit: Visit, desired: DesiredGroup, group_id: str, secret_name: str) -> Outcome:
    """The annotation names a group this RedisCluster does not own yet: read it afresh, tags included."""
    observed = visit.deps.observer.describe(group_id, fresh_tags=True)
    return act(visit, adoption.decide_adoption(desired, observed, visit.identity.uid, secret_name), {})


def observe_only(
    visit: Visit, desired: DesiredGroup, target: Target, password: str | None, secret_name: str
) -> Outcome:
    """Read and report; write nothing to AWS. The connection Secret only when a password is given."""
    if target.annotation is None and not visit.status.get("replicationGroupId"):
        message = f"managementPolicy ObserveOnly needs the annotation {ADOPT_ANNOTATION} naming the group to observe"
        return visit.conclude(invalid_spec(message), {"connectionSecretName": secret_name})
    identity, observer = visit.identity, visit.deps.observer
    try:
        observed = observer.observe(target.group_id)
        if observed is None or not observed.arn:
            observed = observer.describe(target.group_id)
        connection = None
        if password is not None and observed is not None and observed.status == "available":
            connection = visit.deps.secrets.read_connection(identity.namespace, secret_name, identity.uid)
    except (AWSCallError, SecretProblem) as e:
        return failed(visit, e, {})
    return act(visit, adoption.decide_observing(desired, observed, password, connection, secret_name), {})
