"""The six figures, measured against one fresh stack per N.

Order for one N (each phase's operator is started with its own settings and stopped before the next):

1. operator "burst" (production intervals, a high AWS rate limit): POST N objects at once → figure 3
   (POST → CreateReplicationGroup arrival) and figure 4 (group available → Secret + Ready=True seen), and
   the operator's cost per cluster (cost.py: its CPU read at the phase boundaries, its Kubernetes requests
   counted in the stand-in's audit trail), optionally under py-spy (`--profile DIR`);
2. it is stopped (SIGTERM, SIGKILL after 10 s) and operator "restart" starts with production settings
   → figure 6 (AWS calls by action, time until every object is reconciled again);
3. operator "steady" with every interval (and the rate limit) scaled by the time scale → figure 1
   (calls per day over whole resync cycles; drift put back) and figure 5 (RSS, CPU), then figure 2
   (calls per minute while `change_count` groups add a replica).
"""

from __future__ import annotations

import bisect
import concurrent.futures
import hashlib
import json
import math
import os
import pathlib
import subprocess
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from elasticache_operator.core.naming import replication_group_id
from elasticache_operator.settings import Settings

from . import cost, profile
from .aws import CLIENT, Call, ElastiCacheClient, RequestLog, Ticker, by_action
from .kube import (
    AUDIT_CAPACITY,
    INSTANCE_SIZE,
    NAMESPACE,
    USER_TAG,
    Access,
    Kube,
    Watcher,
    apply_crds,
    audit_trail,
    name_of,
)
from .stack import ROOT, Operator, Process, Stack, py_spy

DAY, HOUR, MINUTE = 86400.0, 3600.0, 60.0
RECONCILES = "elasticache_operator_reconcile_total"
WRITES = (
    "CreateReplicationGroup",
    "ModifyReplicationGroup",
    "ModifyReplicationGroupShardConfiguration",
    "IncreaseReplicaCount",
    "DecreaseReplicaCount",
    "DeleteReplicationGroup",
    "AddTagsToResource",
    "RemoveTagsFromResource",
    "CreateLogGroup",
    "PutRetentionPolicy",
)
INTERVALS = ("resync_seconds", "events_seconds", "idle_events_seconds", "busy_listing_seconds", "poll_seconds")


def default(name: str) -> Any:
    """A setting's production default, as the operator's Settings declares it."""
    return Settings.model_fields[name].default


@dataclass
class Options:
    time_scale: float = 20.0
    create_seconds: float = 60.0  # the stand-in's create time (the burst phase is not scaled)
    modify_real_seconds: float = 600.0  # a modification takes this long in real time (scaled in the stand-in)
    change_count: int = 100
    steady_cycles: int = 3
    burst_calls_per_second: float = 1000.0
    burst_writes: int = 64  # AWS changes in flight at once in the burst phase (and reconcile threads)
    baseline_seconds: float = 30.0
    tick_seconds: float = 0.2
    burst_minutes: float = 8.0  # the burst phase gives up after this long (every later figure needs it done)
    burst_only: bool = False  # stop after the burst (figures 3 and 4 and the operator's cost per cluster)
    profile_dir: str | None = None  # record the burst's operator with py-spy, files written here
    profile_rate: int = 100  # py-spy samples per second

    def scaled(self) -> dict[str, str]:
        """The operator's settings with every interval divided by the time scale; the AWS rate limit
        is multiplied by it, so the limit is as far from (or close to) the calls as in real time."""
        settings = {name: str(default(name) / self.time_scale) for name in (*INTERVALS, "retry_seconds")}
        settings["password_grace_seconds"] = str(default("password_grace_seconds") / self.time_scale)
        settings["aws_calls_per_second"] = str(default("aws_calls_per_second") * self.time_scale)
        return settings


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0–100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
        "min": min(values) if values else None,
    }


class Sampler:
    """CPU seconds and RSS of the running processes, once a second, from /proc."""

    def __init__(self, stack: Stack, interval: float = 1.0) -> None:
        self.stack = stack
        self.interval = interval
        self.samples: dict[str, list[tuple[float, float, float]]] = {}  # name → (time, cpu s, VmRSS MiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="sampler")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> None:
        for process in list(self.stack.processes):
            try:
                cpu, rss = process.cpu_seconds(), process.memory().get("VmRSS", 0.0)
            except (OSError, IndexError, ValueError):
                continue
            self.samples.setdefault(process.name, []).append((time.time(), cpu, rss))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def between(self, name: str, start: float, end: float) -> dict[str, float] | None:
        """CPU used and RSS seen between two times (the samples nearest inside them)."""
        inside = [s for s in self.samples.get(name, []) if start <= s[0] <= end]
        if len(inside) < 2:
            return None
        first, last = inside[0], inside[-1]
        return {
            "seconds": last[0] - first[0],
            "cpu_seconds": last[1] - first[1],
            "rss_max_mib": max(s[2] for s in inside),
            "rss_end_mib": last[2],
        }


