"""The benchmark's own arithmetic: percentiles, per-minute counts, resync windows, the anchors' costs
and the verdicts against the goals. A wrong formula here would publish a wrong figure."""

import json
import math
import pathlib

from bench import cost, profile, report
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


# --- the operator's cost per cluster (bench/cost.py) and its profile (bench/profile.py) ---------------------

OPERATOR, KOPF = "elasticache-operator", "kopf/1.45.2"


def audit(user_agent, verb, resource, subresource="", name="", as_=""):
    """An entry as the stand-in's audit trail (GET /_sandbox/audit) gives it."""
    return {
        "userAgent": user_agent,
        "verb": verb,
        "apiGroup": "" if resource in ("secrets", "events") else "redis.elasticache-operator.io",
        "resource": resource,
        "subresource": subresource,
        "namespace": "bench",
        "name": name,
        "labelSelector": "",
        "as": as_,
    }


def test_audit_entries_are_counted_by_client_verb_and_resource():
    entries = [
        audit("Python/3.11 aiohttp/3.14.5", "create", "redisclusters"),  # the benchmark's POST
        audit(KOPF, "patch", "redisclusters", name="rc-00000"),
        audit(KOPF, "patch", "redisclusters", name="rc-00000"),
        audit(KOPF, "create", "events"),
        audit(OPERATOR, "get", "secrets", name="bench-password"),
        audit(OPERATOR, "patch", "redisclusters", "status", name="rc-00000"),
        audit(OPERATOR, "create", "secrets"),
        audit(KOPF, "watch", "secrets", as_="PartialObjectMetadata"),
        audit("python-requests/2.34.2", "watch", "secrets"),
    ]
    assert cost.audit_counts(entries) == {
        "kopf": {"create events": 1, "patch redisclusters": 2, "watch secrets (metadata)": 1},
        "operator": {"create secrets": 1, "get secrets": 1, "patch redisclusters/status": 1},
        "other": {"create redisclusters": 1, "watch secrets": 1},
    }


def test_writes_per_cluster_are_the_operator_processs_both_clients_over_n():
    counts = {
        "operator": {"patch redisclusters/status": 46, "create secrets": 30, "get secrets": 222},
        "kopf": {"patch redisclusters": 20, "create events": 30, "watch redisclusters": 1},
        "other": {"create redisclusters": 10},  # the benchmark's POSTs are not the operator's
    }
    per = cost.requests_per_cluster(counts, 10)
    assert per["writes"]["operator"] == {"patch redisclusters/status": 4.6, "create secrets": 3.0}
    assert per["writes"]["kopf"] == {"patch redisclusters": 2.0, "create events": 3.0}
    assert per["reads"]["operator"] == {"get secrets": 22.2}
    assert per["writes_per_cluster"] == 12.6 and per["reads_per_cluster"] == 22.3


def test_the_audit_trail_is_split_at_the_lengths_the_marks_recorded():
    entries = [audit(KOPF, "patch", "redisclusters")] * 3 + [audit(OPERATOR, "create", "secrets")] * 2
    marks = {
        "posting": {"time": 0.0, "cpu_seconds": 0.0, "audit": 1},
        "creates_sent": {"time": 1.0, "cpu_seconds": 0.1, "audit": 3},
        "first_available": {"time": 2.0, "cpu_seconds": 0.1, "audit": 3},
        "all_ready": {"time": 3.0, "cpu_seconds": 0.2, "audit": 5},
    }
    slices = cost.audit_slices(marks, entries)
    assert slices["create"] == {"kopf": {"patch redisclusters": 2}}
    assert slices["wait"] == {}
    assert slices["ready"] == {"operator": {"create secrets": 2}}
    assert slices["total"] == {"kopf": {"patch redisclusters": 2}, "operator": {"create secrets": 2}}


