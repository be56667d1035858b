"""Synthetic sample data (cases, practitioners, authorizations) for imports, demos and tests."""

from __future__ import annotations

from pathlib import Path

import redis

from ivr.keys import KeySchema

DIRECTORY = Path(__file__).resolve().parent
#: Practitioners before the authorizations that name them.
IMPORT_ORDER = ("practitioners", "cases", "authorizations")


def load_sample_data(client: redis.Redis, keys: KeySchema) -> None:
    """Import the three sample CSVs (idempotent), as `acs import` would."""
    from ivr.cases.importer import Importer

    importer = Importer(client, keys)  # sealed under the process's data key (Services installs it)
    for kind in IMPORT_ORDER:
        result = importer.import_file(kind, DIRECTORY / f"{kind}.csv")
        if not result.ok:
            raise RuntimeError(f"sample {kind} failed to import: {result.errors}")
