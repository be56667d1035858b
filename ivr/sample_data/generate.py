"""Generate the synthetic sample data (cases, practitioners, authorizations) as CSV files.

Deterministic: everything comes from ``random.Random(2026)``, so re-running rewrites identical files.
Run ``python -m ivr.sample_data.generate`` to (re)write the CSVs next to this file and self-check them,
or ``python -m ivr.sample_data.generate --check`` to only check the committed files.

All people, firms, SSNs, EINs, CAF numbers and phone numbers are invented. Phone numbers use the
fictional 555-01XX lines where those validate (everywhere but Alaska, where 907-555 has no single time zone).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
import sys
import zoneinfo
from collections import Counter
from pathlib import Path

import phonenumbers
from phonenumbers import timezone as pn_timezone
from stdnum.us import ein, ssn

HERE = Path(__file__).resolve().parent
SEED = 2026
TODAY = dt.date(2026, 11, 26)
FIRST_RECEIVED = dt.date(2023, 1, 1)

CASE_COLUMNS = ["case_id", "case_type", "tin", "taxpayer_name", "taxpayer_phone", "periods", "balance"]
PRACTITIONER_COLUMNS = ["caf", "name", "firm", "phone"]
AUTHORIZATION_COLUMNS = ["caf", "tin", "form", "periods", "received", "revoked"]

# Zone label -> (IANA zone phonenumbers reports, [(area code, exchange)]).
ZONES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Eastern": (
        "America/New_York",
        [(a, "555") for a in ("212", "202", "617", "404", "305", "919", "215", "704")],
    ),
    "Central": ("America/Chicago", [(a, "555") for a in ("312", "214", "713", "612", "615", "314", "504")]),
    "Mountain": ("America/Denver", [(a, "555") for a in ("303", "720", "801", "505", "406")]),
    "Arizona": ("America/Phoenix", [(a, "555") for a in ("602", "480", "520")]),
    "Pacific": ("America/Los_Angeles", [(a, "555") for a in ("415", "206", "503", "702", "916", "213")]),
    # +1907-555 maps to two zones (Adak, Anchorage); these exchanges map to one.
    "Alaska": ("America/Juneau", [("907", "269"), ("907", "258"), ("907", "262")]),
    "Hawaii": ("Pacific/Honolulu", [("808", "555")]),
}
TAXPAYER_ZONE_WEIGHTS = {
    "Eastern": 30,
    "Central": 22,
    "Mountain": 10,
    "Arizona": 8,
    "Pacific": 18,
    "Alaska": 6,
    "Hawaii": 6,
}

# ---------------------------------------------------------------------------------------------------------
# The demo's cast (see README.md). Everything else is random but reproducible.
# ---------------------------------------------------------------------------------------------------------
CAST = {
    "A": {
        "role": "practitioner A: valid 2848, Eastern; the emulator answers with an answering machine",
        "caf": "0401-23456R",
        "name": "Avery Ashford",
        "firm": "Ashford Tax Resolution LLC",
        "phone": "+12125550101",
        "zone": "Eastern",
        "case_id": "ACS-000101",
    },
    "B": {
        "role": "practitioner B: valid 2848, Central; answers as a human and presses 1",
        "caf": "061178903",
        "name": "Blair Brennan",
        "firm": "Ortiz, Brennan & Associates CPAs",
        "phone": "+13125550102",
        "zone": "Central",
        "case_id": "ACS-000102",
    },
    "C": {
        "role": "practitioner C: valid 2848, Hawaii; outside 08:00-21:00 local during the East Coast morning",
        "caf": "2209-55811",
        "name": "Carys Kealoha",
        "firm": "Kealoha Enrolled Agents",
        "phone": "+18085550103",
        "zone": "Hawaii",
        "case_id": "ACS-000103",
    },
}
TAXPAYER_ONLY_CASE = "ACS-000104"
TAXPAYER_ONLY_PHONE = "+12025550104"

# Scripted rule scenarios (case id -> what the valid-POA rule must pick; None = no valid POA).
SCENARIOS = {
    "ACS-000101": "A",  # the demo: answering machine
    "ACS-000102": "B",  # the demo: human, presses 1
    "ACS-000103": "C",  # the demo: outside the calling window
    "ACS-000104": None,  # the demo: taxpayer only, no authorization at all
    "ACS-000105": "D",  # D holds two 2848s on this taxpayer, received on different dates
    "ACS-000106": "F",  # E and F both hold 2848s; F received later (and has the higher CAF)
    "ACS-000107": "G",  # G and H both hold 2848s received the same day; G has the lower CAF
    "ACS-000108": None,  # I's 2848 covers periods that are not on the case
    "ACS-000109": None,  # only a revoked 2848 (R1)
    "ACS-000110": "K",  # R2's newer 2848 is revoked; K's older one is valid
    "ACS-000111": None,  # only an 8821 (X1): may receive information, may not be contacted
    "ACS-000112": "L",  # X2's newer 8821 does not beat L's older 2848
}

GENERIC = ["D", "E", "F", "G", "H", "I", "K", "L", "M", "N", "O", "P"]  # hold valid 2848s
TIA_ONLY = ["X1", "X2", "X3"]  # 8821s only
REVOKED_ONLY = ["R1", "R2"]  # revoked 2848s only
PRACTITIONER_ZONES = {
    "D": "Eastern",
    "E": "Central",
    "F": "Mountain",
    "G": "Arizona",
    "H": "Pacific",
    "I": "Eastern",
    "K": "Central",
    "L": "Pacific",
    "M": "Alaska",
    "N": "Eastern",
    "O": "Mountain",
    "P": "Central",
    "X1": "Eastern",
    "X2": "Pacific",
    "X3": "Central",
    "R1": "Eastern",
    "R2": "Arizona",
}

N_CASES = 72
FIRST_CASE_NUMBER = 101

FIRST_NAMES = [
    "Adrian", "Beatriz", "Callum", "Delia", "Emeka", "Fiona", "Gustavo", "Hana", "Imani", "Jonah",
    "Keiko", "Leopold", "Marisol", "Nikhil", "Odette", "Pavel", "Quinn", "Rosalind", "Soren", "Tamsin",
    "Ulises", "Vera", "Wendell", "Xiomara", "Yusuf", "Zoë", "José", "Renée", "Søren", "Ngozi",
    "Bao", "Ingrid", "Mateo", "Priya", "Declan", "Leilani", "Tobias", "Annika", "Hiroshi", "Maeve",
]  # fmt: skip
LAST_NAMES = [
    "Abernathy", "Bellweather", "Castellano", "Drummond", "Eastwick", "Fairbanks", "Galloway", "Hollis",
    "Iverson", "Jaramillo", "Kowalczyk", "Lindqvist", "Mbeki", "Núñez", "Okonkwo", "Pemberton", "Quintero",
    "Ravensworth", "Szabó", "Thistlewood", "Underhill", "Vanterpool", "Whitcombe", "Yamamoto", "Zielinski",
    "Çelik", "O'Malley", "Haverford", "Marchetti", "Nakamura", "Oyelaran", "Prescott", "Rutherford",
]  # fmt: skip
BUSINESS_FIRST = [
    "Harbor Light", "Quarry Ridge", "Blue Heron", "Copper Kettle", "Granite Peak", "Silver Birch", "Red Mesa",
    "Tidewater", "Prairie Wind", "Lantern Hill", "Juniper Creek", "Ironwood", "Driftwood", "Maple Hollow",
    "Northstar", "Sandpiper", "Cedar Point", "Golden Gate", "Kona Coast", "Aurora Ridge",
]  # fmt: skip
BUSINESS_TRADE = [
    "Bakery", "Logistics", "Roofing", "Dental Group", "Auto Repair", "Landscaping", "Brewing", "Staffing",
    "Plumbing & Heating", "Print Shop", "Fitness", "Catering", "Electric", "Veterinary Clinic", "Cabinetry",
]  # fmt: skip
BUSINESS_SUFFIX = ["LLC", "Inc", "Corp", "Co", "LLC", "Inc"]
FIRM_PATTERNS = ["{a} Tax Group", "{a} & {b} CPAs", "{a} Enrolled Agents", "{a} Law PLLC", "{a}, {b} & Co"]

CAF_RE = re.compile(r"^(\d{4})-?(\d{5})(R?)$")
PERIOD_RE = re.compile(r"^(1040|1120|940):(\d{4})$|^941:(\d{4})Q([1-4])$")
CASE_ID_RE = re.compile(r"^ACS-\d{6}$")
BALANCE_RE = re.compile(r"^\d+\.\d{2}$")
SSN_RE = re.compile(r"^\d{3}-\d{2}-\d{4}$")
EIN_RE = re.compile(r"^\d{2}-\d{7}$")
INDIVIDUAL_FORMS = {"1040"}
BUSINESS_FORMS = {"941", "940", "1120"}


# ---------------------------------------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------------------------------------
class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.phones: set[str] = {c["phone"] for c in CAST.values()} | {TAXPAYER_ONLY_PHONE}
        self.tins: set[str] = set()  # digits only: a keyed SSN and EIN must never collide
        self.names: set[str] = set()
        self.cafs: set[str] = {caf_digits(c["caf"]) for c in CAST.values()}

    # -- identifiers -------------------------------------------------------------------------------------
    def phone(self, zone: str) -> str:
        tz_name, prefixes = ZONES[zone]
        while True:
            area, exchange = self.rng.choice(prefixes)
            number = f"+1{area}{exchange}01{self.rng.randrange(100):02d}"
            if number not in self.phones and phone_zone(number) == tz_name:
                self.phones.add(number)
                return number

    def ssn(self) -> str:
        while True:
            area = self.rng.randrange(1, 900)
            number = f"{area:03d}-{self.rng.randrange(1, 100):02d}-{self.rng.randrange(1, 10000):04d}"
            if ssn.is_valid(number) and number.replace("-", "") not in self.tins:
                self.tins.add(number.replace("-", ""))
                return number

    def ein(self) -> str:
        while True:
            number = f"{self.rng.randrange(10, 100):02d}-{self.rng.randrange(10**7):07d}"
            if ein.is_valid(number) and number.replace("-", "") not in self.tins:
                self.tins.add(number.replace("-", ""))
                return number

    def caf(self) -> str:
        while True:
            digits = f"{self.rng.randrange(10**9):09d}"
            if digits not in self.cafs:
                self.cafs.add(digits)
                break
        suffix = "R" if self.rng.random() < 0.6 else ""
        return self.caf_spelling(digits + suffix)

    def caf_spelling(self, caf: str) -> str:
        """Write a CAF with or without the hyphen (both must be accepted on import)."""
        digits, suffix = caf_digits(caf), caf[-1] if caf.endswith("R") else ""
        if self.rng.random() < 0.5:
            return f"{digits[:4]}-{digits[4:]}{suffix}"
        return digits + suffix

    # -- names -------------------------------------------------------------------------------------------
    def unique(self, make) -> str:
        while True:
            name = make()
            if name not in self.names:
                self.names.add(name)
                return name

    def person_name(self) -> str:
        return self.unique(lambda: f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}")

    def business_name(self) -> str:
        return self.unique(
            lambda: " ".join(
                (
                    self.rng.choice(BUSINESS_FIRST),
                    self.rng.choice(BUSINESS_TRADE),
                    self.rng.choice(BUSINESS_SUFFIX),
                )
            )
        )

    def firm_name(self) -> str:
        def make() -> str:
            a, b = self.rng.sample(LAST_NAMES, 2)
            return self.rng.choice(FIRM_PATTERNS).format(a=a, b=b)

        return self.unique(make)

    # -- periods, money, dates ---------------------------------------------------------------------------
    def individual_periods(self) -> list[str]:
        old = self.rng.random() < 0.1  # an old, long-running one
        start = self.rng.randrange(2004, 2012) if old else self.rng.randrange(2015, 2025)
        count = self.rng.choice([1, 1, 2, 2, 3, 4])
        years = [y for y in range(start, start + count) if y <= 2025]
        return [f"1040:{y}" for y in years]

    def business_periods(self) -> list[str]:
        kind = self.rng.choice(["941", "941", "941+940", "1120", "1120+941"])
        periods: list[str] = []
        if "941" in kind:
            year, quarter = self.rng.randrange(2019, 2026), self.rng.randrange(1, 5)
            for _ in range(self.rng.randrange(1, 5)):
                periods.append(f"941:{year}Q{quarter}")
                quarter += 1
                if quarter == 5:
                    year, quarter = year + 1, 1
            if "940" in kind:
                periods.append(f"940:{int(periods[0][4:8])}")
        if "1120" in kind:
            start = self.rng.randrange(2016, 2025)
            periods = [f"1120:{y}" for y in range(start, min(start + self.rng.randrange(1, 3), 2025))] + periods
        return periods

    def balance(self, business: bool) -> str:
        high = 400_000 if business else 90_000
        dollars = self.rng.randrange(500, high)
        cents = 0 if self.rng.random() < 0.2 else self.rng.randrange(100)
        return f"{dollars}.{cents:02d}"

    def date_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def covering(self, periods: list[str]) -> list[str]:
        """The periods a 2848/8821 lists: a non-empty subset of the case's, sometimes an earlier one too."""
        chosen = sorted(self.rng.sample(periods, self.rng.randrange(1, len(periods) + 1)), key=periods.index)
        if self.rng.random() < 0.3:
            extra = shift_period(periods[0], -1)
            if extra not in chosen:
                chosen.insert(0, extra)
        return chosen

    # -- the data set ------------------------------------------------------------------------------------
    def build(self) -> tuple[list[dict], list[dict], list[dict]]:
        rng = self.rng
        practitioners: dict[str, dict] = {}
        for key, cast in CAST.items():
            self.names.update({cast["name"], cast["firm"]})
            practitioners[key] = {k: cast[k] for k in PRACTITIONER_COLUMNS}
        for key in GENERIC + TIA_ONLY + REVOKED_ONLY:
            practitioners[key] = {
                "caf": self.caf(),
                "name": self.person_name(),
                "firm": self.firm_name(),
                "phone": self.phone(PRACTITIONER_ZONES[key]),
            }
        # The same-day tie (case 107) is meant to be decided by CAF: make G's lower than H's.
        g, h = practitioners["G"], practitioners["H"]
        if caf_digits(g["caf"]) > caf_digits(h["caf"]):
            g["caf"], h["caf"] = h["caf"], g["caf"]
        # Case 106 must be decided by date, not CAF: F (received later) gets the higher CAF.
        e, f = practitioners["E"], practitioners["F"]
        if caf_digits(f["caf"]) < caf_digits(e["caf"]):
            e["caf"], f["caf"] = f["caf"], e["caf"]

        # Scripted cases: (business?, case_type, periods, taxpayer zone)
        scripted: dict[str, tuple[bool, str, list[str], str]] = {
            "ACS-000101": (False, "BAL_DUE", ["1040:2019", "1040:2020"], "Pacific"),
            "ACS-000102": (True, "BAL_DUE", ["941:2024Q3", "941:2024Q4", "940:2024"], "Central"),
            "ACS-000103": (False, "NON_FILER", ["1040:2021", "1040:2022"], "Hawaii"),
            "ACS-000104": (False, "BAL_DUE", ["1040:2004", "1040:2005"], "Eastern"),
            "ACS-000105": (False, "BAL_DUE", ["1040:2018", "1040:2019", "1040:2020"], "Mountain"),
            "ACS-000106": (True, "BAL_DUE", ["1120:2020", "1120:2021"], "Eastern"),
            "ACS-000107": (False, "NON_FILER", ["1040:2022", "1040:2023"], "Alaska"),
            "ACS-000108": (False, "BAL_DUE", ["1040:2021", "1040:2022"], "Arizona"),
            "ACS-000109": (True, "BAL_DUE", ["941:2023Q1", "941:2023Q2"], "Pacific"),
            "ACS-000110": (False, "BAL_DUE", ["1040:2020"], "Central"),
            "ACS-000111": (False, "BAL_DUE", ["1040:2019", "1040:2020"], "Eastern"),
            "ACS-000112": (True, "NON_FILER", ["940:2023", "941:2023Q4"], "Pacific"),
        }
        zones, weights = zip(*TAXPAYER_ZONE_WEIGHTS.items(), strict=True)
        cases: list[dict] = []
        for number in range(FIRST_CASE_NUMBER, FIRST_CASE_NUMBER + N_CASES):
            case_id = f"ACS-{number:06d}"
            if case_id in scripted:
                business, case_type, periods, zone = scripted[case_id]
            else:
                business = rng.random() < 0.4
                case_type = "BAL_DUE" if rng.random() < 0.65 else "NON_FILER"
                periods = self.business_periods() if business else self.individual_periods()
                zone = rng.choices(zones, weights)[0]
            phone = TAXPAYER_ONLY_PHONE if case_id == TAXPAYER_ONLY_CASE else self.phone(zone)
            cases.append(
                {
                    "case_id": case_id,
                    "case_type": case_type,
                    "tin": self.ein() if business else self.ssn(),
                    "taxpayer_name": self.business_name() if business else self.person_name(),
                    "taxpayer_phone": phone,
                    "periods": ";".join(periods),
                    "balance": self.balance(business) if case_type == "BAL_DUE" else "",
                }
            )
        by_id = {c["case_id"]: c for c in cases}

        auths: list[dict] = []

        def add(key: str, case_id: str, form: str, periods: list[str], received, revoked=None) -> None:
            auths.append(
                {
                    "caf": self.caf_spelling(practitioners[key]["caf"]),
                    "tin": by_id[case_id]["tin"],
                    "form": form,
                    "periods": ";".join(periods),
                    "received": received.isoformat(),
                    "revoked": revoked.isoformat() if revoked else "",
                }
            )

        def periods_of(case_id: str) -> list[str]:
            return by_id[case_id]["periods"].split(";")

        def received() -> dt.date:
            return self.date_between(FIRST_RECEIVED, TODAY)

        def revoked_after(first: dt.date) -> dt.date:
            return self.date_between(min(first + dt.timedelta(days=30), TODAY), TODAY)

        d = dt.date
        add("A", "ACS-000101", "2848", periods_of("ACS-000101"), d(2025, 4, 14))
        add("B", "ACS-000102", "2848", periods_of("ACS-000102"), d(2026, 1, 9))
        add("C", "ACS-000103", "2848", ["1040:2020", "1040:2021", "1040:2022"], d(2024, 8, 27))
        add("D", "ACS-000105", "2848", ["1040:2018", "1040:2019"], d(2024, 3, 11))
        add("D", "ACS-000105", "2848", ["1040:2020", "1040:2021"], d(2025, 9, 2))
        add("E", "ACS-000106", "2848", ["1120:2020", "1120:2021"], d(2025, 10, 14))
        add("F", "ACS-000106", "2848", ["1120:2021"], d(2026, 5, 19))
        add("H", "ACS-000107", "2848", ["1040:2022", "1040:2023"], d(2026, 2, 17))
        add("G", "ACS-000107", "2848", ["1040:2023"], d(2026, 2, 17))
        add("I", "ACS-000108", "2848", ["1040:2016", "1040:2017"], d(2025, 6, 30))
        add("R1", "ACS-000109", "2848", periods_of("ACS-000109"), d(2023, 6, 5), d(2025, 1, 30))
        add("K", "ACS-000110", "2848", ["1040:2019", "1040:2020"], d(2024, 1, 22))
        add("R2", "ACS-000110", "2848", ["1040:2020"], d(2026, 3, 3), d(2026, 8, 12))
        add("X1", "ACS-000111", "8821", periods_of("ACS-000111"), d(2025, 12, 1))
        add("L", "ACS-000112", "2848", periods_of("ACS-000112"), d(2023, 11, 8))
        add("X2", "ACS-000112", "8821", ["941:2023Q4"], d(2026, 9, 30))

        # The remaining cases get a shuffled mix of situations.
        plans = (
            ["none"] * 22 + ["2848"] * 26 + ["2848+revoked"] * 3 + ["8821"] * 3 + ["2848+8821"] * 3 + ["revoked"] * 3
        )
        rest = [c["case_id"] for c in cases if c["case_id"] not in scripted]
        assert len(plans) == len(rest)
        rng.shuffle(plans)
        rotation = iter(GENERIC)
        tia_rotation, revoked_rotation = iter(TIA_ONLY * 2), iter(REVOKED_ONLY * 2)
        for case_id, plan in zip(rest, plans, strict=True):
            periods = periods_of(case_id)
            holder = None
            if plan.startswith("2848"):
                holder = next(rotation, None) or rng.choice(GENERIC)
                add(holder, case_id, "2848", self.covering(periods), received())
            if plan == "2848+revoked":
                other = rng.choice([k for k in GENERIC if k != holder])
                first = received()
                add(other, case_id, "2848", self.covering(periods), first, revoked_after(first))
            if plan in ("8821", "2848+8821"):
                add(next(tia_rotation), case_id, "8821", self.covering(periods), received())
            if plan == "revoked":
                first = received()
                add(
                    next(revoked_rotation),
                    case_id,
                    "2848",
                    self.covering(periods),
                    first,
                    revoked_after(first),
                )

        return cases, list(practitioners.values()), auths


