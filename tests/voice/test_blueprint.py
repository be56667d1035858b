"""The TwiML response: what a WSGI server sends is what Flask's default text/xml response sent."""

from __future__ import annotations

import pytest
from flask import Response
from werkzeug.test import create_environ, run_wsgi_app

from ivr.voice import twiml
from ivr.voice.blueprint import twiml_response


@pytest.mark.parametrize("method", ["POST", "GET", "HEAD"])
@pytest.mark.parametrize("document", [twiml.hang_up("Goodbye — é."), twiml.empty(), "<Response/>"])
def test_twiml_response_is_sent_as_flask_sends_text_xml(method: str, document) -> None:
    def sent(response: Response):
        body, status, headers = run_wsgi_app(response, create_environ("/voice/x", method=method))
        return b"".join(body), status, sorted(headers.items())

    assert sent(twiml_response(document)) == sent(Response(str(document), mimetype="text/xml"))
    assert twiml_response(document).get_data(as_text=True) == str(document)
