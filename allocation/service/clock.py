"""The service's notion of now: naive UTC to the microsecond (what the database stores).

Microseconds matter: an order's age breaks ties, so two orders posted in the same second
must still be first and second.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["to_utc_naive", "utc_now"]


def utc_now() -> datetime:
    """The current moment in UTC, without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_utc_naive(moment: datetime) -> datetime:
    """A moment as naive UTC: converted when it has a zone, taken as UTC when it has none."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
