"""The compliance engine: may this case be called at this instant, whom, and why — over plain facts, no Redis.

`evaluate(facts, at)` runs every rule (each a small class with a `check` and an exact `next_ok`) and returns a
Decision with every rule's verdict and `next_allowed`: the first instant every rule allows, found by stepping
from rule to rule (each step jumps to the first instant that rule alone allows, which can never overshoot the
first instant they all do). The dialer, `acs why` and the console all ask this one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ivr.cases.models import TAXPAYER_CONTACT
from ivr.cases.phones import mask_phone
from ivr.cases.poa import Authorization, preferred_poa
from ivr.dialer import frequency
from ivr.dialer.compliance_settings import ComplianceSettings, StateRule
from ivr.dialer.local_time import HORIZON_DAYS, aware, first_opening
from ivr.dialer.stated_times import StatedTimes
from ivr.dialer.window import CallingWindow, zones_for

DEFAULT_SETTINGS = ComplianceSettings()


@dataclass(frozen=True)
class PractitionerFacts:
    name: str
    phone: str


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one case, gathered by ivr.dialer.facts (or built by hand in tests)."""

    case_id: str
    taxpayer_phone: str
    periods: tuple[str, ...] = ()
    is_open: bool = True
    unreadable: str = ""  # a record the rules could not read: never call on a guess
    authorizations: tuple[Authorization, ...] = ()
    practitioners: Mapping[str, PractitionerFacts] = field(default_factory=dict)
    calls: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # contact → attempt times (per person)
    conversations: Mapping[str, float] = field(default_factory=dict)  # contact → last telephone conversation
    dnc_numbers: Mapping[str, str] = field(default_factory=dict)  # phone → who/when/how it was put on the list
    stop_person: str = ""  # the taxpayer asked not to be called (who/when/how), empty if not
    wrong_numbers: Mapping[str, str] = field(default_factory=dict)  # taxpayer numbers retired as wrong
    stated: Mapping[str, StatedTimes] = field(default_factory=dict)  # contact → stated inconvenient times


@dataclass(frozen=True)
class Contact:
    kind: str  # practitioner | taxpayer
    contact: str  # the CAF, or `taxpayer`
    name: str
    phone: str

    def to_dict(self) -> dict:
        shown = {"kind": self.kind, "name": self.name, "phone": mask_phone(self.phone) if self.phone else None}
        if self.kind == "practitioner":
            shown["caf"] = self.contact
        return shown


@dataclass(frozen=True)
class RuleResult:
    rule: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Decision:
    case_id: str
    at: float
    allowed: bool
    contact: Contact | None
    next_allowed: float | None
    rules: tuple[RuleResult, ...]

    @property
    def failed(self) -> list[str]:
        return [r.rule for r in self.rules if not r.ok]

    @property
    def reasons(self) -> str:
        """Why not, in one line (the failing rules' details)."""
        return "; ".join(f"{r.rule}: {r.detail}" for r in self.rules if not r.ok)

    def to_dict(self) -> dict:
        return {
            "case_id": self.case_id,
            "at": iso(self.at),
            "contact": self.contact.to_dict() if self.contact else None,
            "allowed": self.allowed,
            "next_allowed": iso(self.next_allowed) if self.next_allowed is not None else None,
            "rules": [{"rule": r.rule, "ok": r.ok, "detail": r.detail} for r in self.rules],
        }


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Context:
    facts: Facts
    contact: Contact
    settings: ComplianceSettings
    zones: tuple[ZoneInfo, ...]
    state: StateRule | None

    @property
    def for_taxpayer(self) -> bool:
        return self.contact.kind == "taxpayer"


# --- the rules -----------------------------------------------------------------------------------------------
class Rule:
    """`check` says whether a call at `t` is allowed; `next_ok` gives the first instant ≥ t it is (None: never)."""

    name = ""

    def check(self, ctx: Context, t: float) -> tuple[bool, str]:
        raise NotImplementedError

    def ok(self, ctx: Context, t: float) -> bool:
        """`check`'s verdict alone; rules whose detail costs more than the verdict (local times, counts) say it
        without writing the detail (the dialer's last check before each call, and first_allowed's stepping)."""
        return self.check(ctx, t)[0]

    def next_ok(self, ctx: Context, t: float) -> float | None:
        return t if self.ok(ctx, t) else None  # rules that do not depend on time: now or never


class CaseOpen(Rule):
    name = "case_open"

    def check(self, ctx, t):
        if ctx.facts.unreadable:
            return False, f"a record the rules need is unreadable ({ctx.facts.unreadable})"
        return (True, "the case is open") if ctx.facts.is_open else (False, "the case is closed")


