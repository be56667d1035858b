"""The one way acs-ivr builds a `twilio.rest.Client`: real Twilio, or the emulator when TWILIO_API_BASE is set."""

from __future__ import annotations

from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr.config import Config

# A REST request that hangs must not hold a dialer worker or a console page forever.
REQUEST_TIMEOUT_SECONDS = 15.0


class TwilioNotConfigured(RuntimeError):
    pass


def rest_client(config: Config, http_client: HttpClient | None = None) -> Client:
    """A client for the configured account; TWILIO_API_BASE (the local emulator) replaces api.twilio.com.

    `http_client` lets tests and benchmarks answer in-process (emulator.sdk.WsgiHttpClient). Build one per
    process and reuse it: the SDK keeps a connection pool per client.
    """
    if not (config.twilio_account_sid and config.twilio_auth_token):
        raise TwilioNotConfigured("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required to use the Twilio API")
    if http_client is None and config.twilio_api_base:
        from emulator.sdk import BaseUrlHttpClient

        http_client = BaseUrlHttpClient(config.twilio_api_base, timeout=REQUEST_TIMEOUT_SECONDS)
    elif http_client is None:
        http_client = TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS)
    return Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http_client)
