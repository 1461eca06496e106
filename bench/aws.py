"""The ElastiCache side of the benchmark: the stand-in's request log, and a client of the benchmark's own
whose calls are tagged (X-Sandbox-Client: bench) so they are never counted as the operator's."""

from __future__ import annotations

import collections
import datetime
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

CLIENT = "bench"


@dataclass(frozen=True)
class Call:
    seq: int
    time: float  # wall clock at arrival
    action: str
    group_id: str
    client: str


class RequestLog:
    """Every call the stand-in served, fetched incrementally from `/_sandbox/requests?log=1`."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.calls: list[Call] = []
        self._since = 0
        self._http = requests.Session()

    def fetch(self) -> list[Call]:
        answer = self._http.get(
            f"{self.endpoint}/_sandbox/requests", params={"log": 1, "since": self._since}, timeout=60
        ).json()
        for entry in answer["log"]:
            self.calls.append(Call(entry["seq"], entry["time"], entry["action"], entry["id"], entry["client"]))
        if self.calls:
            self._since = self.calls[-1].seq
        return self.calls

    def operator_calls(self, start: float, end: float) -> list[Call]:
        """The calls the operator made in [start, end) (the benchmark's own left out)."""
        return [c for c in self.calls if start <= c.time < end and c.client != CLIENT]


def by_action(calls: Iterable[Call]) -> dict[str, int]:
    return dict(sorted(collections.Counter(c.action for c in calls).items()))


class ElastiCacheClient:
    """boto3 against the stand-in, as an administrator acting behind the operator's back would use it."""

    def __init__(self, endpoint: str) -> None:
        self.client = boto3.client(
            "elasticache",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
            config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
        )

        def tag(request: Any, **_: Any) -> None:
            request.headers["X-Sandbox-Client"] = CLIENT

        self.client.meta.events.register("request-created.elasticache.*", tag)

    def group(self, group_id: str) -> dict[str, Any]:
        return self.client.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]

    def events(self, minutes: int = 120) -> list[dict[str, Any]]:
        """Every replication-group event of the last `minutes`, all pages."""
        events: list[dict[str, Any]] = []
        marker = ""
        while True:
            page = self.client.describe_events(
                SourceType="replication-group",
                Duration=minutes,
                MaxRecords=100,
                **({"Marker": marker} if marker else {}),
            )
            events.extend(page["Events"])
            marker = page.get("Marker") or ""
            if not marker:
                return events

    def created_at(self) -> dict[str, float]:
        """group id → when it turned available: the Date of AWS's "Replication group X created" event."""
        created = {}
        for event in self.events():
            message = event["Message"]
            if message == f"Replication group {event['SourceIdentifier']} created":
                created[event["SourceIdentifier"]] = event["Date"].timestamp()
        return created

    def event_times(self, group_id: str, contains: str) -> list[float]:
        return sorted(
            e["Date"].timestamp()
            for e in self.events()
            if e["SourceIdentifier"] == group_id and contains in e["Message"]
        )

    def tick(self) -> None:
        """A call that makes the stand-in carry out its due transitions now (it does so lazily, on the
        next request), answered with CacheClusterNotFound."""
        try:
            self.client.describe_cache_clusters(CacheClusterId="bench-clock-tick")
        except ClientError:
            pass


class Ticker:
    """Ticks the stand-in every `interval` seconds, so a group turns `available` (and its event is dated)
    when its time comes, as on AWS, not when the operator's next call happens to arrive."""

    def __init__(self, endpoint: str, interval: float = 0.2) -> None:
        self.client = ElastiCacheClient(endpoint)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="ticker")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.client.tick()
            except Exception:  # noqa: BLE001 - a missed tick only blurs one transition time
                pass


def utc(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%H:%M:%S.%f")[:-3]
