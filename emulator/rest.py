"""The Twilio-compatible REST subset, as a small werkzeug WSGI app (no Flask: it must stay cheap per request).

Routes mirror `/2010-04-01/Accounts/{AccountSid}/...json`; authentication is HTTP Basic with the account SID and
auth token; every error has Twilio's JSON shape so the unmodified SDK raises `TwilioRestException` as it would.
"""

from __future__ import annotations

import io
import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode

from werkzeug.datastructures import Authorization, ImmutableMultiDict
from werkzeug.wrappers import Request, Response

from emulator import control, messaging, rest_more
from emulator.errors import TwilioError, not_found, unauthorized

if TYPE_CHECKING:
    from emulator.emulator import Emulator

P = r"/2010-04-01/Accounts/(?P<account>[^/]+)"
ROUTES: list[tuple[str, re.Pattern, str]] = [
    (method, re.compile(f"^{P}{pattern}$"), endpoint)
    for method, pattern, endpoint in [
        ("POST", r"/Calls\.json", "calls_create"),
        ("GET", r"/Calls\.json", "calls_list"),
        ("GET", r"/Calls/(?P<sid>[^/]+)\.json", "calls_fetch"),
        ("POST", r"/Calls/(?P<sid>[^/]+)\.json", "calls_update"),
        ("POST", r"/Queues\.json", "queues_create"),
        ("GET", r"/Queues\.json", "queues_list"),
        ("GET", r"/Queues/(?P<sid>[^/]+)\.json", "queues_fetch"),
        ("POST", r"/Queues/(?P<sid>[^/]+)\.json", "queues_update"),
        ("GET", r"/Queues/(?P<sid>[^/]+)/Members\.json", "members_list"),
        ("GET", r"/Queues/(?P<sid>[^/]+)/Members/(?P<call>[^/]+)\.json", "members_fetch"),
        ("POST", r"/Queues/(?P<sid>[^/]+)/Members/(?P<call>[^/]+)\.json", "members_update"),
        ("POST", r"/IncomingPhoneNumbers\.json", "numbers_create"),
        ("GET", r"/IncomingPhoneNumbers\.json", "numbers_list"),
        ("GET", r"/IncomingPhoneNumbers/(?P<sid>[^/]+)\.json", "numbers_fetch"),
        ("POST", r"/IncomingPhoneNumbers/(?P<sid>[^/]+)\.json", "numbers_update"),
        *rest_more.ROUTES,
    ]
]


def match(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """Find the endpoint for a request (plain regexes: werkzeug's matcher costs more than the handler)."""
    for route_method, pattern, endpoint in ROUTES:
        if route_method == method:
            found = pattern.match(path)
            if found:
                return endpoint, found.groupdict()
    return None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        raise TwilioError(400, 20001, f"Invalid integer {value!r}") from None


def _bool(value: str | None) -> bool:
    return (value or "").lower() == "true"


class _FormRequest(Request):
    """Werkzeug's Request, reading a url-encoded body (what the twilio SDK sends) straight from its declared length
    with urllib's parser (Werkzeug's own call) instead of its stream wrapper and form-parser objects."""

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        environ = self.environ
        length = environ.get("CONTENT_LENGTH") or ""
        kind = (environ.get("CONTENT_TYPE") or "").partition(";")[0].strip().lower()
        size = int(length) if length.isdigit() else -1
        limit = self.max_form_memory_size
        if (
            kind != "application/x-www-form-urlencoded"
            or size < 0
            or (limit is not None and size > limit)
            or getattr(self, "_cached_data", None) is not None
        ):
            return super()._load_form_data()  # and its refusals
        body = environ["wsgi.input"].read(size) if size else b""
        try:
            items = parse_form(body.decode())
        except ValueError:  # e.g. not UTF-8: Werkzeug's parser is silent too, and the form is empty
            items = []
        self.__dict__.update(stream=io.BytesIO(), form=_Form(items))
        self.__dict__["files"] = self.parameter_storage_class()


class _Form(ImmutableMultiDict):
    """The form, whose `get` of a missing name returns the default without raising (and catching) the
    BadRequestKeyError MultiDict's own `get` goes through: a calls.create asks for ~20 names, most of them unset."""

    def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's signature
        if type is not None:
            return super().get(key, default, type)
        values = dict.get(self, key)
        return values[0] if values else default


def parse_form(text: str) -> list[tuple[str, str]]:
    """parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote") (what Werkzeug's form parser calls),
    with each name and value unquoted once per process: the SDK sends the same URLs and names call after call."""
    return [_field(field) for field in text.split("&") if field]


@lru_cache(maxsize=4096)
def _field(field: str) -> tuple[str, str]:
    """(name, value) of one `name=value`, once per field: most of a calls.create's recur call after call."""
    name, _, value = field.partition("=")
    return _unquoted(name), _unquoted(value)


@lru_cache(maxsize=4096)
def _unquoted(text: str) -> str:
    return unquote(text.replace("+", " "), errors="werkzeug.url_quote")


@lru_cache(maxsize=64)
def _credentials(header: str | None) -> tuple[str | None, str | None] | None:
    """(username, password) of an Authorization header, as `request.authorization` parses it (once per header
    value: every request of a client carries the same one)."""
    auth = Authorization.from_header(header)
    return None if auth is None else (auth.username, auth.password)


class JsonResponse:
    """What werkzeug's `Response(json.dumps(payload), status, mimetype="application/json")` sends (its status line,
    Content-Type and Content-Length; no body to a HEAD), without building its header and iterator objects."""

    __slots__ = ("body", "status_code")

    def __init__(self, payload, status: int = 200) -> None:
        self.body = json.dumps(payload).encode("utf-8")
        self.status_code = status

    def __call__(self, environ, start_response):
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(self.body)))]
        start_response(_status_line(self.status_code), headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]