def caf_digits(caf: str) -> str:
    return caf.replace("-", "").removesuffix("R")


def shift_period(period: str, years: int) -> str:
    form, _, when = period.partition(":")
    return f"{form}:{int(when[:4]) + years}{when[4:]}"


def phone_zone(number: str) -> str | None:
    """The single IANA zone phonenumbers gives a valid number, else None."""
    parsed = phonenumbers.parse(number)
    if not phonenumbers.is_valid_number(parsed):
        return None
    zones = pn_timezone.time_zones_for_number(parsed)
    return zones[0] if len(zones) == 1 else None


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(directory: Path = HERE) -> None:
    cases, practitioners, auths = Generator().build()
    write_csv(directory / "cases.csv", CASE_COLUMNS, cases)
    write_csv(directory / "practitioners.csv", PRACTITIONER_COLUMNS, practitioners)
    write_csv(directory / "authorizations.csv", AUTHORIZATION_COLUMNS, auths)


# ---------------------------------------------------------------------------------------------------------
# self-check
# ---------------------------------------------------------------------------------------------------------
def read_csv(path: Path, columns: list[str]) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == columns, f"{path.name}: header {reader.fieldnames} != {columns}"
        return list(reader)


def normal_caf(caf: str) -> str:
    match = CAF_RE.match(caf)
    assert match, f"bad CAF {caf!r}"
    return f"{match[1]}-{match[2]}{match[3]}"


