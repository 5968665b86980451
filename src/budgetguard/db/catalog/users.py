"""The console's users (`bg_users`), their sessions signed out (`bg_ended_sessions`) and the
secrets it signs with (`bg_signing_keys`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from budgetguard.db.schema.console_tables import ended_sessions, signing_keys, users
from budgetguard.domain.users import Role, User


def add_user(
    connection: Connection, *, name: str, role: Role, password_hash: str, at: datetime
) -> bool:
    """Add a user; False when the name is taken (nothing written)."""
    values = {"name": name, "role": role.value, "password_hash": password_hash}
    try:
        with connection.begin_nested():
            connection.execute(
                insert(users).values(**values, created_at=at, password_changed_at=at)
            )
    except IntegrityError:
        return False
    return True


def user_named(connection: Connection, name: str) -> tuple[User, str] | None:
    """The user of that name and the hash of their password."""
    row = connection.execute(select(users).where(users.c.name == name)).first()
    return None if row is None else (_user(row), row.password_hash)


def session_user(connection: Connection, user_id: int, token_hash: str) -> User | None:
    """The user of a session, unless the session was signed out."""
    ended = select(ended_sessions.c.token_hash).where(ended_sessions.c.token_hash == token_hash)
    row = connection.execute(select(users).where(users.c.id == user_id, ~ended.exists())).first()
    return None if row is None else _user(row)


def end_session(connection: Connection, token_hash: str, *, until: datetime, at: datetime) -> None:
    """Refuse the session until `until`; forget the ended sessions whose cookies expired by `at`.
    A session signed out twice (two tabs) keeps its first row."""
    connection.execute(delete(ended_sessions).where(ended_sessions.c.expires_at <= at))
    try:
        with connection.begin_nested():
            connection.execute(
                insert(ended_sessions).values(token_hash=token_hash, expires_at=until)
            )
    except IntegrityError:
        pass  # signed out at the same moment in another tab: that row stands


def all_users(connection: Connection) -> list[User]:
    return [_user(row) for row in connection.execute(select(users).order_by(users.c.name))]


def remove_user(connection: Connection, name: str) -> bool:
    return bool(connection.execute(delete(users).where(users.c.name == name)).rowcount)


def set_password_hash(connection: Connection, name: str, password_hash: str, at: datetime) -> bool:
    changed = connection.execute(
        update(users)
        .where(users.c.name == name)
        .values(password_hash=password_hash, password_changed_at=at)
    )
    return bool(changed.rowcount)


def signing_key(connection: Connection, name: str, *, new: str, at: datetime) -> str:
    """The secret stored under `name`, storing `new` first if there is none: the first replica
    to ask generates it, every other one reads that."""
    query = select(signing_keys.c.secret).where(signing_keys.c.name == name)
    found = connection.execute(query).scalar()
    if found is not None:
        return str(found)
    try:
        with connection.begin_nested():
            connection.execute(insert(signing_keys).values(name=name, secret=new, created_at=at))
    except IntegrityError:
        pass  # another replica stored its own first: that one is the secret
    return str(connection.execute(query).scalar_one())


def _user(row: Any) -> User:
    return User(
        id=int(row.id),
        name=row.name,
        role=Role(row.role),
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
    )
