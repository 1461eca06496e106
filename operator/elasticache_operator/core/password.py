"""Which password AWS holds, and how a new one reaches it without downtime: ElastiCache's
AuthTokenUpdateStrategy ROTATE (old and new both accepted), then SET (only the new one).

The connection Secret always holds a password AWS accepts. A token on its way to AWS is written
down first: at creation, which version of the password Secret the create is sent with (in status,
core/visit.py); before a ROTATE or a SET, the token itself, in the *pending* Secret beside the connection
Secret (`<connection>-pending`). Together with AuthTokenLastModifiedDate, which moves when
AWS has applied a ROTATE or SET, that journal tells after any crash whether a call was sent, so no
call is repeated blindly and no password that AWS does not know is ever published. A password
Secret that changes again meanwhile waits until the pending token is settled.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

Call = Literal["CREATE", "ROTATE", "SET"]


@dataclass(frozen=True)
class Pending:
    """The pending Secret: a token given, or about to be given, to AWS."""

    token: str
    call: Call
    modified_before: str  # AuthTokenLastModifiedDate before the call; it moves once AWS has applied it
    published_at: str | None = None  # when the connection Secret took the token (the grace period starts)


@dataclass(frozen=True)
class PasswordAction:
    """What to do about the password on this visit (the shell carries it out)."""

    kind: Literal["none", "rotate", "publish", "set", "finish", "wait"]
    token: str | None = None  # for rotate, set and publish
    until: datetime.datetime | None = None  # for wait: the end of the grace period
    message: str = ""  # for users, never with a password in it


NONE = PasswordAction("none")


def password_action(
    source: str,
    published: str | None,
    pending: Pending | None,
    modified_now: str,
    available: bool,
    now: datetime.datetime,
    grace: datetime.timedelta,
    *,
    created_with_another: bool = False,
) -> PasswordAction:
    """`source`: the password Secret's value; `published`: the connection Secret's (None before it exists);
    `created_with_another`: the group was created with another version of the password Secret than
    `source` (it changed while AWS created the group), so which token AWS holds is not known."""
    if pending is None and published is None and created_with_another:
        if not available:
            return PasswordAction("wait")
        # AWS takes SET only after a ROTATE: the usual rotation, the connection Secret made at its publish.
        message = "the password Secret changed while the group was created: rotating the AuthToken to it (ROTATE)"
        return PasswordAction("rotate", source, message=message)
    if pending is None:
        if published is None or source == published:
            return NONE
        return PasswordAction("rotate", source, message="rotating the AuthToken to the new password (ROTATE)")
    if pending.call == "CREATE":
        if not available:
            return PasswordAction("wait")
        if published != pending.token:
            return PasswordAction("publish", pending.token)
        return PasswordAction("finish")
    applied = modified_now != pending.modified_before
    if not applied:
        if not available:
            return PasswordAction("wait", message=f"ElastiCache is applying the AuthToken ({pending.call})")
        # Written down but not applied: the call was never sent, or the operator died sending it.
        kind: Literal["rotate", "set"] = "rotate" if pending.call == "ROTATE" else "set"
        return PasswordAction(kind, pending.token, message=f"applying the AuthToken ({pending.call})")
    if not available:
        return PasswordAction("wait")
    if pending.call == "SET":
        return PasswordAction("finish")
    if published != pending.token or pending.published_at is None:  # (again, if the time went unrecorded)
        return PasswordAction("publish", pending.token)
    since = datetime.datetime.fromisoformat(pending.published_at)
    if now < since + grace:
        until = since + grace
        return PasswordAction(
            "wait",
            until=until,
            message=f"the previous password is accepted until {until:%Y-%m-%dT%H:%M:%SZ} so clients can switch",
        )
    return PasswordAction("set", pending.token, message="retiring the previous password (SET)")
