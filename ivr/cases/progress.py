"""The import's progress bars (tqdm, with rate and ETA) on a terminal; nothing at all when stderr is not one."""

from __future__ import annotations

import sys

from ivr.cases.importer import Progress


class TerminalProgress(Progress):
    """`validating` in bytes of the file, then `writing` in records."""

    def __init__(self, total_bytes: int, stream=None):
        from tqdm import tqdm

        self._tqdm = tqdm
        self.stream = stream or sys.stderr
        self.bar = tqdm(total=total_bytes, desc="validating", unit="B", unit_scale=True, file=self.stream)

    def read(self, size: int) -> None:
        self.bar.update(size)

    def writing(self, rows: int) -> None:
        self.bar.close()
        self.bar = self._tqdm(total=rows, desc="writing", unit=" rows", unit_scale=True, file=self.stream)

    def wrote(self, rows: int) -> None:
        self.bar.update(rows)

    def close(self) -> None:
        self.bar.close()


def progress_for(total_bytes: int) -> Progress | TerminalProgress:
    """Bars on a terminal, silence in a pipe or a log."""
    return TerminalProgress(total_bytes) if sys.stderr.isatty() else Progress()
