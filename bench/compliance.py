"""National compliance simulation: a week of dialing across every US zone through the real dialer, then an audit.

Cases across every US time zone (Eastern … Hawaii, Alaska's two zones, Puerto Rico, the Virgin Islands, Guam, the
Northern Marianas, American Samoa), some represented, some on the do-not-call list, some with a retired number,
some with stated inconvenient times, some people with two cases, callees who answer, press 9, let it go to
voicemail, ring out or are busy. The real Dialer ticks on the emulator's virtual clock through a week with a
federal holiday (Thanksgiving) and a closed date; calls go through the twilio SDK into the emulator, whose webhooks
reach the app in-process.

The checker then reads only the emulator's call log and the seed: it has its own table of area codes to zones,
its own list of federal holidays, and its own counting. It imports nothing of the engine, so a shared bug cannot
hide a violation. Goal: zero violations.

    python -m bench.compliance [--cases 10000] [--days 7] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from emulator import Emulator
from emulator.engine import VirtualClock
from emulator.parties import AnsweringMachine, BusyLine, Human, KeyRule, NoAnswerLine
from emulator.sdk import WsgiHttpClient

#: Monday 2026-11-23 00:00 UTC: the week holds Thanksgiving (Thursday the 26th).
START = datetime(2026, 11, 23, tzinfo=UTC)
CLOSED_DATE = "2026-11-24"
#: The checker's own knowledge, written out by hand (not read from the engine's code or data).
AREA_ZONES = {
    "212": ["America/New_York"],
    "617": ["America/New_York"],  # Massachusetts: two calls in seven days to a taxpayer
    "305": ["America/New_York"],
    "312": ["America/Chicago"],
    "303": ["America/Denver"],
    "602": ["America/Phoenix"],
    "415": ["America/Los_Angeles"],
    "907": ["America/Anchorage", "America/Adak"],
    "808": ["Pacific/Honolulu"],
    "787": ["America/Puerto_Rico"],
    "340": ["America/St_Thomas"],
    "671": ["Pacific/Guam"],
    "670": ["Pacific/Saipan"],
    "684": ["Pacific/Pago_Pago"],
}
MASSACHUSETTS = {"617"}
FEDERAL_HOLIDAYS = {date(2026, 11, 26), date(2026, 12, 25), date(2027, 1, 1), date(2026, 11, 11)}
WEEKDAYS = range(5)
DAY = 86_400.0


@dataclass
class Person:
    pid: str
    phones: list[str] = field(default_factory=list)
    represented_by: str | None = None  # the practitioner's phone
    stated: tuple[dtime | None, int | None] = (None, None)  # (not before, never on weekday)


@dataclass
class Seed:
    people: dict[str, Person] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)  # phone → person id (taxpayer phones)
    practitioner_of: dict[str, str] = field(default_factory=dict)  # practitioner phone → person id represented
    dnc: set[str] = field(default_factory=set)
    wrong: set[str] = field(default_factory=set)
    press_9: set[str] = field(default_factory=set)


def phone(rng: random.Random, area: str, used: set[str]) -> str:
    """A valid number (the importer accepts no other) in `area`; Alaska's from an exchange split across two zones."""
    import phonenumbers

    while True:
        exchange = "555" if area == "907" else f"{rng.randint(2, 9)}{rng.randint(0, 99):02d}"
        number = f"+1{area}{exchange}{rng.randint(0, 9999):04d}"
        if number not in used and phonenumbers.is_valid_number(phonenumbers.parse(number)):
            used.add(number)
            return number


