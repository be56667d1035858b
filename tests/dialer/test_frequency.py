"""Regulation F's call-frequency limits as a pure rule (12 CFR 1006.14(b)(2)), and Massachusetts' stricter one."""

from __future__ import annotations

from ivr.dialer.compliance_settings import ComplianceSettings
from ivr.dialer.frequency import DAY, FrequencyLimit, first_allowed, why_not
from ivr.dialer.policy import HOUR

NOW = 1_796_220_000.0
REG_F = FrequencyLimit(7, 7, 7)


def test_at_most_seven_attempts_in_any_rolling_seven_days():
    six = [NOW - n * HOUR for n in range(6)]
    assert why_not(REG_F, six, None, NOW) is None
    seven = [NOW - n * DAY for n in range(7)]  # the oldest was 6 days ago
    assert "7 calls already" in why_not(REG_F, seven, None, NOW)
    assert first_allowed(REG_F, seven, None, NOW) == NOW - 6 * DAY + 7 * DAY


def test_no_attempt_for_seven_days_after_a_conversation():
    assert "conversation" in why_not(REG_F, [], NOW - DAY, NOW)
    assert first_allowed(REG_F, [], NOW - DAY, NOW) == NOW + 6 * DAY


def test_both_limits_together_take_the_later_instant():
    seven = [NOW - n * HOUR for n in range(7)]
    assert first_allowed(REG_F, seven, NOW - 6 * DAY, NOW) == NOW - 6 * HOUR + 7 * DAY


def test_massachusetts_allows_two_in_seven_days():
    limit = FrequencyLimit(2, 7)
    assert why_not(limit, [NOW - DAY], None, NOW) is None
    assert why_not(limit, [NOW - DAY, NOW - 2 * DAY], None, NOW) is not None
    assert first_allowed(limit, [NOW - DAY, NOW - 2 * DAY], None, NOW) == NOW + 5 * DAY


def test_limits_are_configurable_but_never_looser_than_regulation_f():
    settings = ComplianceSettings.from_env(
        {"ACS_MAX_ATTEMPTS_PER_WINDOW": "3", "ACS_REPRESENTATIVE_MAX_ATTEMPTS": "12"}
    )
    assert settings.taxpayer_limit.max_calls == 3 and settings.representative_limit.max_calls == 12
    for env in ({"ACS_MAX_ATTEMPTS_PER_WINDOW": "8"}, {"ACS_QUIET_DAYS_AFTER_CONVERSATION": "3"}):
        try:
            ComplianceSettings.from_env(env)
        except ValueError as error:
            assert "Regulation F" in str(error)
        else:
            raise AssertionError(f"{env} was accepted")
