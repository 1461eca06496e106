"""The processes a benchmark runs: the two stand-ins and the operator, each in a process group of its own
(with `--kubeconfig`, only the ElastiCache stand-in and the operator: the Kubernetes API is that cluster's),
and py-spy recording an operator when asked to profile it.

Everything started here is registered in `Stack.processes` and stopped by `Stack.close()` (SIGTERM to
the group, SIGKILL after a grace period), which the caller runs in a `finally`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import requests

from .kube import Access

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclasses.dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: pathlib.Path
    started: float  # wall clock

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float:
        """User + system CPU of the process (all its threads) so far, from /proc."""
        fields = pathlib.Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)

    def memory(self) -> dict[str, float]:
        """VmRSS (now) and VmHWM (the peak so far), MiB, from /proc."""
        values = {}
        for line in pathlib.Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
        return values

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/task"))


def py_spy() -> str | None:
    """The py-spy executable (on PATH or in the venv), if installed."""
    for candidate in (shutil.which("py-spy"), str(ROOT / ".venv" / "bin" / "py-spy")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class Stack:
    """One Kubernetes API stand-in (or an existing cluster's API, named by a kubeconfig), one ElastiCache
    API stand-in, and operators started on demand."""

    def __init__(
        self, run_dir: pathlib.Path, kubeconfig: pathlib.Path | None = None, source: pathlib.Path | None = None
    ) -> None:
        self.run_dir = run_dir
        # Another copy of the code (`git archive <commit> operator sandbox | tar -x -C DIR`): the operator
        # and the stand-ins run from it, ahead of the working tree's editable installs.
        self.source = source.resolve() if source else None
        run_dir.mkdir(parents=True, exist_ok=True)
        self.processes: list[Process] = []
        self.external = kubeconfig is not None  # an existing cluster: no Kubernetes stand-in is started
        self.kube_url = ""
        self.kubeconfig = kubeconfig.resolve() if kubeconfig else run_dir / "kubeconfig.json"
        self.access: Access | None = None
        self.aws_url = ""
        self.kube: Process | None = None
        self.elasticache: Process | None = None

    # --- starting ---------------------------------------------------------------------------------

    def _start(
        self, name: str, args: list[str], env: dict[str, str] | None = None, program: str = sys.executable
    ) -> Process:
        log = self.run_dir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [program, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, **self.source_env(), **(env or {})},
                start_new_session=True,  # its own process group: stopped as a whole, never by name
            )
        process = Process(name, popen, log, time.time())
        self.processes.append(process)
        return process

    def source_env(self) -> dict[str, str]:
        if self.source is None:
            return {}
        paths = [str(self.source / "operator"), str(self.source / "sandbox"), os.environ.get("PYTHONPATH", "")]
        return {"PYTHONPATH": os.pathsep.join(p for p in paths if p)}

    @staticmethod
    def _wait_port(port: int, process: Process, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process.alive():
                raise RuntimeError(f"{process.name} exited with {process.popen.returncode}; see {process.log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{process.name} did not listen on {port} within {timeout}s; see {process.log}")

    def start_stand_ins(self, create_seconds: float, modify_seconds: float, delete_seconds: float) -> None:
        kube_port, aws_port = free_port(), free_port()
        if self.external:
            self.access = Access.from_kubeconfig(self.kubeconfig)
            self.kube_url = self.access.base
        else:
            self.kube = self._start(
                "kube-api",
                [
                    "-m",
                    "elasticache_sandbox.kube",
                    "--port",
                    str(kube_port),
                    "--kubeconfig",
                    str(self.kubeconfig),
                    "--crd",
                    str(ROOT / "crds"),
                ],
            )
        self.elasticache = self._start(
            "elasticache-api",
            [
                "-m",
                "elasticache_sandbox.elasticache_api",
                "--port",
                str(aws_port),
                "--create-seconds",
                str(create_seconds),
                "--modify-seconds",
                str(modify_seconds),
                "--delete-seconds",
                str(delete_seconds),
            ],  # no --data-dir: no redis-server behind the groups
        )
        self._wait_port(aws_port, self.elasticache)
        self.aws_url = f"http://127.0.0.1:{aws_port}"
        if self.kube is not None:
            self._wait_port(kube_port, self.kube)
            self.kube_url = f"http://127.0.0.1:{kube_port}"
            self.access = Access(self.kube_url)
            deadline = time.monotonic() + 30
            while not self.kubeconfig.exists() and time.monotonic() < deadline:
                time.sleep(0.1)

    def aws_env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.aws_url,
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_REGION": "us-east-1",
        }

    def start_operator(self, name: str, settings: dict[str, str]) -> Operator:
        """`python -m elasticache_operator` configured only by environment, as users run it."""
        metrics_port, health_port = free_port(), free_port()
        env = {
            "KUBECONFIG": str(self.kubeconfig),
            **self.aws_env(),
            "ELASTICACHE_OPERATOR_CLUSTER_NAME": "bench",
            "ELASTICACHE_OPERATOR_METRICS_PORT": str(metrics_port),
            "ELASTICACHE_OPERATOR_HEALTH_PORT": str(health_port),
            **{f"ELASTICACHE_OPERATOR_{key.upper()}": value for key, value in settings.items()},
        }
        (self.run_dir / f"{name}.env.json").write_text(json.dumps(env, indent=2))
        process = self._start(name, ["-m", "elasticache_operator"], env)
        operator = Operator(process, f"http://127.0.0.1:{metrics_port}/metrics", f"http://127.0.0.1:{health_port}")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not process.alive():
                raise RuntimeError(f"operator {name} exited with {process.popen.returncode}; see {process.log}")
            try:
                if requests.get(f"{operator.health_url}/healthz", timeout=2).ok:
                    return operator
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"operator {name} not healthy within 120s; see {process.log}")

    def start_profiler(self, target: Process, raw: pathlib.Path, rate: int = 100) -> Process:
        """py-spy recording `target` (by its pid) into `raw` (collapsed stacks, one `frame;frame;… count`
        a line) until stop_profiler. `--gil`: only the thread holding the GIL is sampled, that is the Python
        work that costs CPU (py-spy's idle detection alone counts many waiting threads of the operator's
        pool and its blocking socket reads as busy); idle threads are left out (no `--idle`);
        `--nonblocking` reads the stacks without pausing the operator, so its latencies stay unprofiled."""
        program = py_spy()
        if program is None:
            raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
        args = ["record", "--pid", str(target.pid), "--format", "raw", "--output", str(raw), "--gil"]
        process = self._start(f"py-spy-{target.name}", [*args, "--rate", str(rate), "--nonblocking"], program=program)
        time.sleep(1.0)
        if not process.alive():
            raise RuntimeError(f"py-spy exited with {process.popen.returncode}; see {process.log}")
        return process

    def stop_profiler(self, process: Process, timeout: float = 120) -> None:
        """SIGINT: py-spy writes what it recorded and exits."""
        if process.alive():
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.stop(process, grace=1.0)

    # --- stopping ---------------------------------------------------------------------------------

    def stop(self, process: Process, grace: float = 10.0) -> dict[str, float | bool]:
        """SIGTERM to its process group, SIGKILL after `grace` seconds; how long it took and whether
        it had to be killed."""
        started = time.monotonic()
        killed = False
        if process.alive():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                killed = True
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.popen.wait(timeout=30)
        else:
            process.popen.wait(timeout=1)
        # Anything left in its group (there should be nothing) goes too.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if process in self.processes:
            self.processes.remove(process)
        return {"seconds": time.monotonic() - started, "killed": killed, "returncode": process.popen.returncode}

    def close(self) -> None:
        for process in reversed(list(self.processes)):
            try:
                self.stop(process, grace=5.0)
            except Exception as e:  # noqa: BLE001 - stop the others whatever happens to one
                print(f"  could not stop {process.name} ({process.pid}): {e}", file=sys.stderr)


@dataclasses.dataclass
class Operator:
    process: Process
    metrics_url: str
    health_url: str

    def metric(self, name: str) -> float:
        """A metric summed over its labels, as Prometheus would scrape it."""
        text = requests.get(self.metrics_url, timeout=10).text
        return sum(
            float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith((name + " ", name + "{"))
        )

    def metrics_by_label(self, name: str) -> dict[str, float]:
        text = requests.get(self.metrics_url, timeout=10).text
        values = {}
        for line in text.splitlines():
            if line.startswith(name + "{"):
                labels, value = line[len(name) + 1 :].rsplit("} ", 1)
                values[labels] = float(value)
        return values
