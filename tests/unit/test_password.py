"""A new password reaches AWS without downtime, and nothing AWS does not accept is ever published,
whatever moment the operator dies at and however often the password Secret changes meanwhile."""

import dataclasses
import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from elasticache_operator.core.password import NONE, Pending, password_action

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)
GRACE = datetime.timedelta(minutes=10)
OLD, NEW = "the-old-password-123", "the-new-password-456"


def act(source=NEW, published=OLD, pending=None, modified="m1", available=True, now=NOW):
    return password_action(source, published, pending, modified, available, now, GRACE)


def test_nothing_to_do_when_the_secret_holds_what_aws_has():
    assert act(source=OLD) == NONE
    assert act(published=None) == NONE  # no connection Secret yet: nothing published, nothing to rotate


def test_a_new_password_is_rotated_in():
    action = act()
    assert (action.kind, action.token) == ("rotate", NEW)


def test_after_creation_the_token_aws_was_created_with_is_published():
    created = Pending(OLD, "CREATE", "")
    assert act(source=NEW, published=None, pending=created, available=False).kind == "wait"
    publish = act(source=NEW, published=None, pending=created)
    assert (publish.kind, publish.token) == ("publish", OLD)  # not NEW: AWS was created with OLD
    assert act(source=NEW, published=OLD, pending=created).kind == "finish"


def test_a_password_secret_changed_while_aws_created_the_group_is_rotated_in_before_anything_is_published():
    def changed(available=True):
        return password_action(NEW, None, None, "m1", available, NOW, GRACE, created_with_another=True)

    assert changed(available=False).kind == "wait"  # the group is still being created
    rotate = changed()
    assert (rotate.kind, rotate.token) == ("rotate", NEW)  # not SET: AWS takes SET only after a ROTATE
    # From there the journal of that ROTATE leads, as for any rotation: published once applied.
    applied = password_action(
        NEW, None, Pending(NEW, "ROTATE", "m1"), "m2", True, NOW, GRACE, created_with_another=True
    )
    assert (applied.kind, applied.token) == ("publish", NEW)
    # Created with this very version: nothing to do, the connection Secret gets it.
    assert password_action(NEW, None, None, "m1", True, NOW, GRACE, created_with_another=False) == NONE


def test_a_rotation_is_published_then_the_old_password_retired_after_the_grace_period():
    rotating = Pending(NEW, "ROTATE", "m1")
    assert act(pending=rotating, modified="m2", available=False).kind == "wait"
    assert (act(pending=rotating, modified="m2").kind, act(pending=rotating, modified="m2").token) == ("publish", NEW)
    published = dataclasses.replace(rotating, published_at=NOW.isoformat())
    waiting = act(published=NEW, pending=published, modified="m2", now=NOW + GRACE / 2)
    assert waiting.kind == "wait" and waiting.until == NOW + GRACE and "accepted until" in waiting.message
    retire = act(published=NEW, pending=published, modified="m2", now=NOW + GRACE)
    assert (retire.kind, retire.token) == ("set", NEW)
    assert act(published=NEW, pending=Pending(NEW, "SET", "m2"), modified="m3").kind == "finish"


def test_a_call_written_down_but_never_applied_is_sent_again_only_when_the_group_is_idle():
    rotating = Pending(NEW, "ROTATE", "m1")
    assert act(pending=rotating, modified="m1", available=False).kind == "wait"
    resend = act(pending=rotating, modified="m1")
    assert (resend.kind, resend.token) == ("rotate", NEW)


def test_a_password_changed_again_midway_waits_for_the_pending_one():
    rotating = Pending(NEW, "ROTATE", "m1")
    publish = act(source="yet-another-password-7", pending=rotating, modified="m2")
    assert (publish.kind, publish.token) == ("publish", NEW)


class Simulation:
    """AWS (at most two tokens, changes applied later) and the Kubernetes side, driven by the
    operator's decisions as the shell in reconcile.py carries them out."""

    def __init__(self):
        self.tokens, self.modified, self.busy = [OLD], 0, None  # busy: (strategy, token) being applied
        self.source, self.published, self.pending, self.now = OLD, OLD, None, NOW

    def tick(self):
        if self.busy:
            strategy, token = self.busy
            self.tokens = (self.tokens + [token])[-2:] if strategy == "ROTATE" else [token]
            self.modified, self.busy = self.modified + 1, None

    def visit(self, die_after=None):
        """One reconcile; `die_after` names the write after which the operator is killed."""
        action = password_action(
            self.source, self.published, self.pending, str(self.modified), self.busy is None, self.now, GRACE
        )
        if action.kind in ("rotate", "set") and self.busy is None:
            call = "ROTATE" if action.kind == "rotate" else "SET"
            self.pending = Pending(action.token, call, str(self.modified))
            if die_after == "journal":
                return
            self.busy = (call, action.token)
        elif action.kind == "publish":
            self.published = action.token
            if die_after == "publish":
                return
            self.pending = dataclasses.replace(self.pending, published_at=self.now.isoformat())
        elif action.kind == "finish":
            self.pending = None


EVENTS = st.one_of(
    st.tuples(st.just("visit"), st.sampled_from([None, None, "journal", "publish"])),
    st.tuples(st.just("tick"), st.none()),
    st.tuples(st.just("wait"), st.none()),
    st.tuples(st.just("change"), st.sampled_from([NEW, "third-password-789", OLD])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(EVENTS, max_size=40))
def test_whatever_happens_the_published_password_works_and_aws_ends_with_the_wanted_one(events):
    sim = Simulation()
    for kind, arg in events:
        if kind == "visit":
            sim.visit(arg)
        elif kind == "tick":
            sim.tick()
        elif kind == "wait":
            sim.now += GRACE / 3
        else:
            sim.source = arg
        assert sim.published in sim.tokens, (sim.published, sim.tokens)  # clients always get in
    for _ in range(12):  # then quiet: the operator keeps visiting, AWS keeps working, time passes
        sim.visit()
        sim.tick()
        sim.now += GRACE / 2
        assert sim.published in sim.tokens
    assert (sim.tokens, sim.published, sim.pending) == ([sim.source], sim.source, None)