@dataclass
class Run:
    """One N: the stack, its observers, and what was measured so far (kept even when a later step fails)."""

    n: int
    options: Options
    stack: Stack
    say: Callable[[str], None]
    settings: dict[str, str] = field(default_factory=dict)  # the variant's own operator settings, for every phase
    result: dict[str, Any] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # RedisCluster name → replication group id
    kube: Kube | None = None
    watcher: Watcher | None = None
    log: RequestLog | None = None
    aws: ElastiCacheClient | None = None
    sampler: Sampler | None = None
    access: Access | None = None
    audit: list[dict[str, str]] | None = None  # the stand-in's audit trail as last read
    profile_raw: pathlib.Path | None = None
    namespace: str = NAMESPACE
    instance: str = ""  # with --kubeconfig: an operator instance of the run's own, labelled on its objects

    # --- helpers ----------------------------------------------------------------------------------

    def wait_until(self, check: Callable[[], bool], timeout: float, what: str, interval: float = 0.5) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            for process in self.stack.processes:
                if not process.alive():
                    raise RuntimeError(f"{process.name} exited with {process.popen.returncode} while waiting: {what}")
            if time.monotonic() > deadline:
                self.dump_stacks(what)
                raise TimeoutError(f"{what}: not reached in {timeout:.0f}s")
            time.sleep(interval)

    def dump_stacks(self, why: str) -> None:
        """py-spy dumps of every process (when py-spy is installed), for the report of what hung."""
        program = py_spy()
        if program is None:
            return
        for process in self.stack.processes:
            if process.name.startswith("py-spy"):
                continue
            path = self.stack.run_dir / f"py-spy-{process.name}-{int(time.time())}.txt"
            try:
                dump = subprocess.run(
                    [program, "dump", "--pid", str(process.pid)], capture_output=True, text=True, timeout=60
                )
                path.write_text(f"# {why}\n{dump.stdout}{dump.stderr}")
                self.result.setdefault("stack_dumps", []).append(str(path))
            except (OSError, subprocess.TimeoutExpired) as e:
                self.result.setdefault("stack_dumps", []).append(f"{process.name}: py-spy failed: {e!r}")

    def start_operator(self, name: str, settings: dict[str, str]) -> Operator:
        scope = {"instance": self.instance, "namespaces": self.namespace} if self.instance else {}
        return self.stack.start_operator(name, {**settings, **self.settings, **scope})

    def wait_reconciled(self, operator: Operator, count: int, timeout: float) -> float:
        def done() -> bool:
            try:
                return operator.metric(RECONCILES) >= count
            except Exception:  # noqa: BLE001 - metrics not up yet
                return False

        self.wait_until(done, timeout, f"{count} reconciles by {operator.process.name}", interval=0.25)
        return time.time()

    def operator_calls(self, start: float, end: float) -> list[Call]:
        assert self.log is not None
        self.log.fetch()
        return self.log.operator_calls(start, end)

    def footprint(self, process: Process) -> dict[str, Any]:
        memory = process.memory()
        return {"rss_mib": memory.get("VmRSS"), "peak_rss_mib": memory.get("VmHWM"), "threads": process.threads()}

    # --- the run ----------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        opts = self.options
        started = time.time()
        self.result.update(n=self.n, settings=self.settings, label=label(self.n, self.settings))
        self.result.update(started=started, errors=[], phases={}, operator_code=operator_code(self.stack.source))
        if self.stack.source:
            self.result["source"] = str(self.stack.source)
        self.result["kubernetes"] = "an existing cluster (--kubeconfig)" if self.stack.external else "the stand-in"
        try:
            self.say(f"{label(self.n, self.settings)}: starting the stand-ins")
            self.stack.start_stand_ins(
                create_seconds=opts.create_seconds,
                modify_seconds=opts.modify_real_seconds / opts.time_scale,
                delete_seconds=60 / opts.time_scale,
            )
            assert self.stack.access is not None
            self.access = self.stack.access
            if self.stack.external:
                # Its own namespace and operator instance, so that nothing else in the cluster is touched.
                apply_crds(self.access, ROOT / "crds")
                self.namespace = self.instance = f"bench-{uuid.uuid4().hex[:8]}"
                self.result["namespace"] = self.namespace
            self.kube = Kube(self.access, self.namespace, self.instance)
            self.kube.setup_namespace()
            self.watcher = Watcher(self.access, self.namespace)
            self.watcher.start()
            self.log = RequestLog(self.stack.aws_url)
            self.aws = ElastiCacheClient(self.stack.aws_url)
            self.sampler = Sampler(self.stack)
            self.sampler.start()
            ticker = Ticker(self.stack.aws_url, opts.tick_seconds)
            ticker.start()
            try:
                self.names = [name_of(i) for i in range(self.n)]
                operator = self._phase("burst", self.burst_and_readiness)
                if opts.burst_only:
                    self.stack.stop(operator.process)
                    return self.result
                operator = self._phase("restart", lambda: self.restart(operator))
                operator = self._phase("steady", lambda: self.steady_state(operator))
                self._phase("drift", lambda: self.drift())
                self._phase("changing", lambda: self.changing())
                self.stack.stop(operator.process)
            finally:
                ticker.stop()
        except Exception as e:  # noqa: BLE001 - recorded and reported; the figures so far are kept
            self.result["errors"].append(f"{type(e).__name__}: {e}")
            self.result["traceback"] = traceback.format_exc()
            self.say(f"{label(self.n, self.settings)}: FAILED: {type(e).__name__}: {e}")
        finally:
            if self.sampler is not None:
                self.sampler.sample()
                self.sampler.stop()
                self.result["stand_ins"] = self._stand_in_load()
            if self.watcher is not None:
                self.watcher.stop()
                self.result["watch_errors"] = self.watcher.errors[-10:]
            self._save_request_log()
            self.stack.close()
            if self.stack.external and self.kube is not None:
                try:
                    self.result["clean_up"] = self.kube.clean_up()
                except Exception as e:  # noqa: BLE001 - reported: what is left must be removed by hand
                    self.result["errors"].append(f"clean-up of namespace {self.namespace}: {e!r}")
            self.result["log_problems"] = self._log_problems()
            self.result["seconds"] = time.time() - started
            (self.stack.run_dir / "result.json").write_text(json.dumps(self.result, indent=2, default=str))
        return self.result

    def _phase(self, name: str, step: Callable[[], Any]) -> Any:
        started = time.time()
        self.say(f"{label(self.n, self.settings)}: {name}")
        try:
            return step()
        finally:
            self.result["phases"][name] = round(time.time() - started, 1)

    def _save_request_log(self) -> None:
        """Every call the stand-in served, one JSON line each, for a closer look afterwards."""
        if self.log is None:
            return
        try:
            self.log.fetch()
        except Exception as e:  # noqa: BLE001 - the stand-in may be gone: keep what was fetched
            self.result["errors"].append(f"request log: {e!r}")
        with (self.stack.run_dir / "requests.jsonl").open("w") as out:
            for call in self.log.calls:
                out.write(json.dumps(asdict(call)) + "\n")

    def _stand_in_load(self) -> dict[str, Any]:
        assert self.sampler is not None
        load = {}
        for name in ("kube-api", "elasticache-api"):
            samples = self.sampler.samples.get(name) or []
            if len(samples) >= 2:
                busiest = max(
                    ((b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(samples, samples[1:], strict=False) if b[0] > a[0]),
                    default=0.0,
                )
                load[name] = {
                    "cpu_seconds": samples[-1][1] - samples[0][1],
                    "busiest_second_cpu": round(busiest, 2),
                    "rss_max_mib": max(s[2] for s in samples),
                }
        return load

    def _log_problems(self) -> dict[str, dict[str, Any]]:
        problems = {}
        for path in sorted(self.stack.run_dir.glob("*.log")):
            text = path.read_text(errors="replace")
            lines = text.splitlines()
            errors = [line for line in lines if " ERROR " in line or "Traceback" in line or '"ERROR"' in line]
            problems[path.stem] = {"lines": len(lines), "errors": len(errors), "first_errors": errors[:5]}
        return problems

    # --- figures 3 and 4: the burst, and readiness --------------------------------------------------

    def burst_and_readiness(self) -> Operator:
        assert self.kube and self.watcher and self.aws and self.sampler
        opts, n, names = self.options, self.n, self.names
        rate = opts.burst_calls_per_second
        # The limits lifted (rate, changes in flight, threads), so that the figure is the operator's own
        # latency; with the defaults (10 calls/s, 4 changes in flight) a create's three writes bound it.
        writes = str(opts.burst_writes)
        operator = self.start_operator(
            "operator-burst",
            {
                "aws_calls_per_second": str(rate),
                "aws_burst": str(int(rate)),
                "max_concurrent_writes": writes,
                "workers": writes,
            },
        )
        self.wait_until(
            lambda: operator.metric("elasticache_operator_observer_calls_per_resync") > 0, 60, "first resync"
        )
        profiler = self.start_profiler(operator) if opts.profile_dir else None
        # The operator's cost per cluster: its CPU (and the audit trail's length) at each phase boundary.
        marks: dict[str, dict[str, Any]] = {}
        self.mark(marks, "posting", operator)
        self.say(f"{label(n, self.settings)}: POSTing {n} RedisClusters")
        start = marks["posting"]["time"]
        posted = self.kube.burst(names)
        posted_all = time.time()
        for name in names:
            self.groups[name] = replication_group_id(self.namespace, name, posted[name]["uid"])
        ours = set(self.groups.values())
        secrets = [f"{name}-redis" for name in names]
        create_sent: dict[str, float] = {}  # group id → its Create's arrival, as the request log is read
        seen_calls, last_fetch = 0, 0.0

        def progress() -> bool:
            """Marks the phase boundaries as they pass; true once all are Ready with their Secret."""
            nonlocal seen_calls, last_fetch
            assert self.watcher and self.log
            if "creates_sent" not in marks and time.monotonic() - last_fetch >= 1.0:
                last_fetch = time.monotonic()
                self.log.fetch()
                for call in self.log.calls[seen_calls:]:
                    if call.action == "CreateReplicationGroup" and call.group_id in ours and call.client != CLIENT:
                        create_sent.setdefault(call.group_id, call.time)
                seen_calls = len(self.log.calls)
                if len(create_sent) == n:
                    self.mark(marks, "creates_sent", operator)
            if (
                "creates_sent" in marks
                and "first_available" not in marks
                and time.time() >= min(create_sent.values()) + opts.create_seconds
            ):
                self.mark(marks, "first_available", operator)
            with self.watcher.lock:
                return self.watcher.ready_count(names) == n and all(s in self.watcher.secrets for s in secrets)

        timeout = min(180 + 1.0 * n + opts.create_seconds, opts.burst_minutes * 60)
        unfinished: TimeoutError | None = None
        try:
            self.wait_until(progress, timeout, f"all {n} Ready with their Secret", interval=0.25)
        except TimeoutError as e:  # the figures of what did finish are kept, then the run stops
            unfinished = e
        last = "all_ready" if unfinished is None else "gave_up"
        self.mark(marks, last, operator)
        all_ready_at = marks[last]["time"]
        if profiler is not None:
            self.stop_profiler(profiler)
            if "profile" in self.result:  # the operator's CPU over the same span, beside the GIL samples
                self.result["profile"]["cpu_seconds"] = marks[last]["cpu_seconds"] - marks["posting"]["cpu_seconds"]
        self.result["burst_operator"] = self.footprint(operator.process)
        calls = self.operator_calls(start, all_ready_at + 1)
        creates: dict[str, float] = {}
        for call in calls:
            if call.action == "CreateReplicationGroup":
                creates.setdefault(call.group_id, call.time)
        from_post = [
            creates[self.groups[name]] - posted[name]["sent"] for name in names if self.groups[name] in creates
        ]
        from_start = [creates[self.groups[name]] - start for name in names if self.groups[name] in creates]
        post_seconds = [posted[name]["answered"] - posted[name]["sent"] for name in names]
        self.result["burst"] = {
            "aws_calls_per_second": rate,
            "writes_in_flight": opts.burst_writes,
            "creates": len(creates),
            "create_calls": sum(1 for c in calls if c.action == "CreateReplicationGroup"),
            "from_post": summary(from_post),
            "from_burst_start": summary(from_start),
            "post_seconds": summary(post_seconds),
            "posting_took": posted_all - start,
            "last_create_after_start": max(creates.values()) - start if creates else None,
            "calls_until_all_ready": by_action(calls),
            "creates_per_minute": per_minute(sorted(creates.values()), start, all_ready_at),
            "finished": unfinished is None,
        }
        # Figure 4: from the "Replication group X created" event to the Secret and Ready=True both seen.
        created = self.aws.created_at()
        # When the operator could first have learnt of it: its first DescribeEvents (or listing) after.
        looks = sorted(
            c.time
            for c in calls
            if c.action == "DescribeEvents" or (c.action == "DescribeReplicationGroups" and not c.group_id)
        )
        noticed = []
        for at in created.values():
            index = bisect.bisect_left(looks, at)
            if index < len(looks):
                noticed.append(looks[index] - at)
        readiness, detail = [], []
        with self.watcher.lock:
            for name in names:
                group = self.groups[name]
                seen = self.watcher.clusters[name].ready_at if name in self.watcher.clusters else {}
                ready_times = [t for (generation, _), t in seen.items() if generation == 1]
                secret = self.watcher.secrets.get(f"{name}-redis")
                if not ready_times or secret is None:
                    continue
                ready = min(ready_times)
                if group in created:
                    readiness.append(max(ready, secret) - created[group])
                    detail.append((max(ready, secret) - created[group], name))
        detail.sort()
        self.result["readiness"] = {
            **summary(readiness),
            "slowest": [(round(s, 3), name) for s, name in detail[-3:]],
            "first_look_after": summary(noticed),
            "events_seconds": default("events_seconds"),
            "all_ready_after_start": all_ready_at - start if unfinished is None else None,
        }
        self.result["burst"]["ready_with_secret"] = len(readiness)
        self.result["burst"]["cost"] = self.burst_cost(marks, create_sent, created)
        if unfinished is not None:
            done = sum(1 for name in names if self.groups[name] in creates)
            raise TimeoutError(
                f"the burst did not finish in {timeout / 60:.0f} min: {done} of {n} CreateReplicationGroup sent, "
                f"{len(readiness)} Ready with their Secret"
            )
        return operator

    def mark(self, marks: dict[str, dict[str, Any]], name: str, operator: Operator) -> None:
        """A phase boundary: the time, the operator's CPU so far (utime + stime), and how many requests
        the stand-in's audit trail holds (none with --kubeconfig: an existing cluster's API has no trail)."""
        at, cpu = time.time(), operator.process.cpu_seconds()
        # The machine's 1-minute load average too: others' work on the same cores slows the operator.
        entry: dict[str, Any] = {"time": at, "cpu_seconds": cpu, "audit": None, "load": os.getloadavg()[0]}
        if not self.stack.external:
            assert self.access
            try:
                self.audit = audit_trail(self.access)
                entry["audit"] = len(self.audit)
            except Exception as e:  # noqa: BLE001 - the CPU figures stand without it
                self.result.setdefault("audit_errors", []).append(f"{name}: {e!r}")
        marks[name] = entry

    def burst_cost(
        self, marks: dict[str, dict[str, Any]], create_sent: dict[str, float], available: dict[str, float]
    ) -> dict[str, Any]:
        """The burst's marks and the operator's Kubernetes requests per phase, for cost.summary."""
        out: dict[str, Any] = {"marks": marks, "create_seconds": self.options.create_seconds}
        ours = set(self.groups.values())
        if times := [t for group, t in available.items() if group in ours]:
            # When the first group really turned available (its "created" event): the mark is taken then or later.
            out["first_available_actual"] = min(times)
        if create_sent:
            out["first_create"] = min(create_sent.values())
        entries = self.audit
        if self.stack.external:
            out["requests_not_measured"] = "no audit trail on this API server (--kubeconfig)"
        elif entries is None:
            out["requests_not_measured"] = "the stand-in's audit trail could not be read"
        elif len(entries) >= AUDIT_CAPACITY:
            out["requests_not_measured"] = f"the stand-in's audit trail overflowed ({AUDIT_CAPACITY:,} entries)"
        else:
            out["requests"] = cost.audit_slices(marks, entries)
            out["audit_entries"] = len(entries)
            with (self.stack.run_dir / "audit-burst.jsonl").open("w") as trail:
                for entry in entries:
                    trail.write(json.dumps(entry) + "\n")
        return out

    def start_profiler(self, operator: Operator) -> Process:
        assert self.options.profile_dir
        directory = pathlib.Path(self.options.profile_dir)
        directory.mkdir(parents=True, exist_ok=True)
        self.profile_raw = directory / f"profile-burst-{file_label(self.n, self.settings)}.txt"
        return self.stack.start_profiler(operator.process, self.profile_raw, self.options.profile_rate)

    def stop_profiler(self, profiler: Process) -> None:
        """py-spy's collapsed stacks → a flame graph SVG, a speedscope file and the biggest costs."""
        self.stack.stop_profiler(profiler)
        raw = self.profile_raw
        if raw is None or not raw.exists():
            self.result["errors"].append(f"py-spy wrote no profile; see {profiler.log}")
            return
        stacks = profile.read_folded(raw.read_text())
        title = f"The operator in a burst of {self.n} RedisClusters, POST → all Ready"
        title += f" ({label(self.n, self.settings)})"
        raw.with_suffix(".svg").write_text(profile.flame_svg(stacks, title))
        raw.with_suffix(".speedscope.json").write_text(json.dumps(profile.speedscope(stacks, title)))
        self.result["profile"] = {
            "raw": str(raw),
            "svg": str(raw.with_suffix(".svg")),
            "speedscope": str(raw.with_suffix(".speedscope.json")),
            "rate": self.options.profile_rate,
            **profile.summary(stacks),
        }

    # --- figure 6: restart --------------------------------------------------------------------------

    def restart(self, previous: Operator) -> Operator:
        n = self.n
        stopped = self.stack.stop(previous.process, grace=10.0)
        self.log_fetch()
        start = time.time()
        operator = self.start_operator("operator-restart", {})  # production settings throughout
        reconciled = self.wait_reconciled(operator, n, 120 + 1.0 * n)
        # Then until the reconciles stop (each object may be visited more than once on start).
        count, settled, quiet_since = operator.metric(RECONCILES), time.time(), time.time()
        while time.time() - quiet_since < 5 and time.time() - reconciled < 120:
            time.sleep(0.25)
            now_count = operator.metric(RECONCILES)
            if now_count != count:
                count, settled, quiet_since = now_count, time.time(), time.time()
        end = time.time()  # what followed at once (nothing should) is counted too
        calls = self.operator_calls(start, end)
        self.result["restart"] = {
            "stop": stopped,
            "reconciled_all_after": reconciled - start,
            "reconciles_settled_after": settled - start,
            "calls": by_action(calls),
            "forbidden_calls": by_action(c for c in calls if c.action in WRITES),
            "reconciles": operator.metric(RECONCILES),
        }
        # The operator's own footprint at rest with production intervals (every object reconciled, nothing
        # to do but the observation): the baseline for figure 5.
        assert self.sampler
        time.sleep(5)
        baseline_start = time.time()
        time.sleep(self.options.baseline_seconds)
        self.sampler.sample()
        baseline = self.sampler.between(operator.process.name, baseline_start, time.time() + 1)
        self.result["baseline"] = {**(baseline or {}), **self.footprint(operator.process)}
        self.stack.stop(operator.process, grace=10.0)
        return operator

    def log_fetch(self) -> None:
        assert self.log is not None
        self.log.fetch()

    # --- figures 1 and 5: steady state -------------------------------------------------------------

    def resync_ends(self, since: float) -> list[float]:
        """When each full resync ended: the last GetResources call of each run of them (only resyncs
        call GetResources; runs are told apart by gaps of more than half a resync interval)."""
        assert self.log is not None
        self.log.fetch()
        gap = default("resync_seconds") / self.options.time_scale / 2
        times = [
            c.time for c in self.log.calls if c.time >= since and c.action == "GetResources" and c.client != CLIENT
        ]
        ends = []
        for previous, current in zip(times, times[1:], strict=False):
            if current - previous > gap:
                ends.append(previous)
        if times and time.time() - times[-1] > 5:  # the latest run is over too
            ends.append(times[-1])
        return ends

    def steady_state(self, previous: Operator) -> Operator:
        assert self.sampler
        opts, n = self.options, self.n
        scale = opts.time_scale
        settings = opts.scaled()
        start = time.time()
        operator = self.start_operator("operator-steady", settings)
        reconciled = self.wait_reconciled(operator, n, 120 + 1.0 * n)
        resync = default("resync_seconds") / scale
        cycles = opts.steady_cycles

        def enough() -> bool:
            return len([e for e in self.resync_ends(start) if e >= reconciled]) >= cycles + 1

        self.wait_until(enough, (cycles + 3) * resync + 120, f"{cycles + 1} resyncs after every object reconciled", 1)
        ends = [e for e in self.resync_ends(start) if e >= reconciled][: cycles + 1]
        window_start, window_end = ends[0] + 1e-6, ends[-1] + 1e-6  # (end of one resync, end of the last]
        calls = self.operator_calls(window_start, window_end)
        wall = window_end - window_start
        real = wall * scale
        actions = by_action(calls)
        per_day = {action: count * DAY / real for action, count in actions.items()}
        expected_events = real / default("idle_events_seconds")
        self.sampler.sample()
        usage = self.sampler.between(operator.process.name, window_start, window_end)
        self.result["steady"] = {
            "settings": settings,
            "window_wall_seconds": wall,
            "window_real_seconds": real,
            "resyncs": cycles,
            "calls": actions,
            "calls_per_resync": {
                a: actions.get(a, 0) / cycles
                for a in ("DescribeReplicationGroups", "DescribeCacheClusters", "GetResources")
            },
            "describe_events_expected": expected_events,
            "resync_seconds_wall": resync_durations(calls),
            "calls_per_day": sum(per_day.values()),
            "calls_per_day_by_action": per_day,
            "nodes": self._nodes(),
            "reconciles": operator.metric(RECONCILES),
            "snapshot_age_seconds": operator.metric("elasticache_operator_observer_snapshot_age_seconds"),
            "rate_limit_wait_seconds": operator.metric("elasticache_operator_aws_rate_limit_wait_seconds_total"),
        }
        baseline = self.result.get("baseline") or {}
        footprint: dict[str, Any] = {**self.footprint(operator.process)}
        if usage:
            scaled_rate = usage["cpu_seconds"] / usage["seconds"]  # CPU s per wall second, at the time scale
            base_rate = baseline["cpu_seconds"] / baseline["seconds"] if baseline.get("seconds") else 0.0
            footprint.update(
                rss_max_mib=usage["rss_max_mib"],
                cpu_seconds_per_hour_at_scale=scaled_rate * HOUR,
                cpu_seconds_per_hour_idle=base_rate * HOUR,
                # The idle part runs at the wall clock's pace; the rest (resyncs, events, reconciles) is
                # the time scale's times too dense, so it is divided by it.
                cpu_seconds_per_hour=(base_rate + max(scaled_rate - base_rate, 0.0) / scale) * HOUR,
            )
        self.result["footprint"] = footprint
        self.operator = operator
        return operator

    def _nodes(self) -> int:
        assert self.aws
        count, marker = 0, ""
        while True:
            page = self.aws.client.describe_cache_clusters(MaxRecords=100, **({"Marker": marker} if marker else {}))
            count += len(page["CacheClusters"])
            marker = page.get("Marker") or ""
            if not marker:
                return count

    # --- figure 1, second half: drift put back -------------------------------------------------------

    def drift(self) -> None:
        """A node type changed behind the operator's back (AWS reports it in an event when done), and a
        user tag removed (no event: only the next full resync sees it)."""
        assert self.aws and self.log
        opts = self.options
        scale = opts.time_scale
        node_group = self.groups[self.names[0]]
        tag_group = self.groups[self.names[-1]]
        other = "cache.t4g.small"
        arn = self.aws.group(tag_group)["ARN"]
        started = time.time()
        self.aws.client.modify_replication_group(
            ReplicationGroupId=node_group, CacheNodeType=other, ApplyImmediately=True
        )
        tag_removed = time.time()
        self.aws.client.remove_tags_from_resource(ResourceName=arn, TagKeys=[USER_TAG[0]])

        def operator_call(action: str, group: str, after: float) -> float | None:
            assert self.log
            for call in self.log.calls:
                if call.time > after and call.action == action and call.group_id == group and call.client != CLIENT:
                    return call.time
            return None

        def tag_back() -> bool:
            self.log_fetch()
            # AddTagsToResource names the ARN, not the group: the first one after the removal.
            return any(
                c.time > tag_removed and c.action == "AddTagsToResource" and c.client != CLIENT for c in self.log.calls
            )

        modify = opts.modify_real_seconds / scale
        resync = default("resync_seconds") / scale
        self.wait_until(tag_back, 2 * resync + 60, "the removed tag added back")
        tag_fixed = min(
            c.time
            for c in self.log.calls
            if c.time > tag_removed and c.action == "AddTagsToResource" and c.client != CLIENT
        )
        tags = {t["Key"]: t["Value"] for t in self.aws.client.list_tags_for_resource(ResourceName=arn)["TagList"]}

        def node_type_back() -> bool:
            assert self.aws
            group = self.aws.group(node_group)
            return (
                group["Status"] == "available"
                and group.get("CacheNodeType") == INSTANCE_SIZE
                and bool(self.aws.event_times(node_group, f"cache node type to {INSTANCE_SIZE}"))
            )

        self.wait_until(node_type_back, 4 * modify + 2 * resync + 120, "the node type put back", interval=1)
        drifted = self.aws.event_times(node_group, f"cache node type to {other}")[0]
        put_back = self.aws.event_times(node_group, f"cache node type to {INSTANCE_SIZE}")[0]
        self.log_fetch()
        corrected = operator_call("ModifyReplicationGroup", node_group, drifted - 0.5)
        self.result["drift"] = {
            "node_type": {
                "changed_by_hand_at": started,
                "drift_complete_after_real": (drifted - started) * scale,
                "noticed_after_real": (corrected - drifted) * scale if corrected else None,
                "put_back_after_real": (put_back - drifted) * scale,
                "modify_real_seconds": opts.modify_real_seconds,
            },
            "tag": {
                "put_back_after_real": (tag_fixed - tag_removed) * scale,
                "tag_now": tags.get(USER_TAG[0]),
            },
        }
        # The group is Ready again before the next figure.
        name = self.names[0]
        assert self.watcher
        self.wait_until(
            lambda: self._ready_now(name), 60 + 2 * modify, f"{name} Ready again after the drift", interval=0.5
        )

    def _ready_now(self, name: str) -> bool:
        assert self.watcher
        with self.watcher.lock:
            obj = self.watcher.clusters[name].last
        status = obj.get("status") or {}
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
        return ready.get("status") == "True" and status.get("observedGeneration") == obj["metadata"].get("generation")

    # --- figure 2: changing groups -----------------------------------------------------------------

    def changing(self) -> None:
        assert self.kube and self.watcher
        opts, n = self.options, self.n
        scale = opts.time_scale
        count = min(opts.change_count, n)
        targets = self.names[-count:]
        self.log_fetch()
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:  # at once, as `kubectl apply` of many would
            answers = pool.map(
                lambda name: Kube(self.access or self.stack.kube_url, self.namespace).patch_spec(
                    name, {"numReplicaNodes": 1}
                ),
                targets,
            )
            generations = {
                name: answer["metadata"]["generation"] for name, answer in zip(targets, answers, strict=True)
            }
        patched = time.time()

        def done() -> bool:
            assert self.watcher
            with self.watcher.lock:
                return all((generations[name], 1) in self.watcher.clusters[name].ready_at for name in targets)

        modify = opts.modify_real_seconds / scale
        self.wait_until(done, 3 * modify + 120 + 0.5 * count, f"{count} groups with a replica, Ready")
        with self.watcher.lock:
            end = max(self.watcher.clusters[name].ready_at[(generations[name], 1)] for name in targets)
        calls = self.operator_calls(start, end)
        wall = end - start
        real = wall * scale
        actions = by_action(calls)
        # The busiest real minute: a sliding window of 60 real seconds over the calls.
        width = MINUTE / scale
        times = sorted(c.time for c in calls)
        peak, j = 0, 0
        for i, t in enumerate(times):
            while times[j] < t - width:
                j += 1
            peak = max(peak, i - j + 1)
        pages = math.ceil(n / 100)
        listings = sum(1 for c in calls if c.action == "DescribeReplicationGroups" and not c.group_id) / pages
        self.result["changing"] = {
            "groups": count,
            # Did the observer keep its schedule at this time scale? (busy: events every 5 s, a listing a minute)
            "describe_events": actions.get("DescribeEvents", 0),
            "describe_events_expected": real / default("events_seconds"),
            "listings": listings,
            "listings_expected": real / default("busy_listing_seconds"),
            "patching_took": patched - start,
            "window_real_seconds": real,
            "calls": actions,
            "calls_per_minute": len(calls) * MINUTE / real,
            "calls_per_minute_by_action": {a: c * MINUTE / real for a, c in actions.items()},
            "peak_calls_in_a_minute": peak,
            "modify_real_seconds": opts.modify_real_seconds,
        }


def resync_durations(calls: list[Call]) -> list[float]:
    """How long each resync in the steady window took (wall seconds): from its first listing page to its
    last GetResources page (the observer is one thread: its turns do not interleave). A resync that
    takes a good part of the scaled interval means the observer could not keep time at this scale."""
    durations: list[float] = []
    began: float | None = None
    last_tags: float | None = None
    for call in sorted(calls, key=lambda c: c.time):
        observing = call.action == "DescribeEvents" or (
            call.action == "DescribeReplicationGroups" and not call.group_id
        )
        if last_tags is not None and observing:  # the next turn began: the resync before it is over
            if began is not None:
                durations.append(round(last_tags - began, 2))
            began, last_tags = None, None
        if call.action == "DescribeReplicationGroups" and not call.group_id and began is None:
            began = call.time
        elif call.action == "GetResources":
            last_tags = call.time
    if began is not None and last_tags is not None:
        durations.append(round(last_tags - began, 2))
    return durations


def per_minute(times: list[float], start: float, end: float) -> list[int]:
    """How many of `times` fell in each wall minute from `start` to `end`."""
    counts = [0] * max(1, math.ceil((end - start) / MINUTE))
    for t in times:
        index = int((t - start) // MINUTE)
        if 0 <= index < len(counts):
            counts[index] += 1
    return counts


def label(n: int, settings: dict[str, str]) -> str:
    return f"N={n}" + "".join(f", {key}={value}" for key, value in settings.items())


def file_label(n: int, settings: dict[str, str]) -> str:
    return str(n) + "".join(f"-{key}-{value}" for key, value in settings.items())


def operator_code(source: pathlib.Path | None = None) -> str:
    """A digest of the operator's source as it was when this N started (others edit it meanwhile)."""
    digest = hashlib.sha256()
    for path in sorted(((source or ROOT) / "operator" / "elasticache_operator").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def run_size(
    n: int, options: Options, stack: Stack, say: Callable[[str], None], settings: dict[str, str] | None = None
) -> dict[str, Any]:
    result = Run(n, options, stack, say, settings or {}).run()
    result["options"] = asdict(options)
    return result