# The marks of a real burst of N = 10 (utime + stime of the operator read at each boundary).
MARKS_N10 = {
    "posting": {"time": 1796408793.912241, "cpu_seconds": 1.64, "audit": 12},
    "creates_sent": {"time": 1796408795.0574234, "cpu_seconds": 1.88, "audit": 122},
    "first_available": {"time": 1796408854.4246466, "cpu_seconds": 2.05, "audit": 252},
    "all_ready": {"time": 1796408858.200994, "cpu_seconds": 2.17, "audit": 390},
}


def test_cpu_per_cluster_is_the_phase_cpu_over_n_and_500m_doubles_it():
    phases = cost.phases(MARKS_N10, 10)
    assert math.isclose(phases["create"]["cpu_ms_per_cluster"], 24.0)
    assert math.isclose(phases["ready"]["cpu_ms_per_cluster"], 12.0)
    assert math.isclose(phases["wait"]["cpu_seconds"], 0.17)
    assert math.isclose(phases["total"]["cpu_seconds"], 0.53)
    assert math.isclose(phases["total"]["seconds_at_limit"], 1.06)  # 0.53 CPU s under 500 m
    assert math.isclose(phases["create"]["wall_seconds"], 1.1451823711395264)
    assert math.isclose(phases["create"]["cpu_share"], 0.24 / 1.1451823711395264)
    # A burst that gave up has no ready or total phase, and none is made up.
    unfinished = {k: v for k, v in MARKS_N10.items() if k != "all_ready"}
    assert set(cost.phases(unfinished, 10)) == {"create", "wait"}


def test_the_latency_goals_budget_cpu_needed_against_cpu_available():
    budget = cost.burst_budget(1000, 24.0, goal_seconds=5.0, limit=0.5)
    assert budget == {
        "cpu_seconds_needed": 24.0,
        "cpu_seconds_available": 2.5,
        "last_after_seconds": 48.0,
        "cpu_ms_allowed": 2.5,
    }
    assert cost.burst_budget(1000, 12.0, goal_seconds=10.0, limit=1.0)["cpu_ms_allowed"] == 10.0
    assert cost.seconds_at_limit(30.0, 0.5) == 60.0


def test_cost_summary_and_the_report_rows_come_from_the_saved_marks():
    saved = {
        "marks": MARKS_N10,
        "requests": {"total": {"operator": {"create secrets": 30, "get secrets": 40}, "kopf": {"create events": 10}}},
    }
    figures = cost.summary(saved, 10)
    assert math.isclose(figures["cpu_ms_per_create"], 24.0) and math.isclose(figures["cpu_ms_per_ready"], 12.0)
    assert figures["writes_per_cluster"] == 4.0
    result = {"n": 10, "settings": {}, "burst": {"cost": saved, "from_post": {"p99": 0.54}}, "readiness": {"p99": 3.58}}
    (row,) = report.cost_rows([(result, "this run")])
    assert row[2] == "24.0 ms ✗" and row[3] == "12.0 ms ✗" and row[6] == "4.00 ✓" and row[7] == "4.00"
    said = "\n".join(findings([result]))
    assert "operator CPU per create (ms): 24.0 misses the goal (20)" in said
    assert "Kubernetes writes per cluster, POST → Ready: 4.0 meets the goal (4)" in said


def test_results_from_before_the_cost_was_measured_still_make_a_report():
    """docs/benchmarks.json as a run before this figure wrote it (no burst cost): --report-only still works."""
    saved = json.loads((pathlib.Path(__file__).parents[2] / "docs" / "benchmarks.json").read_text())
    for result in saved["results"]:
        (result.get("burst") or {}).pop("cost", None)
    old = saved["results"][0]
    assert report.cost_rows([(old, "this run")]) == [] and report.cost_details(old) == []
    assert not any("CPU per" in line for line in findings(saved["results"]))
    text = report.markdown(saved["results"], {**saved["meta"], "profile_notes": ""})
    assert "## The operator's cost per cluster in a burst\n\nNot measured in this run" in text
    assert "| 3. burst: POST → Create sent | 10 | p50 0.97 s, p99 1.14 s" in text  # the old figures as they were