@lru_cache(maxsize=64)
def _status_line(code: int) -> str:
    return Response(status=code).status


_RESPONSES = (Response, JsonResponse)


class RestApi(rest_more.MoreEndpoints):
    """WSGI callable; one instance per emulator, safe to call from many threads."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def __call__(self, environ, start_response):
        request = _FormRequest(environ)
        try:
            response = self.dispatch(request)
        except TwilioError as exc:
            response = self.json(exc.to_json(), exc.status)
        return response(environ, start_response)

    @staticmethod
    def json(payload: dict, status: int = 200) -> JsonResponse:
        return JsonResponse(payload, status)

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith(control.PREFIX):
            self._authenticate(request, self.emu.account_sid)
            return control.handle(self.emu, request)
        found = match(request.method, request.path)
        if found is None:
            raise not_found(request.path)
        endpoint, args = found
        account = args.pop("account")
        if endpoint not in rest_more.PUBLIC_ENDPOINTS:
            self._authenticate(request, account)
        operation = endpoint.replace("_", ".", 1)
        fault = self.emu.faults.take(operation)
        if fault is not None:
            raise fault
        handler = getattr(self, endpoint)
        result = handler(request, **args)
        return result if isinstance(result, _RESPONSES) else self.json(*result)

    def _authenticate(self, request: Request, account: str) -> None:
        if _credentials(request.environ.get("HTTP_AUTHORIZATION")) != (self.emu.account_sid, self.emu.auth_token) or (
            account != self.emu.account_sid
        ):
            raise unauthorized()

    # -- paging ------------------------------------------------------------------------------------------
    def page(self, request: Request, key: str, items: list[dict]) -> tuple[dict, int]:
        size = max(1, min(1000, _int(request.args.get("PageSize"), 50)))
        number = _int(request.args.get("Page"), 0)
        chunk = items[number * size : (number + 1) * size]
        args = {k: v for k, v in request.args.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(n: int) -> str:
            return request.path + "?" + urlencode({**args, "PageSize": size, "Page": n, "PageToken": f"PA{n}"})

        has_next = (number + 1) * size < len(items)
        return {
            key: chunk,
            "page": number,
            "page_size": size,
            "start": number * size,
            "end": number * size + max(0, len(chunk) - 1),
            "uri": uri(number),
            "first_page_uri": uri(0),
            "next_page_uri": uri(number + 1) if has_next else None,
            "previous_page_uri": uri(number - 1) if number > 0 else None,
        }, 200

    # -- calls -------------------------------------------------------------------------------------------
    def calls_create(self, request: Request):
        form = request.form
        url, method, status_callback = form.get("Url"), form.get("Method", "POST"), form.get("StatusCallback")
        if form.get("ApplicationSid") and not form.get("Twiml"):
            # https://www.twilio.com/docs/voice/api/call-resource: the application's URLs replace Url/StatusCallback.
            app = messaging.application_call_target(self.emu, form["ApplicationSid"])
            url, method, status_callback = app.voice_url, app.voice_method, app.status_callback
        record = self.emu.create_call(
            to=form.get("To"),
            from_=form.get("From"),
            url=url,
            twiml=form.get("Twiml"),
            method=method,
            status_callback=status_callback,
            status_callback_event=form.getlist("StatusCallbackEvent"),
            status_callback_method=form.get("StatusCallbackMethod", "POST"),
            timeout=_int(form.get("Timeout"), 60),
            machine_detection=form.get("MachineDetection"),
            machine_detection_timeout=_int(form.get("MachineDetectionTimeout"), 30),
            async_amd=_bool(form.get("AsyncAmd")),
            async_amd_status_callback=form.get("AsyncAmdStatusCallback"),
            async_amd_status_callback_method=form.get("AsyncAmdStatusCallbackMethod", "POST"),
            send_digits=form.get("SendDigits"),
            record=_bool(form.get("Record")),
            recording_status_callback=form.get("RecordingStatusCallback"),
            recording_status_callback_event=form.getlist("RecordingStatusCallbackEvent"),
            recording_status_callback_method=form.get("RecordingStatusCallbackMethod", "POST"),
        )
        with self.emu.store.lock:
            return record.to_json(), 201

    def _or_404(self, found, resource: str):
        """`found`, or Twilio's 404 for the account's `resource` path (e.g. `Calls/CA…`)."""
        if found is None:
            raise not_found(f"/2010-04-01/Accounts/{self.emu.account_sid}/{resource}.json")
        return found

    def _call(self, sid: str):
        return self._or_404(self.emu.store.calls.get(sid), f"Calls/{sid}")

    def calls_fetch(self, request: Request, sid: str):
        with self.emu.store.lock:
            return self._call(sid).to_json(), 200

    def calls_list(self, request: Request):
        to, from_, status = request.args.get("To"), request.args.get("From"), request.args.get("Status")
        with self.emu.store.lock:
            records = [
                r.to_json()
                for r in reversed(self.emu.store.calls.values())
                if (not to or r.to == to) and (not from_ or r.from_ == from_) and (not status or r.status == status)
            ]
        return self.page(request, "calls", records)

    def calls_update(self, request: Request, sid: str):
        form = request.form
        self._call(sid)
        record = self.emu.update_call(
            sid,
            url=form.get("Url"),
            method=form.get("Method", "POST"),
            twiml=form.get("Twiml"),
            status=form.get("Status"),
        )
        with self.emu.store.lock:
            return record.to_json(), 200

    # -- queues ------------------------------------------------------------------------------------------
    def _queue(self, sid: str):
        return self._or_404(self.emu.store.queues.get(sid), f"Queues/{sid}")

    def queues_create(self, request: Request):
        name = request.form.get("FriendlyName")
        if not name:
            raise TwilioError(400, 20001, "Missing required parameter FriendlyName in the post body")
        queue = self.emu.create_queue(name, _int(request.form.get("MaxSize"), 1000))
        return queue.to_json(self.emu.engine.now()), 201

    def queues_list(self, request: Request):
        now = self.emu.engine.now()
        with self.emu.store.lock:
            items = [q.to_json(now) for q in self.emu.store.queues.values()]
        return self.page(request, "queues", items)

    def queues_fetch(self, request: Request, sid: str):
        with self.emu.store.lock:
            return self._queue(sid).to_json(self.emu.engine.now()), 200

    def queues_update(self, request: Request, sid: str):
        with self.emu.store.lock:
            queue = self._queue(sid)
            queue.friendly_name = request.form.get("FriendlyName", queue.friendly_name)
            queue.max_size = _int(request.form.get("MaxSize"), queue.max_size)
            return queue.to_json(self.emu.engine.now()), 200

    def _member(self, sid: str, call: str):
        queue = self._queue(sid)
        members = queue.members
        member = members[0] if call == "Front" and members else next((m for m in members if m.call_sid == call), None)
        return queue, self._or_404(member, f"Queues/{sid}/Members/{call}")

    def members_list(self, request: Request, sid: str):
        now = self.emu.engine.now()
        with self.emu.store.lock:
            queue = self._queue(sid)
            items = [queue.member_json(m, now) for m in queue.members]
        return self.page(request, "queue_members", items)

    def members_fetch(self, request: Request, sid: str, call: str):
        with self.emu.store.lock:
            queue, member = self._member(sid, call)
            return queue.member_json(member, self.emu.engine.now()), 200

    def members_update(self, request: Request, sid: str, call: str):
        url = request.form.get("Url")
        if not url:
            raise TwilioError(400, 20001, "Missing required parameter Url in the post body")
        with self.emu.store.lock:
            queue, member = self._member(sid, call)
            payload = queue.member_json(member, self.emu.engine.now())
        self.emu.dequeue_member(sid, member.call_sid, url, request.form.get("Method", "POST"))
        return payload, 200

    # -- incoming phone numbers --------------------------------------------------------------------------
    def _number(self, sid: str):
        return self._or_404(self.emu.store.numbers.get(sid), f"IncomingPhoneNumbers/{sid}")

    @staticmethod
    def _number_fields(form) -> dict:
        mapping = {
            "VoiceMethod": "voice_method",
            "StatusCallback": "status_callback",
            "StatusCallbackMethod": "status_callback_method",
            "FriendlyName": "friendly_name",
        }
        return {attr: form[key] for key, attr in mapping.items() if key in form}

    def numbers_create(self, request: Request):
        phone = request.form.get("PhoneNumber")
        if not phone:
            raise TwilioError(400, 21452, "No phone number provided (PhoneNumber or AreaCode is required)")
        if self.emu.store.number_for(phone):
            raise TwilioError(400, 21422, f"Phone number {phone} is not available")
        number = self.emu.add_number(phone, request.form.get("VoiceUrl"), **self._number_fields(request.form))
        return number.to_json(), 201

    def numbers_list(self, request: Request):
        phone = request.args.get("PhoneNumber")
        with self.emu.store.lock:
            items = [n.to_json() for n in self.emu.store.numbers.values() if not phone or n.phone_number == phone]
        return self.page(request, "incoming_phone_numbers", items)

    def numbers_fetch(self, request: Request, sid: str):
        with self.emu.store.lock:
            return self._number(sid).to_json(), 200

    def numbers_update(self, request: Request, sid: str):
        with self.emu.store.lock:
            number = self._number(sid)
            if "VoiceUrl" in request.form:
                number.voice_url = request.form["VoiceUrl"]
            for attr, value in self._number_fields(request.form).items():
                setattr(number, attr, value)
            return number.to_json(), 200
