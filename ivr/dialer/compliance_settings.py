"""The compliance engine's settings: environment variables plus the per-state rules file (configuration as data)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ivr.dialer.frequency import FrequencyLimit
from ivr.dialer.office_days import OfficeCalendar
from ivr.dialer.policy import DAY, Policy
from ivr.dialer.window import CallingWindow

REG_F = "12 CFR 1006.14(b)(2)"
#: Regulation F's presumption: more than seven calls in seven days, or any within seven days after a conversation.
REG_F_MAX_CALLS, REG_F_DAYS = 7, 7


@dataclass(frozen=True)
class StateRule:
    code: str
    name: str
    area_codes: frozenset[str] = frozenset()
    window: CallingWindow | None = None
    frequency: FrequencyLimit | None = None


@dataclass(frozen=True)
class ComplianceSettings:
    window: CallingWindow = field(default_factory=CallingWindow)
    calendar: OfficeCalendar = field(default_factory=OfficeCalendar)
    taxpayer_limit: FrequencyLimit = FrequencyLimit(REG_F_MAX_CALLS, REG_F_DAYS, REG_F_DAYS, REG_F)
    representative_limit: FrequencyLimit = FrequencyLimit(7, 7, 7, "office policy (ACS_REPRESENTATIVE_*)")
    states: Mapping[str, StateRule] = field(default_factory=lambda: load_state_rules(None))

    def state_of(self, e164: str) -> StateRule | None:
        """The state whose rules cover this number, by its area code (NANP numbers only)."""
        if not e164.startswith("+1") or len(e164) != 12:
            return None
        area = e164[2:5]
        return next((rule for rule in self.states.values() if area in rule.area_codes), None)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ComplianceSettings:
        """Read ACS_CALL_WINDOW, ACS_OFFICE_DAYS, ACS_CLOSED_DATES, the attempt limits and ACS_COMPLIANCE_RULES."""
        policy = Policy.from_env(env)
        taxpayer = FrequencyLimit(
            policy.max_attempts_per_window,
            policy.attempt_window_seconds / DAY,
            policy.quiet_after_conversation_seconds / DAY,
            REG_F,
        )
        if taxpayer.max_calls > REG_F_MAX_CALLS or taxpayer.max_calls < 1 or taxpayer.days < REG_F_DAYS:
            raise ValueError(
                f"ACS_MAX_ATTEMPTS_PER_WINDOW/ACS_ATTEMPT_WINDOW_DAYS may only be stricter than Regulation F "
                f"({REG_F_MAX_CALLS} calls in {REG_F_DAYS} days)"
            )
        if taxpayer.quiet_days_after_conversation < REG_F_DAYS:
            raise ValueError(f"ACS_QUIET_DAYS_AFTER_CONVERSATION may not be under {REG_F_DAYS} (Regulation F)")

        def number(name: str, default: float) -> float:
            value = env.get(name)
            try:
                return float(value) if value not in (None, "") else default
            except ValueError:
                raise ValueError(f"{name} must be a number, not {value!r}") from None

        representative = FrequencyLimit(
            int(number("ACS_REPRESENTATIVE_MAX_ATTEMPTS", 7)),
            number("ACS_REPRESENTATIVE_WINDOW_DAYS", 7),
            number("ACS_REPRESENTATIVE_QUIET_DAYS", 7),
            "office policy (ACS_REPRESENTATIVE_*)",
        )
        try:
            calendar = OfficeCalendar.parse(env.get("ACS_OFFICE_DAYS"), env.get("ACS_CLOSED_DATES"))
        except ValueError as error:
            raise ValueError(f"ACS_OFFICE_DAYS/ACS_CLOSED_DATES: {error}") from None
        return cls(
            window=CallingWindow.parse(env.get("ACS_CALL_WINDOW")),
            calendar=calendar,
            taxpayer_limit=taxpayer,
            representative_limit=representative,
            states=load_state_rules(env.get("ACS_COMPLIANCE_RULES") or None),
        )


def load_state_rules(path: str | None) -> dict[str, StateRule]:
    """The per-state rules: the packaged compliance_rules.json, or the file ACS_COMPLIANCE_RULES names."""
    try:
        if path:
            text = Path(path).read_text(encoding="utf-8")
        else:
            text = resources.files("ivr.dialer").joinpath("compliance_rules.json").read_text(encoding="utf-8")
        data = json.loads(text)
        rules = {}
        for code, entry in (data.get("states") or {}).items():
            freq = entry.get("frequency")
            rules[code.upper()] = StateRule(
                code=code.upper(),
                name=entry.get("name", code),
                area_codes=frozenset(str(a) for a in entry.get("area_codes") or ()),
                window=CallingWindow.parse(entry["window"]) if entry.get("window") else None,
                frequency=FrequencyLimit(
                    int(freq["max_calls"]),
                    float(freq["days"]),
                    float(freq.get("quiet_days", 0)),
                    freq.get("source", ""),
                )
                if freq
                else None,
            )
        return rules
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        why = f"{type(error).__name__}: {error}"
        raise ValueError(f"ACS_COMPLIANCE_RULES: cannot read the state rules ({why})") from None
