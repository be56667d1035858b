"""`acs why` (may this case be called, whom, and why) and `acs dnc …` / `acs import dnc` (the do-not-call list)."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from ivr import clock
from ivr.cases.phones import InvalidPhone, mask_phone, normalize_phone
from ivr.cases.tin import redact
from ivr.config import ConfigError
from ivr.data_key import DataKeyError
from ivr.dialer.dnc import DncRecord, DoNotCall
from ivr.services import Services, services_from_env

if TYPE_CHECKING:  # the engine (holidays, zones) loads only for the commands that use it: `acs` starts fast
    from ivr.dialer import compliance


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _services() -> Services:
    try:
        return services_from_env()
    except (DataKeyError, ConfigError):
        raise  # one line with README's exit status, as for every command (ivr.cli.AcsGroup)
    except (ValueError, RuntimeError) as error:
        _fail(f"acs: {error}")
        raise  # unreachable


def _audit(svc: Services, action: str, **detail) -> None:
    """The console's audit stream, so CLI changes to who may be called are attributed like console ones."""
    from ivr.console.audit import AuditLog  # console-side log; imported lazily to keep `acs why` light

    AuditLog(svc.redis, svc.keys).record(f"cli:{getpass.getuser()}", action, **detail)


def explain(svc: Services, case_id: str, at: float, as_of: bool = False) -> compliance.Decision | None:
    """The engine's decision for one case at `at`, from the same facts the dialer reads; `as_of`: from the calls
    placed at or before `at` only (an instant given with --at)."""
    from ivr.dialer.compliance_settings import ComplianceSettings
    from ivr.dialer.facts import decide_case

    settings = ComplianceSettings.from_env(svc.config.extra)
    return decide_case(svc.redis, svc.keys, case_id, at, settings, as_of=as_of)


@click.command()
@click.argument("case_or_crn")
@click.option(
    "--at",
    "at_text",
    default=None,
    help="ISO 8601 instant to judge (default: now); naive means UTC; calls placed after it do not count",
)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def why(case_or_crn: str, at_text: str | None, as_json: bool) -> None:
    """Say whether the dialer may call a case now (or --at), whom, and every rule's reason."""
    from ivr.cases.view import find_case

    if at_text:
        try:
            when = datetime.fromisoformat(at_text)
        except ValueError:
            _fail(f"acs why: --at {at_text!r} is not an ISO 8601 date-time (e.g. 2026-12-02T15:00:00-05:00)")
        at = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    else:
        at = clock.now()
    svc = _services()
    case, _crn = find_case(svc.store, case_or_crn)
    if case is None:
        _fail(f"acs why: no case for {redact(case_or_crn)!r} (check the CRN's digits or the case id)")
    try:
        decision = explain(svc, case.case_id, at, as_of=at_text is not None)
    except ValueError as error:
        _fail(f"acs why: {error}")
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(render(decision))


def render(decision: compliance.Decision) -> str:
    from ivr.dialer.compliance import iso

    contact = decision.contact.to_dict() if decision.contact else {}
    kind, name = contact.get("kind", "?"), contact.get("name") or ""
    # The taxpayer's contact name is already "the taxpayer": say it once ("the taxpayer at …").
    person = name if kind in name.split() else f"{kind} {name}".strip()
    who = f"{person} at {contact.get('phone') or 'no number'}"
    verdict = "may be called" if decision.allowed else "may NOT be called"
    lines = [f"Case {decision.case_id} {verdict} at {iso(decision.at)} ({who})"]
    if not decision.allowed:
        nxt = decision.next_allowed
        lines.append(f"Next allowed: {iso(nxt) if nxt is not None else 'never (until a record changes)'}")
    lines += [f"  [{'ok' if r.ok else 'NO'}] {r.rule}: {r.detail}" for r in decision.rules]
    return "\n".join(lines)


@click.group()
def dnc() -> None:
    """The do-not-call list (numbers never dialled, whoever owns them)."""


def _phone(text: str) -> str:
    try:
        return normalize_phone(text)
    except InvalidPhone as error:
        _fail(f"acs dnc: {error}")
        raise


@dnc.command("add")
@click.argument("phone")
@click.option("--reason", default="", help="why (free text; anything shaped like an SSN/EIN is masked)")
def dnc_add(phone: str, reason: str) -> None:
    """Never call PHONE again (from the dialer's next attempt on)."""
    number = _phone(phone)
    svc = _services()
    record = DncRecord(f"cli:{getpass.getuser()}", "cli", clock.now(), redact(" ".join(reason.split()))[:200])
    added = DoNotCall(svc.redis, svc.keys).add(number, record)
    _audit(svc, "dnc_add", phone=mask_phone(number))
    click.echo(f"{number}: {'added to' if added else 'already on'} the do-not-call list")


@dnc.command("remove")
@click.argument("phone")
def dnc_remove(phone: str) -> None:
    """Take PHONE off the do-not-call list."""
    number = _phone(phone)
    svc = _services()
    removed = DoNotCall(svc.redis, svc.keys).remove(number)
    _audit(svc, "dnc_remove", phone=mask_phone(number))
    if not removed:
        _fail(f"{number}: not on the do-not-call list")
    click.echo(f"{number}: removed from the do-not-call list")


@dnc.command("list")
@click.argument("phone", required=False)
@click.option("--json", "as_json", is_flag=True)
def dnc_list(phone: str | None, as_json: bool) -> None:
    """Show PHONE's record, or every listed number."""
    svc = _services()
    store = DoNotCall(svc.redis, svc.keys)
    if phone:
        number = _phone(phone)
        record = store.get(number)
        rows = [(number, record)] if record else []
        if not rows:
            _fail(f"{number}: not on the do-not-call list")
    else:
        rows = sorted(store.numbers())
    if as_json:
        click.echo(json.dumps([{"phone": p, **r.__dict__} for p, r in rows], indent=2))
        return
    for number, record in rows:
        click.echo(f"{number}  {record.describe()}")


def import_dnc(path: str) -> None:
    """`acs import dnc FILE`: all rows or none."""
    from ivr.dialer.dnc_csv import read_dnc_csv

    parsed = read_dnc_csv(path)
    if not parsed.ok:
        for error in parsed.errors:
            click.echo(f"{path}: {error}", err=True)
        _fail(f"{path}: nothing imported ({len(parsed.errors)} error(s))")
    svc = _services()
    now = clock.now()
    who = f"cli:{getpass.getuser()}"
    added = DoNotCall(svc.redis, svc.keys).add_many((p, DncRecord(who, "import", now, r)) for p, r in parsed.rows)
    _audit(svc, "dnc_import", rows=len(parsed.rows), added=added)
    rows = len(parsed.rows)
    click.echo(f"{path}: {rows} number{'' if rows == 1 else 's'} imported ({added} new, {rows - added} already listed)")
