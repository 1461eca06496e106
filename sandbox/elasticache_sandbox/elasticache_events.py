"""ElastiCache's event log, as DescribeEvents serves it, for the stand-in.

The backend records an event whenever AWS would on its own transitions (see `Messages`); DescribeEvents
reads them back: newest first, filtered by SourceType, SourceIdentifier and a time window, 20–100 a
page with a Marker. Events are kept 14 days, as AWS keeps them, so a group's history (its deletion
too) stays readable after the group is gone.

The time window follows the API reference and the ElastiCache CLI's documentation: with neither
StartTime nor EndTime, the last `Duration` minutes (default 60, at most 14 days); StartTime alone runs
to now, EndTime alone covers the 60 minutes before it, and Duration is ignored when either is given.
Both ends are inclusive. A Marker carries the window of the first page, so later pages read the same
window even as time passes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.utils import parse_timestamp
from moto.elasticache.exceptions import InvalidParameterCombinationException, InvalidParameterValueException

from .paging import decode_marker, encode_marker, max_records

RETENTION = timedelta(days=14)
MAX_DURATION_MINUTES = 14 * 24 * 60
DEFAULT_DURATION_MINUTES = 60
SOURCE_TYPES = (  # botocore's SourceType enum
    "cache-cluster",
    "cache-parameter-group",
    "cache-security-group",
    "cache-subnet-group",
    "replication-group",
    "serverless-cache",
    "serverless-cache-snapshot",
    "user",
    "user-group",
)
REPLICATION_GROUP, CACHE_CLUSTER = "replication-group", "cache-cluster"


@dataclass(frozen=True)
class Event:
    seq: int
    date: datetime  # UTC, to the millisecond as AWS reports it
    source_type: str
    source_id: str
    message: str

    def as_api(self) -> dict[str, Any]:
        return {
            "SourceIdentifier": self.source_id,
            "SourceType": self.source_type,
            "Message": self.message,
            "Date": self.date,
        }


def _utc_now() -> datetime:
    return datetime.now(UTC)


def iso_ms(when: datetime) -> str:
    """2020-11-25T06:24:08.175Z, as AWS writes times into event messages."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class EventLog:
    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._events: list[Event] = []
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, source_type: str, source_id: str, message: str | Callable[[datetime], str]) -> Event:
        """Record an event now; `message` may be a function of the event's date."""
        with self._lock:
            now = self._clock()
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            if self._events and now < self._events[-1].date:  # the wall clock stepped back: keep the order
                now = self._events[-1].date
            self._seq += 1
            text = message(now) if callable(message) else message
            event = Event(self._seq, now, source_type, source_id, text)
            self._events.append(event)
            if self._events[0].date < now - RETENTION:
                self._events = [e for e in self._events if e.date >= now - RETENTION]
            return event

    def describe(self, params: dict[str, Any]) -> tuple[list[Event], str | None]:
        """DescribeEvents: one page of events, newest first, and the marker of the next page."""
        records = max_records(params.get("MaxRecords"))
        source_type = params.get("SourceType") or None
        if source_type is not None and source_type not in SOURCE_TYPES:
            raise InvalidParameterValueException(
                f"Invalid value for SourceType: {source_type}. Valid values: {', '.join(SOURCE_TYPES)}."
            )
        source_id = (params.get("SourceIdentifier") or "").lower() or None
        marker = params.get("Marker")
        if marker:
            cursor = decode_marker(marker, "before", "start", "end")
            before, start, end = int(cursor["before"]), _timestamp(cursor["start"]), _timestamp(cursor["end"])
        else:
            before = None
            start, end = self._window(params)
        with self._lock:
            events = list(self._events)
        oldest = self._clock() - RETENTION
        matching = [
            e
            for e in reversed(events)  # newest first, as AWS lists them
            if (before is None or e.seq < before)
            and max(start, oldest) <= e.date <= end
            and (source_type is None or e.source_type == source_type)
            and (source_id is None or e.source_id.lower() == source_id)
        ]
        page = matching[:records]
        if len(matching) <= records:
            return page, None
        return page, encode_marker({"before": page[-1].seq, "start": start.isoformat(), "end": end.isoformat()})

    def _window(self, params: dict[str, Any]) -> tuple[datetime, datetime]:
        duration = params.get("Duration")
        if duration not in (None, ""):
            try:
                minutes = int(duration)
            except (TypeError, ValueError):
                raise InvalidParameterValueException(f"Invalid value for Duration: {duration}.") from None
            if not 1 <= minutes <= MAX_DURATION_MINUTES:
                raise InvalidParameterValueException(
                    f"Invalid value {minutes} for Duration. Must be between 1 and {MAX_DURATION_MINUTES} minutes"
                    " (14 days)."
                )
        else:
            minutes = DEFAULT_DURATION_MINUTES
        start = _timestamp(params.get("StartTime"))
        end = _timestamp(params.get("EndTime"))
        now = self._clock()
        if start is None and end is None:
            return now - timedelta(minutes=minutes), now
        end = end or now
        start = start or end - timedelta(minutes=DEFAULT_DURATION_MINUTES)
        if start > end:
            raise InvalidParameterCombinationException("StartTime must be before EndTime.")
        return start, end


