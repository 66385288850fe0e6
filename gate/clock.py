"""The one source of "now": ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else the wall clock."""

from __future__ import annotations

import datetime as dt
import os

from gate.errors import UsageError


def now() -> dt.datetime:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw:
        try:
            return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
        except (ValueError, OverflowError, OSError) as e:
            raise UsageError(f"SOURCE_DATE_EPOCH is not a Unix timestamp: {raw!r}") from e
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def today() -> dt.date:
    return now().date()


def iso(ts: dt.datetime | None = None) -> str:
    return (ts or now()).strftime("%Y-%m-%dT%H:%M:%SZ")
