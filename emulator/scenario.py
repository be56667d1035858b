"""Scenario files: numbers, parties, callers, employees and expectations, run on a virtual clock.

A scenario is a YAML (or JSON) mapping; see emulator/README.md for the format. `run_scenario` builds an
`Emulator`, points it at the app (in-process WSGI or a URL), runs to completion and checks the expectations.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import yaml

from emulator import recording
from emulator.emulator import Emulator
from emulator.errors import TwilioError
from emulator.parties import make_party
from emulator.scenario_schema import Check, ScenarioError, require_events, validate

DEFAULT_APP_URL = "http://127.0.0.1:5000"
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class ScenarioResult:
    name: str
    emulator: Emulator
    passed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    events: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def report(self) -> str:
        lines = [f"scenario {self.name}: {'PASSED' if self.ok else 'FAILED'}", ""]
        lines.append(self.emulator.transcript.to_text())
        lines.append("")
        lines += [f"  ok    {p}" for p in self.passed]
        lines += [f"  FAIL  {f}" for f in self.failures]
        return "\n".join(lines)

    def to_json(self) -> dict:
        import json

        return {
            "name": self.name,
            "ok": self.ok,
            "passed": self.passed,
            "failures": self.failures,
            "events": self.events,
            "errors": self.emulator.errors,
            "webhooks": self.emulator.webhook_log(),
            "transcript": json.loads(self.emulator.transcript.to_json()),
        }


def load_scenario(source: str | Path | dict, extra: Mapping[str, Check] | None = None) -> dict:
    """Read a scenario from a mapping, a file path, or YAML/JSON text; ScenarioError (one line) if it is not one.

    `extra` adds the sections a particular runner reads (acs simulate's `dial:`, `sample_data:`), with their checks.
    """
    if isinstance(source, dict):
        return validate(source, "scenario", extra)
    path, text = _read(source)
    label = str(path) if path else "scenario"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(f"{label}: not valid YAML or JSON: {_parse_problem(error)}") from None
    validate(data, label, extra)
    data.setdefault("name", path.stem if path else "scenario")
    return data


def _read(source: str | Path) -> tuple[Path | None, str]:
    """The file `source` names and its text, or (None, `source`) when it is scenario text itself."""
    if isinstance(source, str) and ("\n" in source or not (source.endswith(SCENARIO_SUFFIXES) or _exists(source))):
        return None, source
    path = Path(source)
    try:
        return path, path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a directory, not a scenario file") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read it ({error.strerror})") from None


def _exists(name: str) -> bool:
    try:
        return Path(name).exists()
    except (OSError, ValueError):  # a long line of text, or one with a NUL, is no file name
        return False


def _parse_problem(error: yaml.YAMLError) -> str:
    """Where and what the parser found, 1-based like an editor: `line 2, column 1: expected ',' or ']'...`."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and context_mark and context_mark != mark:
        problem += f" ({context} opened at line {context_mark.line + 1}, column {context_mark.column + 1})"
    return where + problem


def build(spec: dict, emu: Emulator, app_url: str) -> None:
    """Register numbers, parties, callers and calls of `spec` on `emu`."""

    def url(value: str | None) -> str | None:
        return urljoin(app_url.rstrip("/") + "/", value.lstrip("/")) if value and "://" not in value else value

    for number, conf in (spec.get("numbers") or {}).items():
        conf = conf if isinstance(conf, dict) else {"voice_url": conf}
        fields = {k: v for k, v in conf.items() if k != "voice_url"}
        if "status_callback" in fields:
            fields["status_callback"] = url(fields["status_callback"])
        emu.add_number(str(number), url(conf.get("voice_url")), **fields)
    for number, profile in (spec.get("parties") or {}).items():
        emu.assign(str(number), make_party(profile))
    for caller in spec.get("callers") or []:
        caller = dict(caller)
        from_, to, at = str(caller.pop("from")), str(caller.pop("to")), float(caller.pop("at", 0))
        emu.dial_in(from_, to, make_party({"type": "caller", **caller}), at=at)
    for index, employee in enumerate(spec.get("employees") or []):
        employee = dict(employee)
        number, at = str(employee.pop("number")), float(employee.pop("at", 0))
        call_from = str(employee.pop("from", spec.get("caller_id", "+18005550100")))
        agent_url = url(employee.pop("url", "/voice/agent"))
        emu.assign(number, make_party({"type": "employee", **employee}))
        with _refused("employees", index):
            emu.create_call(number, call_from, url=agent_url, at=at)
    for step in spec.get("http") or []:
        step = dict(step)
        at = float(step.pop("at", 0))
        emu.engine.schedule_at(at, _http_step, emu, url(step["url"]), step.get("method", "POST"), step.get("data"))
    for index, call in enumerate(spec.get("calls") or []):
        call = dict(call)
        at = float(call.pop("at", 0))
        for key in ("url", "status_callback", "async_amd_status_callback"):
            if key in call:
                call[key] = url(call[key])
        with _refused("calls", index):
            emu.create_call(str(call.pop("to")), str(call.pop("from")), at=at, **call)


@contextmanager
def _refused(section: str, index: int):
    """A call the REST API would refuse (a bad number, no url...) is the scenario's mistake: ScenarioError."""
    try:
        yield
    except TwilioError as error:
        problem = f"Twilio would refuse this call: {error.code} {error.message}"
        raise ScenarioError(f"{section}[{index}]: {problem}") from None


def _http_step(emu: Emulator, url: str, method: str, data: dict | None) -> None:
    """A scenario's `http:` step: an operator action on the app (e.g. a console's Transfer button)."""
    result = emu.transport.fetch(method, url, {k: str(v) for k, v in (data or {}).items()})
    emu.record_webhook(types.SimpleNamespace(label="scenario", sid=""), "http-step", result)
    emu.transcript.add(emu.engine.now(), "scenario", "", "http", f"{method} {url} -> {result.status or result.error}")


def make_app(spec: dict, emu: Emulator):
    """The in-process app of a scenario's `app: module:factory`, built with the emulator's SDK client."""
    module_name, _, factory = str(spec["app"]).partition(":")
    build_app = getattr(importlib.import_module(module_name), factory or "create_app")
    return build_app(emu.sdk_client(), emu.auth_token, **(spec.get("app_settings") or {}))


def run_scenario(
    source: str | Path | dict,
    app_url: str | None = None,
    wsgi_app=None,
    account_sid: str | None = None,
    auth_token: str | None = None,
    emulator: Emulator | None = None,
    setup: Callable[[Emulator, dict], None] | None = None,
    in_process: bool = False,
    extra: Mapping[str, Check] | None = None,
) -> ScenarioResult:
    """Run a scenario to completion on a virtual clock and check its expectations.

    With `in_process` and an `app: module:factory` in the scenario, that app is built (`make_app`) and mounted.
    `setup(emulator, spec)` runs after the scenario's own parties and calls are registered and before the
    clock starts: the place for an app to schedule its own actions (e.g. a dialer tick) on the engine; without
    it a scenario must have callers, employees, calls or http steps. `extra`: see `load_scenario`.
    """
    spec = load_scenario(source, extra)
    named_file = isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and _exists(source))
    label = str(source) if named_file else f"scenario {spec.get('name', '')}".strip()
    if setup is None:
        require_events(spec, label)
    app_url = app_url or spec.get("app_url") or DEFAULT_APP_URL
    emu = emulator or Emulator(account_sid=account_sid, auth_token=auth_token)
    if wsgi_app is None and spec.get("app") and in_process:
        wsgi_app = make_app(spec, emu)
    if wsgi_app is not None:
        emu.mount(app_url, wsgi_app)
    try:
        build(spec, emu, app_url)
    except ScenarioError as error:
        raise ScenarioError(f"{label}: {error.message}") from None
    if setup is not None:
        setup(emu, spec)
    result = ScenarioResult(str(spec.get("name", "scenario")), emu)
    result.events = emu.run(until=float(spec.get("until", 4 * 3600)))
    for expectation in spec.get("expect") or []:
        description, ok = check(emu, expectation)
        (result.passed if ok else result.failures).append(description)
    return result


