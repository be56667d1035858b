"""Geographic request parameters (FromCity, FromState, FromZip, FromCountry, To…, Caller…, Called…).

https://www.twilio.com/docs/voice/twiml#request-parameters: Twilio looks up geographic data for the From and To
numbers and sends it on every voice webhook (empty strings when unknown). Here the lookup is phonenumbers'
offline geocoder: "New York, NY" gives city and state, a bare state name ("Texas") the state only; a non-NANP
number gives its area as city. phonenumbers has no ZIP codes, so Zip is always empty (as Twilio's often is).
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

#: State, district, territory and province names the geocoder returns alone, by their postal abbreviation.
_REGIONS = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "Washington State": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "Puerto Rico": "PR",
    "Guam": "GU",
    "Alberta": "AB",
    "British Columbia": "BC",
    "Manitoba": "MB",
    "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL",
    "Nova Scotia": "NS",
    "Ontario": "ON",
    "Quebec": "QC",
    "Saskatchewan": "SK",
    "Prince Edward Island": "PE",
    "Yukon": "YT",
    "Northwest Territories": "NT",
    "Nunavut": "NU",
}
_SPECIAL = {"Washington D.C.": ("Washington", "DC")}
FIELDS = ("City", "State", "Zip", "Country")


@lru_cache(maxsize=8192)
def locate(number: str) -> tuple[str, str, str, str]:
    """(city, state, zip, country) for an E.164 number; empty strings for what is unknown (or a client:…)."""
    from phonenumbers import geocoder  # its data costs ~0.4 s to import: paid by the first webhook, not start-up

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "", "", "", ""
    country = phonenumbers.region_code_for_number(parsed) or ""
    description = geocoder.description_for_number(parsed, "en")
    if description in _SPECIAL:
        city, state = _SPECIAL[description]
    elif parsed.country_code == 1 and ", " in description:
        city, _, state = description.rpartition(", ")
    elif parsed.country_code == 1:
        city, state = "", _REGIONS.get(description, "")
    else:
        city, state = description, ""
    return city, state, "", country


def params(from_: str, to: str) -> dict[str, str]:
    """The sixteen geographic parameters for a call from `from_` to `to` (cached: asked on every webhook)."""
    return dict(_params(from_ or "", to or ""))


@lru_cache(maxsize=8192)
def _params(from_: str, to: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for prefixes, number in ((("From", "Caller"), from_), (("To", "Called"), to)):
        values = locate(number)
        for prefix in prefixes:
            out += [(f"{prefix}{name}", value) for name, value in zip(FIELDS, values, strict=True)]
    return tuple(out)
