"""Authorizations on file (Forms 2848 and 8821) and which one makes a practitioner the case's contact."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

POWER_OF_ATTORNEY = "2848"
INFORMATION_ONLY = "8821"
FORMS = (POWER_OF_ATTORNEY, INFORMATION_ONLY)


class AuthorizationStatus(StrEnum):
    VALID_POA = "valid 2848"
    INFORMATION_ONLY = "8821 (information only, not contacted)"
    REVOKED = "revoked"
    NOT_COVERING = "2848 not covering the case's periods"


@dataclass(frozen=True)
class Authorization:
    caf: str
    tin_ref: str
    form: str
    periods: frozenset[str]
    received: date
    revoked: date | None = None

    def is_revoked(self, today: date) -> bool:
        return self.revoked is not None and self.revoked <= today

    def status_for(self, case_periods: Iterable[str], today: date) -> AuthorizationStatus:
        if self.form == INFORMATION_ONLY:
            return AuthorizationStatus.INFORMATION_ONLY
        if self.is_revoked(today):
            return AuthorizationStatus.REVOKED
        if not self.periods.intersection(case_periods):
            return AuthorizationStatus.NOT_COVERING
        return AuthorizationStatus.VALID_POA

    def is_valid_poa_for(self, case_periods: Iterable[str], today: date) -> bool:
        return self.status_for(case_periods, today) is AuthorizationStatus.VALID_POA


def preferred_poa(
    authorizations: Iterable[Authorization], case_periods: Iterable[str], today: date
) -> Authorization | None:
    """The practitioner to contact: the most recently received valid 2848; ties go to the lowest CAF."""
    periods = frozenset(case_periods)
    valid = [a for a in authorizations if a.is_valid_poa_for(periods, today)]
    if not valid:
        return None
    return min(valid, key=lambda a: (-a.received.toordinal(), a.caf))