# -- expectations ----------------------------------------------------------------------------------------
def _contains(haystack: list[str], needle: str) -> bool:
    return any(needle.lower() in item.lower() for item in haystack)


def _leg_check(attr: Callable[[Any], Any], test: Callable[[Any, Any], bool]) -> Callable:
    return lambda leg, value: test(attr(leg), value)


LEG_CHECKS: dict[str, Callable] = {
    "heard": _leg_check(lambda leg: leg.heard, _contains),
    "not_heard": _leg_check(lambda leg: leg.heard, lambda heard, v: not _contains(heard, v)),
    "pressed": _leg_check(lambda leg: "".join(leg.pressed), lambda pressed, v: str(v) in pressed),
    "queue_result": _leg_check(lambda leg: leg.queue_results, lambda results, v: v in results),
    "dial_status": _leg_check(lambda leg: leg.dial_statuses, lambda statuses, v: v in statuses),
    "status": _leg_check(lambda leg: leg.record.status, lambda status, v: status == v),
    "answered_by": _leg_check(lambda leg: leg.record.answered_by, lambda by, v: by == v),
    "recorded": _leg_check(lambda leg: leg.recorded, _contains),
    "no_errors": _leg_check(lambda leg: leg.errors, lambda errors, v: bool(v) == (not errors)),
    "error_code": _leg_check(lambda leg: [e["code"] for e in leg.errors], lambda codes, v: int(v) in codes),
    "spoke": _leg_check(lambda leg: leg.spoken, _contains),
    "warning_code": _leg_check(lambda leg: [w["code"] for w in leg.warnings], lambda codes, v: int(v) in codes),
    "conference": _leg_check(lambda leg: leg.conferences, _contains),
    "talked_with": _leg_check(lambda leg: leg.talked_with, lambda met, v: set(_names(v)) <= met),
    "not_talked_with": _leg_check(lambda leg: leg.talked_with, lambda met, v: not set(_names(v)) & met),
    "held": _leg_check(lambda leg: leg.holds, lambda holds, v: bool(holds) == bool(v)),
    "recording": _leg_check(lambda leg: [r.text for r in recording.for_call(leg.emu, leg.sid)], _contains),
    "recordings": _leg_check(lambda leg: len(recording.for_call(leg.emu, leg.sid)), lambda n, v: n == int(v)),
}


