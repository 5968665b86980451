"""The HTTP API's keys as `BUDGETGUARD_API_KEYS` gives them: `name:key` pairs."""

from __future__ import annotations

MIN_KEY_LENGTH = 16


def parse_api_keys(text: str) -> dict[str, str]:
    """Parse `name:key,name:key`; names are unique words, keys at least 16 characters."""
    table: dict[str, str] = {}
    for position, entry in enumerate(filter(None, (e.strip() for e in text.split(","))), 1):
        name, colon, key = entry.partition(":")
        name, key = name.strip(), key.strip()
        if not colon or not name or not key:
            raise ValueError(f"entry {position} is not name:key")
        if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"entry {position}: the name may hold letters, digits, - _ . only")
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"entry {position} ({name}): a key needs {MIN_KEY_LENGTH}+ characters")
        if name in table:
            raise ValueError(f"the name {name!r} is given twice")
        table[name] = key
    return table
