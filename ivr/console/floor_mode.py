"""A campaign's pacing mode, as a manager chooses it (the floor view's form and `acs floor mode`).

The mode is one field in Redis (`Floor.set_mode`); the paced dialer reads it on every tick, so a change takes effect
on the next one. Whatever the mode, nobody signed in means the agentless message mode (`pacing.pacer_for`).
"""

from __future__ import annotations

from ivr.cases.tin import redact
from ivr.console.audit import AuditLog
from ivr.dialer.floor import Floor
from ivr.dialer.pacing import MODES, pacer_for

DEFAULT_MODE = "predictive"
#: What each mode does, for the console's form and the CLI's help (in the order offered).
MODE_HELP = {
    "preview": "the employee sees the case and clicks to dial; the dialer places nothing itself",
    "progressive": "one call per ready employee: no abandoned calls, more time waiting",
    "predictive": "paces to the employees about to come free within the abandonment limit (the default)",
    "message": "agentless: the message + press 1, whoever is signed in (press-1 callers join the inbound queue)",
}


class UnknownMode(ValueError):
    pass


def current_mode(floor: Floor) -> str:
    return floor.mode() or DEFAULT_MODE


def in_effect(mode: str, signed_in: int) -> str:
    """The mode the next tick paces by (the pacer's own choice: the chosen one, or message when nobody is signed
    in)."""
    return pacer_for(mode, signed_in).name


def change_mode(floor: Floor, audit: AuditLog, who: str, mode: str) -> tuple[str, str]:
    """Set the campaign's mode (validated first: an unknown one writes nothing) and audit it; (previous, chosen)."""
    chosen = mode.strip().lower()
    if chosen not in MODES:
        shown = redact(mode.strip()[:32])  # echo what was typed, never an SSN/EIN typed by mistake
        raise UnknownMode(f"unknown pacing mode {shown!r}: choose one of {', '.join(MODE_HELP)}")
    previous = current_mode(floor)
    floor.set_mode(chosen)
    audit.record(who, "floor_mode", campaign=floor.campaign, mode=chosen, previous=previous)
    return previous, chosen
