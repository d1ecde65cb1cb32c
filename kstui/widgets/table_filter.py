"""The `/` filter of a TableStore: a regex (case-insensitive, `!` inverts, an invalid one taken
literally) over each row's lower-cased searchable cells. Stdlib only."""

from __future__ import annotations

import re
from itertools import repeat
from operator import contains, not_
from typing import NamedTuple

_REGEX_SYNTAX = frozenset(".^$*+?{}[]\\|()")


def filter_problem(text: str) -> str | None:
    """Why a `/` filter is no regular expression (it is then matched literally), or None."""
    body = text[1:] if text.startswith("!") else text
    if not _REGEX_SYNTAX.intersection(body):
        return None
    try:
        re.compile(body)
    except re.error as error:
        return f"not a regex: {error.msg} — matching literally"
    return None


def search_text(cells: tuple[str, ...], indices: tuple[int, ...]) -> str:
    return "\t".join([cells[index] for index in indices]).lower()


def laid_out(texts: list[str]) -> list[str]:
    """New copies of `texts`, made in their order, so they lie in memory in the order a filter
    reads them: texts made in another order (the rows' NAME order, or as batches brought them)
    are read 1.5-2x slower (at 150,000 rows a widening key 40-54 ms, 23-27 laid out). ASCII
    texts are copied by lower() (they are lower-cased already); others stay as they are (a
    second lower() might change them)."""
    if all(map(str.isascii, texts)):
        return list(map(str.lower, texts))
    return [text.lower() if text.isascii() else text for text in texts]


class Filter(NamedTuple):
    """A compiled filter. Typing more of a plain word narrows the previous result instead of
    rescanning every row."""

    pattern: re.Pattern[str]
    literal: str | None
    """Lower-cased text when the filter is a plain word (or an invalid regex, taken literally)."""
    inverted: bool
    plain: bool
    """The pattern matches exactly where `literal` occurs (no case folding): `in` finds it,
    several times faster than a regex search per row."""

    @classmethod
    def parse(cls, text: str) -> Filter | None:
        inverted = text.startswith("!")
        body = text[1:] if inverted else text
        if not body:
            return None
        literal = None if _REGEX_SYNTAX.intersection(body) else body.lower()
        # texts are lower-cased already, so a lower-case pattern can skip IGNORECASE (2x faster)
        flags = 0 if body == body.lower() else re.IGNORECASE
        try:
            pattern = re.compile(body, flags)
        except re.error:
            pattern, literal = re.compile(re.escape(body), flags), body.lower()
        return cls(pattern, literal, inverted, literal is not None and not flags)

    def narrows(self, previous: Filter | None) -> bool:
        """Whether every text this filter matches was matched by `previous` too."""
        return (
            previous is not None
            and not self.inverted
            and not previous.inverted
            and self.literal is not None
            and previous.literal is not None
            and previous.literal in self.literal
        )

    def hits(self, texts: list[str]) -> list[bool]:
        """Whether each text matches. map() keeps the scan in C; turning each Match into a bool
        at once frees it, where keeping 50k of them alive set off full GC passes (100+ ms)."""
        if self.plain:
            assert self.literal is not None
            found = map(contains, texts, repeat(self.literal))
            return list(map(not_, found) if self.inverted else found)
        searched = map(self.pattern.search, texts)
        return list(map(not_, searched) if self.inverted else map(bool, searched))

    def matches(self, text: str) -> bool:
        if self.plain:
            assert self.literal is not None
            return (self.literal in text) is not self.inverted
        return (self.pattern.search(text) is None) is self.inverted
