import pytest

from emulator import Emulator
from ivr.config import Config
from ivr.twilio_client import REQUEST_TIMEOUT_SECONDS, TwilioNotConfigured, rest_client


def test_twilio_api_base_sends_the_sdk_to_the_emulator():
    emu = Emulator()
    server = emu.serve()
    try:
        config = Config.from_env(
            {"TWILIO_ACCOUNT_SID": emu.account_sid, "TWILIO_AUTH_TOKEN": emu.auth_token, "TWILIO_API_BASE": server.url}
        )
        client = rest_client(config)
        call = client.calls.create(to="+12125550101", from_="+18008293903", twiml="<Response/>")
        assert call.sid in emu.store.calls
        client.http_client.session.close()
    finally:
        server.shutdown()


def test_without_an_override_it_is_the_real_twilio_client():
    config = Config.from_env({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_API_BASE": ""})
    assert type(rest_client(config).http_client).__name__ == "TwilioHttpClient"


def test_credentials_are_required():
    with pytest.raises(TwilioNotConfigured, match="TWILIO_ACCOUNT_SID"):
        rest_client(Config.from_env({"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""}))


def test_requests_carry_a_timeout_so_a_hung_api_cannot_hold_a_worker():
    config = Config.from_env({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_API_BASE": ""})
    assert rest_client(config).http_client.timeout == REQUEST_TIMEOUT_SECONDS
    emulated = Config.from_env(
        {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_API_BASE": "http://127.0.0.1:9"}
    )
    assert rest_client(emulated).http_client.timeout == REQUEST_TIMEOUT_SECONDS
