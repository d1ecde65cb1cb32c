"""Key names as Textual spells them, checked and normalized without importing textual: the
config's keymap is validated before the app (and its toolkit) loads."""

from __future__ import annotations

import string
import unicodedata

# Key names as Textual spells them. Punctuation goes by its Unicode name ("?" is question_mark),
# the way textual.keys._character_to_key derives it; computed here to keep textual out.
_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAME_REPLACEMENTS = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}


def _character_key(character: str) -> str:
    if character.isalnum():
        return character
    name = unicodedata.name(character, character).lower().replace("-", "_").replace(" ", "_")
    return _NAME_REPLACEMENTS.get(name, name)


_PUNCTUATION_KEYS = {character: _character_key(character) for character in string.punctuation}
_NAMED_KEYS = frozenset(
    {
        "enter",
        "escape",
        "tab",
        "space",
        "backspace",
        "delete",
        "insert",
        "home",
        "end",
        "pageup",
        "pagedown",
        "up",
        "down",
        "left",
        "right",
        "newline",
        *(f"f{number}" for number in range(1, 25)),
        *_PUNCTUATION_KEYS.values(),
    }
)
KEYS_ALLOWED = (
    "comma-separated keys: a letter or digit, or a named key (enter, escape, tab, "
    "space, backspace, delete, up, down, left, right, home, end, pageup, pagedown, "
    "f1..f24, slash, colon, question_mark, ...), optionally prefixed by ctrl+, "
    "shift+ or alt+; e.g. 'j,down' or 'ctrl+x'"
)


def normalize_keys(text: str) -> str | None:
    """`"j, Down"`-style text as Textual's keymap wants it (`"j,down"`), or None if any
    token is not a key. Single punctuation characters become their names (`?` → question_mark)."""
    tokens = [token.strip() for token in text.split(",")]
    normalized = []
    for token in tokens:
        key = normalize_key(token)
        if key is None:
            return None
        normalized.append(key)
    return ",".join(normalized)


def normalize_key(token: str) -> str | None:
    """One key (`ctrl+X`, `?`, `Down`) as Textual names it, or None if it is not a key."""
    if not token:
        return None
    if len(token) == 1:
        # Case matters for single letters: Textual reports shift+g as "G".
        return _PUNCTUATION_KEYS.get(token, token) if token.isprintable() else None
    *modifiers, base = token.split("+")
    modifiers = [modifier.strip().lower() for modifier in modifiers]
    base = base.strip()
    if any(modifier not in _MODIFIERS for modifier in modifiers) or len(set(modifiers)) != len(
        modifiers
    ):
        return None
    if len(base) == 1:
        base = _PUNCTUATION_KEYS.get(base, base.lower() if modifiers else base)
        if not base.isprintable():
            return None
    else:
        base = base.lower()
        if base not in _NAMED_KEYS:
            return None
    return "+".join([*modifiers, base])
