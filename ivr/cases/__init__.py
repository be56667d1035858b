"""The office's records and rules: cases, taxpayers, practitioners, authorizations, CRNs, history, actions."""
