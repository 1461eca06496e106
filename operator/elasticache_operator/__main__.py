"""`python -m elasticache_operator`: run the operator with the settings from the environment.

With leader election (`Settings.leader_election`, on in the Helm chart) the process first stands by:
it answers /healthz on the health port itself and waits for the Lease (leader.py). Once it leads, it
renews the Lease in the background and runs kopf (handlers, daemons, the AWS observer). It stops
acting by ending the process:

- when the Lease could not be renewed within the renew deadline, or was found taken or deleted: at
  once, with exit code 1 (os._exit: nothing runs on), and Kubernetes restarts the container, which
  then stands by (controller-runtime's behaviour);
- on SIGTERM: kopf stops, the handlers' threads finish (up to DRAIN_SECONDS), then the Lease is
  released, so a standby takes over on its next round rather than after the lease duration.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import kopf

from . import USER_AGENT, leader, metrics
from .settings import Settings

log = logging.getLogger(__name__)

# After kopf stops, how long handler threads (an AWS call in flight) may take before the Lease is
# released; past it the process exits without releasing and the Lease expires on its own.
DRAIN_SECONDS = 10.0


def main() -> None:
    settings = Settings()
    kopf.configure(
        verbose=settings.log_level == "DEBUG",
        quiet=settings.log_level in ("WARNING", "ERROR"),
        log_format=kopf.LogFormat.JSON if settings.log_format == "json" else kopf.LogFormat.FULL,
    )
    logging.getLogger().setLevel(settings.log_level)
    try:
        metrics.serve(settings.metrics_port, version("elasticache-operator"))
    except PackageNotFoundError:
        metrics.serve(settings.metrics_port, "unknown")
    from . import handlers  # noqa: F401 - registers the handlers (nothing runs until kopf does)

    if not settings.leader_election:
        metrics.leader.set(1)
        kopf.run(**_kopf_options(settings))
        return
    sys.exit(_run_elected(settings))


def _kopf_options(settings: Settings) -> dict[str, Any]:
    return {
        "standalone": settings.standalone,
        "clusterwide": not settings.namespaces,
        "namespaces": settings.namespaces,
        "liveness_endpoint": f"http://0.0.0.0:{settings.health_port}/healthz" if settings.health_port else None,
    }


def _run_elected(settings: Settings) -> int:
    stopping = threading.Event()
    _on_stop_signals(stopping)
    identity = settings.identity
    if "identity" not in settings.model_fields_set:  # the hostname: unique per pod, not per process
        identity = f"{identity}_{uuid.uuid4().hex[:8]}"
    from kubernetes.client import CustomObjectsApi

    store = leader.KubernetesLeases(CustomObjectsApi(_api_client()), settings.lease_namespace, settings.lease_name)
    elector = leader.Elector(
        identity, settings.lease_duration_seconds, settings.renew_deadline_seconds, settings.retry_period_seconds
    )
    election = leader.Election(elector, store, on_leader=lambda leading: metrics.leader.set(1 if leading else 0))
    metrics.leader.set(0)

    health = StandbyHealth(settings.health_port, election) if settings.health_port else None
    log.info("leader election: standing by as %s for the Lease %s", identity, store)
    try:
        leading = election.acquire(stopping)
    finally:
        if health is not None:
            health.stop()  # before kopf binds the same port
    if not leading:
        log.info("leader election: stopped while standing by")
        return 0

    election.lead(on_lost=_lost)
    leader._leading = elector  # AWS changes check leader.may_act() from now on
    kopf_settings, memo = kopf.OperatorSettings(), kopf.Memo()
    try:
        asyncio.run(_operate(settings, stopping, kopf_settings, memo))
    except asyncio.CancelledError:
        pass
    finally:
        _on_stop_signals(stopping)  # asyncio put the default handlers back: a second SIGTERM must not cut this short
        drained = _drain([kopf_settings.execution.executor, *_executors(memo)], DRAIN_SECONDS)
        election.stop()
        if drained:
            election.release()
        else:
            log.warning(
                "leader election: handler threads still run %gs after the operator stopped: exiting without"
                " releasing the Lease %s (it expires on its own)",
                DRAIN_SECONDS,
                store,
            )
            _exit(0)
    return 0


async def _operate(
    settings: Settings, stopping: threading.Event, kopf_settings: kopf.OperatorSettings, memo: kopf.Memo
) -> None:
    """kopf, which stops on SIGTERM/SIGINT by its own signal handlers. One that came while this process
    was taking over, before kopf set them, is raised again once kopf is ready. (Not a stop_flag: kopf
    leaves its waiter on the flag behind when a signal stops it, and waits 5 s for it at exit.)"""
    ready = asyncio.Event()

    async def stop_if_signalled_early() -> None:
        await ready.wait()
        if stopping.is_set():
            signal.raise_signal(signal.SIGTERM)

    early = asyncio.create_task(stop_if_signalled_early())
    try:
        await kopf.operator(**_kopf_options(settings), settings=kopf_settings, memo=memo, ready_flag=ready)
    finally:
        early.cancel()


def _on_stop_signals(stopping: threading.Event) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())


def _executors(memo: kopf.Memo) -> list[concurrent.futures.Executor]:
    return [value for value in memo.values() if isinstance(value, concurrent.futures.Executor)]


def _drain(executors: list[concurrent.futures.Executor], timeout: float) -> bool:
    """Wait for work already running in these executors (kopf's own, the handlers'); True if it ended."""

    def shut_down() -> None:
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)

    thread = threading.Thread(target=shut_down, name="drain", daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive()


def _lost(why: str) -> None:
    """Leadership may be someone else's now: stop acting this instant, by ending the process."""
    metrics.leader.set(0)
    log.error("leader election: lost the leadership (%s); exiting now, to stand by after a restart", why)
    _exit(1)


def _exit(code: int) -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(code)


def _api_client() -> Any:
    """A Kubernetes client of the election's own: in-cluster, else the kubeconfig; no retries of its
    own (the election's rounds are the retries, and a leader must not wait past its deadline)."""
    import kubernetes

    configuration = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    configuration.retries = 0
    client = kubernetes.client.ApiClient(configuration)
    client.user_agent = USER_AGENT
    return client


class StandbyHealth:
    """/healthz while standing by (kopf serves it once this replica leads), so the liveness probe does
    not restart a healthy standby: 200 while the election goes round, 503 if it has stalled."""

    def __init__(self, port: int, election: leader.Election) -> None:
        stale_after = max(60.0, 3 * election.elector.lease_duration)  # a round waits at most 2 lease durations

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's name for it
                if self.path.split("?", 1)[0] != "/healthz":
                    self.send_error(404)
                    return
                age = election.clock.monotonic() - election.last_round
                body = json.dumps(
                    {
                        "leader": False,
                        "identity": election.elector.identity,
                        "holder": election.holder or None,
                        "lastRoundSecondsAgo": round(age, 1),
                    }
                ).encode()
                self.send_response(200 if age < stale_after else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the probe asks every few seconds
                pass

        self.server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="standby-health", daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


if __name__ == "__main__":
    main()
