"""A TCP forwarder that gives a replication group's endpoint an address of its own.

AWS's primary, reader and configuration endpoints are DNS names that keep their address while
nodes come and go: the primary endpoint follows the primary, the reader endpoint spreads over
the replicas (the primary when there is none). The sandbox has no DNS, so each endpoint is a
loopback address of its own, served by this forwarder, which picks a node for every new
connection and copies bytes both ways. TLS passes through untouched: the client's handshake is
with the node, whose certificate also names the endpoint's address.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

Target = Callable[[], tuple[str, int] | None]


class Forwarder:
    def __init__(self, ip: str, port: int, target: Target, name: str = "") -> None:
        self.ip, self.port, self.target, self.name = ip, port, target, name
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.ip, self.port))
        listener.listen(128)
        listener.settimeout(0.2)  # so stop() is noticed without relying on close() waking accept()
        self._listener = listener
        threading.Thread(target=self._accept, name=f"forwarder {self.name} {self.ip}", daemon=True).start()

    def stop(self) -> None:
        """Stop listening and cut every forwarded connection (as a removed endpoint would)."""
        self._stopped.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with self._lock:
            connections, self._open = list(self._open), set()
        for conn in connections:
            _close(conn)

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        client.settimeout(None)
        target = self.target()
        if target is None:
            _close(client)
            return
        try:
            upstream = socket.create_connection(target, timeout=5)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._stopped.is_set():
                _close(client)
                _close(upstream)
                return
            self._open.update((client, upstream))
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:  # either side closing ends the forwarded connection, as a TCP proxy does
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
