"""Signing in to the console, slowed down after repeated failures (domain/sign_in.py); the user
of a session; signing out.

An attempt is counted as a failure of its name and of its client *before* its password is
checked, in one short transaction that holds those subjects' rows: parallel guesses queue on
the rows, and each one sees the failures of those before it. A success then takes its attempt
back: the name's count is cleared, the client's lowered by one. An attempt that must wait is
answered at once, its password unchecked and nothing written.

Rows are forgotten once their last failure is older than the window, and removed from the table
whenever a new subject is added to it: the table holds only the subjects that failed lately.

Signing out ends the session on the server, for every replica: the digest of its form token (a
random value each session has alone) is stored in bg_ended_sessions until the session hours have
passed (by then no cookie signed before is valid), so a copy of the cookie is refused too.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from budgetguard.db.catalog import audit, users
from budgetguard.db.catalog import sign_in_failures as failures
from budgetguard.domain.sign_in import WINDOW, Failures, counted, subjects, wait_for
from budgetguard.domain.text import readable
from budgetguard.domain.users import SIGNED_IN, SIGNED_OUT, User
from budgetguard.services.uow import Context, reading, write
from budgetguard.services.users import authenticate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What came of a sign-in: the user, or none; `wait` above zero: refused unchecked, to be
    tried again after that long."""

    user: User | None
    wait: timedelta = timedelta(0)


def sign_in(*, context: Context, name: str, password: str, client: str | None) -> Attempt:
    """Check a name and password, unless the name or the client must wait first."""
    now = context.clock()
    counted_as = subjects(name, client)
    wait, added = write(context, lambda c: _reserve(c, counted_as, now), what="sign-in")
    if wait > timedelta(0):
        log.warning("sign-in of %s from %s refused unchecked: wait %s", *_who(name, client), wait)
        return Attempt(None, wait)
    if added:
        write(context, lambda c: failures.forget_before(c, now - WINDOW), what="sign-in")
    user = authenticate(context=context, name=name, password=password)
    if user is None:
        log.warning("sign-in failed: %s from %s", *_who(name, client))
        return Attempt(None)
    write(context, lambda c: _succeeded(c, user, counted_as, client, now), what="sign-in")
    log.info("signed in: %s from %s", *_who(user.name, client))
    return Attempt(user)


def session_user(*, context: Context, user_id: int, session_token: str) -> User | None:
    """The user of a session (its user's id and form token), unless either is gone: the user
    removed, or the session signed out."""
    with reading(context) as connection:
        return users.session_user(connection, user_id, _ended_key(session_token))


def sign_out(*, context: Context, user: User, session_token: str, client: str | None) -> None:
    """End a session on every replica, until no cookie signed before now is valid; record it."""
    now = context.clock()
    until = now + timedelta(hours=context.settings.session_hours)

    def work(connection: Connection) -> None:
        users.end_session(connection, _ended_key(session_token), until=until, at=now)
        _recorded(connection, SIGNED_OUT, user, client, now)

    write(context, work, what="sign-out")
    log.info("signed out: %s from %s", *_who(user.name, client))


def failures_counted(*, context: Context) -> list[Failures]:
    """Every subject whose failures are still stored."""
    with reading(context) as connection:
        return failures.all_failures(connection)


def _reserve(
    connection: Connection, counted_as: tuple[str, ...], now: datetime
) -> tuple[timedelta, bool]:
    """The wait still due (nothing written then), or count the attempt as a failure of each
    subject: (zero, whether a subject was added)."""
    found = failures.locked(connection, counted_as)
    wait = max(wait_for(found.get(subject), now) for subject in counted_as)
    if wait > timedelta(0):
        return wait, False
    rows = [Failures(s, counted(found.get(s), now) + 1, now) for s in counted_as]
    return timedelta(0), failures.put(connection, rows, existing=found.keys())


def _succeeded(
    connection: Connection,
    user: User,
    counted_as: tuple[str, str],
    client: str | None,
    now: datetime,
) -> None:
    """Clear the name's failures, take this attempt back from the client's, record it."""
    name_subject, client_subject = counted_as
    failures.forget(connection, name_subject)
    found = failures.locked(connection, [client_subject]).get(client_subject)
    if found is not None:
        if found.failures <= 1:
            failures.forget(connection, client_subject)
        else:
            back = Failures(client_subject, found.failures - 1, found.last_failed_at)
            failures.put(connection, [back], existing={client_subject})
    _recorded(connection, SIGNED_IN, user, client, now)


def _recorded(
    connection: Connection, action: str, user: User, client: str | None, now: datetime
) -> None:
    detail = {"name": user.name, "role": user.role.value, "client": client}
    audit.record(
        connection, at=now, actor=f"web:{user.name}", action=action, shop_id=None, detail=detail
    )


def _ended_key(session_token: str) -> str:
    """What bg_ended_sessions keeps of a session: the SHA-256 of its form token, never the token."""
    return hashlib.sha256(session_token.encode()).hexdigest()


def _who(name: str, client: str | None) -> tuple[str, str]:
    return readable(repr(name[:80])), readable(client or "an unknown client")
