"""Taxpayer numbers at rest: a keyed index digest and an encrypted copy, under ACS_DATA_KEY.

A copy of the Redis data (AOF, RDB, a backup, `redis-cli --scan` plus values) must reveal no SSN/EIN without the key.
Nine digits are too few to hide behind a plain hash (10**9 guesses, fewer with the last four shown), so the index
digest is an HMAC and the number itself is sealed with AES-GCM-SIV. Both subkeys are derived from the one data key
with HKDF, so neither use weakens the other. During a rotation (`acs rekey`) two keys are loaded: records are
written under the current one and read under whichever sealed them; index lookups try both.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ivr.cases.tin import Tin
from ivr.config import Config
from ivr.data_key import DataKeys, key_file_watch, load_data_keys

# AES-GCM-SIV stays secure when a nonce repeats: a fixed one makes sealing deterministic, which reveals only that two
# records hold the same number (the index digest says as much already), keeps re-imports byte-for-byte idempotent
# and saves the 12 bytes a random nonce would add to every case.
_NONCE = bytes(12)


class UnreadableTin(ValueError):
    """A sealed TIN that none of the loaded keys opens (wrong key, or a record altered at rest)."""


def _subkey(raw: bytes, purpose: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=b"acs-ivr " + purpose).derive(raw)


class DataKey:
    """One data key: its id (stored with each sealed value), an index subkey and an encryption subkey."""

    def __init__(self, raw: bytes):
        if len(raw) != 32:
            raise ValueError("a data key is 32 bytes")
        self.id = _subkey(raw, b"key id", 4).hex()
        self._index = _subkey(raw, b"tin index")
        self._index_hmac = hmac.new(self._index, digestmod="sha256")  # keyed once: copies are ~2x cheaper
        self._aead = AESGCMSIV(_subkey(raw, b"tin seal"))

    def __repr__(self) -> str:
        return f"DataKey(id={self.id})"

    def digest(self, purpose: str, text: str, length: int = 32) -> str:
        """Keyed hex digest of `text`, separated by `purpose` so one digest never stands in for another."""
        mac = self._index_hmac.copy()
        mac.update(f"{purpose}|{text}".encode())
        return mac.hexdigest()[:length]

    def seal(self, digits: str) -> str:
        # Nine digits fit in four bytes: 4 + 16 (tag) keeps a sealed TIN at 36 characters with its key id.
        body = self._aead.encrypt(_NONCE, int(digits).to_bytes(4, "big"), None)
        return f"{self.id}.{base64.urlsafe_b64encode(body).rstrip(b'=').decode()}"

    def unseal(self, body: str) -> str:
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = self._aead.decrypt(_NONCE, blob, None)
        except (binascii.Error, ValueError, InvalidTag):
            raise UnreadableTin("a sealed SSN/EIN does not open under its key") from None
        return str(int.from_bytes(plain, "big")).zfill(9)


class TinSeal:
    """The loaded data keys: `current` seals and indexes; `previous` (during a rotation) is only read.

    Keys read from files (the embedded Redis) are re-read when the files change, checked at most every
    RELOAD_SECONDS, so `acs rekey` can rotate them under a running `acs serve` without breaking its reads.
    """

    RELOAD_SECONDS = 1.0

    def __init__(
        self,
        current: DataKey,
        previous: DataKey | None = None,
        reload: Callable[[], DataKeys | None] | None = None,
    ):
        self._use(current, previous)
        self._reload = reload
        self._next_check = time.monotonic() + self.RELOAD_SECONDS

    @classmethod
    def from_keys(cls, keys: DataKeys, reload: Callable[[], DataKeys | None] | None = None) -> TinSeal:
        return cls(DataKey(keys.current), DataKey(keys.previous) if keys.previous else None, reload)

    def _use(self, current: DataKey, previous: DataKey | None) -> None:
        if previous is not None and previous.id == current.id:
            previous = None
        # One assignment, so a thread reading mid-reload sees the old keys or the new ones, never a mix.
        self._state = (current, previous, {key.id: key for key in (current, previous) if key is not None})

    def _fresh(self) -> tuple[DataKey, DataKey | None, dict[str, DataKey]]:
        if self._reload is not None and time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + self.RELOAD_SECONDS
            changed = self._reload()
            if changed is not None:
                self._use(DataKey(changed.current), DataKey(changed.previous) if changed.previous else None)
        return self._state

    @property
    def current(self) -> DataKey:
        return self._fresh()[0]

    @property
    def previous(self) -> DataKey | None:
        return self._fresh()[1]

    def __repr__(self) -> str:
        current, previous, _ = self._state
        return f"TinSeal(current={current.id}, previous={previous.id if previous else None})"

    @property
    def keys(self) -> list[DataKey]:
        """Current first: lookups try the index under it, then under the key being retired."""
        current, previous, _ = self._fresh()
        return [key for key in (current, previous) if key is not None]

    def ref(self, digits: str) -> str:
        """The taxpayer's index reference under the current key (the only form a TIN takes in a key name)."""
        return self.current.digest("tin", digits)

    def refs(self, digits: str) -> list[str]:
        """The references to look up: under the current key, then the previous one during a rotation."""
        return [key.digest("tin", digits) for key in self.keys]

    def authorization_id(self, seed: str) -> str:
        """A stable id for an authorization whose natural key includes the TIN (keyed, so not reversible)."""
        return self.current.digest("authorization", seed, 16)

    def seal(self, digits: str) -> str:
        return self.current.seal(digits)

    def unseal(self, token: str) -> str:
        key_id, _, body = token.partition(".")
        key = self._fresh()[2].get(key_id)
        if key is None:
            raise UnreadableTin(f"an SSN/EIN is sealed under data key {key_id!r}, which is not loaded")
        return key.unseal(body)

    @staticmethod
    def key_id_of(token: str) -> str:
        return token.partition(".")[0]


def seal_for(config: Config) -> TinSeal:
    """The process's seal from its configuration (refuses a missing or malformed key with DataKeyError)."""
    return TinSeal.from_keys(load_data_keys(config), key_file_watch(config))


_installed: TinSeal | None = None


def install(seal: TinSeal) -> TinSeal:
    """Make `seal` the process's seal (Services does this once), for code handed no seal explicitly."""
    global _installed
    _installed = seal
    return seal


def current_seal() -> TinSeal:
    """The process's seal; an error rather than a default key, so nothing is ever sealed under a guessable one."""
    if _installed is None:
        raise RuntimeError("no data key loaded (ACS_DATA_KEY): build Services first")
    return _installed


def person_ref(tin: Tin) -> str:
    """The taxpayer's reference for per-person records (Reg F counts, do-not-call, wrong numbers) under the current key.

    Keyed like the index, so a key name never yields the SSN/EIN; `acs rekey` moves these records with the index.
    """
    return current_seal().ref(tin.digits)
