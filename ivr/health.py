"""GET /healthz: 200 when Redis answers, 503 otherwise (for load balancers and `acs demo`)."""

from __future__ import annotations

import redis
from flask import Flask

from ivr.services import services


def healthz():
    try:
        services().redis.ping()
    except redis.RedisError:
        return {"status": "redis unavailable"}, 503
    return {"status": "ok"}, 200


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
