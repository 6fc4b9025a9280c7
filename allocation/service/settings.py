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
==============================  =============================================================
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from allocation.errors import InputError

__all__ = ["WRITERS", "ServiceSettings", "client_id_of", "read_token_file"]

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
    """

    database_url: str | None = None
    tokens: tuple[str, ...] = field(default=(), repr=False)
    no_auth: bool = False
    max_body_bytes: int = 1_048_576
    max_batch_lines: int = 1_000
    writer: str = "thread"

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
            no_auth=env.get("PARTS_PRIORITY_NO_AUTH", "") in ("1", "true", "yes"),
            max_body_bytes=_int(env, "PARTS_PRIORITY_MAX_BODY", 1_048_576),
            max_batch_lines=_int(env, "PARTS_PRIORITY_MAX_LINES", 1_000),
            writer=env.get("PARTS_PRIORITY_WRITER") or "process",
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{name} must be an integer, got {value!r}") from None
