"""REST endpoints beyond calls and queues: Recordings (+ media), Conferences, Participants, Messages,
Applications, and DELETE on Calls, Queues and IncomingPhoneNumbers.

A mixin of `rest.RestApi` (same paging, 404 and JSON helpers). Pages followed:
https://www.twilio.com/docs/voice/api/recording, https://www.twilio.com/docs/voice/api/conference-resource,
https://www.twilio.com/docs/voice/api/conference-participant-resource,
https://www.twilio.com/docs/messaging/api/message-resource, https://www.twilio.com/docs/usage/api/applications.
Recording media (`.wav`, `.mp3`, or no extension = WAV) is served without authentication, as Twilio serves it
unless "HTTP Basic Authentication for media" is enabled on the account.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from emulator import conference, messaging
from emulator.errors import TwilioError
from emulator.resources import FINAL_STATUSES

ROUTES = [
    ("GET", r"/Recordings\.json", "recordings_list"),
    ("GET", r"/Recordings/(?P<sid>RE[^/.]+)\.json", "recordings_fetch"),
    ("DELETE", r"/Recordings/(?P<sid>RE[^/.]+)\.json", "recordings_delete"),
    ("GET", r"/Recordings/(?P<sid>RE[^/.]+)(?P<ext>\.wav|\.mp3|)", "recordings_media"),
    ("GET", r"/Calls/(?P<call>[^/]+)/Recordings\.json", "recordings_list"),
    ("GET", r"/Calls/(?P<call>[^/]+)/Recordings/(?P<sid>[^/.]+)\.json", "recordings_fetch"),
    ("DELETE", r"/Calls/(?P<call>[^/]+)/Recordings/(?P<sid>[^/.]+)\.json", "recordings_delete"),
    ("GET", r"/Conferences/(?P<conf>[^/]+)/Recordings\.json", "recordings_list"),
    ("GET", r"/Conferences\.json", "conferences_list"),
    ("GET", r"/Conferences/(?P<sid>[^/]+)\.json", "conferences_fetch"),
    ("POST", r"/Conferences/(?P<sid>[^/]+)\.json", "conferences_update"),
    ("GET", r"/Conferences/(?P<sid>[^/]+)/Participants\.json", "participants_list"),
    ("POST", r"/Conferences/(?P<sid>[^/]+)/Participants\.json", "participants_create"),
    ("GET", r"/Conferences/(?P<sid>[^/]+)/Participants/(?P<call>[^/]+)\.json", "participants_fetch"),
    ("POST", r"/Conferences/(?P<sid>[^/]+)/Participants/(?P<call>[^/]+)\.json", "participants_update"),
    ("DELETE", r"/Conferences/(?P<sid>[^/]+)/Participants/(?P<call>[^/]+)\.json", "participants_delete"),
    ("POST", r"/Messages\.json", "messages_create"),
    ("GET", r"/Messages\.json", "messages_list"),
    ("GET", r"/Messages/(?P<sid>[^/]+)\.json", "messages_fetch"),
    ("DELETE", r"/Messages/(?P<sid>[^/]+)\.json", "messages_delete"),
    ("POST", r"/Applications\.json", "applications_create"),
    ("GET", r"/Applications\.json", "applications_list"),
    ("GET", r"/Applications/(?P<sid>[^/]+)\.json", "applications_fetch"),
    ("POST", r"/Applications/(?P<sid>[^/]+)\.json", "applications_update"),
    ("DELETE", r"/Applications/(?P<sid>[^/]+)\.json", "applications_delete"),
    ("DELETE", r"/Calls/(?P<sid>[^/]+)\.json", "calls_delete"),
    ("DELETE", r"/Queues/(?P<sid>[^/]+)\.json", "queues_delete"),
    ("DELETE", r"/IncomingPhoneNumbers/(?P<sid>[^/]+)\.json", "numbers_delete"),
]
#: Served without Basic auth (Twilio's default for recording media).
PUBLIC_ENDPOINTS = frozenset({"recordings_media"})
NO_CONTENT = 204


def _deleted() -> Response:
    return Response(status=NO_CONTENT)


class MoreEndpoints:
    """Handlers mixed into `RestApi` (`self.emu`, `self.page`, `self._or_404` come from there)."""

    # -- recordings ------------------------------------------------------------------------------------------
    def _recording(self, sid: str, call: str | None = None):
        rec = self.emu.store.recordings.get(sid)
        if rec is not None and call is not None and rec.call_sid != call:
            rec = None
        return self._or_404(rec, f"Recordings/{sid}")

    def recordings_list(self, request: Request, call: str | None = None, conf: str | None = None):
        call = call or request.args.get("CallSid")
        conf = conf or request.args.get("ConferenceSid")
        base = self.emu.api_base
        with self.emu.store.lock:
            items = [
                r.to_json(base)
                for r in reversed(self.emu.store.recordings.values())
                if (not call or r.call_sid == call) and (not conf or r.conference_sid == conf)
            ]
        return self.page(request, "recordings", items)

    def recordings_fetch(self, request: Request, sid: str, call: str | None = None):
        with self.emu.store.lock:
            return self._recording(sid, call).to_json(self.emu.api_base), 200

    def recordings_delete(self, request: Request, sid: str, call: str | None = None):
        with self.emu.store.lock:
            self._recording(sid, call)
            del self.emu.store.recordings[sid]
        return _deleted()

    def recordings_media(self, request: Request, sid: str, ext: str = ""):
        rec = self._recording(sid)
        kind = "mp3" if ext == ".mp3" else "wav"
        mimetype = "audio/mpeg" if kind == "mp3" else "audio/x-wav"
        return Response(rec.media(kind), mimetype=mimetype)

    # -- conferences -----------------------------------------------------------------------------------------
    def _conference(self, sid: str):
        return self._or_404(conference.room(self.emu, sid), f"Conferences/{sid}")

    def conferences_list(self, request: Request):
        name, status = request.args.get("FriendlyName"), request.args.get("Status")
        with self.emu.store.lock:
            items = [
                c.to_json()
                for c in reversed(self.emu.store.conferences.values())
                if (not name or c.friendly_name == name) and (not status or c.status == status)
            ]
        return self.page(request, "conferences", items)

    def conferences_fetch(self, request: Request, sid: str):
        with self.emu.store.lock:
            return self._conference(sid).to_json(), 200

    def conferences_update(self, request: Request, sid: str):
        conf = self._conference(sid)
        conference.update_conference(self.emu, conf, request.form)
        with self.emu.store.lock:
            return conf.to_json(), 200

    def _participant(self, sid: str, call: str):
        conf = self._conference(sid)
        return self._or_404(conference.find_participant(conf, call), f"Conferences/{sid}/Participants/{call}")

    def participants_list(self, request: Request, sid: str):
        conf = self._conference(sid)
        muted, hold = request.args.get("Muted"), request.args.get("Hold")
        with self.emu.store.lock:
            items = [
                p.to_json()
                for p in conf.everyone()
                if (muted is None or str(p.muted).lower() == muted.lower())
                and (hold is None or str(p.hold).lower() == hold.lower())
            ]
        return self.page(request, "participants", items)

    def participants_create(self, request: Request, sid: str):
        part = conference.add_participant(self.emu, sid, request.form)
        with self.emu.store.lock:
            return part.to_json(), 201

    def participants_fetch(self, request: Request, sid: str, call: str):
        with self.emu.store.lock:
            return self._participant(sid, call).to_json(), 200

    def participants_update(self, request: Request, sid: str, call: str):
        part = self._participant(sid, call)
        conference.update_participant(self.emu, part, request.form)
        with self.emu.store.lock:
            payload = part.to_json()
        for key, attr in (("Hold", "hold"), ("Muted", "muted")):
            if key in request.form:
                payload[attr] = request.form[key].lower() == "true"  # as it will be once applied
        return payload, 200

    def participants_delete(self, request: Request, sid: str, call: str):
        conference.kick(self.emu, self._participant(sid, call))
        return _deleted()

    # -- messages --------------------------------------------------------------------------------------------
    def _message(self, sid: str):
        return self._or_404(self.emu.store.messages.get(sid), f"Messages/{sid}")

    def messages_create(self, request: Request):
        message = messaging.send(self.emu, request.form)
        with self.emu.store.lock:
            return message.to_json(), 201

    def messages_list(self, request: Request):
        to, from_ = request.args.get("To"), request.args.get("From")
        with self.emu.store.lock:
            items = [
                m.to_json()
                for m in reversed(self.emu.store.messages.values())
                if (not to or m.to == to) and (not from_ or m.from_ == from_)
            ]
        return self.page(request, "messages", items)

    def messages_fetch(self, request: Request, sid: str):
        with self.emu.store.lock:
            return self._message(sid).to_json(), 200

    def messages_delete(self, request: Request, sid: str):
        with self.emu.store.lock:
            message = self._message(sid)
            if message.status in ("queued", "sending", "accepted"):
                raise TwilioError(409, 20009, "Cannot delete a message that is being sent")
            del self.emu.store.messages[sid]
        return _deleted()

    # -- applications ----------------------------------------------------------------------------------------
    def _application(self, sid: str):
        return self._or_404(self.emu.store.applications.get(sid), f"Applications/{sid}")

    def applications_create(self, request: Request):
        return messaging.create_application(self.emu, request.form).to_json(), 201

    def applications_list(self, request: Request):
        name = request.args.get("FriendlyName")
        with self.emu.store.lock:
            items = [a.to_json() for a in self.emu.store.applications.values() if not name or a.friendly_name == name]
        return self.page(request, "applications", items)

    def applications_fetch(self, request: Request, sid: str):
        with self.emu.store.lock:
            return self._application(sid).to_json(), 200

    def applications_update(self, request: Request, sid: str):
        with self.emu.store.lock:
            app = self._application(sid)
            app.update(request.form)
            return app.to_json(), 200

    def applications_delete(self, request: Request, sid: str):
        with self.emu.store.lock:
            self._application(sid)
            del self.emu.store.applications[sid]
        return _deleted()

    # -- deletes of the older resources ----------------------------------------------------------------------
    def calls_delete(self, request: Request, sid: str):
        with self.emu.store.lock:
            record = self._call(sid)
            if record.status not in FINAL_STATUSES:
                raise TwilioError(409, 20009, "Cannot delete a call that is not completed")
            del self.emu.store.calls[sid]
        return _deleted()

    def queues_delete(self, request: Request, sid: str):
        with self.emu.store.lock:
            queue = self._queue(sid)
            if queue.members:
                raise TwilioError(409, 20009, "Cannot delete a queue that has members")
            del self.emu.store.queues[sid]
        return _deleted()

    def numbers_delete(self, request: Request, sid: str):
        with self.emu.store.lock:
            self._number(sid)
            del self.emu.store.numbers[sid]
        return _deleted()