class Represented(Rule):
    """12 CFR 1006.6(b)(2) and the office's rule: with a valid 2848 the practitioner, never the taxpayer, is called."""

    name = "represented"

    def check(self, ctx, t):
        if ctx.contact.kind == "taxpayer":
            return True, "no valid 2848 covers the case's periods: the taxpayer is the contact"
        if not ctx.contact.phone:
            return False, f"the POA practitioner (CAF {ctx.contact.contact}) has no phone on file"
        caf = ctx.contact.contact
        return True, f"a valid 2848 (CAF {caf}) covers the case: the practitioner is called, not the taxpayer"


class DoNotCall(Rule):
    name = "do_not_call"

    def check(self, ctx, t):
        phone = ctx.contact.phone
        if phone in ctx.facts.dnc_numbers:
            return False, f"number {mask_phone(phone)} is on the do-not-call list ({ctx.facts.dnc_numbers[phone]})"
        if ctx.for_taxpayer and ctx.facts.stop_person:
            return False, f"the taxpayer asked not to be called ({ctx.facts.stop_person})"
        return True, f"number {mask_phone(phone)} is not on the do-not-call list"


class WrongNumber(Rule):
    name = "wrong_number"

    def check(self, ctx, t):
        phone = ctx.contact.phone
        if ctx.for_taxpayer and phone in ctx.facts.wrong_numbers:
            return False, f"number {mask_phone(phone)} was retired as a wrong number ({ctx.facts.wrong_numbers[phone]})"
        return True, "not reported as a wrong number"


class CallingHours(Rule):
    """12 CFR 1006.6(b)(1)(i): 08:00–21:00 at the consumer's location (every zone the number may be in)."""

    name = "calling_window"

    def window(self, ctx) -> CallingWindow:
        return ctx.state.window if ctx.state and ctx.state.window else ctx.settings.window

    def check(self, ctx, t):
        window = self.window(ctx)
        when = aware(t)
        local = ", ".join(f"{when.astimezone(z):%a %H:%M} {z.key}" for z in ctx.zones)
        span = f"{window.start:%H:%M}–{window.end:%H:%M}"
        if window.allows(ctx.contact.phone, when):
            return True, f"{local} is inside {span}"
        return False, f"{local} is outside {span}"

    def ok(self, ctx, t):
        return self.window(ctx).allows(ctx.contact.phone, aware(t))

    def next_ok(self, ctx, t):
        window = self.window(ctx)
        return first_opening(ctx.zones, t, [window.start], lambda when: window.allows(ctx.contact.phone, when))


class OfficeDays(Rule):
    name = "office_days"

    def check(self, ctx, t):
        when = aware(t)
        for zone in ctx.zones:
            why = ctx.settings.calendar.why_closed(when.astimezone(zone).date())
            if why:
                return False, f"{why} ({zone.key})"
        return True, f"{when.astimezone(ctx.zones[0]):%A %Y-%m-%d} is an office day"

    def ok(self, ctx, t):
        when, calendar = aware(t), ctx.settings.calendar
        return all(calendar.why_closed(when.astimezone(zone).date()) is None for zone in ctx.zones)

    def next_ok(self, ctx, t):
        calendar = ctx.settings.calendar
        return first_opening(ctx.zones, t, [], lambda w: all(calendar.is_open(w.astimezone(z)) for z in ctx.zones))


class StatedTimesRule(Rule):
    """12 CFR 1006.6(b)(1)(i): never at a time the person said is inconvenient."""

    name = "stated_times"

    def stated(self, ctx) -> StatedTimes:
        return ctx.facts.stated.get(ctx.contact.contact) or StatedTimes()

    def why(self, ctx, when: datetime) -> str | None:
        stated = self.stated(ctx)
        for zone in ctx.zones:
            why = stated.why_not(when.astimezone(zone))
            if why:
                return f"they said {why} ({when.astimezone(zone):%a %H:%M} {zone.key})"
        return None

    def check(self, ctx, t):
        stated = self.stated(ctx)
        if not stated:
            return True, "no inconvenient times stated"
        why = self.why(ctx, aware(t))
        return (False, why) if why else (True, f"respects what they said: {stated.describe()}")

    def ok(self, ctx, t):
        return not self.stated(ctx) or self.why(ctx, aware(t)) is None

    def next_ok(self, ctx, t):
        return first_opening(ctx.zones, t, self.stated(ctx).openings(), lambda when: self.why(ctx, when) is None)