def _timestamp(value: Any) -> Any:
    """A request's timestamp (a datetime, ISO 8601 text or epoch seconds) as an aware UTC datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = parse_timestamp(value)
        except (TypeError, ValueError):
            raise InvalidParameterValueException(f"Invalid timestamp: {value}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class Messages:
    """Event texts. Those marked *confirmed* are AWS's wording as its documentation or a captured
    DescribeEvents output shows it; the others are modelled on them (AWS publishes no list)."""

    # --- cache clusters (the nodes of a replication group) ---
    cluster_created = "Cache cluster created"  # confirmed: user guide (Viewing events), botocore examples

    @staticmethod
    def node_added(zone: str) -> str:  # confirmed: botocore's DescribeEvents example
        return f"Added cache node 0001 in availability zone {zone}"

    cluster_deleted = "Cache cluster deleted"  # confirmed: user guide, SNS events (DeleteCacheClusterComplete)
    # confirmed: user guide, SNS events (CacheClusterProvisioningFailed); the stand-in's failures have no
    # cause of their own, so it uses AWS's one documented wording
    cluster_create_failed = "Failed to create the cache cluster due to incompatible network state"

    @staticmethod
    def node_type_changed(node_type: str) -> str:  # confirmed: SNS events (CacheClusterScalingComplete)
        return f"Succeeded applying modification to cache node type to {node_type}."

    @staticmethod
    def node_type_failed(node_type: str) -> str:  # confirmed: SNS events (CacheClusterScalingFailed)
        return f"Failed applying modification to cache node type to {node_type}."

    @staticmethod
    def engine_version_changed(version: str) -> str:  # modelled on the node type message
        return f"Succeeded applying modification to engine version to {version}."

    @staticmethod
    def snapshot_succeeded(snapshot: str, group_id: str) -> str:  # confirmed: botocore's DescribeEvents example
        return f"Snapshot succeeded for snapshot with ID '{snapshot}' of replication group with ID '{group_id}'"

    @staticmethod
    def cluster_snapshot_succeeded(snapshot: str, cluster_id: str) -> str:  # modelled on the one above
        return f"Snapshot succeeded for snapshot with ID '{snapshot}' of cache cluster with ID '{cluster_id}'"

    @staticmethod
    def snapshot_failed(snapshot: str, kind: str, source_id: str) -> str:  # modelled on the one above
        return f"Snapshot failed for snapshot with ID '{snapshot}' of {kind} with ID '{source_id}'"

    # TestFailover's, in the order the API reference lists them (all confirmed there); the node ids in
    # the failover message are cache cluster ids, those of the recovery messages cache node ids.
    @staticmethod
    def test_failover_called(node_group_id: str) -> str:  # replication group
        return f"Test Failover API called for node group {node_group_id}"

    @staticmethod
    def failover_completed(primary: str, replica: str) -> str:  # cache cluster, then replication group
        return f"Failover from primary node {primary} to replica node {replica} completed"

    @staticmethod
    def recovering_nodes(node_id: str) -> str:  # cache cluster
        return f"Recovering cache nodes {node_id}"

    @staticmethod
    def recovered_nodes(node_id: str) -> str:  # cache cluster
        return f"Finished recovery for cache nodes {node_id}"

    @staticmethod
    def test_failover_failed(node_group_id: str) -> str:  # modelled
        return f"Test Failover failed for node group {node_group_id}"

    # --- replication groups ---
    @staticmethod
    def group_created(group_id: str) -> str:  # confirmed: AWS CLI describe-events example
        return f"Replication group {group_id} created"

    @staticmethod
    def group_create_failed(group_id: str) -> str:  # modelled
        return f"Failed to create replication group {group_id}"

    @staticmethod
    def group_deleted(group_id: str) -> str:  # modelled on "Replication group X created"
        return f"Replication group {group_id} deleted"

    @staticmethod
    def failover_on(group_id: str) -> str:  # confirmed: AWS CLI example, user guide
        return f"Automatic failover has been turned on for replication group {group_id}"

    @staticmethod
    def failover_off(group_id: str) -> str:  # modelled on the one above
        return f"Automatic failover has been turned off for replication group {group_id}"

    @staticmethod
    def group_modified(group_id: str, what: str) -> str:  # modelled (settings with no message of their own)
        return f"Modified replication group {group_id}: {what}"

    @staticmethod
    def replicas(kind: str, phase: str, group_id: str, when: datetime) -> str:
        # confirmed for "Increase ... started/completed" (a DescribeEvents output quoted in
        # aws-controllers-k8s/community#540); Decrease and "failed" are modelled on it
        return f"{kind} replica count {phase} for replication group {group_id} on {iso_ms(when)}"

    @staticmethod
    def scaling(direction: str, group_id: str, old: int, new: int) -> str:
        # confirmed for "out" (aws-controllers-k8s/community#540); "in" modelled on it
        return f"Scaling {direction} replication group {group_id} from {old} node groups to {new} node groups"

    @staticmethod
    def node_groups_changed(group_id: str, verb: str, shard_ids: list[str]) -> str:
        # confirmed for "add" (aws-controllers-k8s/community#540); "remove" modelled on it
        count = f"{len(shard_ids)} new" if verb == "add" else str(len(shard_ids))
        return f"Modified replication group {group_id} to {verb} {count} node groups - {', '.join(shard_ids)}"

    @staticmethod
    def migrating_slots(source: str, target: str) -> str:  # confirmed (aws-controllers-k8s/community#540)
        return f"Migrating slots from node groups {source} to {target} to rebalance slots"

    @staticmethod
    def moved_slots(count: int, source: str, target: str) -> str:  # confirmed (aws-controllers-k8s/community#540)
        return f"Moved a total of {count} slots out of {count} slots from shard {source} to shard {target}"

    @staticmethod
    def resharding_failed(group_id: str) -> str:  # modelled
        return f"Failed to modify the shard configuration of replication group {group_id}"

    @staticmethod
    def auth_token(strategy: str, phase: str, group_id: str) -> str:  # modelled on the replica count messages
        return f"Auth token update ({strategy}) {phase} for replication group {group_id}"

    @staticmethod
    def log_delivery(log_type: str, change: str, group_id: str) -> str:  # modelled
        return f"Log delivery of {log_type} {change} for replication group {group_id}"
