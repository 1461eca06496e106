"""Markers and page sizes for the stand-in's Describe* listings, as ElastiCache pages them.

ElastiCache's `Marker` is opaque; the stand-in's says where the last page ended (the last identifier
it returned, or the last event), so a listing never fails and never repeats an item when resources
come and go between pages: what was deleted is simply not there any more, what was created shows up
if it sorts after the marker. MaxRecords is 20–100 (default 100), as botocore's model documents, but
for DescribeSnapshots: 20–50, default 50.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from moto.elasticache.exceptions import InvalidParameterValueException

T = TypeVar("T")
MIN_RECORDS, MAX_RECORDS, DEFAULT_RECORDS = 20, 100, 100


def max_records(
    value: Any, minimum: int = MIN_RECORDS, maximum: int = MAX_RECORDS, default: int = DEFAULT_RECORDS
) -> int:
    """A request's MaxRecords, checked against the action's range (DescribeSnapshots: 20–50, default 50)."""
    if value is None or value == "":
        return default
    try:
        records = int(value)
    except (TypeError, ValueError):
        raise InvalidParameterValueException(f"Invalid value for MaxRecords: {value}.") from None
    if not minimum <= records <= maximum:
        raise InvalidParameterValueException(
            f"Invalid value {records} for MaxRecords. Must be between {minimum} and {maximum}."
        )
    return records


def encode_marker(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode()


def decode_marker(marker: str, *keys: str) -> dict[str, Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(marker.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict) or any(key not in payload for key in keys):
        raise InvalidParameterValueException(f"Invalid marker: {marker}")
    return payload


def page_by_key(
    items: Sequence[T], key: Callable[[T], str], marker: str | None, records: int
) -> tuple[list[T], str | None]:
    """One page of `items` in the order of `key`, starting after the marker's key."""
    ordered = sorted(items, key=key)
    if marker:
        after = str(decode_marker(marker, "after")["after"])
        ordered = [item for item in ordered if key(item) > after]
    page = ordered[:records]
    more = len(ordered) > records
    return page, encode_marker({"after": key(page[-1])}) if more else None
