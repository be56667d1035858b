"""The shape of a scenario file, checked before anything runs.

A mistyped key or a section of the wrong kind would otherwise be ignored (the scenario "passes" having done
nothing) or fail halfway through with a traceback; here it is one line naming the file, the section and the key.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

import click

from emulator.emulator import Emulator
from emulator.parties import PROFILES, make_party
from emulator.resources import IncomingNumber

#: A check reads one value and returns what is wrong with it, or None.
Check = Callable[[Any], "str | None"]


class ScenarioError(click.ClickException, ValueError):
    """A scenario that cannot run. Click prints it as one line (`Error: FILE: problem`), exit status 2, the
    status of a bad argument; exit 1 stays "an expectation failed". A ValueError for library callers."""

    exit_code = 2


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", type(None): "empty"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be text, not {_kind(value)}"


def scalar(value: Any) -> str | None:
    return None if isinstance(value, str | int | float) and not isinstance(value, bool) else "must be text"


def flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, not {_kind(value)}"


def seconds(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return f"must be a number of seconds ≥ 0, not {value!r}"
    return None


def mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"must be a mapping, not {_kind(value)}"


def fields(entry: dict, required: tuple[str, ...], allowed: set[str] | None, numbers: tuple[str, ...] = ("at",)):
    """What is wrong with one mapping entry: a missing required key, a key not in `allowed`, a bad number."""
    missing = [key for key in required if key not in entry]
    if missing:
        return f"missing {', '.join(repr(key) for key in missing)}"
    unknown = sorted(str(key) for key in entry if allowed is not None and key not in allowed)
    if unknown:
        return f"unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
    for key in numbers:
        if key in entry and (problem := seconds(entry[key])):
            return f"{key} {problem}"
    return None


def entries(check_entry: Check) -> Check:
    """A check for a list of mappings, each read by `check_entry`; a problem names the entry's index."""

    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"must be a list of entries, not {_kind(value)}"
        for index, entry in enumerate(value):
            problem = mapping(entry) or check_entry(entry)
            if problem:
                return f"[{index}]: {problem}"
        return None

    return check


def _rules(required: tuple[str, ...]) -> Check:
    return entries(lambda rule: fields(rule, required, None, ()))


#: The rule lists a party may carry, each checked for the keys its rules need.
RULE_LISTS = {
    "press": _rules(("heard", "digits")),
    "press_after": _rules(("after", "digits")),
    "say": _rules(("heard", "text")),
    "say_after": _rules(("text",)),
}
#: A party's timers (Party and its profiles), in seconds.
PARTY_SECONDS = (
    "hangup_after",
    "hangup_after_in_queue",
    "ring_seconds",
    "talk_seconds",
    "greeting_seconds",
    "max_message_seconds",
)


def party(spec: dict) -> str | None:
    """What is wrong with a party profile, found by building it (`make_party` is pure)."""
    kind = spec.get("type", "human")
    if kind not in PROFILES:
        return f"type {kind!r} is not one of {', '.join(PROFILES)}"
    for key, check in RULE_LISTS.items():
        if key in spec and (problem := check(spec[key])):
            return f"{key}{problem}"
    for key in PARTY_SECONDS:
        if spec.get(key) is not None and (problem := seconds(spec[key])):
            return f"{key} {problem}"
    try:
        make_party(spec)
    except TypeError as error:
        unknown = re.search(r"unexpected keyword argument '(\w+)'", str(error))
        return f"unknown key {unknown.group(1)!r} for a {kind} party" if unknown else str(error)
    except ValueError as error:
        return str(error)
    return None


#: What a `numbers:` entry may set (IncomingPhoneNumbers' settable fields).
_NUMBER_KEYS = set(inspect.signature(IncomingNumber).parameters) - {
    "sid",
    "account_sid",
    "phone_number",
    "date_created",
}


def _numbers(value: Any) -> str | None:
    for number, conf in value.items() if isinstance(value, dict) else ():
        problem = None if isinstance(conf, str) else mapping(conf) or fields(conf, (), _NUMBER_KEYS, ())
        if problem:
            return f"{number!r}: {problem}"
    return mapping(value)


def _parties(value: Any) -> str | None:
    for number, profile in value.items() if isinstance(value, dict) else ():
        problem = mapping(profile) or party(profile)
        if problem:
            return f"{number!r}: {problem}"
    return mapping(value)


def _caller(entry: dict) -> str | None:
    rest = {k: v for k, v in entry.items() if k not in ("from", "to", "at")}
    return fields(entry, ("from", "to"), None) or party({"type": "caller", **rest})


def _employee(entry: dict) -> str | None:
    rest = {k: v for k, v in entry.items() if k not in ("number", "at", "from", "url")}
    return fields(entry, ("number",), None) or party({"type": "employee", **rest})


_CALL_KEYS = {"from", "at"} | set(inspect.signature(Emulator.create_call).parameters) - {"self", "from_"}


def optional(check: Check) -> Check:
    """`check`, except that an empty section (`callers:` with nothing under it) is as if it were not given."""
    return lambda value: None if value is None else check(value)


#: The top-level keys every scenario runner reads, each with its check.
SECTIONS: dict[str, Check] = {
    "name": scalar,
    "description": text,
    "app_url": text,
    "until": seconds,
    "caller_id": text,
    "numbers": optional(_numbers),
    "parties": optional(_parties),
    "callers": optional(entries(_caller)),
    "employees": optional(entries(_employee)),
    "calls": optional(entries(lambda entry: fields(entry, ("to", "from"), _CALL_KEYS))),
    "http": optional(entries(lambda entry: fields(entry, ("url",), {"url", "method", "data", "at"}))),
    "expect": optional(entries(lambda entry: None)),
    "app": text,
    "app_settings": optional(mapping),
}

#: Sections that make something happen; a scenario with none of them would "pass" having done nothing.
EVENT_SECTIONS = ("callers", "employees", "calls", "http")


def validate(spec: Any, label: str, extra: Mapping[str, Check] | None = None) -> dict:
    """`spec` if it is a scenario `SECTIONS` (and a runner's `extra` sections) can read, else ScenarioError."""
    if not isinstance(spec, dict):
        raise ScenarioError(f"{label}: a scenario must be a mapping of sections, not {_kind(spec)}")
    if not spec:
        raise ScenarioError(f"{label}: the scenario is empty (see emulator/README.md, 'Scenario files')")
    sections = {**SECTIONS, **(extra or {})}
    for key, value in spec.items():
        check = sections.get(key)
        if check is None:
            raise ScenarioError(f"{label}: unknown key {key!r} (a scenario has: {', '.join(sorted(sections))})")
        problem = check(value)
        if problem:
            raise ScenarioError(f"{label}: {key}{'' if problem.startswith('[') else ' '}{problem}")
    return spec


def require_events(spec: dict, label: str, also: tuple[str, ...] = ()) -> None:
    """Refuse a scenario in which nothing happens (no EVENT_SECTIONS, nor a runner's `also`): it would pass
    without testing anything."""
    sections = EVENT_SECTIONS + also
    if not any(spec.get(key) for key in sections):
        raise ScenarioError(f"{label}: nothing happens (no {', '.join(sections)})")
