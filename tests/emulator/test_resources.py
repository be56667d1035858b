"""REST records print their times as Twilio does: RFC 2822, what email.utils.format_datetime gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from emulator.resources import rfc2822, timestamp


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=st.just(UTC)))
def test_utc_times_are_format_datetimes(dt: datetime) -> None:
    assert rfc2822(dt) == format_datetime(dt)


def test_other_zones_and_none() -> None:
    eastern = datetime(2026, 1, 5, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert rfc2822(eastern) == format_datetime(eastern) == "Mon, 05 Jan 2026 10:00:00 -0500"
    assert rfc2822(None) is None


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])))
def test_callback_timestamps_are_strftimes(dt: datetime) -> None:
    assert timestamp(dt) == dt.strftime("%a, %d %b %Y %H:%M:%S +0000")
