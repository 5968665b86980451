"""Secrets at rest: a contact's webhook URL and signing secret sealed with Fernet.

`BUDGETGUARD_SECRET_KEY` holds one or several Fernet keys; the first seals, every one opens
(`MultiFernet`), so a key is rotated by putting the new one first, re-sealing every row
(`budgetguard db rotate-secrets`), then dropping the old one. A sealed contact keeps, in its
clear `target` column, a stand-in that gives nothing away — the URL's scheme and host and a
keyed digest of the whole URL (`https://hooks.example/…#sealed:…`) — so that the unique key
(shop, kind, target) and the look-up of a contact by its URL still work without opening anything.

The keyring travels with the connection the unit of work opens (an execution option), so the
storage functions encode and decode without every use case passing it along.

`cryptography` is imported when a value is first sealed or opened, not with the settings: every
command reads them (and checks the keys, with the standard library), few open a contact.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from budgetguard.domain.recipients import display_url

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet
    from sqlalchemy.engine import Connection

SEALED_KINDS = frozenset({"webhook", "slack"})
"""Contact kinds whose target (a URL that may carry credentials, or be one, as Slack's is) and
secret are sealed. An e-mail address is no credential and stays readable."""
TOKEN_PREFIX = "fernet:"  # noqa: S105 - a marker, not a secret
"""Marks a sealed value: what follows is a Fernet token of the contact's target and secret."""
STAND_IN_MARK = "#sealed:"
KEYRING_OPTION = "budgetguard_keyring"
_DIGEST_CONTEXT = b"budgetguard contact target digest v1"


class Unreadable(Exception):
    """A sealed value that no key of the keyring opens (or no key is set)."""


@dataclass(frozen=True, slots=True)
class Opened:
    """What a sealed contact holds."""

    target: str
    secret: str | None


class Keyring:
    """The Fernet keys of BUDGETGUARD_SECRET_KEY: the first seals, all open."""

    def __init__(self, keys: Sequence[bytes] = ()) -> None:
        self._keys = tuple(keys)
        self._digest_keys = [
            hmac.new(base64.urlsafe_b64decode(key), _DIGEST_CONTEXT, hashlib.sha256).digest()
            for key in self._keys
        ]

    @cached_property
    def _fernets(self) -> list[Fernet]:
        from cryptography.fernet import Fernet  # noqa: PLC0415 - see the module's docstring

        return [Fernet(key) for key in self._keys]

    @cached_property
    def _all(self) -> MultiFernet:
        """Every key, to open with (only asked for when there is one)."""
        from cryptography.fernet import MultiFernet  # noqa: PLC0415 - see the module's docstring

        return MultiFernet(self._fernets)

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Read comma-separated Fernet keys; raise ValueError naming the bad one by position,
        never repeating it."""
        keys = [part.strip() for part in text.split(",") if part.strip()]
        for position, key in enumerate(keys, 1):
            if not _is_fernet_key(key):
                raise ValueError(
                    f"key {position} is not a Fernet key (URL-safe base64 of 32 bytes; "
                    "`budgetguard db new-secret-key` makes one)"
                ) from None
        if len(set(keys)) != len(keys):
            raise ValueError("a key is given twice")
        return cls([key.encode() for key in keys])

    @property
    def active(self) -> bool:
        """Whether there is a key to seal with."""
        return bool(self._keys)

    def seal(self, target: str, secret: str | None) -> tuple[str, str]:
        """Return (the stand-in for the target column, the sealed value) under the first key."""
        if not self._keys:
            raise Unreadable("BUDGETGUARD_SECRET_KEY is not set")
        payload = json.dumps({"target": target, "secret": secret}).encode()
        return self.stand_in(target), TOKEN_PREFIX + self._fernets[0].encrypt(payload).decode()

    def open(self, sealed: str) -> Opened:
        """Return what `sealed` holds; raise Unreadable saying why it cannot be opened."""
        if not self._keys:
            raise Unreadable("it is encrypted and BUDGETGUARD_SECRET_KEY is not set")
        from cryptography.fernet import InvalidToken  # noqa: PLC0415 - see the module's docstring

        try:
            content = json.loads(self._all.decrypt(sealed.removeprefix(TOKEN_PREFIX)))
        except InvalidToken:
            raise Unreadable("no key of BUDGETGUARD_SECRET_KEY decrypts it") from None
        return Opened(target=content["target"], secret=content["secret"])

    def sealed_with_first_key(self, sealed: str) -> bool:
        """Whether `sealed` is sealed with the first key (rotation has nothing to do there)."""
        from cryptography.fernet import InvalidToken  # noqa: PLC0415 - see the module's docstring

        try:
            self._fernets[0].decrypt(sealed.removeprefix(TOKEN_PREFIX))
        except (IndexError, InvalidToken):
            return False
        return True

    def stand_in(self, target: str, *, key: int = 0) -> str:
        """The target column of a sealed contact: scheme and host, and a digest of the URL keyed
        by key number `key` (a plain hash would let a guessable password be tried offline)."""
        digest = hmac.new(self._digest_keys[key], target.encode(), hashlib.sha256).digest()
        text = base64.urlsafe_b64encode(digest[:24]).decode()
        return display_url(target)[:400] + STAND_IN_MARK + text

    def stored_forms(self, target: str) -> list[str]:
        """Every form `target` may be stored under: in clear, or sealed under any key."""
        return [target, *(self.stand_in(target, key=k) for k in range(len(self._keys)))]


NO_KEYS = Keyring()


def with_keyring(connection: Connection, keyring: Keyring) -> Connection:
    """Let the storage functions that run on `connection` seal and open with `keyring`."""
    return connection.execution_options(**{KEYRING_OPTION: keyring})


def keyring_of(connection: Connection) -> Keyring:
    """The keyring the unit of work gave `connection` (none: contacts are written in clear)."""
    keyring: Any = connection.get_execution_options().get(KEYRING_OPTION, NO_KEYS)
    return keyring if isinstance(keyring, Keyring) else NO_KEYS


def new_key() -> str:
    """A fresh Fernet key for BUDGETGUARD_SECRET_KEY."""
    from cryptography.fernet import Fernet  # noqa: PLC0415 - see the module's docstring

    return Fernet.generate_key().decode()


def _is_fernet_key(key: str) -> bool:
    """What `Fernet(key)` accepts: URL-safe base64 of 32 bytes (checked without importing it)."""
    try:
        return len(base64.urlsafe_b64decode(key)) == 32
    except ValueError:  # binascii.Error, or a character outside ASCII
        return False
