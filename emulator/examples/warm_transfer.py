"""Warm transfer through a conference: the caller waits in a room, an agent is dialled in; on "transfer" the
caller is held, a supervisor is dialled in, and when the supervisor joins the caller is taken off hold and the
agent leaves. The shape of Twilio's warm-transfer tutorial, on the Conference and Participant resources.

Scenario: emulator/examples/warm-transfer.yaml (`acs simulate emulator/examples/warm-transfer.yaml`).
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from twilio.twiml.voice_response import Dial, VoiceResponse

from emulator.examples._common import client_from_env, serve, signed


def create_app(
    client=None,
    auth_token: str | None = None,
    app_number: str = "+18005550100",
    agent_number: str = "+12025550170",
    supervisor_number: str = "+12025550180",
) -> Flask:
    app = Flask(__name__)
    client = client or client_from_env()
    check = signed(auth_token)
    rooms: dict[str, dict] = {}  # ConferenceSid -> {"caller": CallSid, "transferring": bool}
    app.extensions["rooms"] = rooms

    def twiml(response: VoiceResponse):
        return str(response), 200, {"Content-Type": "text/xml"}

    @app.post("/voice")
    @check
    def voice():
        response = VoiceResponse()
        response.say("Thank you for calling. Connecting you to an agent.")
        dial = Dial(action="/goodbye")
        dial.conference(
            f"support-{request.form['CallSid'][-8:]}",
            start_conference_on_enter=False,
            end_conference_on_exit=True,
            wait_url="/hold",
            status_callback="/conference/events",
            status_callback_event="start end join leave hold",
        )
        response.append(dial)
        return twiml(response)

    @app.post("/hold")
    @check
    def hold():
        response = VoiceResponse()
        response.say("Please hold.")
        response.pause(length=10)
        return twiml(response)

    @app.post("/conference/events")
    @check
    def events():
        form = request.form
        sid, event, label = form["ConferenceSid"], form["StatusCallbackEvent"], form.get("ParticipantLabel")
        participants = client.conferences(sid).participants
        if event == "participant-join" and not label and sid not in rooms:
            rooms[sid] = {"caller": form["CallSid"], "transferring": False}
            participants.create(from_=app_number, to=agent_number, label="agent", end_conference_on_exit=False)
        elif event == "participant-join" and label == "supervisor":
            participants(rooms[sid]["caller"]).update(hold=False)
            participants("agent").delete()  # warm: the agent briefed the supervisor, now leaves
        return "", 204

    @app.post("/transfer")
    def transfer():
        """The agent's "transfer" button (an operator action, not a Twilio webhook)."""
        sid = request.form.get("conference") or next(reversed(rooms), None)
        if sid is None or rooms[sid]["transferring"]:
            return jsonify({"error": "no call to transfer"}), 409
        rooms[sid]["transferring"] = True
        participants = client.conferences(sid).participants
        hold_url = request.url_root.rstrip("/") + "/hold"  # the REST API wants absolute URLs
        participants(rooms[sid]["caller"]).update(hold=True, hold_url=hold_url, hold_method="POST")
        participants.create(from_=app_number, to=supervisor_number, label="supervisor", end_conference_on_exit=True)
        return jsonify({"conference": sid}), 202

    @app.post("/goodbye")
    @check
    def goodbye():
        response = VoiceResponse()
        response.say("Goodbye.")
        return twiml(response)

    @app.get("/rooms")
    def list_rooms():
        return jsonify(rooms)

    return app


if __name__ == "__main__":
    serve(create_app)
