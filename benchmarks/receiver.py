"""A webhook receiver for the delivery benchmark (aiohttp's server), in a process of its own.

It answers 200 to every POST, notes when each arrived and the latency from the payload's
`created_at`, verifies one signature in 50 with the standardwebhooks library, and answers
GET /stats with what it saw (GET /reset forgets it).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError

STATE: dict[str, Any] = {"latencies": [], "first": None, "last": None, "bad_signatures": 0}


def make_app(secret: str) -> web.Application:
    signer = Webhook(secret)

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        created = datetime.fromisoformat(json.loads(body)["created_at"]).timestamp()
        STATE["latencies"].append(now - created)
        STATE["first"] = STATE["first"] or now
        STATE["last"] = now
        if len(STATE["latencies"]) % 50 == 1:
            try:
                signer.verify(body, dict(request.headers))
            except WebhookVerificationError:
                STATE["bad_signatures"] += 1
        return web.Response(text="ok")

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(STATE)

    async def reset(request: web.Request) -> web.Response:
        STATE.update(latencies=[], first=None, last=None, bad_signatures=0)
        return web.json_response(STATE)

    app = web.Application()
    app.router.add_post("/hook/{shop}", hook)
    app.router.add_get("/stats", stats)
    app.router.add_get("/reset", reset)
    return app


if __name__ == "__main__":
    web.run_app(
        make_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), print=None,
        access_log=None,
    )  # fmt: skip
