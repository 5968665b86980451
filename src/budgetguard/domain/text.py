"""Text from outside (a shop's name, a receiver's answer) made safe to show on a terminal.

The platform writes shop names straight into `t_shops`, so a name may hold an escape sequence
(`ESC[2J` clears the screen), a line break (which forges a line of its own, such as a fake
notification) or a bidirectional control (U+202E shows `abc` as `cba`). Every readable output
shows such characters escaped, as Python writes them (`\\x1b`, `\\r`, `\\u202e`), so what is
shown is what is stored, on one line. JSON output keeps the exact value: its own escapes
(`\\u001b`) decode to the same string.
"""

from __future__ import annotations

# C0 controls, DEL and C1 controls: terminals act on them (C1's 0x9b is a one-byte CSI).
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
# Bidirectional controls: they reorder what follows them on the line (Trojan Source).
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]

UNSAFE = frozenset(chr(code) for code in (*_CONTROLS, *_BIDI))
"""The characters never shown as they are."""

_READABLE = {ord(c): repr(c)[1:-1] for c in UNSAFE}  # '\x1b', '\r', '\u202e'
# json.dumps escapes C0 itself (`\u001b`); the rest, in the same form, decodes to the same text.
_JSON = {ord(c): f"\\u{ord(c):04x}" for c in UNSAFE if ord(c) >= 0x20}


def readable(text: str) -> str:
    """Return `text` with every control and bidirectional control character escaped."""
    return text.translate(_READABLE)


def safe_json(encoded: str) -> str:
    """Return JSON text (from json.dumps) with DEL, C1 and bidi controls written as `\\uXXXX`
    escapes: the same JSON value, safe to print on a terminal."""
    return encoded.translate(_JSON)


def unsafe_characters(text: str) -> list[str]:
    """The control and bidirectional control characters in `text`, escaped, in order of
    appearance (empty when there is none)."""
    return list(dict.fromkeys(readable(c) for c in text if c in UNSAFE))
