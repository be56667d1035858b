"""Synthetic inventories for the scale benchmark and tests: valid SSN/EIN shapes (checked with python-stdnum),
US numbers across every time zone, practitioners and their authorizations. Deterministic for a given size and seed.

Taxpayer numbers are drawn from ranges that pass stdnum's checks but are not assigned to people in practice
(SSN areas 700-728 were retired railroad ranges, EIN prefixes vary); they are test data all the same.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from stdnum.us import ein, ssn

# Area codes by zone: Eastern, Central, Mountain, Arizona, Pacific, Alaska, Hawaii.
AREA_CODES = ("212", "617", "404", "312", "214", "612", "303", "801", "602", "415", "206", "213", "907", "808")
EIN_PREFIXES = ("10", "12", "20", "27", "30", "35", "45", "46", "51", "52", "75", "80", "91", "98")
ANNUAL = ("1040:2019", "1040:2020", "1040:2021", "1040:2022", "1120:2021", "940:2023")
QUARTERLY = ("941:2023Q1", "941:2023Q2", "941:2024Q3", "720:2022Q4")
FIRST = ("Avery", "Blair", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kendall", "Logan", "Morgan")
LAST = ("Ashford", "Brennan", "Castillo", "Drummond", "Ellison", "Fairbanks", "Garcia", "Hollis", "Ibarra")


def tin_for(n: int) -> str:
    """A valid SSN (even n) or EIN (odd n) for taxpayer n, written as an office file writes them."""
    if n % 2 == 0:
        k = n // 2
        text = f"{100 + k % 560:03d}-{1 + (k // 560) % 99:02d}-{1 + (k // 55_440) % 9999:04d}"
        assert ssn.is_valid(text), text
        return text
    k = n // 2
    text = f"{EIN_PREFIXES[k % len(EIN_PREFIXES)]}-{k // len(EIN_PREFIXES) % 10_000_000:07d}"
    assert ein.is_valid(text), text
    return text


def phone_for(n: int) -> str:
    area = AREA_CODES[n % len(AREA_CODES)]
    return f"+1{area}{200 + (n // 7) % 800:03d}{n % 10_000:04d}"


def caf_for(n: int) -> str:
    return f"{n % 10_000:04d}-{n // 10_000 % 100_000:05d}{'R' if n % 3 == 0 else ''}"


def case_rows(count: int, seed: int = 1) -> Iterator[str]:
    """CSV lines (header first); about one taxpayer in ten has two cases."""
    rng = random.Random(seed)
    yield "case_id,case_type,tin,taxpayer_name,taxpayer_phone,periods,balance\n"
    for i in range(count):
        taxpayer = i if i % 10 else max(0, i - 1)
        balance_due = i % 4 != 0
        periods = ";".join(rng.sample(ANNUAL, 2)) if i % 3 else rng.choice(QUARTERLY)
        name = f"{FIRST[taxpayer % len(FIRST)]} {LAST[taxpayer // 7 % len(LAST)]}"
        balance = f"{rng.randint(100, 9_999_999) / 100:.2f}" if balance_due else ""
        kind = "BAL_DUE" if balance_due else "NON_FILER"
        yield f"AC{i:08d},{kind},{tin_for(taxpayer)},{name},{phone_for(taxpayer)},{periods},{balance}\n"


def practitioner_rows(count: int) -> Iterator[str]:
    yield "caf,name,firm,phone\n"
    for i in range(count):
        name = f"{FIRST[i % len(FIRST)]} {LAST[i // 3 % len(LAST)]}"
        yield f'{caf_for(i)},{name},"{LAST[i % len(LAST)]}, {FIRST[i % 5]} & Co",{phone_for(i + 7)}\n'


def authorization_rows(count: int, cases: int, practitioners: int) -> Iterator[str]:
    """One authorization per case for the first `count` taxpayers, spread over the practitioners."""
    yield "caf,tin,form,periods,received,revoked\n"
    for i in range(count):
        form = "2848" if i % 5 else "8821"
        revoked = "2025-06-30" if i % 11 == 0 else ""
        caf = caf_for(i % max(1, practitioners))
        yield f"{caf},{tin_for(i % max(1, cases))},{form},1040:2019;1040:2020,2025-01-{1 + i % 28:02d},{revoked}\n"


def write(path: Path, lines: Iterator[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        buffer: list[str] = []
        for line in lines:
            buffer.append(line)
            if len(buffer) >= 10_000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))
    return path


def inventory(directory: Path, cases: int) -> dict[str, Path]:
    """cases.csv, practitioners.csv (one per 20 cases) and authorizations.csv (one per 5 cases) in `directory`."""
    practitioners = max(1, cases // 20)
    return {
        "practitioners": write(directory / "practitioners.csv", practitioner_rows(practitioners)),
        "cases": write(directory / "cases.csv", case_rows(cases)),
        "authorizations": write(
            directory / "authorizations.csv", authorization_rows(max(1, cases // 5), cases, practitioners)
        ),
    }
