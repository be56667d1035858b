"""Configuration checks a command makes before it starts, so a missing setting is one clear line, not a
silent 403 on every webhook or a traceback per job."""

from __future__ import annotations

from ivr.config import Config

#: What placing calls needs: the account, caller ID and a URL Twilio can call back.
DIALING_SETTINGS = {
    "TWILIO_ACCOUNT_SID": lambda c: c.twilio_account_sid,
    "TWILIO_AUTH_TOKEN": lambda c: c.twilio_auth_token,
    "ACS_FROM_NUMBER": lambda c: c.from_number,
    "PUBLIC_BASE_URL": lambda c: c.public_base_url,
}


class NotConfigured(SystemExit):
    """Exit status 1 with the one-line message on stderr (what SystemExit does with a string)."""


def serve_problem(config: Config) -> str | None:
    if not config.twilio_auth_token:
        return (
            "acs serve: TWILIO_AUTH_TOKEN is not set, so every /voice webhook would be refused (403): "
            "set it to your account's auth token (or what `acs emulator` prints) and start again"
        )
    return None


def dialing_problem(config: Config, command: str) -> str | None:
    missing = [name for name, read in DIALING_SETTINGS.items() if not read(config)]
    if missing:
        return f'{command}: cannot place calls without {", ".join(missing)} (see README "Configuration")'
    return None


def settings_problem(config: Config, command: str) -> str | None:
    """Every dialing and voice setting read the way the jobs and webhooks read it: a bad one is named now, in one
    line, instead of failing each dialer tick with a traceback (or each outbound webhook with a 500)."""
    from ivr.dialer.batch import DialerSettings
    from ivr.dialer.floor import FloorSettings
    from ivr.dialer.reconcile import ReconcileSettings
    from ivr.voice.limited_content import LimitedContent

    try:
        DialerSettings.from_config(config)  # also the policy, the compliance rules and their files
        FloorSettings.from_env(config.extra)
        ReconcileSettings.from_env(config.extra)
        LimitedContent.from_env(config.extra)
    except ValueError as error:
        return f"{command}: {error}"
    return None


def require(problem: str | None) -> None:
    """Stop the command with `problem` as its one line (exit status 1) when there is one."""
    if problem:
        raise NotConfigured(problem)
