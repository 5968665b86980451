"""A fast webhook receiver for the delivery benchmark: asyncio + h11, in a process of its own.

It answers 200 to every POST, notes when each arrived and the latency from the payload's
`created_at`, verifies one signature in 50 with the standardwebhooks library, and answers
GET /stats with what it saw (GET /reset forgets it).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime
from typing import Any

import h11
from standardwebhooks import Webhook

STATE: dict[str, Any] = {"latencies": [], "first": None, "last": None, "bad_signatures": 0}


def _record(headers: dict[str, str], body: bytes, secret: str) -> None:
    now = time.time()
    payload = json.loads(body)
    created = datetime.fromisoformat(payload["created_at"]).timestamp()
    STATE["latencies"].append(now - created)
    STATE["first"] = STATE["first"] or now
    STATE["last"] = now
    if len(STATE["latencies"]) % 50 == 1:
        try:
            Webhook(secret).verify(body, headers)
        except Exception:
            STATE["bad_signatures"] += 1


def _answer(conn: h11.Connection, target: bytes) -> bytes:
    if target == b"/reset":
        STATE.update(latencies=[], first=None, last=None, bad_signatures=0)
    body = json.dumps(STATE).encode() if target in {b"/stats", b"/reset"} else b"ok"
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"text/plain")]
    out = conn.send(h11.Response(status_code=200, headers=headers))
    return (
        (out or b"")
        + (conn.send(h11.Data(data=body)) or b"")
        + (conn.send(h11.EndOfMessage()) or b"")
    )


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, secret: str) -> None:
    conn = h11.Connection(h11.SERVER)
    request: h11.Request | None = None
    body = b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            conn.receive_data(data)
            if not data:
                break
        elif isinstance(event, h11.Request):
            request, body = event, b""
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            if not await _respond(conn, writer, request, body, secret):
                break
        else:
            break
    writer.close()


async def _respond(
    conn: h11.Connection,
    writer: asyncio.StreamWriter,
    request: h11.Request,
    body: bytes,
    secret: str,
) -> bool:
    """Answer one request; return whether the connection stays open."""
    if request.method == b"POST":
        _record({k.decode(): v.decode() for k, v in request.headers}, body, secret)
    writer.write(_answer(conn, request.target))
    await writer.drain()
    if conn.our_state is not h11.DONE:
        return False  # the client asked to close
    conn.start_next_cycle()
    return True


async def main(port: int, secret: str) -> None:
    server = await asyncio.start_server(
        lambda r, w: _serve(r, w, secret), "127.0.0.1", port, backlog=1024
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
