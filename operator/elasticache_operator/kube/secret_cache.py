"""Secrets served from memory, kept true by the metadata watch (secret_watch.py), so that a visit reads a
Secret from the API only when it changed, not on every visit.

The watch carries no data, only each Secret's resourceVersion. A Secret is read (GET) the first time it is
asked for, and again only once the watch reports a resourceVersion other than the one read: about one read
per change of a Secret, however often its RedisClusters are visited. The operator's own writes (the
connection and pending Secrets) are kept as the API answered them, so it never reads back what it wrote.

An entry is served only while the watch is known to be complete: from its listing on, until its stream ends
or fails. Events may be lost between the two (a 410, a cut stream, a restart of the watch), so then every
read goes to the API, and the next listing tells which entries are still current. Only the Secrets asked
for are tracked; the watch's other events cost a dictionary lookup.

Which Secrets are read is unchanged: those RedisClusters name and the operator's own, never others."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str]  # (namespace, name)
GONE = "\0gone"  # the watch says: no such Secret (deleted, or absent from its listing)
UNSEEN = "\0unseen"  # tracked, and the watch has said nothing of it since


@dataclass(frozen=True)
class Stored:
    """What a visit needs of a Secret, as the API served it (data still base64)."""

    resource_version: str
    data: Mapping[str, str] = field(default_factory=dict)
    owner_uids: frozenset[str] = frozenset()
    annotations: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, secret: Mapping[str, Any]) -> Stored:
        """From a Secret as JSON (a GET's, a create's or a patch's answer)."""
        meta = secret.get("metadata") or {}
        return cls(
            resource_version=str(meta.get("resourceVersion") or ""),
            data=dict(secret.get("data") or {}),
            owner_uids=frozenset(r["uid"] for r in meta.get("ownerReferences") or [] if r.get("uid")),
            annotations=dict(meta.get("annotations") or {}),
        )


@dataclass(frozen=True)
class _Entry:
    basis: str  # what the watch said of the Secret when the read (or write) that made this entry began
    stored: Stored | None  # None: it does not exist

    def current(self, seen: str) -> bool:
        """The watch has said nothing newer than this entry: nothing since it began, or exactly it."""
        return seen in (self.basis, self.stored.resource_version if self.stored else GONE)


@dataclass
class _Flight:
    """One read under way, which others wanting the same Secret wait for."""

    done: threading.Event = field(default_factory=threading.Event)
    failed: bool = False


class SecretCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[Key, str] = {}  # tracked Secrets: the last resourceVersion the watch reported
        self._entries: dict[Key, _Entry] = {}
        self._synced: set[str | None] = set()  # namespaces (None: all) whose watch is complete right now
        self._flights: dict[Key, _Flight] = {}  # reads under way
        self.reads = self.hits = 0  # for the benchmark and tests: API reads made, reads served from memory

    # --- the reconcile side -------------------------------------------------------------------------

    def get(self, key: Key, fetch: Callable[[], Stored | None]) -> Stored | None:
        """The Secret from memory if the watch vouches for it, else `fetch()` (a GET; None for a 404).
        Visits that want the same Secret at once (every RedisCluster of a burst naming one password
        Secret) wait for one read rather than each making its own; if that read fails, each makes its own."""
        while True:
            with self._lock:
                basis = self._basis(key)
                if basis is not None and (entry := self._entries.get(key)) is not None and entry.current(basis):
                    self.hits += 1
                    return entry.stored
                if basis is None:
                    self.reads += 1
                    break
                if (other := self._flights.get(key)) is None:
                    self.reads += 1
                    flight = self._flights[key] = _Flight()
                    break
            other.done.wait()
            if other.failed:  # what failed for one may not for another: never a queue of failures
                with self._lock:
                    self.reads += 1
                return fetch()
        if basis is None:  # the watch is not complete: a plain read, kept nowhere
            return fetch()
        try:
            stored = fetch()
        except Exception:
            flight.failed = True
            raise
        else:
            self._keep(key, _Entry(basis, stored))  # before the others look again
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
        return stored

    def basis(self, key: Key) -> str | None:
        """Taken before a write: what the watch says of the Secret now (None: the watch is not complete)."""
        with self._lock:
            return self._basis(key)

    def written(self, key: Key, basis: str | None, stored: Stored | None) -> None:
        """The operator wrote the Secret (None: deleted it); `basis` from before the write."""
        if basis is not None:
            self._keep(key, _Entry(basis, stored))

    def forget(self, key: Key) -> None:
        """What memory holds was refused as stale (a 409): read it again next time."""
        with self._lock:
            self._entries.pop(key, None)

    def _basis(self, key: Key) -> str | None:
        if not ({None, key[0]} & self._synced):
            return None
        return self._seen.setdefault(key, UNSEEN)

    def _keep(self, key: Key, entry: _Entry) -> None:
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and entry.current(seen):
                self._entries[key] = entry

    # --- the watch's side ---------------------------------------------------------------------------

    def listed(self, namespace: str | None, items: Iterable[Mapping[str, Any]]) -> None:
        """A listing (metadata) of `namespace` (None: all): what the tracked Secrets are now. From here on
        the watch is complete again."""
        listed = {}
        for item in items:
            meta = item.get("metadata") or {}
            listed[(meta.get("namespace", ""), meta.get("name", ""))] = str(meta.get("resourceVersion") or "")
        with self._lock:
            for key in self._seen:
                if namespace is None or key[0] == namespace:
                    self._saw(key, listed.get(key, GONE))
            self._synced.add(namespace)

    def changed(self, event_type: str, meta: Mapping[str, Any]) -> bool:
        """A watch event (ADDED, MODIFIED, DELETED) of one Secret's metadata; whether it is news: not when
        memory holds the Secret as the event says it is (the event of the operator's own write, or of a
        version it has read already), which wakes nobody."""
        key = (meta.get("namespace", ""), meta.get("name", ""))
        version = GONE if event_type == "DELETED" else str(meta.get("resourceVersion") or "")
        with self._lock:
            if key not in self._seen:
                return True
            entry = self._entries.get(key)
            known = entry is not None and entry.current(version)
            self._saw(key, version)
            return not known

    def lost(self, namespace: str | None) -> None:
        """The watch of `namespace` ended or failed: events may be missed until its next listing."""
        with self._lock:
            self._synced.discard(namespace)

    def _saw(self, key: Key, version: str) -> None:
        self._seen[key] = version
        entry = self._entries.get(key)
        if entry is not None and not entry.current(version):
            del self._entries[key]  # stale: read again when next asked for
