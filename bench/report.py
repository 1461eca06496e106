"""The table, docs/benchmarks.md and the plot (an SVG written by hand: no plotting dependency).

The anchors' figures are their documented behaviour (/work/shared/ANCHORS.md) applied to the same N:
calls per check times checks per period; nothing of theirs was run here.
"""

from __future__ import annotations

import math
import os
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any

from . import cost
from .kube import INSTANCE_SIZE

GOALS = {
    "steady": 12000,  # AWS calls a day at N = 1000, drift noticed within 10 minutes
    "changing": 60,  # AWS calls a minute while 100 groups change
    "burst": 1.0,  # p99 seconds, N = 1000, rate limit permitting
    "readiness": 10.0,  # p99 seconds
    "rss": 200.0,  # MiB at N = 1000
}


# --- the anchors -------------------------------------------------------------------------------------


def nodes_per_group(result: dict[str, Any]) -> float:
    steady = result.get("steady") or {}
    return (steady.get("nodes") or result["n"]) / result["n"]


def anchors_steady(n: int, nodes: float = 1.0) -> dict[str, float]:
    """AWS calls a day with drift noticed within 10 minutes (ACK also at its 10 h default)."""
    return {
        "ack": 5 * n * 144,  # 5 reads per group per check, if it checked every 10 minutes
        "ack_default": 5 * n * 2.4,  # its default: every 10 h (drift noticed within 10 h, not 10 min)
        "upbound": 3 * n * 144,  # 3 reads per group every 10 minutes
        "contrib": (2 + nodes) * n * 1440,  # 2 + 1 per node, every minute
    }


def anchors_changing(n: int, changing: int, nodes: float = 1.0) -> dict[str, float]:
    """AWS calls a minute while `changing` of the N groups change (each gains one node)."""
    return {
        "ack": changing * 3 * 2 + 5 * n / 600,  # ~3 calls every 30 s per unsynced group; the rest every 10 h
        "upbound": 3 * n / 10,  # 3 reads per group every 10 minutes, changing or not
        "contrib": (2 + nodes) * n + changing,  # every minute, 2 + 1 per node (changing groups: one more node)
    }


ANCHOR_READINESS = {  # a group turns available → the tool notices at its next poll: worst case
    "ack": "≤ 30 s (requeue every 30 s while not synced)",
    "upbound": "≤ 10 min (polls every 10 min)",
    "contrib": "≤ 1 min (polls every minute)",
}


def anchors_restart(n: int, nodes: float = 1.0) -> dict[str, float]:
    """Calls to look at every group again after a restart: one check of each."""
    return {"ack": 5 * n, "upbound": 3 * n, "contrib": (2 + nodes) * n}


# --- formatting ----------------------------------------------------------------------------------------


def num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    if digits == 0:
        return f"{round(value):,}"
    return f"{value:,.{digits}f}"


