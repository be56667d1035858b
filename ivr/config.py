"""Settings, read once from the environment (README and .env.example document each variable)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_CALLBACK_NUMBERS = "+18008293903,+18008297650"


def _split_numbers(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable (commands print it as one line)."""


def number_setting(env: Mapping[str, str], name: str, default, kind=float, minimum: float | None = None):
    """`env[name]` read as `kind` (int or float), `default` when unset or empty; ConfigError naming it when it is
    not such a number or is below `minimum` (a silent fallback would hide the typo until it mattered)."""
    value = env.get(name)
    if value is None or value == "":
        return default
    bound = "" if minimum is None else f" ≥ {minimum:g}"
    what = ("a whole number" if kind is int else "a number") + bound
    try:
        number = kind(value)
    except ValueError:
        raise ConfigError(f"{name} must be {what}, not {value!r}") from None
    if minimum is not None and not number >= minimum:  # `not >=` also refuses NaN
        raise ConfigError(f"{name} must be {what}, not {value!r}")
    return number


@dataclass(frozen=True)
class Config:
    redis_url: str | None = None
    data_dir: str = "./var"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_api_base: str | None = None
    public_base_url: str | None = None
    from_number: str | None = None
    callback_numbers: tuple[str, ...] = field(default_factory=lambda: _split_numbers(DEFAULT_CALLBACK_NUMBERS))
    gather_timeout: int = 6
    queue_name: str = "acs"
    hold_music_url: str | None = None
    secret_key: str | None = None
    key_prefix: str = "acs"
    crn_lookups_per_minute: int = 10
    data_key: str | None = field(default=None, repr=False)
    previous_data_key: str | None = field(default=None, repr=False)
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, overrides: Mapping[str, str] | None = None) -> Config:
        """Build from os.environ, with `overrides` (same variable names) taking precedence — tests pass these."""
        env: dict[str, str] = {**os.environ, **(overrides or {})}

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else None

        return cls(
            redis_url=get("REDIS_URL"),
            data_dir=get("ACS_DATA_DIR") or "./var",
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_api_base=get("TWILIO_API_BASE"),
            public_base_url=(get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            from_number=get("ACS_FROM_NUMBER"),
            callback_numbers=_split_numbers(get("ACS_CALLBACK_NUMBERS") or DEFAULT_CALLBACK_NUMBERS),
            gather_timeout=number_setting(env, "ACS_GATHER_TIMEOUT", 6, int),
            queue_name=get("ACS_QUEUE_NAME") or "acs",
            hold_music_url=get("ACS_HOLD_MUSIC_URL"),
            secret_key=get("ACS_SECRET_KEY"),
            key_prefix=get("ACS_KEY_PREFIX") or "acs",
            crn_lookups_per_minute=number_setting(env, "ACS_CRN_LOOKUPS_PER_MINUTE", 10, int),
            data_key=get("ACS_DATA_KEY"),
            previous_data_key=get("ACS_PREVIOUS_DATA_KEY"),
            extra={k: v for k, v in env.items() if k.startswith("ACS_")},
        )

    def public_url(self, path: str) -> str:
        """Absolute URL Twilio should call for `path` (PUBLIC_BASE_URL + path)."""
        if not self.public_base_url:
            raise RuntimeError("PUBLIC_BASE_URL is not set: Twilio cannot reach the webhooks without it")
        return self.public_base_url + path
