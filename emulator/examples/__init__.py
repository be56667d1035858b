"""Small Twilio voice apps (Flask) that the emulator's scenarios run: a voicemail box and a warm transfer.

Each module has `create_app(client=None, auth_token=None, **settings)`: `client` is the `twilio.rest.Client`
the app uses for REST calls (default: from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN / TWILIO_API_BASE), and
webhooks are checked against `auth_token`'s X-Twilio-Signature as a real app would. `python -m
emulator.examples.<name> --port N` serves one over HTTP (for `acs simulate --app-url`).
"""
