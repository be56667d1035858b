"""The timeline of a run: who heard, pressed and requested what, at which emulator second."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import asdict, dataclass, field


@dataclass(slots=True)
class Entry:
    """One line of the timeline; slotted, as a long-running emulator keeps ~12 of them a call."""

    t: float
    leg: str  # the leg's label (party name) or call SID
    call_sid: str
    kind: str  # call, status, say, play, pause, dtmf, gather, webhook, queue, bridge, amd, machine, error
    text: str
    data: dict = field(default_factory=dict)


class Transcript:
    """Append-only, thread-safe timeline, printable as text or JSON.

    `limit` keeps only the newest entries (None: all), so an emulator left running for days holds a bounded
    timeline; `total` still counts every entry added, and `since` reads on from a count."""

    def __init__(self, limit: int | None = None) -> None:
        self._lock = threading.Lock()
        self.entries: deque[Entry] = deque(maxlen=limit)
        self.total = 0

    def add(self, t: float, leg: str, call_sid: str, kind: str, text: str, **data) -> Entry:
        entry = Entry(round(t, 3), leg, call_sid, kind, text, data)
        with self._lock:
            self.entries.append(entry)
            self.total += 1
        return entry

    @property
    def dropped(self) -> int:
        """Entries no longer kept (older than the newest `limit`)."""
        return self.total - len(self.entries)

    def since(self, count: int) -> tuple[list[Entry], int]:
        """The entries added after the first `count` (those still kept) and the count to pass next time: a reader
        printing as it goes never repeats nor skips a kept entry, however many were dropped meanwhile."""
        with self._lock:
            first_kept = self.total - len(self.entries)
            return list(self.entries)[max(0, count - first_kept) :], self.total

    def for_leg(self, leg: str) -> list[Entry]:
        """Entries of the leg named `leg` (label or call SID)."""
        with self._lock:
            return [e for e in self.entries if leg in (e.leg, e.call_sid)]

    def of_kind(self, kind: str) -> list[Entry]:
        with self._lock:
            return [e for e in self.entries if e.kind == kind]

    def to_json(self, indent: int | None = 2) -> str:
        with self._lock:
            return json.dumps([asdict(e) for e in self.entries], indent=indent)

    def to_text(self) -> str:
        with self._lock:
            entries = list(self.entries)
        width = max((len(e.leg) for e in entries), default=4)
        lines = [f"({self.dropped} earlier entries not kept)"] if self.dropped else []
        for e in entries:
            minutes, seconds = divmod(e.t, 60)
            lines.append(f"{int(minutes):3d}:{seconds:06.3f}  {e.leg:<{width}}  {e.kind.upper():<8} {e.text}")
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.entries)
