"""BUDGETGUARD_SECRET_KEY is checked without cryptography (every command reads the settings),
and accepts exactly the keys Fernet accepts."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from budgetguard.db.plumbing.sealing import Keyring, Unreadable

VALID = Fernet.generate_key().decode()
CANDIDATES = [
    Fernet.generate_key().decode(),
    Fernet.generate_key().decode().rstrip("="),  # padding missing
    VALID[:-4],  # too short
    base64.urlsafe_b64encode(bytes(31)).decode(),
    base64.urlsafe_b64encode(bytes(33)).decode(),
    base64.standard_b64encode(b"\xfb" * 32).decode(),  # + and /: not URL-safe
    "é" * 44,
    "not a key at all",
]


def fernet_takes(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("key", CANDIDATES)
def test_a_key_is_refused_exactly_when_fernet_refuses_it(key: str) -> None:
    if fernet_takes(key):
        assert Keyring.parse(f"{VALID},{key}").active
        return
    with pytest.raises(ValueError, match=r"^key 2 is not a Fernet key \(URL-safe") as refused:
        Keyring.parse(f"{VALID},{key}")
    assert key not in str(refused.value)


def test_a_keyring_seals_and_opens_with_its_keys_loaded_at_first_use() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _, sealed = Keyring.parse(old).seal("https://hooks.example/a", "whsec_x")

    rotated = Keyring.parse(f"{new},{old}")

    assert rotated.active
    assert rotated.open(sealed).target == "https://hooks.example/a"
    assert not rotated.sealed_with_first_key(sealed)
    with pytest.raises(Unreadable, match="no key"):
        Keyring.parse(new).open(sealed)