def test_a_kubeconfig_run_reports_its_requests_as_not_measured():
    saved = {"marks": MARKS_N10, "requests_not_measured": "no audit trail on this API server (--kubeconfig)"}
    figures = cost.summary(saved, 10)
    assert figures["writes_per_cluster"] is None and math.isclose(figures["cpu_ms_per_create"], 24.0)
    result = {"n": 10, "settings": {}, "burst": {"cost": saved}}
    assert report.cost_rows([(result, "r")])[0][6] == "not measured"
    assert "(no audit trail on this API server (--kubeconfig))" in "\n".join(findings([result]))


# Lines of py-spy's raw output for the operator (root first; counts at the end).
FOLDED = """\
Thread._bootstrap (threading.py:1002);Thread.run (threading.py:982);_worker (concurrent/futures/thread.py:83);\
reconcile (elasticache_operator/reconcile.py:144);Secrets.read_connection (elasticache_operator/kube/secrets.py:45);\
ApiClient.deserialize (kubernetes/client/api_client.py:320) 30
Thread._bootstrap (threading.py:1002);Thread.run (threading.py:982);_worker (concurrent/futures/thread.py:83);\
reconcile (elasticache_operator/reconcile.py:150);Secrets.read_connection (elasticache_operator/kube/secrets.py:45);\
ApiClient.deserialize (kubernetes/client/api_client.py:322) 20
Thread._bootstrap (threading.py:1002);Thread.run (threading.py:982);\
Observer.run (elasticache_operator/aws/observer.py:329);JSONDecoder.decode (json/decoder.py:337) 10
_run_once (asyncio/base_events.py:1900);\
process_event (/usr/lib/python3.11/site-packages/kopf/_core/reactor/queueing.py:5) 40
"""


def test_a_profile_is_read_merged_by_function_and_counted_by_self_and_inclusive_time():
    stacks = profile.read_folded(FOLDED)
    assert sum(stacks.values()) == 100 and len(stacks) == 3  # the two reconcile lines differ only by line numbers
    summary = profile.summary(stacks)
    assert summary["self"][0] == {
        "name": "ApiClient.deserialize (kubernetes/client/api_client.py)",
        "samples": 50,
        "share": 0.5,
    }
    packages = {p["name"]: p["share"] for p in summary["packages"]}
    assert packages == {"kubernetes": 0.5, "kopf": 0.4, "json": 0.1}
    inclusive = {p["name"]: p["samples"] for p in summary["inclusive"]}
    assert inclusive["Thread._bootstrap (threading.py)"] == 60
    assert inclusive["reconcile (elasticache_operator/reconcile.py)"] == 50
    svg = profile.flame_svg(stacks, "t")
    assert svg.startswith("<svg") and "reconcile (elasticache_operator/reconcile.py) — 50 samples, 50.0%" in svg
    scope = profile.speedscope(stacks, "t")
    assert sum(scope["profiles"][0]["weights"]) == 100 and len(scope["shared"]["frames"]) == 10


def test_the_requests_table_shows_per_cluster_totals_with_their_create_and_ready_phases():
    saved = {
        "marks": MARKS_N10,
        "requests": {
            "create": {"operator": {"create secrets": 10, "get secrets": 40}, "kopf": {"patch redisclusters": 20}},
            "ready": {"operator": {"create secrets": 20, "get secrets": 62}, "kopf": {"create events": 20}},
            "total": {
                "operator": {"create secrets": 30, "get secrets": 222},
                "kopf": {"patch redisclusters": 20, "create events": 30},
                "other": {"create redisclusters": 10},
            },
        },
    }
    table = report.requests_table([({"n": 10, "settings": {}, "burst": {"cost": saved}}, "this run")])
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1].rstrip(" |") for line in table.splitlines()[2:]}
    assert rows == {
        "kopf: create events (write)": "3.00 (0.00 / 2.00)",
        "kopf: patch redisclusters (write)": "2.00 (2.00 / 0.00)",
        "operator's client: create secrets (write)": "3.00 (1.00 / 2.00)",
        "operator's client: get secrets": "22.20 (4.00 / 6.20)",
        "**writes, all**": "**8.00** (3.00 / 4.00)",
    }
