"""HTTP plumbing shared by the local services: a threading server on loopback,
request-body reading with a size limit (Content-Length or chunked), JSON replies.
"""
from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BodyError(Exception):
    """The request body could not be read: (HTTP status, message)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, handler):
        super().__init__(("127.0.0.1", port), handler)

    @property
    def port(self) -> int:
        return self.server_address[1]


class BaseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localsvc/1"
    # Seconds a client may stay silent while sending a body.
    timeout = 60

    def log_message(self, fmt, *args):  # noqa: D401 - keep the stdlib signature
        self.server.log(f"{self.address_string()} {fmt % args}")

    # ---- bodies -------------------------------------------------------
    def read_body(self, limit: int) -> bytes:
        """Reads the whole body, refusing more than `limit` bytes and
        reporting a truncated body (the client closed early) as 400."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            return self._read_chunked(limit)
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise BodyError(400, f"bad Content-Length {length_header!r}")
        if length < 0:
            raise BodyError(400, f"bad Content-Length {length_header!r}")
        if length > limit:
            raise BodyError(413, f"body of {length} bytes is over this server's limit of {limit} bytes")
        return self._read_exact(length)

    def _read_exact(self, n: int) -> bytes:
        parts = []
        remaining = n
        while remaining > 0:
            try:
                piece = self.rfile.read(min(remaining, 1 << 20))
            except (socket.timeout, TimeoutError):
                raise BodyError(400, f"truncated body: timed out after {n - remaining} of {n} bytes")
            if not piece:
                raise BodyError(400, f"truncated body: got {n - remaining} of {n} bytes")
            parts.append(piece)
            remaining -= len(piece)
        return b"".join(parts)

    def _read_chunked(self, limit: int) -> bytes:
        parts = []
        total = 0
        for _ in range(10_000_000):
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise BodyError(400, "truncated body: chunk header cut short")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BodyError(400, f"bad chunk size {size_text!r}")
            if size == 0:
                # trailers, then an empty line
                for _ in range(100):
                    trailer = self.rfile.readline(1024)
                    if trailer in (b"\r\n", b"\n", b""):
                        break
                return b"".join(parts)
            total += size
            if total > limit:
                raise BodyError(413, f"body over this server's limit of {limit} bytes")
            parts.append(self._read_exact(size))
            self.rfile.readline(8)  # CRLF after the chunk
        raise BodyError(400, "too many chunks")

    # ---- replies ------------------------------------------------------
    def send_bytes(self, status: int, body: bytes, content_type: str = "application/octet-stream",
                   headers: dict | None = None, head_only: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def send_json(self, status: int, obj, headers: dict | None = None) -> None:
        self.send_bytes(status, (json.dumps(obj) + "\n").encode(), "application/json", headers)
