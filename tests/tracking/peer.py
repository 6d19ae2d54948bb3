"""Real HTTP for forwarding tests: serve a WSGI app in a thread, and a proxy that can fail on purpose."""
from __future__ import annotations

import http.client
import socket
import socketserver
import threading
import time
from contextlib import contextmanager, suppress

from werkzeug.serving import make_server

from tests.conftest import free_port


@contextmanager
def serve(app):
    """Serve ``app`` over HTTP on 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def _read_request(stream) -> tuple[str, list[tuple[str, str]], bytes] | None:
    line = stream.readline()
    if not line:
        return None
    headers, length = [], 0
    while True:
        header = stream.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
        if name.strip().lower() == "content-length":
            length = int(value)
    return line.decode("latin-1").strip(), headers, stream.read(length) if length else b""


class FaultyProxy:
    """An HTTP/1.1 proxy to ``upstream`` (host, port). ``mode``: ``pass``, ``refuse`` (nothing listens),
    ``503``, ``429`` (Retry-After: 1), ``hang`` (never answers) or ``400``. Counts what it forwarded."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.mode = "pass"
        self.forwarded = 0
        self.refused_answers = 0
        self._server: socketserver.ThreadingTCPServer | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _listen(self) -> None:
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                upstream = None
                with proxy._lock:
                    proxy._connections.add(self.connection)
                try:
                    while True:
                        request = _read_request(self.rfile)
                        if request is None:
                            return
                        if not proxy._answer(self.wfile, request):
                            return
                        if upstream is None:
                            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                        proxy._forward(upstream, self.wfile, request)
                except (ConnectionError, OSError):
                    return
                finally:
                    with proxy._lock:
                        proxy._connections.discard(self.connection)
                    if upstream is not None:
                        upstream.close()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def set_mode(self, mode: str) -> None:
        with self._lock:
            if mode == "refuse" and self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None
                for connection in list(self._connections):  # kept-alive connections are cut too
                    with suppress(OSError):
                        connection.shutdown(socket.SHUT_RDWR)
            elif mode != "refuse" and self._server is None:
                self._listen()
            self.mode = mode

    def _answer(self, wfile, request) -> bool:
        """Answer a failure instead of forwarding; False when the connection is to be dropped."""
        mode = self.mode
        if mode == "pass":
            return True
        self.refused_answers += 1
        if mode == "hang":
            while self.mode == "hang":
                time.sleep(0.05)
            return False
        status, extra = {"503": ("503 Service Unavailable", ""), "400": ("400 Bad Request", ""),
                         "429": ("429 Too Many Requests", "Retry-After: 1\r\n")}[mode]
        body = b'{"error": "failing on purpose"}'
        wfile.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}"
                    f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        wfile.flush()
        return False

    def _forward(self, upstream: http.client.HTTPConnection, wfile, request) -> None:
        line, headers, body = request
        method, target, _ = line.split(" ", 2)
        upstream.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            upstream.putheader(name, value)
        upstream.endheaders(body)
        response = upstream.getresponse()
        data = response.read()
        with self._lock:
            if method in ("POST", "PUT") and response.status < 300:
                self.forwarded += 1
        out = [f"HTTP/1.1 {response.status} {response.reason}\r\n"]
        for name, value in response.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                out.append(f"{name}: {value}\r\n")
        out.append(f"Content-Length: {len(data)}\r\n\r\n")
        wfile.write("".join(out).encode("latin-1") + data)
        wfile.flush()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def port_of(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition(":")
    return host, int(port.split("/")[0])


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")
