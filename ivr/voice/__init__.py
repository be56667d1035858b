"""Twilio voice webhooks: thin views over ivr.voice.twiml and the repositories.

Layout: `blueprint` (the Blueprint and shared helpers), `inbound` and `outbound` (the routes), `app` (wiring),
`twiml` (pure TwiML), `callers` (caller context), `security` (signatures).
"""
