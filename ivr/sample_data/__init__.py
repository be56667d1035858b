"""Synthetic sample data (cases, practitioners, authorizations) for imports, demos and tests."""
