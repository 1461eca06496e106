"""Maintenance and backup windows: the CRD's CEL rules (run as the Kubernetes stand-in runs them) and
the operator's own check give the same answer, in the same words."""

from hypothesis import given, settings
from hypothesis import strategies as st

from elasticache_operator.core.spec import cross_field_problems, parse_spec
from elasticache_operator.core.windows import DAYS, maintenance_span, snapshot_span, window_problems

from ..support.crd import admit

BASE = {"instanceSize": "cache.t4g.micro", "defaultUserPassword": {"secretKeyRef": {"name": "p", "key": "k"}}}
times = st.builds(lambda h, m: f"{h:02}:{m:02}", st.integers(0, 23), st.sampled_from([0, 1, 15, 30, 59]))
maintenance = st.builds(
    lambda d1, t1, d2, t2: f"{d1}:{t1}-{d2}:{t2}", st.sampled_from(DAYS), times, st.sampled_from(DAYS), times
)
snapshot = st.builds(lambda a, b: f"{a}-{b}", times, times)


def said(admission_error: str) -> str:
    """The rule's message, without the API server's field path and value in front of it."""
    return admission_error.rsplit('": ', 1)[-1]


def test_spans_wrap_around_the_week_and_the_day():
    assert maintenance_span("sat:23:30-sun:00:30") == (6 * 1440 + 23 * 60 + 30, 60)
    assert snapshot_span("23:30-00:30") == (23 * 60 + 30, 60)
    assert window_problems("sun:05:00-sun:05:59", None) == ["maintenanceWindow must be at least 60 minutes long"]
    assert window_problems(None, "05:00-05:59") == ["snapshotWindow must be at least 60 minutes long"]


def test_the_backup_window_may_not_meet_the_maintenance_window_on_any_day():
    assert window_problems("tue:03:00-tue:04:00", "04:00-05:00") == []
    assert window_problems("tue:03:00-tue:04:00", "03:30-04:30") == [
        "snapshotWindow must not overlap maintenanceWindow"
    ]
    assert window_problems("sat:23:00-sun:01:00", "00:30-01:30") == [
        "snapshotWindow must not overlap maintenanceWindow"
    ]
    assert window_problems("sat:23:00-sun:01:00", "01:00-02:00") == []


@settings(max_examples=150, deadline=None)
@given(maintenance, snapshot)
def test_admission_and_the_operator_agree(maintenance_window, snapshot_window):
    spec = {**BASE, "maintenanceWindow": maintenance_window, "snapshotWindow": snapshot_window}
    problems = window_problems(maintenance_window, snapshot_window)
    assert sorted(said(e) for e in admit(spec)) == sorted(problems)
    if not problems:
        assert cross_field_problems(parse_spec(spec)) == []
