"""Built-in call scenarios for `acs simulate` (YAML; format in emulator/README.md)."""
