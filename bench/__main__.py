"""`python -m bench [--sizes 10,100,1000] [--time-scale 20] ...`: run the benchmark, print the table, write
docs/benchmarks.md and docs/benchmarks.svg. `--report-only RESULTS.json` rewrites the documents from a
previous run's results without running anything; `--cost-from OTHER.json` adds another run's operator-cost
figures (CPU and Kubernetes requests per cluster, the profile) to them. `--kubeconfig PATH` runs against
an existing cluster instead of the Kubernetes stand-in; `--profile DIR` records each burst's operator with
py-spy."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import signal
import subprocess
import sys
import time
from typing import Any

from . import cost, report
from .figures import Options, run_size
from .stack import ROOT, Stack


def machine() -> tuple[str, int]:
    cores = os.cpu_count() or 0
    model = ""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(line.split()[1]) // 1024 // 1024
            for line in pathlib.Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem = 0
    return (
        f"a {cores}-core sandbox machine ({model or platform.processor()}, {mem} GiB RAM, Linux "
        f"{platform.release()}, Python {platform.python_version()}); the two stand-ins, the operator and the "
        "benchmark itself share its CPU",
        cores,
    )


def git_state() -> str:
    def run(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    head = run("rev-parse", "--short", "HEAD") or "unknown"
    dirty = [line[3:] for line in run("status", "--porcelain").splitlines() if line]
    return f"`{head}`" + (f" with uncommitted changes to {len(dirty)} files" if dirty else "")


def findings(results: list[dict[str, Any]]) -> list[str]:
    """What the figures say against the goals, and what broke (the run's own words, no judgement added)."""
    out = []
    ordered = sorted(results, key=lambda r: (r["n"], bool(r.get("settings"))))
    for r in ordered:
        if r.get("errors"):
            out.append(f"- N = {report.size_label(r)}: the run failed: {'; '.join(r['errors'])}.")
    largest_n = max((r["n"] for r in results), default=None)
    for largest in [r for r in ordered if r["n"] == largest_n]:
        n = report.size_label(largest)
        checks = [
            ("steady AWS calls/day", (largest.get("steady") or {}).get("calls_per_day"), report.GOALS["steady"]),
            ("calls/min while changing", (largest.get("changing") or {}).get("calls_per_minute"), 60),
            ("burst p99 (s)", burst_p99(largest), 1.0),
            ("readiness p99 (s)", (largest.get("readiness") or {}).get("p99"), 10.0),
            ("RSS (MiB)", (largest.get("footprint") or {}).get("rss_max_mib"), 200.0),
        ]
        for what, value, goal in checks:
            if value is None:
                out.append(f"- N = {n}, {what}: not measured.")
            else:
                verdict = "meets" if value <= goal else "misses"
                out.append(f"- N = {n}, {what}: {report.num(value, 2)} {verdict} the goal ({report.num(goal)}).")
        forbidden = (largest.get("restart") or {}).get("forbidden_calls")
        if forbidden is not None:
            out.append(f"- N = {n}, restart writes: {forbidden or 'none'}.")
        out += cost_findings(largest)
    return out


def cost_findings(result: dict[str, Any]) -> list[str]:
    """The operator's cost per cluster against its goals (runs from before it was measured: nothing)."""
    saved = (result.get("burst") or {}).get("cost")
    if not saved:
        return []
    n, figures = report.size_label(result), cost.summary(saved, result["n"])
    checks = [
        ("operator CPU per create (ms)", figures["cpu_ms_per_create"], cost.GOALS["cpu_ms_per_create"]),
        ("operator CPU per Ready (ms)", figures["cpu_ms_per_ready"], cost.GOALS["cpu_ms_per_ready"]),
        (
            "Kubernetes writes per cluster, POST → Ready",
            figures["writes_per_cluster"],
            cost.GOALS["writes_per_cluster"],
        ),
    ]
    out = []
    for what, value, goal in checks:
        if value is None:
            why = figures["requests_not_measured"] if "writes" in what and figures["requests_not_measured"] else ""
            out.append(f"- N = {n}, {what}: not measured{f' ({why})' if why else ''}.")
        else:
            verdict = "meets" if value <= goal else "misses"
            out.append(f"- N = {n}, {what}: {report.num(value, 1)} {verdict} the goal ({report.num(goal)}).")
    return out


def burst_p99(result: dict[str, Any]) -> float | None:
    burst = result.get("burst") or {}
    if not burst.get("finished", True):
        return float("inf")  # not every Create was sent: the p99 is beyond the time the burst was given
    return (burst.get("from_post") or {}).get("p99")


BENCH_KEYS = {"time_scale": float, "steady_cycles": int}  # per-N benchmark options, not operator settings


def parse_size(text: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    """`1000`, or `1000:time_scale=5:manage_security_groups=false`: the benchmark's own options for this N
    (time_scale, steady_cycles), the rest operator settings."""
    n, *pairs = text.strip().split(":")
    settings: dict[str, str] = {}
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--sizes: {pair!r} is not setting=value")
        key = key.strip().lower()
        if key in BENCH_KEYS:
            overrides[key] = BENCH_KEYS[key](value)
        else:
            settings[key] = value.strip()
    return int(n), settings, overrides


def write_documents(
    results: list[dict[str, Any]],
    meta: dict[str, Any],
    out: pathlib.Path,
    notes: str,
    cost_runs: list[dict[str, Any]] | None = None,
) -> None:
    measured = [run for run in cost_runs or [] if any((r.get("burst") or {}).get("cost") for r in run["results"])]
    others = [  # other runs' cost figures, lettered as in report.cost_section
        line.rstrip(".") + f" (run {chr(ord('A') + i)})."
        for i, run in enumerate(measured)
        for r in run["results"]
        if r["n"] == max(other["n"] for other in run["results"])
        for line in cost_findings(r)
    ]
    meta = {**meta, "findings": findings(results) + others + ([notes] if notes else [])}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.markdown(results, meta, cost_runs or [], out.parent))
    out.with_suffix(".svg").write_text(report.svg(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10,100,1000",
        help="comma-separated N (default 10,100,1000); N:setting=value[:setting=value] runs that N with extra "
        "operator settings (ELASTICACHE_OPERATOR_<SETTING>), e.g. 1000:manage_security_groups=false",
    )
    parser.add_argument("--time-scale", type=float, default=20.0, help="intervals are divided by it (default 20)")
    parser.add_argument("--create-seconds", type=float, default=60.0, help="the stand-in's create time")
    parser.add_argument("--modify-minutes", type=float, default=10.0, help="a modification's real time (scaled)")
    parser.add_argument("--change-count", type=int, default=100, help="groups changing in figure 2 (default 100)")
    parser.add_argument("--steady-cycles", type=int, default=3, help="whole resync cycles measured (default 3)")
    parser.add_argument("--burst-rate", type=float, default=1000.0, help="AWS calls/s allowed in the burst phase")
    parser.add_argument(
        "--burst-writes", type=int, default=64, help="AWS changes in flight (and threads) in the burst phase"
    )
    parser.add_argument(
        "--burst-minutes", type=float, default=8.0, help="give an N up if its burst is not done by then (default 8)"
    )
    parser.add_argument("--logs", type=pathlib.Path, help="where logs and results go (default: a new /tmp dir)")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--notes", type=pathlib.Path, help="a Markdown file appended to the findings")
    parser.add_argument("--report-only", type=pathlib.Path, help="rewrite the documents from this results.json")
    parser.add_argument(
        "--cost-from",
        type=pathlib.Path,
        action="append",
        default=[],
        help="with --report-only: also show the operator-cost figures (CPU, Kubernetes requests per cluster, the "
        "profile) of this other run's results.json (repeatable), labelled with its date and commit",
    )
    parser.add_argument(
        "--kubeconfig",
        type=pathlib.Path,
        help="run against this existing cluster (its current context) instead of the Kubernetes stand-in: crds/ is "
        "applied to it, each N uses a namespace and operator instance of its own, removed afterwards; the "
        "Kubernetes request counts need the stand-in's audit trail and are not measured then",
    )
    parser.add_argument(
        "--burst-only", action="store_true", help="stop each N after the burst (figures 3, 4 and the operator's cost)"
    )
    parser.add_argument(
        "--profile",
        type=pathlib.Path,
        metavar="DIR",
        help="record each burst's operator with py-spy (from the first POST until all are Ready): collapsed stacks, "
        "a flame graph SVG and a speedscope file per N in DIR",
    )
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second (default 100)")
    for kind, where in (("cost", "the operator-cost section, after its tables"), ("profile", "the profile's section")):
        parser.add_argument(
            f"--{kind}-notes",
            type=pathlib.Path,
            help=f"a Markdown file shown in {where} (what the figures say), kept in the results it belongs to "
            "(with --report-only: the first --cost-from file, if any)",
        )
    parser.add_argument(
        "--source",
        type=pathlib.Path,
        metavar="DIR",
        help="run the operator and the stand-ins from this copy of the code (DIR/operator, DIR/sandbox), e.g. "
        "`git archive HEAD operator sandbox | tar -x -C DIR` (and the commit in DIR/.commit), instead of the "
        "working tree others may be editing",
    )
    args = parser.parse_args(argv)
    notes = args.notes.read_text().strip() if args.notes else ""

    if args.report_only:
        saved = json.loads(args.report_only.read_text())
        notes = notes or saved["meta"].get("notes", "")  # the notes a previous --report-only was given
        if notes != saved["meta"].get("notes", ""):
            saved["meta"]["notes"] = notes
            args.report_only.write_text(json.dumps(saved, indent=2, default=str))
        cost_runs = [json.loads(path.read_text()) for path in args.cost_from]
        if args.cost_notes or args.profile_notes:
            path, target = (args.cost_from[0], cost_runs[0]) if cost_runs else (args.report_only, saved)
            for key, given in (("cost_notes", args.cost_notes), ("profile_notes", args.profile_notes)):
                if given:
                    target["meta"][key] = given.read_text().strip()
            path.write_text(json.dumps(target, indent=2, default=str))
        command = " ".join(
            ["scripts/bench --report-only", str(args.report_only), *(f"--cost-from {c}" for c in args.cost_from)]
        )
        write_documents(saved["results"], {**saved["meta"], "report_command": command}, args.out, notes, cost_runs)
        print(report.text_table(saved["results"]))
        print(f"\nwrote {args.out} and {args.out.with_suffix('.svg')}")
        return 0

    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    options = Options(
        time_scale=args.time_scale,
        create_seconds=args.create_seconds,
        modify_real_seconds=args.modify_minutes * 60,
        change_count=args.change_count,
        steady_cycles=args.steady_cycles,
        burst_calls_per_second=args.burst_rate,
        burst_writes=args.burst_writes,
        burst_minutes=args.burst_minutes,
        burst_only=args.burst_only,
        profile_dir=str(args.profile.resolve()) if args.profile else None,
        profile_rate=args.profile_rate,
    )
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    logs = args.logs or pathlib.Path(f"/tmp/elasticache-bench-{stamp}")
    logs.mkdir(parents=True, exist_ok=True)
    description, cores = machine()
    meta: dict[str, Any] = {
        "machine": description,
        "cores": cores,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_state(),
        "options": options.__dict__,
        "logs": str(logs),
        "kubernetes": f"an existing cluster ({args.kubeconfig})" if args.kubeconfig else "the stand-in",
    }
    for key, given in (("cost_notes", args.cost_notes), ("profile_notes", args.profile_notes)):
        if given:
            meta[key] = given.read_text().strip()
    if args.source:
        meta["source"] = str(args.source.resolve())
        commit_file = args.source / ".commit"  # written beside the archive's files, if at all
        commit = commit_file.read_text().strip() if commit_file.exists() else "unknown commit"
        meta["git"] = (
            f"`{commit}` for the operator and the stand-ins (a copy in {meta['source']}), the benchmark at "
            + meta["git"]
        )
    started = time.time()

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    print(f"logs in {logs}", flush=True)

    def say(message: str) -> None:
        print(f"[{time.time() - started:7.1f}s] {message}", flush=True)

    results: list[dict[str, Any]] = []
    failed = False
    try:
        for n, settings, overrides in sizes:
            suffix = "".join(f"-{key}-{value}" for key, value in {**overrides, **settings}.items())
            stack = Stack(logs / f"n{n}{suffix}", args.kubeconfig, args.source)
            result = run_size(n, dataclasses.replace(options, **overrides), stack, say, settings)
            result["overrides"] = overrides
            result["run_dir"] = str(stack.run_dir)
            results.append(result)
            failed = failed or bool(result.get("errors"))
            meta["seconds"] = time.time() - started
            (logs / "results.json").write_text(json.dumps({"results": results, "meta": meta}, indent=2, default=str))
            write_documents(results, meta, args.out, notes)
    except KeyboardInterrupt:
        print("interrupted; the processes of the current N were stopped", file=sys.stderr)
        failed = True
    meta["seconds"] = time.time() - started
    if results:
        (logs / "results.json").write_text(json.dumps({"results": results, "meta": meta}, indent=2, default=str))
        write_documents(results, meta, args.out, notes)
        print()
        print(report.text_table(results))
        print(f"\nwrote {args.out} and {args.out.with_suffix('.svg')}; logs and results.json in {logs}")
    print(f"the whole run took {(time.time() - started) / 60:.1f} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
