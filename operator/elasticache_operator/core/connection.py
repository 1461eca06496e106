"""Observed endpoints + password → the connection Secret's data (Stacktape's output contract)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from .observed import Endpoints

SECRET_KEYS = ("host", "readerHost", "port", "sharding", "password", "tls", "url")


def connection_url(host: str, port: int, password: str) -> str:
    """`rediss://default:<password>@host:port`, the password percent-encoded so `#$^<>&` survive parsing."""
    return f"rediss://default:{quote(password, safe='')}@{host}:{port}"


def connection_data(endpoints: Endpoints, sharded: bool, password: str) -> dict[str, str]:
    return {
        "host": endpoints.host,
        "readerHost": "" if sharded else endpoints.reader_host,
        "port": str(endpoints.port),
        "sharding": "enabled" if sharded else "disabled",
        "password": password,
        "tls": "true",
        "url": connection_url(endpoints.host, endpoints.port, password),
    }


@dataclass(frozen=True)
class ConnectionSecret:
    """The connection Secret as read: one read serves the password check and the write."""

    exists: bool
    owned: bool  # carries an ownerReference to this RedisCluster
    data: dict[str, str]  # decoded
    resource_version: str | None

    @property
    def applied_password(self) -> str | None:
        """The password the group was given, as recorded when the Secret was written."""
        return self.data.get("password") if self.owned else None
