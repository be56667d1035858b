"""Twilio request signatures: every /voice route is reachable only with a valid X-Twilio-Signature.

The URL Twilio signed is PUBLIC_BASE_URL + path + query, not what Flask sees behind ngrok or a TLS proxy.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable

from flask import Request, abort, request

from ivr.services import services


def signed_url(req: Request | None = None, base: str | None = None) -> str:
    """The URL Twilio requested, as it signed it."""
    req = req or request._get_current_object()
    base = services().config.public_base_url or "" if base is None else base
    query = req.query_string.decode("utf-8", "replace")
    return base + req.path + (f"?{query}" if query else "")


def twilio_request_is_valid() -> bool:
    svc = services()
    req = request._get_current_object()  # one proxy lookup, not one per attribute: this runs on every webhook
    signature = req.environ.get("HTTP_X_TWILIO_SIGNATURE", "")  # the X-Twilio-Signature header
    if not (svc.validator and svc.config.public_base_url and signature):
        return False
    url, params = signed_url(req, svc.config.public_base_url), _FormValues(dict.items(req.form))
    # The common case costs one HMAC; validate() then tries the with/without-port variants Twilio may have signed.
    # compare_digest: constant time like twilio's `compare`, in C (bytes: a str argument must be ASCII).
    computed = svc.validator.compute_signature(url, params).encode()
    return hmac.compare_digest(computed, signature.encode("utf-8", "replace")) or svc.validator.validate(
        url, params, signature
    )


class _FormValues(dict):
    """The form as name → its values, with the `getall` RequestValidator asks for first: Werkzeug's MultiDict has
    only `getlist`, which the validator reaches after an AttributeError per parameter (~30 per webhook). `getall`
    is dict's own lookup (the values are already lists): no Python call per parameter."""

    getall = dict.__getitem__


def has_repeated_parameter() -> bool:
    """True when a form or query parameter comes more than once.

    RequestValidator sorts repeated values before signing, so `Digits=1&Digits=9` and `Digits=9&Digits=1` share a
    signature while the app reads the first: a captured request could be replayed with its values swapped. Twilio
    never repeats a parameter, so any repeat is refused (400) rather than guessing which value was meant.
    """
    # A MultiDict is a dict of lists: read them directly. The query string is parsed only when there is one.
    req = request._get_current_object()
    if any(len(values) > 1 for values in dict.values(req.form)):
        return True
    return bool(req.query_string) and any(len(values) > 1 for values in dict.values(req.args))


def validate_twilio_request(view: Callable) -> Callable:
    """Decorator: 403 unless the request carries a valid Twilio signature; 400 when a parameter is repeated."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not twilio_request_is_valid():
            abort(403)
        if has_repeated_parameter():
            abort(400)
        return view(*args, **kwargs)

    return wrapper
