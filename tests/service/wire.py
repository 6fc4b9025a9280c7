"""One kept-alive HTTP/1.1 connection to a live server, written by hand.

httpx and http.client open a new connection when the server closed the last one, which
would hide the very thing a test wants to see: whether a hostile request cost the client its
connection. :class:`Wire` never reconnects; a request after the server hung up fails.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    """A response: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class Wire:
    """Requests one after another on one socket."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._buffer = b""

    def close(self) -> None:
        """Close the socket."""
        self.socket.close()

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Answer:
        """Send a request (``path`` as it goes on the wire, percent-encoded) and read its
        answer; :class:`ConnectionError` if the server closed the connection."""
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        head = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = dict(line.split(":", 1) for line in head[1:] if line)
        names = {name.strip().lower(): value.strip() for name, value in fields.items()}
        return Answer(status, names, self._read(int(names.get("content-length", "0"))))

    def _more(self) -> None:
        chunk = self.socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk

    def _read_until(self, end: bytes) -> bytes:
        while end not in self._buffer:
            self._more()
        head, self._buffer = self._buffer.split(end, 1)
        return head

    def _read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._more()
        body, self._buffer = self._buffer[:size], self._buffer[size:]
        return body
