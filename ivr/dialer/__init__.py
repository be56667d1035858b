"""Outbound calling: pacing ticks (batch), attempts, outcomes, placing calls, the retry policy and calling windows."""
