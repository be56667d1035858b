"""`python -m ivr …` is `acs …` (tests start real processes this way, from the tree under test)."""

from ivr.cli import main

main()
