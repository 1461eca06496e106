"""Which Events a visit posts: one per change of Ready, and no more writes than that says."""

from elasticache_operator.core import conditions as c
from elasticache_operator.core.effects import Event
from elasticache_operator.reconcile import transition_events

CREATING = c.Verdict("False", c.CREATING, "Creating replication group g", progressing=True)
AVAILABLE = c.Verdict("True", c.AVAILABLE, "The replication group is available")
SECRET = Event("Normal", c.CONNECTION_SECRET, "Secret cache-redis created with host, port and password")


def test_the_first_condition_saying_work_has_begun_is_told_by_the_status_alone():
    assert transition_events((None, None), CREATING, []) == []


def test_a_first_condition_that_is_a_refusal_or_an_error_is_a_warning_event():
    invalid = c.Verdict("False", c.INVALID_SPEC, "bad", terminal=True)
    failed = c.Verdict("False", c.AWS_ERROR, "CreateReplicationGroup failed", progressing=True)
    for verdict in (invalid, failed):
        assert transition_events((None, None), verdict, []) == [Event("Warning", verdict.reason, verdict.message)]


def test_ready_and_the_connection_secret_written_with_it_are_one_event():
    [event] = transition_events(("False", c.CREATING), AVAILABLE, [SECRET])
    assert (event.type, event.reason) == ("Normal", c.AVAILABLE)
    assert event.message == f"{AVAILABLE.message}; {SECRET.message}"


def test_a_secret_written_without_a_change_of_ready_keeps_its_own_event():
    assert transition_events(("True", c.AVAILABLE), AVAILABLE, [SECRET]) == [SECRET]
    modifying = c.Verdict("False", c.MODIFYING, "Applying step 1/1", progressing=True)
    told = transition_events(("True", c.AVAILABLE), modifying, [SECRET])
    assert [e.reason for e in told] == [c.MODIFYING, c.CONNECTION_SECRET]  # the transition first
