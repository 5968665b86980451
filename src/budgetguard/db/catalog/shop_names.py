"""The shops whose name starts with a text, case-insensitive, found on budgetguard's index of
the names (migration 0010; tables.NAME_INDEXES) rather than by reading every name.

Each database reads its index by a prefix range: PostgreSQL `lower(a_name) LIKE 'p%'` on the
index of lower(a_name) with the pattern operators; SQLite and MySQL/MariaDB `a_name LIKE 'p%'`,
which ignores case there (SQLite: ASCII case, on the index under NOCASE; MySQL/MariaDB: under a
`_ci` collation, the column's as the platform created it), then `lower(a_name) LIKE 'p%'` keeps
exactly the shops the list's filter keeps. A MySQL/MariaDB column under a case-sensitive
collation cannot be searched that way: the caller then walks the list as before.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.engine import Connection, Engine

from budgetguard.db.schema.tables import shops

_CASELESS: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()
NAME_COLLATION = text(
    "SELECT collation_name FROM information_schema.columns WHERE "
    "table_schema = DATABASE() AND table_name = 't_shops' AND column_name = 'a_name'"
)
"""MySQL/MariaDB: the collation of t_shops.a_name in the connection's database."""


def name_starts_with(name: str) -> ColumnElement[bool]:
    """The list's name filter: the shop's name, lower-cased, starts with `name`, lower-cased
    (LIKE with `%` and `_` in `name` taken literally)."""
    return func.lower(shops.c.a_name).like(_pattern(name), escape="\\")


def shops_named(connection: Connection, name: str, *, at_most: int) -> list[int] | None:
    """The ids of the shops `name_starts_with(name)` keeps, read on the name index; None when
    more than `at_most` match, or when this database's index cannot be searched ignoring case."""
    exact = name_starts_with(name)
    if connection.dialect.name == "postgresql":
        where = [exact]
    elif _searchable_ignoring_case(connection):
        where = [shops.c.a_name.like(_pattern(name), escape="\\"), exact]
    else:
        return None
    query = select(shops.c.a_id).where(*where).limit(at_most + 1)
    found = [int(shop_id) for shop_id in connection.execute(query).scalars()]
    return None if len(found) > at_most else found


def forget_collations() -> None:
    """Look the columns' collations up again (they are read once per engine)."""
    _CASELESS.clear()


def _pattern(name: str) -> str:
    escaped = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _searchable_ignoring_case(connection: Connection) -> bool:
    """SQLite's LIKE ignores ASCII case; MySQL/MariaDB's follows the column's collation,
    looked up once per engine."""
    if connection.dialect.name == "sqlite":
        return True
    engine = connection.engine
    if engine not in _CASELESS:
        collation = connection.execute(NAME_COLLATION).scalar()
        _CASELESS[engine] = str(collation or "").lower().endswith("_ci")
    return _CASELESS[engine]
