"""The collection employee's web console: sign in, take the next caller, open the case by CRN, act on it.

Server-rendered templates over the same Redis state as the voice webhooks. Every POST carries a CSRF token
(Flask-WTF), checked here only, so Twilio's webhooks are untouched. Session cookies are HttpOnly, SameSite=Lax and
Secure whenever PUBLIC_BASE_URL is https.
"""