def secs(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 120:
        return f"{value / 60:.1f} min"
    if value >= 10:
        return f"{value:.0f} s"
    return f"{value:.2f} s"


def ok(value: float | None, goal: float) -> str:
    if value is None:
        return ""
    return " ✓" if value <= goal else " ✗"


def rows(results: list[dict[str, Any]]) -> list[list[str]]:
    """Figure | N | this operator | goal | ACK | Crossplane upbound | Crossplane contrib."""
    table = []
    for r in results:
        n = r["n"]
        size = size_label(r)
        nodes = nodes_per_group(r)
        steady, changing = r.get("steady") or {}, r.get("changing") or {}
        burst, ready = r.get("burst") or {}, r.get("readiness") or {}
        foot, restart, drift = r.get("footprint") or {}, r.get("restart") or {}, r.get("drift") or {}
        a = anchors_steady(n, 1.0)
        per_day = steady.get("calls_per_day")
        table.append(
            [
                "1. steady: AWS calls/day",
                size,
                num(per_day) + (ok(per_day, GOALS["steady"]) if n >= 1000 else ""),
                "≤ 12,000 at N=1000",
                f"{num(a['ack'])} (10 h default: {num(a['ack_default'])})",
                num(a["upbound"]),
                num(a["contrib"]),
            ]
        )
        node, tag = drift.get("node_type") or {}, drift.get("tag") or {}
        table.append(
            [
                "1. drift put back (real time)",
                size,
                (
                    f"node type: noticed {secs(node.get('noticed_after_real'))}, "
                    f"back {secs(node.get('put_back_after_real'))} (incl. a {secs(node.get('modify_real_seconds'))} "
                    f"modify); tag: {secs(tag.get('put_back_after_real'))}"
                    if drift
                    else "—"
                ),
                "noticed ≤ 10 min",
                "≤ 10 h (default)",
                "≤ 10 min",
                "≤ 1 min",
            ]
        )
        c = anchors_changing(n, changing.get("groups") or min(100, n), 1.0)
        per_minute = changing.get("calls_per_minute")
        table.append(
            [
                f"2. {changing.get('groups', min(100, n))} changing: AWS calls/min",
                size,
                (
                    f"{num(per_minute, 1)}{ok(per_minute, GOALS['changing'])} (busiest minute: "
                    f"{num(changing.get('peak_calls_in_a_minute'))})"
                    if per_minute is not None
                    else "—"
                ),
                "≤ 60",
                num(c["ack"]),
                num(c["upbound"]),
                num(c["contrib"]),
            ]
        )
        p99 = (burst.get("from_post") or {}).get("p99")
        if burst and not burst.get("finished", True):
            minutes = len(burst.get("creates_per_minute") or [])
            measured = (
                f"did not finish in {minutes} min: {burst['creates']} of {n} Creates sent, "
                f"{burst.get('ready_with_secret', '?')} Ready ✗ "
                f"(Creates per minute: {', '.join(map(str, burst.get('creates_per_minute') or []))})"
            )
        else:
            measured = (
                f"p50 {secs((burst.get('from_post') or {}).get('p50'))}, p99 {secs(p99)}"
                + (ok(p99, GOALS["burst"]) if n >= 1000 else "")
                + f" (last Create {secs(burst.get('last_create_after_start'))} after the first POST)"
            )
        table.append(
            [
                "3. burst: POST → Create sent",
                size,
                measured,
                "p99 < 1 s at N=1000",
                "not documented",
                "not documented",
                "not documented",
            ]
        )
        table.append(
            [
                "4. readiness: available → Secret + Ready",
                size,
                f"p50 {secs(ready.get('p50'))}, p99 {secs(ready.get('p99'))}{ok(ready.get('p99'), GOALS['readiness'])}",
                "p99 < 10 s",
                ANCHOR_READINESS["ack"],
                ANCHOR_READINESS["upbound"],
                ANCHOR_READINESS["contrib"],
            ]
        )
        rss = foot.get("rss_max_mib")
        table.append(
            [
                "5. footprint: RSS, CPU",
                size,
                f"{num(rss)} MiB{ok(rss, GOALS['rss']) if n >= 1000 else ''}, "
                f"{num(foot.get('cpu_seconds_per_hour'))} CPU s/h",
                "RSS < 200 MiB at N=1000",
                "not documented",
                "1.5–12 GiB reported (#325, #801)",
                "not documented",
            ]
        )
        ra = anchors_restart(n, nodes)
        forbidden = restart.get("forbidden_calls")
        table.append(
            [
                "6. restart: AWS calls, time to reconcile all",
                size,
                (
                    f"{num(sum((restart.get('calls') or {}).values()))} calls "
                    f"({', '.join(f'{k} {v}' for k, v in (restart.get('calls') or {}).items())}), "
                    f"{secs(restart.get('reconciled_all_after'))}; "
                    + ("no Create/Modify ✓" if forbidden == {} else f"writes: {forbidden}")
                    if restart
                    else "—"
                ),
                "no Create, no Modify*",
                num(ra["ack"]),
                num(ra["upbound"]),
                num(ra["contrib"]),
            ]
        )
    return table


def size_label(r: dict[str, Any]) -> str:
    settings = {**(r.get("overrides") or {}), **(r.get("settings") or {})}
    return str(r["n"]) + "".join(f" ({key}={value})" for key, value in settings.items())


HEADER = ["Figure", "N", "this operator (measured)", "goal", "ACK", "Crossplane upbound", "Crossplane contrib"]


def text_table(results: list[dict[str, Any]]) -> str:
    table = [HEADER, *rows(results)]
    widths = [min(max(len(row[i]) for row in table), 70) for i in range(len(HEADER))]
    lines = []
    for row in table:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
    return "\n".join(lines)


def markdown_table(header: list[str], body: Iterable[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body]
    return "\n".join(lines)


# --- the plot ------------------------------------------------------------------------------------------

SERIES = [  # key, label, colour, dashed
    ("ours", "this operator (measured)", "#1a7f37", False),
    ("ours_variant", "this operator, variant settings (measured)", "#0969da", False),
    ("ack", "ACK, checking every 10 min", "#cf222e", True),
    ("contrib", "Crossplane contrib (every min)", "#8250df", True),
    ("upbound", "Crossplane upbound (every 10 min)", "#bc4c00", True),
    ("ack_default", "ACK at its 10 h default", "#d4a72c", True),
]


def _panel(
    x0: float,
    y0: float,
    width: float,
    height: float,
    title: str,
    unit: str,
    points: dict[str, list[tuple[int, float]]],
    goal: tuple[int, float] | None,
) -> list[str]:
    values = [v for series in points.values() for _, v in series if v > 0] + ([goal[1]] if goal else [])
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values)))
    xs = [10, 100, 1000]

    def px(n: float) -> float:
        return x0 + width * (math.log10(n) - 1) / 2

    def py(v: float) -> float:
        return y0 + height - height * (math.log10(v) - math.log10(low)) / (math.log10(high) - math.log10(low))

    out = [
        f'<text x="{x0 + width / 2}" y="{y0 - 14}" text-anchor="middle" font-weight="bold">{title}</text>',
        f'<rect x="{x0}" y="{y0}" width="{width}" height="{height}" fill="none" stroke="#999"/>',
    ]
    decade = low
    while decade <= high:
        y = py(decade)
        out.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + width}" y2="{y}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end" font-size="11">{num(decade)}</text>')
        decade *= 10
    for n in xs:
        out.append(f'<line x1="{px(n)}" y1="{y0}" x2="{px(n)}" y2="{y0 + height}" stroke="#eee"/>')
        out.append(f'<text x="{px(n)}" y="{y0 + height + 16}" text-anchor="middle" font-size="11">N = {n}</text>')
    out.append(
        f'<text x="{x0 - 52}" y="{y0 + height / 2}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 {x0 - 52} {y0 + height / 2})">{unit} (log scale)</text>'
    )
    for key, _, colour, dashed in SERIES:
        series = [(n, v) for n, v in points.get(key, []) if v > 0]
        if not series:
            continue
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        path = " ".join(f"{'M' if i == 0 else 'L'}{px(n):.1f},{py(v):.1f}" for i, (n, v) in enumerate(series))
        width_px = 3 if key.startswith("ours") else 1.5
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width_px}"{dash}/>')
        for n, v in series:
            radius = 4 if key.startswith("ours") else 2.5
            out.append(f'<circle cx="{px(n):.1f}" cy="{py(v):.1f}" r="{radius}" fill="{colour}"/>')
            if key.startswith("ours"):
                out.append(
                    f'<text x="{px(n) + 7:.1f}" y="{py(v) + 14:.1f}" font-size="11" fill="{colour}">{num(v)}</text>'
                )
    if goal:
        gx, gy = px(goal[0]), py(goal[1])
        out.append(
            f'<line x1="{gx - 30}" y1="{gy}" x2="{gx}" y2="{gy}" stroke="#000" stroke-width="2" '
            'stroke-dasharray="2 2"/>'
        )
        out.append(f'<text x="{gx - 32}" y="{gy - 5}" text-anchor="end" font-size="11">goal {num(goal[1])}</text>')
    return out


