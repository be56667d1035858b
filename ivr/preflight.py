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
    """Without the token or the public URL no webhook signature can be checked: every /voice request would be 403."""
    if not config.twilio_auth_token:
        return (
            "acs serve: TWILIO_AUTH_TOKEN is not set, so every /voice webhook would be refused (403): "
            "set it to your account's auth token (or what `acs emulator` prints) and start again"
        )
    if not config.public_base_url:
        return (
            "acs serve: PUBLIC_BASE_URL is not set, so every /voice webhook would be refused (403): "
            "set it to the https URL Twilio reaches this app at (e.g. your ngrok URL) and start again"
        )
    return None


def web_settings_problem(config: Config, command: str) -> str | None:
    """The request-size limit and the console's idle timeout, read as create_app reads them: a bad one is named
    now, not met by every gunicorn worker as it boots."""
    from ivr.console.sessions import idle_minutes
    from ivr.request_limits import max_request_bytes

    try:
        max_request_bytes(config)
        idle_minutes(config)
    except ValueError as error:
        return f"{command}: {error}"
    return None


#: What each phone setting must hold (Twilio dials from the one and the messages speak the others).
PHONE_SETTINGS = {
    "ACS_FROM_NUMBER": "an E.164 phone number such as +12025550100",
    "ACS_CALLBACK_NUMBERS": "E.164 phone numbers, comma-separated, such as +18008293903,+18008297650",
}


def phone_settings_problem(config: Config, command: str) -> str | None:
    """Caller ID and the callback numbers, checked with phonenumbers as the importer checks a case's phone."""
    if not config.callback_numbers:  # "," alone: the messages would give the caller no number to call back
        return f"{command}: ACS_CALLBACK_NUMBERS must be {PHONE_SETTINGS['ACS_CALLBACK_NUMBERS']}, not empty"
    named = [("ACS_FROM_NUMBER", config.from_number)] if config.from_number else []
    named += [("ACS_CALLBACK_NUMBERS", number) for number in config.callback_numbers]
    for name, number in named:
        e164 = _as_e164(number)
        if e164 != number:
            hint = f" (write it {e164})" if e164 else ""
            return f"{command}: {name} must be {PHONE_SETTINGS[name]}, not {number!r}{hint}"
    return None


def _as_e164(text: str) -> str | None:
    from ivr.cases.phones import InvalidPhone, normalize_phone

    try:
        return normalize_phone(text)
    except InvalidPhone:
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
    return phone_settings_problem(config, command)


def require(problem: str | None) -> None:
    """Stop the command with `problem` as its one line (exit status 1) when there is one."""
    if problem:
        raise NotConfigured(problem)
