"""A TCP proxy on loopback in front of a database server, whose link can be cut and restored:
a database outage that the tests control.

Two kinds of outage: `cut` closes every connection and refuses new ones (the database is down,
the client learns it at once); `silence` stops forwarding without closing anything (a network
partition: the proxy's kernel still accepts and acknowledges every byte, so TCP keepalives and
`tcp_user_timeout` never fire, and only a client-side bound on waiting for an answer helps).
`restore` ends either."""

from __future__ import annotations

import contextlib
import socket
import threading


class Proxy:
    """Forwards 127.0.0.1:<port> to `target`; `cut` drops every connection and refuses new ones;
    `silence` holds every byte and every new connection until `restore`."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._cut = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._held: list[socket.socket] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def silence(self) -> None:
        """Stop forwarding, closing nothing: bytes sent either way are held, and connections
        opened meanwhile are accepted and never answered."""
        self._flowing.clear()

    def restore(self) -> None:
        """Forward again; connections opened while silent are closed (their clients have long
        given up)."""
        self._cut.clear()
        self._drop_held()
        self._flowing.set()

    def close(self) -> None:
        self._stopped = True
        self.cut()
        self._drop_held()
        self._flowing.set()  # lets held pumps run into their closed sockets and end
        _close(self._listener)

    def _drop_held(self) -> None:
        with self._lock:
            for sock in self._held:
                _close(sock)
            self._held.clear()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                _close(client)
                continue
            if not self._flowing.is_set():
                with self._lock:
                    self._held.append(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                pump = threading.Thread(
                    target=_pump, args=(source, sink, self._flowing), daemon=True
                )
                pump.start()


def _pump(source: socket.socket, sink: socket.socket, flowing: threading.Event) -> None:
    try:
        while data := source.recv(65536):
            flowing.wait()
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
