"""The benchmark's own arithmetic: percentiles, per-minute counts, resync windows, the anchors' costs
and the verdicts against the goals. A wrong formula here would publish a wrong figure."""

from bench import report
from bench.__main__ import burst_p99, findings, parse_size
from bench.aws import Call
from bench.figures import per_minute, percentile, resync_durations


def call(time, action, group_id=""):
    return Call(seq=0, time=time, action=action, group_id=group_id, client="")


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0 and percentile(values, 100) == 100.0
    assert percentile([3.0], 99) == 3.0 and percentile([], 50) is None


def test_calls_are_counted_in_the_minute_they_fell_in():
    assert per_minute([0.0, 59.9, 60.0, 150.0, 400.0], start=0.0, end=180.0) == [2, 1, 1]


def test_a_resync_runs_from_its_first_listing_to_its_last_tag_page():
    calls = [
        call(10.0, "DescribeReplicationGroups"),
        call(10.5, "DescribeReplicationGroups", "one-group"),  # a group's own describe is not a listing
        call(11.0, "DescribeCacheClusters"),
        call(12.0, "GetResources"),
        call(12.5, "GetResources"),
        call(15.0, "DescribeEvents"),  # the next turn: the resync before it is over
        call(40.0, "DescribeReplicationGroups"),
        call(41.0, "GetResources"),
    ]
    assert resync_durations(calls) == [2.5, 1.0]


def test_anchor_costs_follow_their_documented_polling():
    steady = report.anchors_steady(1000)
    assert steady["ack"] == 720_000 and steady["upbound"] == 432_000 and steady["contrib"] == 4_320_000
    assert report.anchors_restart(1000) == {"ack": 5000, "upbound": 3000, "contrib": 3000}


def test_sizes_carry_benchmark_options_apart_from_operator_settings():
    assert parse_size("1000:time_scale=5:manage_security_groups=false") == (
        1000,
        {"manage_security_groups": "false"},
        {"time_scale": 5.0},
    )


def test_a_burst_that_did_not_finish_misses_its_goal_whatever_its_percentiles():
    assert burst_p99({"burst": {"finished": False, "from_post": {"p99": 0.1}}}) == float("inf")
    result = {
        "n": 1000,
        "settings": {},
        "steady": {"calls_per_day": 6000.0},
        "changing": {"calls_per_minute": 75.0},
        "burst": {"finished": True, "from_post": {"p99": 0.8}},
        "readiness": {"p99": 12.0},
        "footprint": {"rss_max_mib": 150.0},
        "restart": {"forbidden_calls": {}},
    }
    said = "\n".join(findings([result]))
    assert "steady AWS calls/day: 6,000.00 meets" in said and "calls/min while changing: 75.00 misses" in said
    assert "burst p99 (s): 0.80 meets" in said and "readiness p99 (s): 12.00 misses" in said
    assert "restart writes: none" in said