def _names(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def check(emu: Emulator, expectation: dict) -> tuple[str, bool]:
    """Evaluate one expectation; return its description and whether it holds."""
    expectation = dict(expectation)
    description = ", ".join(f"{k}={v}" for k, v in expectation.items())
    if "webhooks" in expectation:
        bad = [w for w in emu.webhook_log() if not (200 <= w["status"] < 300) or w["error"]]
        return description + (f" (got {[(w['url'], w['status']) for w in bad]})" if bad else ""), not bad
    if "no_errors" in expectation and "leg" not in expectation:
        return description + (f" (got {emu.errors})" if emu.errors else ""), not emu.errors
    name = expectation.pop("leg", None)
    if name is None or name not in emu.labels:
        return description + f" (no leg named {name!r}; legs: {sorted(emu.labels)})", False
    leg = emu.leg(name)
    for key, value in expectation.items():
        test = LEG_CHECKS.get(key)
        if test is None:
            return description + f" (unknown expectation {key!r})", False
        if not test(leg, value):
            return description + f" (leg has {_actual(leg, key)})", False
    return description, True


def _actual(leg, key: str) -> Any:
    return {
        "heard": leg.heard,
        "not_heard": leg.heard,
        "pressed": leg.pressed,
        "queue_result": leg.queue_results,
        "dial_status": leg.dial_statuses,
        "status": leg.record.status,
        "answered_by": leg.record.answered_by,
        "recorded": leg.recorded,
        "no_errors": leg.errors,
        "error_code": leg.errors,
        "spoke": leg.spoken,
        "warning_code": leg.warnings,
        "conference": leg.conferences,
        "talked_with": sorted(leg.talked_with),
        "not_talked_with": sorted(leg.talked_with),
        "held": leg.holds,
        "recording": [r.text for r in recording.for_call(leg.emu, leg.sid)],
        "recordings": len(recording.for_call(leg.emu, leg.sid)),
    }.get(key)