def valid_poa(case: dict, auths: list[dict], today: dt.date = TODAY) -> str | None:
    """The design's rule: a 2848, not revoked as of today, covering one of the case's periods;
    the most recently received wins, ties go to the lowest CAF. Returns the normal-form CAF."""
    periods = set(case["periods"].split(";"))
    candidates = [
        a
        for a in auths
        if a["tin"] == case["tin"]
        and a["form"] == "2848"
        and not (a["revoked"] and dt.date.fromisoformat(a["revoked"]) <= today)
        and periods & set(a["periods"].split(";"))
    ]
    if not candidates:
        return None
    best = min(candidates, key=lambda a: (-dt.date.fromisoformat(a["received"]).toordinal(), normal_caf(a["caf"])))
    return normal_caf(best["caf"])


def check(directory: Path = HERE) -> dict[str, int]:
    cases = read_csv(directory / "cases.csv", CASE_COLUMNS)
    practitioners = read_csv(directory / "practitioners.csv", PRACTITIONER_COLUMNS)
    auths = read_csv(directory / "authorizations.csv", AUTHORIZATION_COLUMNS)

    # -- cases -------------------------------------------------------------------------------------------
    assert len(cases) >= 60
    assert len({c["case_id"] for c in cases}) == len(cases)
    # unique even as the nine digits a caller keys in (an SSN and an EIN could share them)
    assert len({c["tin"].replace("-", "") for c in cases}) == len(cases), "TINs must be unique"
    forms_seen: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for c in cases:
        assert CASE_ID_RE.match(c["case_id"]), c
        assert c["case_type"] in ("BAL_DUE", "NON_FILER"), c
        assert c["taxpayer_name"].strip(), c
        periods = c["periods"].split(";")
        assert periods and all(PERIOD_RE.match(p) for p in periods), c
        assert len(set(periods)) == len(periods), c
        forms = {p.split(":")[0] for p in periods}
        forms_seen.update(forms)
        if SSN_RE.match(c["tin"]):
            assert ssn.is_valid(c["tin"]), c
            assert forms <= INDIVIDUAL_FORMS, c
            kinds["individual"] += 1
        else:
            assert EIN_RE.match(c["tin"]) and ein.is_valid(c["tin"]), c
            assert forms <= BUSINESS_FORMS, c
            kinds["business"] += 1
        if c["case_type"] == "BAL_DUE":
            assert BALANCE_RE.match(c["balance"]) and float(c["balance"]) > 0, c
        else:
            assert c["balance"] == "", c
    types = Counter(c["case_type"] for c in cases)
    assert types["BAL_DUE"] >= 15 and types["NON_FILER"] >= 15, types
    assert kinds["individual"] >= 15 and kinds["business"] >= 15, kinds
    assert {"1040", "941", "940", "1120"} <= set(forms_seen), forms_seen

    # -- practitioners -----------------------------------------------------------------------------------
    assert 18 <= len(practitioners) <= 22
    cafs = [normal_caf(p["caf"]) for p in practitioners]
    assert len(set(cafs)) == len(cafs), "CAFs must be unique"
    assert any("-" in p["caf"] for p in practitioners) and any("-" not in p["caf"] for p in practitioners)
    assert any(p["caf"].endswith("R") for p in practitioners)
    assert any(not p["caf"].endswith("R") for p in practitioners)
    for p in practitioners:
        assert p["name"].strip() and p["firm"].strip(), p

    # -- phones ------------------------------------------------------------------------------------------
    phones = [c["taxpayer_phone"] for c in cases] + [p["phone"] for p in practitioners]
    assert len(set(phones)) == len(phones), "phone numbers must be unique (the emulator scripts by number)"
    zone_of = {}
    for number in phones:
        assert re.match(r"^\+1\d{10}$", number), number
        zone = phone_zone(number)
        assert zone, f"{number}: invalid or not in exactly one time zone"
        zone_of[number] = zone
    wanted = {tz for tz, _ in ZONES.values()}
    assert wanted <= set(zone_of.values()), set(zone_of.values())
    assert wanted <= {zone_of[c["taxpayer_phone"]] for c in cases}

    # -- authorizations ----------------------------------------------------------------------------------
    tins = {c["tin"] for c in cases}
    caf_set = set(cafs)
    assert any("-" in a["caf"] for a in auths) and any("-" not in a["caf"] for a in auths)
    for a in auths:
        assert normal_caf(a["caf"]) in caf_set, a
        assert a["tin"] in tins, a
        assert a["form"] in ("2848", "8821"), a
        periods = a["periods"].split(";")
        assert periods and all(PERIOD_RE.match(p) for p in periods), a
        got = dt.date.fromisoformat(a["received"])
        assert FIRST_RECEIVED <= got <= TODAY and a["received"] == got.isoformat(), a
        if a["revoked"]:
            gone = dt.date.fromisoformat(a["revoked"])
            assert got < gone <= TODAY and a["revoked"] == gone.isoformat(), a
    rows = Counter(tuple(a.values()) for a in auths)
    assert max(rows.values()) == 1, "duplicate authorization rows"

    by_caf: dict[str, list[dict]] = {}
    for a in auths:
        by_caf.setdefault(normal_caf(a["caf"]), []).append(a)

    def is_valid_2848(a: dict) -> bool:
        return a["form"] == "2848" and not a["revoked"]

    with_valid = [c for c in cafs if any(is_valid_2848(a) for a in by_caf.get(c, []))]
    tia_only = [c for c in cafs if by_caf.get(c) and all(a["form"] == "8821" for a in by_caf[c])]
    revoked_2848 = [a for a in auths if a["form"] == "2848" and a["revoked"]]
    assert len(with_valid) > len(cafs) / 2, "most practitioners hold a valid 2848"
    assert len(tia_only) >= 2, tia_only
    assert len({a["caf"] for a in revoked_2848}) >= 2
    assert all(by_caf.get(c) for c in cafs), "every practitioner holds some authorization"

    # every case's POA outcome, checked against the scripted scenarios
    expected_caf = {k: normal_caf(v["caf"]) for k, v in CAST.items()}
    gen_keys = GENERIC + TIA_ONLY + REVOKED_ONLY
    expected_caf.update(zip(gen_keys, cafs[len(CAST) :], strict=True))
    poa = {c["case_id"]: valid_poa(c, auths) for c in cases}
    for case_id, key in SCENARIOS.items():
        want = expected_caf[key] if key else None
        assert poa[case_id] == want, f"{case_id}: valid POA {poa[case_id]} != {want} ({key})"

    auths_by_tin: Counter[str] = Counter(a["tin"] for a in auths)
    unrepresented = [c for c in cases if auths_by_tin[c["tin"]] == 0]
    assert len(unrepresented) >= 10, len(unrepresented)
    case = {c["case_id"]: c for c in cases}
    assert auths_by_tin[case[TAXPAYER_ONLY_CASE]["tin"]] == 0

    # same practitioner, two 2848s on one taxpayer, different received dates
    pairs: dict[tuple[str, str], set[str]] = {}
    for a in auths:
        if a["form"] == "2848":
            pairs.setdefault((normal_caf(a["caf"]), a["tin"]), set()).add(a["received"])
    assert any(len(dates) >= 2 for dates in pairs.values())
    # two practitioners each holding a valid 2848 on one case
    holders: dict[str, set[str]] = {}
    for c in cases:
        cp = set(c["periods"].split(";"))
        for a in auths:
            if a["tin"] == c["tin"] and is_valid_2848(a) and cp & set(a["periods"].split(";")):
                holders.setdefault(c["case_id"], set()).add(normal_caf(a["caf"]))
    assert sum(len(h) >= 2 for h in holders.values()) >= 2
    # a 2848 that covers nothing on its taxpayer's case
    assert any(
        a["form"] == "2848" and not set(a["periods"].split(";")) & set(c["periods"].split(";"))
        for a in auths
        for c in cases
        if c["tin"] == a["tin"]
    )

    # -- the demo cast -----------------------------------------------------------------------------------
    prac = {normal_caf(p["caf"]): p for p in practitioners}
    morning = [
        dt.datetime(2026, 11, 26, h, m, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
        for h in (9, 10, 11)
        for m in (0, 30, 59)
    ]

    def local_hours(number: str) -> set[int]:
        zone = zoneinfo.ZoneInfo(zone_of[number])
        return {t.astimezone(zone).hour for t in morning}

    for key, want_zone in (("A", "America/New_York"), ("B", "America/Chicago")):
        p = prac[expected_caf[key]]
        assert p["phone"] == CAST[key]["phone"] and zone_of[p["phone"]] == want_zone, p
        assert poa[CAST[key]["case_id"]] == expected_caf[key]
    p = prac[expected_caf["C"]]
    assert zone_of[p["phone"]] in ("Pacific/Honolulu", "America/Juneau", "America/Anchorage"), p
    assert all(h < 8 or h >= 21 for h in local_hours(p["phone"])), "C must be outside 08:00-21:00 then"
    assert all(8 <= h < 21 for h in local_hours(CAST["B"]["phone"]))
    assert poa[CAST["C"]["case_id"]] == expected_caf["C"]
    assert case[TAXPAYER_ONLY_CASE]["taxpayer_phone"] == TAXPAYER_ONLY_PHONE
    for key in CAST:  # the cast each hold exactly the one demo authorization, the only one on that case
        assert len(by_caf[expected_caf[key]]) == 1
        assert auths_by_tin[case[CAST[key]["case_id"]]["tin"]] == 1

    return {
        "cases": len(cases),
        "bal_due": types["BAL_DUE"],
        "non_filer": types["NON_FILER"],
        "individual": kinds["individual"],
        "business": kinds["business"],
        "practitioners": len(practitioners),
        "authorizations": len(auths),
        "form_2848": sum(a["form"] == "2848" for a in auths),
        "form_8821": sum(a["form"] == "8821" for a in auths),
        "revoked": sum(bool(a["revoked"]) for a in auths),
        "cases_with_valid_poa": sum(v is not None for v in poa.values()),
        "cases_without_any_authorization": len(unrepresented),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" not in argv:
        generate()
    summary = check()
    print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
