"""The console's session: a signed cookie naming the user, with the form token of the session.

The cookie is signed (itsdangerous, HMAC-SHA1 over a key derived from the console's secret) and
carries its own timestamp, read from the runtime's clock (the one the use cases read): past
BUDGETGUARD_SESSION_HOURS it is refused as if absent. It also carries the instant (to the
microsecond) the user's password last changed, so setting a new password ends every session
signed in with the old one, and its form token, by which a session signed out is refused
(services/sign_in.py). `HttpOnly` (no script reads it), `SameSite=Lax` (no other site's
form or script sends it), `Secure` when the console is reached over HTTPS.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from budgetguard.domain.clock import Clock, utc_now
from budgetguard.domain.users import User

COOKIE = "bg_session"
SALT = "budgetguard.console.session"


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    csrf: str
    """The form token of this session: every POST must send it back."""
    password_stamp: int


def stamp_of(user: User) -> int:
    """The instant the user's password was set, in microseconds."""
    changed = user.password_changed_at
    return int(changed.timestamp()) * 1_000_000 + changed.microsecond


class ClockedSigner(TimestampSigner):
    """itsdangerous's timestamp signer, reading the time from `clock` instead of time.time()."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


class SessionCodec:
    """Signs sessions into cookie values and reads them back."""

    def __init__(self, secret: str, *, hours: float, clock: Clock = utc_now) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret, salt=SALT, signer=ClockedSigner, signer_kwargs={"clock": clock}
        )
        self.max_age = int(hours * 3600)

    def begin(self, response: Response, request: Request, user: User) -> Session:
        """Sign `user` in: a new session (a new form token) set on `response`."""
        session = Session(user.id, secrets.token_urlsafe(32), stamp_of(user))
        value = self._serializer.dumps([session.user_id, session.csrf, session.password_stamp])
        response.set_cookie(
            COOKIE,
            value,
            max_age=self.max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return session

    def read(self, request: Request) -> Session | None:
        """The session of the request's cookie, if it is one we signed and it has not expired."""
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        try:
            user_id, csrf, stamp = self._serializer.loads(value, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(user_id, int) or not isinstance(csrf, str) or not isinstance(stamp, int):
            return None
        return Session(user_id, csrf, stamp)


def end(response: Response) -> None:
    """Sign out in the browser: the cookie is removed (the server ends the session first)."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