def svg(results: list[dict[str, Any]]) -> str:
    steady: dict[str, list[tuple[int, float]]] = {}
    changing: dict[str, list[tuple[int, float]]] = {}
    for r in sorted(results, key=lambda r: (r["n"], bool(r.get("settings")))):
        n = r["n"]
        ours = "ours_variant" if r.get("settings") else "ours"
        if (r.get("steady") or {}).get("calls_per_day") is not None:
            steady.setdefault(ours, []).append((n, r["steady"]["calls_per_day"]))
        if (r.get("changing") or {}).get("calls_per_minute") is not None:
            changing.setdefault(ours, []).append((n, r["changing"]["calls_per_minute"]))
    for n in sorted({r["n"] for r in results}):
        for key, value in anchors_steady(n).items():
            steady.setdefault(key, []).append((n, value))
        for key, value in anchors_changing(n, min(100, n)).items():
            changing.setdefault(key, []).append((n, value))
    width, height = 980, 470
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    out += _panel(90, 50, 360, 300, "1. Steady state: AWS calls per day", "calls / day", steady, (1000, 12000))
    out += _panel(
        580, 50, 360, 300, "2. While 100 groups change: AWS calls per minute", "calls / minute", changing, (1000, 60)
    )
    y = 395
    variants = sorted({", ".join(f"{k}={v}" for k, v in r["settings"].items()) for r in results if r.get("settings")})
    shown = [
        (key, f"this operator, {', '.join(variants)} (measured)" if key == "ours_variant" else label, colour, dashed)
        for key, label, colour, dashed in SERIES
        if key != "ours_variant" or variants
    ]
    for i, (key, label, colour, dashed) in enumerate(shown):
        x = 90 + (i % 2) * 440
        row = y + (i // 2) * 18
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        out.append(
            f'<line x1="{x}" y1="{row}" x2="{x + 30}" y2="{row}" stroke="{colour}" '
            f'stroke-width="{3 if key.startswith("ours") else 1.5}"{dash}/>'
        )
        out.append(f'<text x="{x + 36}" y="{row + 4}">{label}</text>')
    out.append(
        f'<text x="90" y="{height - 12}" font-size="10" fill="#555">Anchors: their documented behaviour at the same N '
        "(ANCHORS.md), computed; this operator: measured on the sandbox (docs/benchmarks.md).</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- the document ----------------------------------------------------------------------------------------


def _by_action(actions: dict[str, float], digits: int = 0) -> str:
    return ", ".join(
        f"{action} {num(count, digits)}" for action, count in sorted(actions.items(), key=lambda kv: -kv[1])
    )


def details(r: dict[str, Any]) -> list[str]:
    n, lines = r["n"], []
    lines.append(f"### N = {size_label(r)}")
    lines.append("")
    if r.get("errors"):
        lines.append(f"**Failed:** {'; '.join(r['errors'])} (see below and the logs in `{r.get('run_dir')}`).")
        lines.append("")
    scale = (r.get("options") or {}).get("time_scale")
    lines.append(f"Phases (wall seconds): {', '.join(f'{k} {v}' for k, v in (r.get('phases') or {}).items())}; ")
    lines.append(
        f"total {num(r.get('seconds'))} s. Time scale {num(scale)}. Operator source digest "
        f"`{r.get('operator_code')}` when this N started."
    )
    lines.append("")
    steady = r.get("steady")
    if steady:
        lines.append(
            f"- Steady state: {steady['resyncs']} whole resync cycles, {num(steady['window_wall_seconds'], 1)} s "
            f"of wall time = {num(steady['window_real_seconds'])} s of real time; calls in the window: "
            f"{_by_action(steady['calls'])}. Per resync: {_by_action(steady['calls_per_resync'], 1)}. "
            f"DescribeEvents expected from the schedule: {num(steady['describe_events_expected'], 1)}; each resync "
            f"took {', '.join(map(str, steady.get('resync_seconds_wall') or []))} wall s. "
            f"Per real day: {_by_action(steady['calls_per_day_by_action'])}."
        )
    drift = r.get("drift")
    if drift:
        node, tag = drift["node_type"], drift["tag"]
        lines.append(
            f"- Drift: the node type changed by hand (a {secs(node['modify_real_seconds'])} modification) was noticed "
            f"{secs(node['noticed_after_real'])} after AWS finished it and was back "
            f"{secs(node['put_back_after_real'])} after (the operator's own modification included); a removed tag "
            f"(no event) was back {secs(tag['put_back_after_real'])} after its removal (value now: {tag['tag_now']!r})."
        )
    changing = r.get("changing")
    if changing:
        lines.append(
            f"- Changing: {changing['groups']} groups patched in {num(changing['patching_took'], 2)} s; "
            f"{secs(changing['window_real_seconds'])} of real time until all were Ready with a replica; calls: "
            f"{_by_action(changing['calls'])}; per real minute {num(changing['calls_per_minute'], 1)} "
            f"(busiest real minute: {changing['peak_calls_in_a_minute']} calls). Schedule check: DescribeEvents "
            f"{changing.get('describe_events', '?')} of {num(changing.get('describe_events_expected'))} expected "
            f"(every 5 s while busy), group listings {num(changing.get('listings'), 1)} of "
            f"{num(changing.get('listings_expected'), 1)} (one a minute)."
        )
    burst = r.get("burst")
    if burst:
        fp, fs = burst["from_post"], burst["from_burst_start"]
        lines.append(
            f"- Burst (AWS rate limit {num(burst['aws_calls_per_second'])}/s, "
            f"{burst.get('writes_in_flight', 4)} changes in flight): {n} POSTs took "
            f"{secs(burst['posting_took'])} (each answered in p50 {secs(burst['post_seconds']['p50'])}, p99 "
            f"{secs(burst['post_seconds']['p99'])}); {burst['creates']} groups created with "
            f"{burst['create_calls']} CreateReplicationGroup calls; POST → Create p50 {secs(fp['p50'])}, p99 "
            f"{secs(fp['p99'])}, max {secs(fp['max'])}; first POST → Create p50 {secs(fs['p50'])}, p99 "
            f"{secs(fs['p99'])}. Calls until all were Ready: {_by_action(burst['calls_until_all_ready'])}."
        )
    ready = r.get("readiness")
    if ready:
        lines.append(
            f"- Readiness over {ready['count']} groups: p50 {secs(ready['p50'])}, p99 {secs(ready['p99'])}, max "
            f"{secs(ready['max'])} (slowest: {ready['slowest']}); the operator's first DescribeEvents or listing "
            f"after a group turned available came p50 {secs((ready.get('first_look_after') or {}).get('p50'))}, p99 "
            f"{secs((ready.get('first_look_after') or {}).get('p99'))} after it; all Ready "
            f"{secs(ready['all_ready_after_start'])} after the first POST."
        )
    foot = r.get("footprint")
    if foot:
        base = r.get("baseline") or {}
        lines.append(
            f"- Footprint: RSS {num(foot.get('rss_max_mib'))} MiB at most in the steady window (peak over the "
            f"operator's life {num(foot.get('peak_rss_mib'))} MiB, {foot.get('threads')} threads); CPU "
            f"{num(foot.get('cpu_seconds_per_hour_at_scale'))} s per wall hour at the time scale, "
            f"{num(foot.get('cpu_seconds_per_hour_idle'))} s/h at rest with production intervals "
            f"(RSS then {num(base.get('rss_mib'))} MiB), so about {num(foot.get('cpu_seconds_per_hour'))} CPU s per "
            "real hour."
        )
    restart = r.get("restart")
    if restart:
        stop = restart["stop"]
        lines.append(
            f"- Restart: SIGTERM → exit in {secs(stop['seconds'])}"
            + (" (had to be SIGKILLed)" if stop["killed"] else "")
            + f"; {r['n']} reconciles {secs(restart['reconciled_all_after'])} after the new process started, "
            f"{num(restart['reconciles'])} when they stopped, "
            f"{secs(restart.get('reconciles_settled_after'))} after it; "
            f"calls: {_by_action(restart['calls']) or 'none'}; writes: {restart['forbidden_calls'] or 'none'}."
        )
    load = r.get("stand_ins") or {}
    if load:
        lines.append(
            "- Stand-ins: "
            + "; ".join(
                f"{name} {num(v['cpu_seconds'])} CPU s in all, busiest second {v['busiest_second_cpu']} CPU, "
                f"RSS ≤ {num(v['rss_max_mib'])} MiB"
                for name, v in load.items()
            )
            + "."
        )
    problems = {k: v for k, v in (r.get("log_problems") or {}).items() if v["errors"]}
    if problems:
        lines.append(
            "- Errors in logs: "
            + "; ".join(
                f"{k}: {v['errors']} lines (first: `{(v['first_errors'] or [''])[0][:160]}`)"
                for k, v in problems.items()
            )
            + "."
        )
    lines += cost_details(r)
    if r.get("stack_dumps"):
        lines.append(f"- py-spy dumps: {', '.join(r['stack_dumps'])}")
    lines.append("")
    return lines


METHOD = """\
## Method

For each N the benchmark starts a fresh Kubernetes API stand-in (`python -m elasticache_sandbox.kube`),
ElastiCache API stand-in (`python -m elasticache_sandbox.elasticache_api`, no data plane) and the
operator (`python -m elasticache_operator`, configured only by `ELASTICACHE_OPERATOR_*`), each a process of its
own on this {cores}-core machine: the stand-ins and the benchmark share the CPU with the operator. AWS calls
are counted where AWS would count them: the stand-in logs every request it serves with its action,
`ReplicationGroupId` and wall-clock arrival time (`GET /_sandbox/requests?log=1`); the benchmark's own calls
carry `X-Sandbox-Client: bench` and are left out. All calls count: listings, DescribeEvents, the tagging API's
GetResources, describes, writes, CloudWatch Logs.

The stand-in changes state lazily (on the next request it serves), so the benchmark ticks it every
{tick} s with a call of its own (left out of the counts): groups turn `available` and their events are
dated when their time comes, as on AWS, not when the operator's next call happens to arrive.

Objects: RedisClusters `rc-00000`, `rc-00001`, … in one namespace, `instanceSize: {instance}`, no replicas,
one user tag, `deletionPolicy: Delete`, the default slow-log delivery (so each create also costs
CreateLogGroup and PutRetentionPolicy), all sharing one password Secret.

**Time scale.** Figures 1, 2 and 5 run the operator with every interval divided by {scale} (unless an N
below says otherwise, as `time_scale=…` in its name; the figures below are then per that scale) (resync
{resync} s for 600 s, events {events} s for 5 s, idle events {idle} s for 30 s, busy listing {listing} s
for 60 s, poll {poll} s for 15 s, retry {retry} s for 60 s) and its AWS rate limit multiplied by it
({rate}/s for 10/s), and the stand-in's modification time set to {modify} s ({modify_real} min of real
time). A wall second is then {scale} real seconds: calls per real day = calls in the window / (the window's
wall seconds × {scale}) × 86,400; per real minute likewise; drift times are multiplied by the scale.

1. **Steady state**: all N groups available, the operator started and every object reconciled, then a
   window from the end of one full resync to the end of the {cycles}th after it (resyncs are found in the
   log: only they call GetResources), so it holds whole cycles. Drift: after the window the benchmark
   changes one group's node type with ModifyReplicationGroup straight on the stand-in (AWS reports the
   change in an event when it is done) and removes a user tag from another group (no event: only a full
   resync can see it). Reported: the real time from the drift being complete to the operator's
   correcting call, and to the group being back.
2. **Changing groups**: `numReplicaNodes` 0 → 1 patched on min(100, N) RedisClusters at once; the window
   runs from the first patch to the last of them seen Ready=True with one replica per shard by a watch.
   Reported: the average per real minute over the window, the busiest real minute (a sliding window of
   {minute} wall seconds), and every call by action.
3. **Burst**: with production intervals, the AWS rate limit raised to {burst_rate} calls/s (burst as
   large) and up to {burst_writes} AWS changes in flight (and as many reconcile threads), so that the limits do
   not hold creates back, the benchmark POSTs the N objects, 64 requests in flight. (With the defaults, 10
   calls/s and 4 changes in flight, a create's three writes bound a burst at about 3 creates a second:
   the limits protect the account's shared API quota, and a user who needs faster bursts raises them.)
   Latency per object: arrival of its CreateReplicationGroup at the stand-in − the moment its
   POST was sent. The stand-in creates a group in {create} s.
4. **Readiness** (same run, production intervals, so DescribeEvents every 5 s while groups are busy): from
   the `Date` of the stand-in's event "Replication group X created" (milliseconds) to the later of the
   connection Secret (with a host) and Ready=True at generation 1, as two watches saw them.
5. **Footprint**: VmRSS of the operator process from /proc (the highest sample, once a second, in the
   steady window) and its CPU (utime + stime). CPU per real hour is estimated as the CPU rate at rest with
   production intervals (measured for {baseline} s once the burst had settled) + (the CPU rate in the
   scaled steady window − that rate) / {scale}: the periodic work is taken as {scale}× too dense there.
6. **Restart**: the burst phase's operator is stopped (SIGTERM, SIGKILL after 10 s) with N groups existing,
   and a new one is started with production settings. Reported: the time from its start until its
   `elasticache_operator_reconcile_total` reaches N, the AWS calls by action from its start until 5 s after
   that, and any write (Create*, Modify*, replica or tag changes, log groups): there must be none.

The anchors: ACK makes 5 read calls per group per check; its default check is every 10 h, so drift is
noticed within 10 h; the ACK column is what it would cost checking every 10 minutes as this operator does
(and 3 calls every 30 s per group while not synced). Crossplane upbound: 3 calls per group every 10
minutes. Crossplane contrib: 2 + 1 per node per group every minute. Their readiness is the worst case
their poll interval allows; their restart is one check of each group. None documents a burst latency,
nor (but upbound) its memory.
"""


# --- the operator's cost per cluster --------------------------------------------------------------------

PHASE_NAMES = {
    "create": "create (first POST → every Create sent)",
    "wait": "wait (→ the first group available)",
    "ready": "ready (→ every Secret + Ready seen)",
    "total": "total (first POST → all Ready)",
}
CLIENT_NAMES = {"operator": "operator's client", "kopf": "kopf"}


def _per_cluster(counts: dict[str, dict[str, float]]) -> str:
    parts = [
        f"{key} {num(value, 2)}"
        for client in cost.OPERATOR_CLIENTS
        for key, value in sorted((counts.get(client) or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return ", ".join(parts) or "none"


def cost_details(r: dict[str, Any]) -> list[str]:
    """The per-N bullet: each phase's wall time, the operator's CPU and its Kubernetes requests."""
    saved = (r.get("burst") or {}).get("cost")
    if not saved:
        return []
    n = r["n"]
    figures = cost.summary(saved, n)
    parts = []
    for name, phase in figures["phases"].items():
        parts.append(
            f"{name} {secs(phase['wall_seconds'])} wall, {num(phase['cpu_seconds'], 2)} CPU s "
            f"({num(phase['cpu_ms_per_cluster'], 1)} ms per cluster, {num(100 * (phase['cpu_share'] or 0))} % of one "
            f"CPU; {secs(phase['seconds_at_limit'])} at 500 m)"
        )
    marks = saved.get("marks") or {}
    loads = [f"{num(m['load'], 1)}" for m in marks.values() if m.get("load") is not None]
    load = f" Machine load (1-min average) at the marks: {', '.join(loads)}." if loads else ""
    lines = [f"- Operator cost in the burst: {'; '.join(parts) or 'no phase completed'}.{load}"]
    if "creates_sent" in marks and saved.get("first_create") is not None:
        expected = saved["first_create"] + saved.get("create_seconds", 0)
        if expected < marks["creates_sent"]["time"]:
            lines.append(
                f"  The first group was due available {secs(marks['creates_sent']['time'] - expected)} before the "
                "last Create was sent: the create phase holds some Readies' work too."
            )
    requests = figures["requests"]
    if requests:
        for client in cost.OPERATOR_CLIENTS:
            by_phase = []
            for name in ("create", "wait", "ready", "total"):
                phase = requests.get(name)
                if phase:
                    writes = {k: v for k, v in phase["writes"].get(client, {}).items()}
                    reads = {k: v for k, v in phase["reads"].get(client, {}).items()}
                    by_phase.append(
                        f"{name}: writes {_per_cluster({client: writes})}; reads {_per_cluster({client: reads})}"
                    )
            lines.append(f"- Kubernetes requests per cluster by {CLIENT_NAMES[client]}: " + " — ".join(by_phase) + ".")
        other = (saved.get("requests") or {}).get("total", {}).get("other") or {}
        lines.append(
            f"- Audit trail: {num(saved.get('audit_entries'))} requests served in all; the benchmark's own (and any "
            f"other client's) from the first POST to all Ready: {num(sum(other.values()))}."
        )
    elif figures["requests_not_measured"]:
        lines.append(f"- Kubernetes requests: not measured ({figures['requests_not_measured']}).")
    return lines


COST_HEADER = [
    "N",
    "run",
    "CPU per create (≤ 20 ms)",
    "CPU per Ready (≤ 10 ms)",
    "CPU POST → all Ready: needed, wall, share of one CPU",
    "same CPU at 500 m",
    "Kubernetes writes per cluster POST → Ready (≤ 4)",
    "reads per cluster",
    "burst p99 (≤ 5 s at N = 1000)",
    "readiness p99 (≤ 10 s at N = 1000)",
]


def cost_rows(entries: Sequence[tuple[dict[str, Any], str]]) -> list[list[str]]:
    table = []
    for r, run in entries:
        saved = (r.get("burst") or {}).get("cost")
        if not saved:
            continue
        n, figures = r["n"], cost.summary(saved, r["n"])
        total = figures["phases"].get("total") or {}
        per_create, per_ready = figures["cpu_ms_per_create"], figures["cpu_ms_per_ready"]
        writes = figures["writes_per_cluster"]
        reads = (figures["requests"].get("total") or {}).get("reads_per_cluster")
        burst_p99 = ((r.get("burst") or {}).get("from_post") or {}).get("p99")
        ready_p99 = (r.get("readiness") or {}).get("p99")
        at_1000 = n >= 1000
        table.append(
            [
                size_label(r),
                run,
                f"{num(per_create, 1)} ms{ok(per_create, cost.GOALS['cpu_ms_per_create'])}",
                f"{num(per_ready, 1)} ms{ok(per_ready, cost.GOALS['cpu_ms_per_ready'])}",
                (
                    f"{num(total['cpu_seconds'], 1)} CPU s in {secs(total['wall_seconds'])} "
                    f"({num(100 * (total['cpu_share'] or 0))} %)"
                    if total
                    else "—"
                ),
                secs(total.get("seconds_at_limit")),
                (
                    f"{num(writes, 2)}{ok(writes, cost.GOALS['writes_per_cluster'])}"
                    if writes is not None
                    else "not measured"
                ),
                num(reads, 2) if reads is not None else "—",
                secs(burst_p99) + (ok(burst_p99, cost.GOALS["burst_p99"]) if at_1000 else ""),
                secs(ready_p99) + (ok(ready_p99, cost.GOALS["readiness_p99"]) if at_1000 else ""),
            ]
        )
    return table


def phases_table(entries: Sequence[tuple[dict[str, Any], str]]) -> str:
    """Per N and phase: wall seconds, the operator's CPU seconds for all N, per cluster, its share of one
    CPU, and the least time the same CPU takes under 500 m."""
    body = []
    for r, run in entries:
        saved = (r.get("burst") or {}).get("cost")
        if not saved:
            continue
        for name, phase in cost.summary(saved, r["n"])["phases"].items():
            body.append(
                [
                    size_label(r),
                    run,
                    PHASE_NAMES[name],
                    secs(phase["wall_seconds"]),
                    num(phase["cpu_seconds"], 2),
                    f"{num(phase['cpu_ms_per_cluster'], 1)} ms",
                    f"{num(100 * (phase['cpu_share'] or 0))} %",
                    secs(phase["seconds_at_limit"]),
                ]
            )
    header = [
        "N",
        "run",
        "phase",
        "wall",
        "CPU s (all N)",
        "CPU per cluster",
        "share of one CPU",
        "CPU s / 0.5 (500 m)",
    ]
    return markdown_table(header, body) if body else ""


def requests_table(entries: Sequence[tuple[dict[str, Any], str]]) -> str:
    """Kubernetes requests per cluster, first POST → all Ready, by client and `verb resource`: one column per
    N (its create and ready phases in brackets)."""
    measured = [(r, run) for r, run in entries if (r.get("burst") or {}).get("cost")]
    summaries = [(r, run, cost.summary(r["burst"]["cost"], r["n"])) for r, run in measured]
    labelled = [(r, run, f) for r, run, f in summaries if f["requests"].get("total")]
    columns = [(r, f) for r, _, f in labelled]
    if not columns:
        return ""
    keys = sorted(
        {
            (client, kind, key)
            for _, f in columns
            for kind in ("writes", "reads")
            for client in cost.OPERATOR_CLIENTS
            for key in f["requests"]["total"][kind].get(client, {})
        },
        key=lambda k: (k[1] != "writes", k[0], k[2]),
    )
    body = []
    for client, kind, key in keys:
        if all(f["requests"]["total"][kind].get(client, {}).get(key, 0.0) < 0.005 for _, f in columns):
            continue  # one-offs (kopf's CRD watch): under 0.005 per cluster everywhere
        row = [f"{CLIENT_NAMES[client]}: {key}" + (" (write)" if kind == "writes" else "")]
        for _, f in columns:
            phase_value = [
                (f["requests"].get(name) or {}).get(kind, {}).get(client, {}).get(key, 0.0)
                for name in ("total", "create", "ready")
            ]
            row.append(f"{num(phase_value[0], 2)} ({num(phase_value[1], 2)} / {num(phase_value[2], 2)})")
        body.append(row)
    totals = ["**writes, all**"]
    for _, f in columns:
        phase_value = [
            (f["requests"].get(name) or {}).get("writes_per_cluster") for name in ("total", "create", "ready")
        ]
        totals.append(
            " ".join([f"**{num(phase_value[0], 2)}**", f"({num(phase_value[1], 2)} / {num(phase_value[2], 2)})"])
        )
    body.append(totals)
    header = ["request (client: verb resource[/subresource])"]
    header += [f"N = {size_label(r)}, {run}" for r, run, _ in labelled]
    return markdown_table(header, body)


def budget_lines(entries: Sequence[tuple[dict[str, Any], str]]) -> list[str]:
    """The latency goals at the largest N, against the CPU they need: CPU seconds needed if N arrive at
    once, against what a 500 m limit (and one whole CPU) gives within the goal."""
    measured = [
        (r, run, cost.summary(r["burst"]["cost"], r["n"]))
        for r, run in entries
        if (r.get("burst") or {}).get("cost") and cost.summary(r["burst"]["cost"], r["n"])["cpu_ms_per_create"]
    ]
    if not measured:
        return []
    # The latest run (the last listed) at the largest N: the operator as it is now.
    r, run, f = max(reversed(measured), key=lambda m: (m[0]["n"], m[2]["cpu_ms_per_ready"] is not None))
    n = 1000
    lines = [
        f"**The latency goals against the CPU they need** (the per-cluster CPU of N = {size_label(r)}, {run}, "
        f"applied to N = {n} arriving at once):",
        "",
    ]
    for what, ms, goal in (
        ("burst: every Create sent", f["cpu_ms_per_create"], cost.GOALS["burst_p99"]),
        ("readiness: every Secret + Ready", f["cpu_ms_per_ready"], cost.GOALS["readiness_p99"]),
    ):
        if ms is None:
            continue
        at_limit = cost.burst_budget(n, ms, goal, cost.LIMIT)
        one_cpu = cost.burst_budget(n, ms, goal, 1.0)
        lines.append(
            f"- {what} within {secs(goal)}: {num(at_limit['cpu_seconds_needed'], 1)} CPU s needed "
            f"({num(ms, 1)} ms × {n:,}); a 500 m limit gives {num(at_limit['cpu_seconds_available'], 1)} CPU s in "
            f"{secs(goal)}, one whole CPU (a Python process's most: one thread holds the GIL at a time) "
            f"{num(one_cpu['cpu_seconds_available'], 1)}. Under 500 m the last one comes "
            f"{secs(at_limit['last_after_seconds'])} after at the earliest (one CPU: "
            f"{secs(one_cpu['last_after_seconds'])}); the goal needs ≤ {num(at_limit['cpu_ms_allowed'], 1)} ms per "
            f"cluster at 500 m, ≤ {num(one_cpu['cpu_ms_allowed'], 1)} ms with a whole CPU."
        )
    return lines + [""]


ROOT = pathlib.Path(__file__).resolve().parents[1]


def _relative(path: str, out_dir: pathlib.Path | None) -> str:
    """A file's link from the document: paths in results are absolute, or relative to the repository."""
    if out_dir is None:
        return path
    return os.path.relpath(ROOT / path, out_dir.resolve())


def profile_section(
    entries: Sequence[tuple[dict[str, Any], str]], notes: str, out_dir: pathlib.Path | None
) -> list[str]:
    profiled = [(r, run) for r, run in entries if r.get("profile")]
    if not profiled:
        return []
    r, run = max(reversed(profiled), key=lambda e: e[0]["n"])  # the latest run's, at the largest N
    prof = r["profile"]
    svg_path = _relative(prof["svg"], out_dir)
    lines = [
        f"## Where the operator's time goes at N = {r['n']}",
        "",
        f"py-spy sampled the operator {prof.get('rate', 100)} times a second from the first POST of the burst of "
        f"N = {size_label(r)} until all were Ready ({run}), only the thread holding the GIL (`--gil`: the Python "
        "work; waits and system calls outside the GIL are left out), without pausing it (`--nonblocking`): "
        f"{num(prof['samples'])} samples, {secs(prof['samples'] / prof.get('rate', 100))} of GIL time"
        + (f" against {num(cpu, 1)} CPU s of the process" if (cpu := prof.get("cpu_seconds")) else "")
        + f". Flame graph: [{os.path.basename(prof['svg'])}]({svg_path}) "
        f"(speedscope: `{_relative(prof['speedscope'], out_dir)}`, open it at speedscope.app).",
        "",
        f"[![flame graph of the operator at N = {r['n']}]({svg_path})]({svg_path})",
        "",
    ]
    if notes:
        lines += [notes, ""]
    packages = ", ".join(f"{p['name']} {num(100 * p['share'], 1)} %" for p in prof["packages"][:8])
    functions = ", ".join(f"`{p['name']}` {num(100 * p['share'], 1)} %" for p in prof["self"][:8])
    lines += [
        f"Samples by the package of the running function (self time): {packages}.",
        "",
        f"The functions most often running themselves: {functions}.",
        "",
    ]
    return lines


def markdown(
    results: list[dict[str, Any]],
    meta: dict[str, Any],
    cost_runs: Sequence[dict[str, Any]] = (),
    out_dir: pathlib.Path | None = None,
) -> str:
    results = sorted(results, key=lambda r: (r["n"], bool(r.get("settings"))))
    opts = meta["options"]
    scale = opts["time_scale"]
    sizes = ",".join(
        str(r["n"])
        + "".join(f":{k}={v}" for k, v in {**(r.get("overrides") or {}), **(r.get("settings") or {})}.items())
        for r in results
    )
    out = [
        "# Benchmarks: AWS calls do not grow per cluster",
        "",
        f"Measured on {meta['machine']}, by `scripts/bench --sizes {sizes}` on {meta['date']} (working tree at "
        f"{meta['git']}); the whole run took {num(meta['seconds'] / 60, 1)} min. Every figure of this operator "
        "below is measured against the sandbox's stand-ins; the anchors' figures are their documented behaviour "
        "(the project's ANCHORS.md cites their source and issues) applied to the same N."
        + (
            f" The Kubernetes API was {meta['kubernetes']}, not the stand-in: only the ElastiCache stand-in and "
            "the operator ran on this machine."
            if str(meta.get("kubernetes", "")).startswith("an existing")
            else ""
        ),
        "",
        "![AWS calls per day and per minute against N](benchmarks.svg)",
        "",
        markdown_table(HEADER, rows(results)),
        "",
        "✓/✗: against the goal (checked at N = 1000 where the goal is stated for it).",
        "",
        METHOD.format(
            cores=meta["cores"],
            tick=opts["tick_seconds"],
            instance=INSTANCE_SIZE,
            scale=num(scale),
            resync=num(600 / scale, 1),
            events=num(5 / scale, 2),
            idle=num(30 / scale, 2),
            listing=num(60 / scale, 1),
            poll=num(15 / scale, 2),
            retry=num(60 / scale, 1),
            rate=num(10 * scale),
            modify=num(opts["modify_real_seconds"] / scale, 1),
            modify_real=num(opts["modify_real_seconds"] / 60),
            cycles=opts["steady_cycles"],
            minute=num(60 / scale, 1),
            burst_rate=num(opts["burst_calls_per_second"]),
            burst_writes=opts.get("burst_writes", 4),
            create=num(opts["create_seconds"]),
            baseline=num(opts["baseline_seconds"]),
        ),
        "## Per N",
        "",
    ]
    for r in results:
        out += details(r)
    out += cost_section(results, meta, cost_runs, out_dir)
    out += ["## Findings", "", *meta.get("findings", ["(none recorded)"]), ""]
    return "\n".join(out)


def run_label(meta: dict[str, Any]) -> str:
    return f"{meta.get('date', '?')}, {meta.get('git', '?')}"


def cost_section(
    results: list[dict[str, Any]],
    meta: dict[str, Any],
    cost_runs: Sequence[dict[str, Any]],
    out_dir: pathlib.Path | None,
) -> list[str]:
    """The operator's cost per cluster in the burst, from this run's results and other runs' (`--cost-from`)."""
    entries = [(r, "this run") for r in results if (r.get("burst") or {}).get("cost")]
    runs = []  # other runs, lettered in the table
    for other in cost_runs:
        measured = [r for r in other["results"] if (r.get("burst") or {}).get("cost")]
        if measured:
            runs.append(run_label(other["meta"]))
            entries += [(r, f"run {chr(ord('A') + len(runs) - 1)}") for r in measured]
    entries.sort(key=lambda e: (e[0]["n"], bool(e[0].get("settings"))))
    out = ["## The operator's cost per cluster in a burst", ""]
    if not entries:
        return out + ["Not measured in this run (the benchmark measures it since a later version).", ""]
    lettered = "; ".join(f"run {chr(ord('A') + i)}: {label}" for i, label in enumerate(runs))
    out += [
        "What the operator itself spends to take a RedisCluster from its POST to Ready: on a user's cluster it "
        "has a CPU limit of its own (often 100–500 m), so this decides how fast a burst goes. Measured in the "
        "burst phase (figures 3 and 4: production intervals, the AWS limits lifted), on the machine described "
        "above"
        + (
            f", in {'another run' if len(runs) == 1 else 'other runs'} than the figures above ({lettered})"
            if runs
            else ""
        )
        + "."
        + (f" `{meta['report_command']}` rewrites this page." if runs and meta.get("report_command") else ""),
        "",
        markdown_table(COST_HEADER, cost_rows(entries)),
        "",
        "CPU: the operator process's utime + stime (all its threads, from /proc/<pid>/stat) read at the phase "
        "boundaries: *create* from the first POST until every CreateReplicationGroup arrived at the stand-in "
        "(seen in its request log, read every second), *wait* until the first group was due available (its "
        "Create + the stand-in's create time), *ready* until every object was seen with its connection Secret "
        "and Ready=True; per create = create-phase CPU / N, per Ready = ready-phase CPU / N; *at 500 m*: the "
        "same CPU seconds / 0.5, the least time they take under that limit. Kubernetes requests: counted at the "
        "API, in the stand-in's audit trail (`GET /_sandbox/audit`: user agent, verb, resource, subresource), "
        "split at the same boundaries; the operator process's requests are those of its own client (user agent "
        "`elasticache-operator`) and of kopf (`kopf/<version>`), the benchmark's own (the POSTs, its watches) "
        "are left out. With `--kubeconfig` (an existing cluster) there is no audit trail, and the requests are "
        "not measured. The phases split the work by time, not by cluster: what the operator does for a cluster "
        "after the last Create was sent (its status, its Event) counts in *wait*, so *total* / N is the surest "
        "figure; utime + stime count in clock ticks (10 ms), ±1 ms per cluster at N = 10.",
        "",
    ]
    phases = phases_table(entries)
    if phases:
        out += ["The operator's CPU by phase:", "", phases, ""]
    table = requests_table(entries)
    if table:
        out += [
            "Kubernetes requests per cluster, first POST → all Ready (in brackets: create phase / ready phase; "
            "fewer than 0.005 per cluster left out):",
            "",
            table,
            "",
        ]
    out += budget_lines(entries)

    def notes(key: str) -> str:
        return meta.get(key) or next((o["meta"][key] for o in cost_runs if o["meta"].get(key)), "")

    if notes("cost_notes"):
        out += [notes("cost_notes"), ""]
    out += profile_section(entries, notes("profile_notes"), out_dir)
    return out
