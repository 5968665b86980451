"""Use cases of the console's users: add, list, remove, change a password, sign in; and the
secret the console signs its sessions and shop links with.

Every change of a user is recorded in the audit trail (bg_audit, no shop) in its own
transaction, with who made it: `cli:<os user>` from the command line.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommendation);
only the hash is stored. Signing in with an unknown name costs the same hash as a known one, so
the time taken does not tell which names exist.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from budgetguard.db.catalog import audit
from budgetguard.db.catalog import users as catalog
from budgetguard.domain.errors import Conflict, NotFound
from budgetguard.domain.users import (
    ADDED,
    PASSWORD_SET,
    REMOVED,
    Role,
    User,
    check_password,
    parse_name,
)
from budgetguard.services.database import open_database
from budgetguard.services.uow import Context, reading, write

CONSOLE_KEY = "console"
SYSTEM = "budgetguard"
"""The actor of a change nobody in particular asked for (tests, set-up scripts)."""


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id


@cache
def _decoy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def add_user(
    *, context: Context, name: str, role: Role, password: str, actor: str = SYSTEM
) -> User:
    """Add a user; refuse a name already taken."""
    name, hashed = parse_name(name), _hasher().hash(check_password(password))
    open_database(context=context)
    now = context.clock()

    def work(connection: Connection) -> User | None:
        if not catalog.add_user(connection, name=name, role=role, password_hash=hashed, at=now):
            return None
        return _audited_as_named(connection, name, ADDED, actor=actor, at=now)

    added = write(context, work, what="user added")
    if added is None:
        raise Conflict.of_field("name", f"a user named {name!r} exists already")
    return added


def list_users(*, context: Context) -> list[User]:
    open_database(context=context)
    with reading(context) as connection:
        return catalog.all_users(connection)


def remove_user(*, context: Context, name: str, actor: str = SYSTEM) -> User:
    """Remove a user; their sessions end."""
    open_database(context=context)
    now = context.clock()

    def work(connection: Connection) -> User | None:
        found = catalog.user_named(connection, name)
        if found is None or not catalog.remove_user(connection, name):
            return None
        _audited(connection, found[0], REMOVED, actor=actor, at=now)
        return found[0]

    removed = write(context, work, what="user removed")
    if removed is None:
        raise _no_user(name)
    return removed


def set_password(*, context: Context, name: str, password: str, actor: str = SYSTEM) -> User:
    """Replace the user's password; the sessions signed in before it end."""
    hashed = _hasher().hash(check_password(password))
    open_database(context=context)
    now = context.clock()

    def work(connection: Connection) -> User | None:
        if not catalog.set_password_hash(connection, name, hashed, now):
            return None
        return _audited_as_named(connection, name, PASSWORD_SET, actor=actor, at=now)

    changed = write(context, work, what="password set")
    if changed is None:
        raise _no_user(name)
    return changed


def authenticate(*, context: Context, name: str, password: str) -> User | None:
    """The user if the name and password match, else None (the same work either way)."""
    with reading(context) as connection:
        found = catalog.user_named(connection, name.strip())
    stored = _decoy_hash() if found is None else found[1]
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return None if found is None else found[0]


def console_secret(*, context: Context) -> str:
    """BUDGETGUARD_SESSION_SECRET, or the secret generated once and kept in the database."""
    given = context.settings.session_secret
    if given is not None:
        return given.get_secret_value()
    new, now = secrets.token_urlsafe(48), context.clock()
    return write(
        context, lambda c: catalog.signing_key(c, CONSOLE_KEY, new=new, at=now), what="secret"
    )


def _audited(connection: Connection, user: User, action: str, *, actor: str, at: datetime) -> None:
    detail = {"name": user.name, "role": user.role.value}
    audit.record(connection, at=at, actor=actor, action=action, shop_id=None, detail=detail)


def _audited_as_named(
    connection: Connection, name: str, action: str, *, actor: str, at: datetime
) -> User | None:
    """Record `action` on the user named `name` as the change left them; None if there is none."""
    found = catalog.user_named(connection, name)
    if found is None:
        return None
    _audited(connection, found[0], action, actor=actor, at=at)
    return found[0]


def _no_user(name: str) -> NotFound:
    return NotFound.of_field("name", f"no user is named {name!r}")
