"""What a server writes to its log: a startup line, an access line per request, errors.

``serve`` hands :func:`log_config` to uvicorn, which applies it in every worker process, so
all of them log alike: as text (``2026-12-01 10:00:00,123 INFO parts_priority.access GET
/orders/O-1 200 3.2ms 127.0.0.1:50000``) or as one JSON object a line (``--log-format
json``), whose access records carry ``method``, ``path``, ``status``, ``ms`` and ``client``
as fields of their own.

Paths are logged as the client sent them, percent-encoded, and any byte that is not
printable ASCII is escaped, so no request can forge or split a log line.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ACCESS_LOGGER",
    "LEVELS",
    "LOG_FORMATS",
    "SERVICE_LOGGER",
    "JsonFormatter",
    "escaped",
    "log_config",
]

ACCESS_LOGGER = "parts_priority.access"
SERVICE_LOGGER = "parts_priority.service"
LEVELS = ("critical", "error", "warning", "info", "debug")
LOG_FORMATS = ("text", "json")
ACCESS_FIELDS = "access"
"""Attribute of an access record holding its fields (method, path, status, ms, client)."""


def escaped(raw: bytes) -> str:
    """Bytes of a request line as printable ASCII: others become ``\\xNN``."""
    if _UNPRINTABLE.search(raw) is None:  # nearly every request: nothing to escape
        return raw.decode("ascii")
    return "".join(chr(b) if 0x20 < b < 0x7F else f"\\x{b:02x}" for b in raw)


_UNPRINTABLE = re.compile(rb"[^\x21-\x7e]")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, an access record's fields, and ``error`` with the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, ACCESS_FIELDS, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=True, default=str)


def log_config(
    level: str = "info", log_format: str = "text", access_log: bool = True
) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for a server: uvicorn's loggers and the service's,
    at ``level``, to standard error; the access log at ``info`` unless turned off."""
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    upper = level.upper()
    # Access lines are info: shown when the level lets info through, unless turned off.
    access = upper if access_log else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "service",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "parts_priority": {"handlers": ["stderr"], "level": upper, "propagate": False},
            ACCESS_LOGGER: {"level": access},
        },
    }