def seed(app, emu: Emulator, count: int, rng: random.Random) -> Seed:
    """Write `count` cases with the importer's record format and assign a callee to every number."""
    from ivr.cases.models import Case, CaseType
    from ivr.cases.poa import Authorization
    from ivr.cases.sealing import person_ref
    from ivr.cases.store import authorization_to_hash, case_to_hash
    from ivr.cases.tin import Tin
    from ivr.dialer.dnc import DncRecord, DoNotCall
    from ivr.dialer.stated_times import StatedTimes

    svc = app.extensions["acs"]
    r, keys = svc.redis, svc.keys
    dnc = DoNotCall(r, keys)
    out, used = Seed(), set()
    pipe = r.pipeline(transaction=False)
    areas = sorted(AREA_ZONES)
    n = 0
    while n < count:
        pid = f"P{n:06d}"
        tin = Tin("SSN", f"{rng.randint(100, 665):03d}{rng.randint(10, 99)}{n % 10000:04d}")
        person = Person(pid)
        out.people[pid] = person
        cases = 2 if rng.random() < 0.15 else 1  # some people owe on two cases: Reg F counts the person
        for k in range(min(cases, count - n)):
            number = phone(rng, rng.choice(areas), used)
            person.phones.append(number)
            out.owner[number] = pid
            case = Case(f"SIM-{n:06d}", CaseType.BAL_DUE, tin, f"Taxpayer {n}", number, ("1040:2022",), None)
            pipe.hset(keys.case(case.case_id), mapping={**case_to_hash(case), "balance": "100.00"})
            pipe.sadd(keys.case_ids(), case.case_id)
            pipe.zadd(keys.cases_due(), {case.case_id: START.timestamp()})
            n += 1
            if k == 0 and rng.random() < 0.05:
                out.dnc.add(number)
                dnc.add(number, DncRecord("sim", "import", START.timestamp() - DAY, "seeded"))
            elif k == 0 and rng.random() < 0.03:
                out.wrong.add(number)
                dnc.retire_number(person_ref(tin), number, DncRecord("sim", "outcome", START.timestamp() - DAY))
        ref = person_ref(tin)  # the taxpayer index: one field of a bucket hash, the person's case ids space-separated
        pipe.hset(
            keys.taxpayer_cases(ref),
            keys.taxpayer_cases_field(ref),
            " ".join(f"SIM-{i:06d}" for i in range(n - len(person.phones), n)),
        )
        if rng.random() < 0.2:
            caf = f"{rng.randint(1000, 9999)}-{n:05d}"
            rep_phone = phone(rng, rng.choice(areas), used)
            person.represented_by = rep_phone
            out.practitioner_of[rep_phone] = pid
            pipe.hset(keys.practitioner(caf), mapping={"name": f"Rep {caf}", "firm": "", "phone": rep_phone})
            pipe.sadd(keys.practitioner_cafs(), caf)
            auth = Authorization(caf, person_ref(tin), "2848", frozenset({"1040:2022"}), date(2026, 1, 5))
            pipe.hset(keys.authorization(f"sim-{pid}"), mapping=authorization_to_hash(auth))
            pipe.sadd(keys.taxpayer_authorizations(person_ref(tin)), f"sim-{pid}")
        elif rng.random() < 0.1:
            person.stated = (dtime(12, 0), rng.randrange(5))  # "not before noon; never on <a weekday>"
            stated = StatedTimes(person.stated[0], None, frozenset({person.stated[1]})).to_json()
            for i in range(n - len(person.phones), n):
                pipe.hset(keys.case_stated_times(f"SIM-{i:06d}"), "taxpayer", stated)
        if len(pipe) > 2000:
            pipe.execute()
    pipe.execute()

    for number in [*out.owner, *out.practitioner_of]:
        roll = rng.random()
        if roll < 0.08:
            out.press_9.add(number)
            emu.assign(number, Human(press=[KeyRule("press 9", "9", after=0.5)]))
        elif roll < 0.25:
            emu.assign(number, Human())
        elif roll < 0.5:
            emu.assign(number, AnsweringMachine(greeting_seconds=5))
        elif roll < 0.9:
            emu.assign(number, NoAnswerLine())
        else:
            emu.assign(number, BusyLine())
    return out


def drive(app, emu: Emulator, dialer, days: float, step: float = 600.0) -> int:
    """Tick the real dialer on the virtual clock for `days`; returns ticks run."""
    from ivr import clock

    clock.use(lambda: emu.engine.clock.datetime().timestamp())
    ticks = 0
    end = days * DAY
    try:
        while emu.engine.now() < end:
            while True:
                report = dialer.tick()
                ticks += 1
                emu.run(until=emu.engine.now() + 60)
                if not report.claimed:
                    break
            target = emu.engine.now() + step
            emu.run(until=target)
            emu.engine.clock.advance_to(target)
    finally:
        clock.use(None)
    return ticks


