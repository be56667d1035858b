"""A voicemail box: a greeting, <Record> with transcription, and the recording looked up through the REST API.

Scenario: emulator/examples/voicemail.yaml (`acs simulate emulator/examples/voicemail.yaml`).
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from twilio.twiml.voice_response import VoiceResponse

from emulator.examples._common import client_from_env, serve, signed

GREETING = "You have reached the office. Please leave a message after the tone. Press pound when you are done."


def create_app(client=None, auth_token: str | None = None) -> Flask:
    app = Flask(__name__)
    client = client or client_from_env()
    check = signed(auth_token)
    boxes: dict[str, dict] = {}  # RecordingSid -> what we know about the message
    app.extensions["voicemails"] = boxes

    @app.post("/voice")
    @check
    def voice():
        response = VoiceResponse()
        response.say(GREETING)
        response.record(
            action="/voicemail/saved",
            max_length=60,
            timeout=5,
            finish_on_key="#",
            transcribe_callback="/voicemail/transcribed",
            recording_status_callback="/voicemail/status",
        )
        response.say("We did not get a message. Goodbye.")
        return str(response), 200, {"Content-Type": "text/xml"}

    @app.post("/voicemail/saved")
    @check
    def saved():
        boxes.setdefault(request.form["RecordingSid"], {})["seconds"] = int(request.form["RecordingDuration"])
        response = VoiceResponse()
        response.say("Thank you, your message has been saved. Goodbye.")
        response.hangup()
        return str(response), 200, {"Content-Type": "text/xml"}

    @app.post("/voicemail/status")
    @check
    def status():
        if request.form.get("RecordingStatus") == "completed":
            recording = client.recordings(request.form["RecordingSid"]).fetch()
            boxes.setdefault(recording.sid, {}).update(call_sid=recording.call_sid, duration=recording.duration)
        return "", 204

    @app.post("/voicemail/transcribed")
    @check
    def transcribed():
        boxes.setdefault(request.form["RecordingSid"], {})["text"] = request.form.get("TranscriptionText")
        return "", 204

    @app.get("/voicemails")
    def voicemails():
        return jsonify(boxes)

    return app


if __name__ == "__main__":
    serve(create_app)
