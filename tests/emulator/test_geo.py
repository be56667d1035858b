"""Geographic parameters on every voice webhook, derived from the numbers."""

from __future__ import annotations

from emulator import Caller, geo

NUMBER = "+18005550100"


def test_inbound_webhook_carries_from_to_caller_called_geography(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml#request-parameters: FromCity, FromState, FromZip, FromCountry,
    ToCity, ToState, ToZip, ToCountry (and the Caller*/Called* forms) looked up from the numbers."""
    webapp.docs["/voice"] = "<Response><Say>Hi</Say></Response>"
    emu.add_number(NUMBER, "https://app.test/voice", status_callback="https://app.test/status")
    emu.dial_in("+12125550101", NUMBER, Caller("caller"))
    emu.run()
    params = webapp.to("/voice")[0]
    assert (params["FromCity"], params["FromState"], params["FromZip"], params["FromCountry"]) == (
        "New York",
        "NY",
        "",
        "US",
    )
    assert (params["CallerCity"], params["CallerState"], params["CallerCountry"]) == ("New York", "NY", "US")
    assert (params["ToCity"], params["ToState"], params["ToCountry"]) == ("", "", "US")  # toll-free: no place
    assert params["CalledCountry"] == "US" and params["CalledZip"] == ""
    assert webapp.to("/status")[0]["FromState"] == "NY"  # status callbacks carry them too


def test_state_from_a_state_wide_area_code_and_other_countries():
    assert geo.locate("+17135550100") == ("", "TX", "", "US")  # geocoder says just "Texas"
    assert geo.locate("+12065550100")[1] == "WA"  # "Washington State"
    assert geo.locate("+12025550111")[:2] == ("Washington", "DC")
    assert geo.locate("+14155551212")[:2] == ("San Francisco", "CA")
    assert geo.locate("+442071234567") == ("London", "", "", "GB")
    assert geo.locate("client:alice") == ("", "", "", "")
