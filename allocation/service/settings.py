"""How a service instance is configured: database, tokens, limits.

Everything can come from the environment, which is how ``parts-priority serve --workers N``
hands its options to each worker process:

==============================  =============================================================
``PARTS_PRIORITY_DB``           database URL (default: ``sqlite:///parts-priority.db``)
``PARTS_PRIORITY_TOKEN``        the bearer token clients must send
``PARTS_PRIORITY_TOKEN_FILE``   a file with one token per line (each is a separate client)
``PARTS_PRIORITY_NO_AUTH``      ``1``: accept requests without a token (local use only)
``PARTS_PRIORITY_MAX_BODY``     largest request body in bytes (default 1,048,576)
``PARTS_PRIORITY_MAX_LINES``    most lines in one batch (default 1,000)
``PARTS_PRIORITY_WRITER``       ``process`` (default): writes run in a child process of the
                                server; ``thread``: on a thread of the server process
``PARTS_PRIORITY_OPEN_DOCS``    ``1``: ``/docs``, ``/redoc`` and ``/openapi.json`` need no token
``PARTS_PRIORITY_OPEN_METRICS`` ``1``: ``/metrics`` needs no token
``PARTS_PRIORITY_PARTITIONED``  ``0``: on PostgreSQL, every server runs the writes it receives
                                (default ``1``: each write runs at the writer that owns its
                                part groups; :mod:`allocation.service.forwarding`)
``PARTS_PRIORITY_WRITER_HOST``  where a writer takes writes forwarded by other servers
                                (default ``127.0.0.1``: servers on one machine; give an
                                address the other machines reach when they are several)
``PARTS_PRIORITY_MAX_HEADER``   largest request line and headers in bytes (default 16,384)
``PARTS_PRIORITY_READ_TIMEOUT`` seconds a client has to send a whole request (default 20)
==============================  =============================================================

The last two bound what one connection can hold: they are read by the HTTP protocol of each
server process (:mod:`allocation.service.protocol`), not by the app.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from allocation.errors import InputError

__all__ = ["WRITERS", "ConnectionLimits", "ServiceSettings", "client_id_of", "read_token_file"]

WRITERS = ("process", "thread")


def client_id_of(token: str) -> str:
    """The client a token stands for: a short digest, so keys are scoped without names."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def read_token_file(path: str | Path) -> list[str]:
    """Tokens from a file, one per line; blank lines and ``#`` comments are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"token file {path}: {error.strerror or error}") from None
    tokens = [line.strip() for line in text.splitlines()]
    tokens = [t for t in tokens if t and not t.startswith("#")]
    if not tokens:
        raise InputError(f"token file {path}: no token in it")
    short = [t for t in tokens if len(t) < 16]
    if short:
        raise InputError(f"token file {path}: tokens must be at least 16 characters")
    return tokens


@dataclass(frozen=True)
class ServiceSettings:
    """One service instance's configuration.

    Attributes
    ----------
    database_url : str or None
        SQLAlchemy URL; None means ``PARTS_PRIORITY_DB`` or the default SQLite file.
    tokens : tuple of str
        Bearer tokens accepted; each one is a client (idempotency keys are per client).
    no_auth : bool
        Accept requests without a token. Meant for a laptop, never for a shared server.
    max_body_bytes : int
        Larger request bodies get 413 before they are parsed.
    max_batch_lines : int
        Batches with more lines get 413.
    writer : {"thread", "process"}
        Where writes run: a thread of the server process, or a child process of it, which
        gives planning a core of its own (:mod:`allocation.service.writer_process`). A
        server started from the environment (``parts-priority serve``) uses a process.
    open_docs : bool
        Serve the OpenAPI documents (``/docs``, ``/redoc``, ``/openapi.json``) without a
        token; by default they need one like every route but ``/health``.
    open_metrics : bool
        Serve ``/metrics`` without a token (for a scraper on a trusted network).
    partitioned : bool
        On PostgreSQL, share the part groups' partitions with the other servers' writers and
        send each write to the owner of its groups (:mod:`allocation.service.forwarding`).
        Off for an app built in-process (tests, notebooks); on for ``parts-priority serve``.
    writer_host : str
        The address on which this server's writer takes forwarded writes.
    """

    database_url: str | None = None
    tokens: tuple[str, ...] = field(default=(), repr=False)
    no_auth: bool = False
    max_body_bytes: int = 1_048_576
    max_batch_lines: int = 1_000
    writer: str = "thread"
    open_docs: bool = False
    open_metrics: bool = False
    partitioned: bool = False
    writer_host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        if not self.tokens and not self.no_auth:
            raise InputError(
                "no token configured: set PARTS_PRIORITY_TOKEN, pass --token-file, "
                "or pass --no-auth to accept requests without one (local use only)"
            )
        if self.max_body_bytes < 1024:
            raise InputError(
                f"max body size must be at least 1024 bytes, got {self.max_body_bytes}"
            )
        if self.writer not in WRITERS:
            raise InputError(f"writer must be one of {', '.join(WRITERS)}, got {self.writer!r}")
        if self.max_batch_lines < 1:
            raise InputError(f"max batch lines must be at least 1, got {self.max_batch_lines}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceSettings:
        """Settings from environment variables (see the module's table)."""
        env = os.environ if env is None else env
        tokens: list[str] = []
        if env.get("PARTS_PRIORITY_TOKEN"):
            token = env["PARTS_PRIORITY_TOKEN"].strip()
            if len(token) < 16:
                raise InputError("PARTS_PRIORITY_TOKEN must be at least 16 characters")
            tokens.append(token)
        if env.get("PARTS_PRIORITY_TOKEN_FILE"):
            tokens.extend(read_token_file(env["PARTS_PRIORITY_TOKEN_FILE"]))
        return cls(
            database_url=env.get("PARTS_PRIORITY_DB") or None,
            tokens=tuple(dict.fromkeys(tokens)),
            no_auth=_flag(env, "PARTS_PRIORITY_NO_AUTH"),
            max_body_bytes=_int(env, "PARTS_PRIORITY_MAX_BODY", 1_048_576),
            max_batch_lines=_int(env, "PARTS_PRIORITY_MAX_LINES", 1_000),
            writer=env.get("PARTS_PRIORITY_WRITER") or "process",
            open_docs=_flag(env, "PARTS_PRIORITY_OPEN_DOCS"),
            open_metrics=_flag(env, "PARTS_PRIORITY_OPEN_METRICS"),
            partitioned=env.get("PARTS_PRIORITY_PARTITIONED", "1") not in ("0", "false", "no"),
            writer_host=env.get("PARTS_PRIORITY_WRITER_HOST") or "127.0.0.1",
        )


@dataclass(frozen=True)
class ConnectionLimits:
    """What one client connection may hold: bytes of a request's head, time to send it all.

    Attributes
    ----------
    max_header_bytes : int
        A request line and headers larger than this get 431 and the connection is closed,
        before the head is buffered whole (16 KiB by default, as h11 and Node allow: an order
        system sends a token and a key, a few hundred bytes).
    read_timeout_s : float
        A request (head and body) not received within this many seconds of its first byte
        gets 408 and the connection is closed; a new connection that sends nothing in that
        time is closed. 20 s by default: a 1 MiB body (the largest accepted) takes that long
        at 420 kbit/s, far slower than any order system's link, while a client that stalls
        holds its connection for 20 s, not forever.
    """

    max_header_bytes: int = 16_384
    read_timeout_s: float = 20.0

    def __post_init__(self) -> None:
        if self.max_header_bytes < 1024:
            raise InputError(
                f"max header size must be at least 1024 bytes, got {self.max_header_bytes}"
            )
        if not 0 < self.read_timeout_s <= 3600:
            raise InputError(
                f"read timeout must be between 0 and 3600 seconds, got {self.read_timeout_s}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConnectionLimits:
        """Limits from ``PARTS_PRIORITY_MAX_HEADER`` and ``PARTS_PRIORITY_READ_TIMEOUT``."""
        env = os.environ if env is None else env
        timeout = env.get("PARTS_PRIORITY_READ_TIMEOUT")
        try:
            seconds = float(timeout) if timeout else cls.read_timeout_s
        except ValueError:
            raise InputError(
                f"PARTS_PRIORITY_READ_TIMEOUT must be a number, got {timeout!r}"
            ) from None
        return cls(
            max_header_bytes=_int(env, "PARTS_PRIORITY_MAX_HEADER", cls.max_header_bytes),
            read_timeout_s=seconds,
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "") in ("1", "true", "yes")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{name} must be an integer, got {value!r}") from None
