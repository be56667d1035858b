"""Where the data key comes from: ACS_DATA_KEY, or (embedded Redis only) a key file generated once.

The key seals every SSN/EIN at rest (ivr.cases.sealing). It must never sit beside the data it protects on a shared
Redis, so with REDIS_URL pointing at a real server the operator must give it; only the embedded, single-machine
Redis may keep it in ACS_DATA_DIR (mode 0600), where a backup of the Redis files alone still does not include it
unless the whole directory is copied.
"""

from __future__ import annotations

import base64
import binascii
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivr.config import Config
from ivr.redis_conn import EmbeddedRedis

KEY_FORMAT = "32 random bytes in URL-safe base64, as `cryptography.fernet.Fernet.generate_key()` prints"
KEY_FILE = "data.key"
PREVIOUS_KEY_FILE = "data.key.previous"
GENERATE_HINT = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


class DataKeyError(RuntimeError):
    """The data key is missing or malformed; one line, never repeating the key's text."""


@dataclass(frozen=True)
class DataKeys:
    current: bytes
    previous: bytes | None = None
    source: str = "ACS_DATA_KEY"


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(text: str, name: str) -> bytes:
    """The 32 key bytes of `text`, or DataKeyError naming where the bad key came from."""
    text = (text or "").strip()
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32 or base64.urlsafe_b64encode(raw).decode() != text:
        raise DataKeyError(f"{name} is not a data key: expected {KEY_FORMAT}")
    return raw


def uses_embedded_redis(config: Config) -> bool:
    """True for the bundled redis-server under ACS_DATA_DIR (REDIS_URL unset, or `acs serve` pointing at it)."""
    return config.redis_url is None or config.redis_url == EmbeddedRedis(Path(config.data_dir)).url


def key_file(config: Config) -> Path:
    return Path(config.data_dir).resolve() / KEY_FILE


def load_data_keys(config: Config) -> DataKeys:
    """The current key (and the previous one during a rotation), generating the embedded key file on first start."""
    if config.data_key:
        current = parse_key(config.data_key, "ACS_DATA_KEY")
        previous = parse_key(config.previous_data_key, "ACS_PREVIOUS_DATA_KEY") if config.previous_data_key else None
        return DataKeys(current, previous)
    if not uses_embedded_redis(config):
        raise DataKeyError(f"ACS_DATA_KEY is not set; it is required with REDIS_URL (generate one: {GENERATE_HINT})")
    path = key_file(config)
    current = _read_key_file(path) if path.exists() else _create_key_file(path)
    previous_path = path.with_name(PREVIOUS_KEY_FILE)
    if config.previous_data_key:
        previous = parse_key(config.previous_data_key, "ACS_PREVIOUS_DATA_KEY")
    else:
        previous = _read_key_file(previous_path) if previous_path.exists() else None
    return DataKeys(current, previous, source=str(path))


def key_file_watch(config: Config) -> Callable[[], DataKeys | None] | None:
    """For keys kept in ACS_DATA_DIR: a function returning the keys again once the files changed (else None)."""
    if config.data_key or not uses_embedded_redis(config):
        return None
    files = (key_file(config), key_file(config).with_name(PREVIOUS_KEY_FILE))

    def signature() -> tuple:
        found = []
        for path in files:
            try:
                info = path.stat()
            except FileNotFoundError:
                found.append(None)
            else:
                found.append((info.st_ino, info.st_mtime_ns, info.st_size))
        return tuple(found)

    seen = [signature()]

    def reload() -> DataKeys | None:
        now = signature()
        if now == seen[0]:
            return None
        seen[0] = now
        try:
            return load_data_keys(config)
        except (DataKeyError, OSError):  # caught mid-write: keep the keys in use and look again later
            seen[0] = None
            return None

    return reload


def start_file_rotation(config: Config) -> bool:
    """Embedded Redis: keep the key in use as data.key.previous and put a new one in data.key (False: resuming)."""
    path = key_file(config)
    previous = path.with_name(PREVIOUS_KEY_FILE)
    old = path.read_text("ascii").strip()
    if previous.exists() and previous.read_text("ascii").strip() != old:
        return False  # a rotation already under way (killed midway): finish it with the keys it started with
    write_key_file(previous, old)  # first, so a crash between the two writes never loses the key the data is under
    write_key_file(path, generate_key())
    return True


def finish_file_rotation(config: Config) -> None:
    key_file(config).with_name(PREVIOUS_KEY_FILE).unlink(missing_ok=True)


def write_key_file(path: Path, text: str) -> None:
    """Write a key file atomically with mode 0600 (never readable by others, not even for an instant)."""
    os.replace(_private_temporary(path, text, "tmp"), path)


def _private_temporary(path: Path, text: str, suffix: str) -> Path:
    """`text` written and synced to a 0600 file beside `path` (its folder made 0700), to be renamed or linked."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{suffix}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return temporary


def _read_key_file(path: Path) -> bytes:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return parse_key(path.read_text("ascii", errors="replace"), str(path))


def _create_key_file(path: Path) -> bytes:
    """Generate the embedded key; of several processes starting at once, the first to link its file wins."""
    text = generate_key()
    temporary = _private_temporary(path, text, "new")
    try:
        os.link(temporary, path)
    except FileExistsError:
        return _read_key_file(path)
    finally:
        temporary.unlink(missing_ok=True)
    print(
        f"acs: generated the data key {path} (mode 0600); back it up apart from the Redis files: "
        "without it the stored SSNs/EINs cannot be read",
        file=sys.stderr,
    )
    return parse_key(text, str(path))