# --- the independent checker ---------------------------------------------------------------------------------
def check(emu: Emulator, out: Seed) -> dict[str, list[str]]:
    """Violations by rule, from the emulator's call log and the seed alone."""
    violations: dict[str, list[str]] = defaultdict(list)
    calls = sorted(
        (c for c in emu.store.calls.values() if c.direction.startswith("outbound")), key=lambda c: c.date_created
    )
    by_callee: dict[str, list] = defaultdict(list)  # person key → calls
    first_stop: dict[str, datetime] = {}
    conversations: dict[str, list[datetime]] = defaultdict(list)
    for call in calls:
        to, at = call.to, call.date_created
        area = to[2:5]
        for zone in AREA_ZONES[area]:
            local = at.astimezone(ZoneInfo(zone))
            if not dtime(8) <= local.time() < dtime(21):
                violations["calling_window"].append(f"{call.sid} {local:%a %H:%M} {zone}")
            if (
                local.weekday() not in WEEKDAYS
                or local.date() in FEDERAL_HOLIDAYS
                or local.date().isoformat() == CLOSED_DATE
            ):
                violations["office_days"].append(f"{call.sid} {local:%a %Y-%m-%d} {zone}")
        if to in out.dnc:
            violations["do_not_call"].append(call.sid)
        if to in out.wrong:
            violations["wrong_number"].append(call.sid)
        if to in first_stop and at >= first_stop[to]:
            violations["pressed_9"].append(call.sid)
        if to in out.owner:
            person = out.people[out.owner[to]]
            if person.represented_by:
                violations["represented"].append(call.sid)
            key = f"taxpayer:{person.pid}"
            not_before, never = person.stated
            for zone in AREA_ZONES[area]:
                local = at.astimezone(ZoneInfo(zone))
                if (not_before and local.time() < not_before) or local.weekday() == never:
                    violations["stated_times"].append(f"{call.sid} {local:%a %H:%M}")
        else:
            key = f"representative:{to}"
        for talked in conversations[key]:
            if talked <= at < talked + timedelta(days=7):
                violations["quiet_after_conversation"].append(call.sid)
        window = [c for c in by_callee[key] if c > at - timedelta(days=7)] + [at]
        if len(window) > 7:
            violations["reg_f_7_in_7"].append(call.sid)
        if key.startswith("taxpayer") and area in MASSACHUSETTS and len(window) > 2:
            violations["massachusetts_2_in_7"].append(call.sid)
        by_callee[key].append(at)
        if call.status == "completed" and call.answered_by == "human" and call.end_time:
            conversations[key].append(call.end_time)
            if to in out.press_9:
                first_stop.setdefault(to, call.end_time)
    return dict(violations)


def simulate(app, count: int, days: float, seed_value: int = 1, step: float = 600.0) -> dict:
    """Seed, dial for `days`, check; the figures and every violation found."""
    from ivr.dialer.batch import Dialer, DialerSettings
    from ivr.dialer.placing import TwilioPlacer
    from ivr.twilio_client import rest_client

    svc = app.extensions["acs"]
    emu = Emulator(svc.config.twilio_account_sid, svc.config.twilio_auth_token, clock=VirtualClock(START))
    emu.mount(svc.config.public_base_url, app)
    rng = random.Random(seed_value)
    out = seed(app, emu, count, rng)
    base = DialerSettings.from_config(svc.config)
    settings = DialerSettings(**{**base.__dict__, "max_cps": 1e6, "concurrency": 1, "batch_size": 500})
    placer = TwilioPlacer(rest_client(svc.config, http_client=WsgiHttpClient(emu.wsgi_app)), svc.config, 25)
    dialer = Dialer(svc.redis, svc.keys, placer, settings)
    started = time.perf_counter()
    try:
        ticks = drive(app, emu, dialer, days, step)
    finally:
        dialer.close()
    violations = check(emu, out)
    calls = [c for c in emu.store.calls.values() if c.direction.startswith("outbound")]
    return {
        "cases": count,
        "days": days,
        "ticks": ticks,
        "calls": len(calls),
        "zones": sorted({z for area in AREA_ZONES for z in AREA_ZONES[area]}),
        "answered_by_human": sum(1 for c in calls if c.answered_by == "human"),
        "seconds": round(time.perf_counter() - started, 1),
        "violations": {rule: len(found) for rule, found in violations.items()},
        "examples": {rule: found[:3] for rule, found in violations.items()},
    }


SIM_ENV = {
    "PUBLIC_BASE_URL": "https://acs.sim.test",
    "TWILIO_ACCOUNT_SID": "AC" + "c" * 32,
    "TWILIO_AUTH_TOKEN": "sim-token",
    "ACS_FROM_NUMBER": "+18008293903",
    "ACS_SECRET_KEY": "sim",
    "ACS_CLOSED_DATES": CLOSED_DATE,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from bench._support import private_redis
    from ivr import create_app
    from ivr.config import Config

    with private_redis() as url:
        app = create_app(Config.from_env({**SIM_ENV, "REDIS_URL": url}))
        result = simulate(app, args.cases, args.days, args.seed)
        app.extensions["acs"].redis.close()
    print(json.dumps(result, indent=2))
    return 0 if not result["violations"] else 1


if __name__ == "__main__":
    sys.exit(main())