class Frequency(Rule):
    """12 CFR 1006.14(b)(2) for taxpayers; the representative's own limit for practitioners."""

    name = "frequency"

    def limit(self, ctx) -> frequency.FrequencyLimit | None:
        return ctx.settings.taxpayer_limit if ctx.for_taxpayer else ctx.settings.representative_limit

    def inputs(self, ctx):
        return ctx.facts.calls.get(ctx.contact.contact, ()), ctx.facts.conversations.get(ctx.contact.contact)

    def check(self, ctx, t):
        limit = self.limit(ctx)
        if limit is None:
            return True, "no limit applies"
        calls, conversation = self.inputs(ctx)
        why = frequency.why_not(limit, calls, conversation, t)
        who = "the taxpayer (all numbers and cases)" if ctx.for_taxpayer else f"practitioner CAF {ctx.contact.contact}"
        if why:
            return False, f"{why} to {who}; limit {limit.describe()} ({limit.source})"
        counted = len(frequency.in_window(limit, calls, t))
        return True, f"{counted} call(s) to {who} in the last {limit.days:g} days; limit {limit.describe()}"

    def ok(self, ctx, t):
        limit = self.limit(ctx)
        return limit is None or frequency.why_not(limit, *self.inputs(ctx), t) is None

    def next_ok(self, ctx, t):
        limit = self.limit(ctx)
        if limit is None:
            return t
        calls, conversation = self.inputs(ctx)
        return frequency.first_allowed(limit, calls, conversation, t)


class StateFrequency(Frequency):
    """Stricter state limits as data (Massachusetts 940 CMR 7.04(1)(f) first), for taxpayers."""

    name = "state_frequency"

    def limit(self, ctx):
        if ctx.for_taxpayer and ctx.state is not None and ctx.state.frequency is not None:
            return ctx.state.frequency
        return None

    def check(self, ctx, t):
        if self.limit(ctx) is None:
            where = ctx.state.name if ctx.state else "the number's state"
            return True, f"no stricter state limit for {where}" if ctx.for_taxpayer else "applies to taxpayers only"
        return super().check(ctx, t)


RULES: tuple[Rule, ...] = (
    CaseOpen(),
    Represented(),
    DoNotCall(),
    WrongNumber(),
    CallingHours(),
    OfficeDays(),
    StatedTimesRule(),
    Frequency(),
    StateFrequency(),
)


# --- the engine ----------------------------------------------------------------------------------------------
def choose_contact(facts: Facts, at: float) -> Contact:
    """The valid-POA practitioner when there is one (most recent 2848, then lowest CAF), else the taxpayer."""
    poa = preferred_poa(facts.authorizations, facts.periods, aware(at).date())
    if poa is not None:
        person = facts.practitioners.get(poa.caf)
        return Contact("practitioner", poa.caf, person.name if person else poa.caf, person.phone if person else "")
    return Contact("taxpayer", TAXPAYER_CONTACT, "the taxpayer", facts.taxpayer_phone)


def context(facts: Facts, at: float, settings: ComplianceSettings | None = None) -> Context:
    settings = settings or DEFAULT_SETTINGS
    contact = choose_contact(facts, at)
    state = settings.state_of(contact.phone) if contact.phone else None
    return Context(facts, contact, settings, zones_for(contact.phone or "unknown"), state)


def evaluate(facts: Facts, at: float, settings: ComplianceSettings | None = None) -> Decision:
    """May the case be called at `at` (epoch seconds)? Every rule's verdict, and the first instant all allow."""
    return _evaluate(context(facts, at, settings), at)


def screen(facts: Facts, at: float, settings: ComplianceSettings | None = None) -> Decision:
    """The dialer's plan asks this: evaluate's decision, except that an allowed case gets no per-rule details.

    The plan reads only the contact of an allowed decision; writing every rule's detail (local times in each zone,
    holiday names, counts) cost twice the verdicts themselves, on every call placed. A case not allowed gets
    evaluate's full decision (its reasons, failed rules and next_allowed are written down)."""
    ctx = context(facts, at, settings)
    if all(rule.ok(ctx, at) for rule in RULES):
        return Decision(case_id=facts.case_id, at=at, allowed=True, contact=ctx.contact, next_allowed=at, rules=())
    return _evaluate(ctx, at)


def _evaluate(ctx: Context, at: float) -> Decision:
    facts = ctx.facts
    results = tuple(RuleResult(rule.name, *rule.check(ctx, at)) for rule in RULES)
    allowed = all(r.ok for r in results)
    return Decision(
        case_id=facts.case_id,
        at=at,
        allowed=allowed,
        contact=ctx.contact,
        next_allowed=at if allowed else first_allowed(ctx, at),
        rules=results,
    )


def allows(facts: Facts, at: float, settings: ComplianceSettings | None = None) -> bool:
    """The verdict alone (the dialer's last check just before it sends a call)."""
    ctx = context(facts, at, settings)
    return all(rule.ok(ctx, at) for rule in RULES)


def first_allowed(ctx: Context, at: float) -> float | None:
    """Step rule by rule to the first instant every rule allows; None when there is none within the horizon."""
    horizon = at + HORIZON_DAYS * 86_400
    t = at
    while t <= horizon:
        moved = False
        for rule in RULES:
            if rule.ok(ctx, t):
                continue
            found = rule.next_ok(ctx, t)
            if found is None or found <= t:  # never (or a rule that disagrees with itself: refuse, do not loop)
                return None
            t = found
            moved = True
        if not moved:
            return t
    return None
