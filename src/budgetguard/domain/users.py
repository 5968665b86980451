"""The console's people: a name, a role, and what a name and a password must be."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from budgetguard.domain.errors import Unacceptable

NAME_LIMIT = 64
SHORTEST_PASSWORD = 10
LONGEST_PASSWORD = 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")

# The audit trail's actions on users (bg_audit, shop_id NULL, detail {"name", "role"}).
ADDED = "user.added"
REMOVED = "user.removed"
PASSWORD_SET = "user.password_set"  # noqa: S105 - an action's name
SIGNED_IN = "user.signed_in"
SIGNED_OUT = "user.signed_out"


class Role(Enum):
    """What a user may do: a viewer sees everything, an operator may also act."""

    VIEWER = "viewer"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    created_at: datetime
    password_changed_at: datetime

    @property
    def may_act(self) -> bool:
        return self.role is Role.OPERATOR


def parse_name(text: str) -> str:
    """A user's name as given, or a refusal naming what is wrong with it."""
    name = text.strip()
    if not name or len(name) > NAME_LIMIT or not _NAME.fullmatch(name):
        raise Unacceptable.of_field(
            "name",
            f"must be 1 to {NAME_LIMIT} letters, digits or . _ @ - (starting with a letter or a "
            "digit)",
        )
    return name


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise Unacceptable.of_field("role", "must be viewer or operator") from None


def check_password(password: str) -> str:
    """The password, or a refusal saying how long it must be (nothing else is imposed)."""
    if not SHORTEST_PASSWORD <= len(password) <= LONGEST_PASSWORD:
        raise Unacceptable.of_field(
            "password", f"must be {SHORTEST_PASSWORD} to {LONGEST_PASSWORD} characters long"
        )
    return password
