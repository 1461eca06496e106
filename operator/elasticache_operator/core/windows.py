"""Maintenance and backup windows as AWS states them (PreferredMaintenanceWindow ddd:hh24:mi-ddd:hh24:mi,
SnapshotWindow hh24:mi-hh24:mi, UTC, each at least 60 minutes, the backup window outside the
maintenance window); the CRD's CEL rules say the same, in the same words."""

from __future__ import annotations

import re

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
WEEK, DAY = 7 * 1440, 1440
_TIME = r"([01][0-9]|2[0-3]):([0-5][0-9])"
MAINTENANCE_PATTERN = rf"^({'|'.join(DAYS)}):{_TIME}-({'|'.join(DAYS)}):{_TIME}$"
SNAPSHOT_PATTERN = rf"^{_TIME}-{_TIME}$"


def maintenance_span(window: str) -> tuple[int, int]:
    """(start, length) in minutes of the week from Sunday 00:00."""
    match = re.match(MAINTENANCE_PATTERN, window)
    if match is None:
        raise ValueError(f"not a maintenance window: {window!r}")
    start = DAYS.index(match[1]) * DAY + int(match[2]) * 60 + int(match[3])
    end = DAYS.index(match[4]) * DAY + int(match[5]) * 60 + int(match[6])
    return start, (end - start) % WEEK


def snapshot_span(window: str) -> tuple[int, int]:
    """(start, length) in minutes of the day."""
    match = re.match(SNAPSHOT_PATTERN, window)
    if match is None:
        raise ValueError(f"not a snapshot window: {window!r}")
    start, end = int(match[1]) * 60 + int(match[2]), int(match[3]) * 60 + int(match[4])
    return start, (end - start) % DAY


def window_problems(maintenance: str | None, snapshot: str | None) -> list[str]:
    problems = []
    if maintenance is not None and maintenance_span(maintenance)[1] < 60:
        problems.append("maintenanceWindow must be at least 60 minutes long")
    if snapshot is not None and snapshot_span(snapshot)[1] < 60:
        problems.append("snapshotWindow must be at least 60 minutes long")
    if maintenance is not None and snapshot is not None and _overlap(maintenance, snapshot):
        problems.append("snapshotWindow must not overlap maintenanceWindow")
    return problems


def _overlap(maintenance: str, snapshot: str) -> bool:
    """The daily backup window meets the weekly maintenance window on some day (both wrap around)."""
    m_start, m_length = maintenance_span(maintenance)
    s_start, s_length = snapshot_span(snapshot)
    return any(
        (m_start - (day * DAY + s_start)) % WEEK < s_length or ((day * DAY + s_start) - m_start) % WEEK < m_length
        for day in range(7)
    )
