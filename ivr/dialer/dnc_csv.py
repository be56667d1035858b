"""Reading a do-not-call CSV (`phone[,reason]`): every row checked first, each error with its line number.

Kept apart from ivr.cases.importer (the case importer): a DNC list is a dialer rule, and its rows need nothing
but a valid number. Nothing is written here; `acs import dnc` writes only when every row is good.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ivr.cases.phones import InvalidPhone, normalize_phone
from ivr.cases.tin import redact

MAX_REASON = 200


@dataclass
class DncFile:
    rows: list[tuple[str, str]] = field(default_factory=list)  # (E.164, reason)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_dnc_csv(path: str | Path) -> DncFile:
    result = DncFile()
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip().lower() for h in next(reader, [])]
            if not header or header[0] != "phone" or header[1:] not in ([], ["reason"]):
                result.errors.append("line 1: the header must be `phone` or `phone,reason`")
                return result
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > len(header):
                    result.errors.append(f"line {line}: {len(row)} columns, expected {len(header)}")
                    continue
                try:
                    phone = normalize_phone(row[0])
                except InvalidPhone:
                    result.errors.append(f"line {line}: not a valid phone number")
                    continue
                reason = redact(" ".join(row[1].split())) if len(row) > 1 else ""
                if len(reason) > MAX_REASON:
                    result.errors.append(f"line {line}: reason longer than {MAX_REASON} characters")
                    continue
                result.rows.append((phone, reason))
    except UnicodeDecodeError:
        result.errors.append("the file is not UTF-8 text")
    except csv.Error as error:
        result.errors.append(f"not a readable CSV file ({error})")
    return result
