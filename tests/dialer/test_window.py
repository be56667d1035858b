from datetime import UTC, datetime

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import timezone as phone_timezones

from ivr.dialer.window import FALLBACK_ZONES, TERRITORY_ZONES, CallingWindow, zones_for

WINDOW = CallingWindow()
NEW_YORK, HONOLULU, ALASKA_SPLIT = "+12125550101", "+18085550103", "+19075550100"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_zones_come_from_the_number():
    assert [z.key for z in zones_for(NEW_YORK)] == ["America/New_York"]
    assert [z.key for z in zones_for(HONOLULU)] == ["Pacific/Honolulu"]
    assert {z.key for z in zones_for(ALASKA_SPLIT)} == {"America/Adak", "America/Anchorage"}


def test_unknown_or_garbage_numbers_are_held_to_every_zone():
    assert len(zones_for("+15555550101")) >= 3
    assert len(zones_for("not a number")) >= 3


def _zones_as_before(e164: str) -> tuple[str, ...]:
    """zones_for as it was written before it looked the region up only when needed (the reference)."""
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return FALLBACK_ZONES
    names = [n for n in phone_timezones.time_zones_for_number(number) if n != phone_timezones.UNKNOWN_TIMEZONE]
    region = phonenumbers.region_code_for_number(number)
    if region in TERRITORY_ZONES and (not names or len(names) > 1):
        names = [TERRITORY_ZONES[region]]
    if not names:
        names = [
            n
            for n in phone_timezones._country_level_time_zones_for_number(number)
            if n != phone_timezones.UNKNOWN_TIMEZONE
        ]
    if not names or len(names) > 3 and number.country_code == 1:
        names = list(FALLBACK_ZONES)
    return tuple(sorted(set(names)))


def test_zones_are_those_the_region_first_rule_gave_for_every_area_code():
    # Every NANP area code (territories, Canada, the Caribbean, unassigned and non-geographic codes included),
    # with exchanges valid and not, plus numbers of other countries and garbage.
    numbers = [f"+1{npa}{nxx}{line}" for npa in range(200, 1000) for nxx, line in (("555", "0101"), ("234", "5678"))]
    numbers += [f"+1{npa}0{line}" for npa in range(200, 1000, 7) for line in ("000000", "123456")]
    numbers += ["+442071838750", "+33142685300", "+61293744000", "+8613800138000", "+1", "+1684", "garbage", ""]
    for e164 in numbers:
        zones_for.cache_clear()
        assert tuple(z.key for z in zones_for(e164)) == _zones_as_before(e164), e164


@pytest.mark.parametrize(
    ("phone", "when", "allowed"),
    [
        (NEW_YORK, utc(2026, 11, 26, 13, 0), True),  # 08:00 EST, the first allowed minute
        (NEW_YORK, utc(2026, 11, 26, 12, 59), False),  # 07:59
        (NEW_YORK, utc(2026, 11, 27, 1, 59), True),  # 20:59
        (NEW_YORK, utc(2026, 11, 27, 2, 0), False),  # 21:00 is already too late
        (HONOLULU, utc(2026, 11, 26, 14, 0), False),  # 04:00 HST
        (HONOLULU, utc(2026, 11, 26, 18, 0), True),  # 08:00 HST
        (NEW_YORK, utc(2026, 7, 1, 12, 0), True),  # 08:00 EDT (summer time)
        (NEW_YORK, utc(2026, 7, 1, 11, 59), False),
    ],
)
def test_allows_only_08_to_21_local(phone, when, allowed):
    assert WINDOW.allows(phone, when) is allowed


def test_a_number_spanning_zones_must_be_inside_all_of_them():
    # 08:30 in Anchorage (UTC-9) is 07:30 on Adak (UTC-10): not yet.
    assert not WINDOW.allows(ALASKA_SPLIT, utc(2026, 11, 26, 17, 30))
    assert WINDOW.next_allowed(ALASKA_SPLIT, utc(2026, 11, 26, 17, 30)) == utc(2026, 11, 26, 18, 0)
    # 20:30 on Adak is 21:30 in Anchorage: already over for the day.
    assert not WINDOW.allows(ALASKA_SPLIT, utc(2026, 11, 27, 6, 30))


def test_next_allowed_is_the_next_local_opening():
    assert WINDOW.next_allowed(HONOLULU, utc(2026, 11, 26, 14, 0)) == utc(2026, 11, 26, 18, 0)
    late = utc(2026, 11, 27, 3, 0)  # 22:00 in New York
    assert WINDOW.next_allowed(NEW_YORK, late) == utc(2026, 11, 27, 13, 0)
    inside = utc(2026, 11, 26, 15, 0)
    assert WINDOW.next_allowed(NEW_YORK, inside) == inside


def test_window_is_configurable_and_validated():
    narrow = CallingWindow.parse("09:00-17:00")
    assert not narrow.allows(NEW_YORK, utc(2026, 11, 26, 13, 30))
    assert CallingWindow.parse("") == CallingWindow()
    with pytest.raises(ValueError, match="ACS_CALL_WINDOW"):
        CallingWindow.parse("21:00-08:00")
    with pytest.raises(ValueError, match="ACS_CALL_WINDOW"):
        CallingWindow.parse("morning")


@settings(max_examples=200, deadline=None)
@given(
    phone=st.sampled_from([NEW_YORK, HONOLULU, ALASKA_SPLIT, "+13125550102", "+16025550150", "+15555550101"]),
    minutes=st.integers(min_value=0, max_value=366 * 24 * 60),
)
def test_next_allowed_is_allowed_and_never_earlier(phone, minutes):
    when = datetime.fromtimestamp(1_767_225_600 + minutes * 60, UTC)  # any minute of 2026
    found = WINDOW.next_allowed(phone, when)
    assert found >= when
    assert WINDOW.allows(phone, found)
    assert (found - when).total_seconds() <= 24 * 3600
