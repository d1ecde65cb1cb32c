"""LazyPattern compiles on first use and then answers as the compiled pattern does."""

from __future__ import annotations

import re

from kstui.lazy_pattern import LazyPattern


def test_nothing_is_compiled_until_a_method_is_called() -> None:
    pattern = LazyPattern(r"(?P<word>[a-z]+)-(\d+)")
    assert pattern._compiled is None
    assert pattern.match("abc-12") is not None
    assert pattern._compiled is re.compile(r"(?P<word>[a-z]+)-(\d+)")  # re's cache: the same


def test_its_methods_answer_as_re_does() -> None:
    source, text = r"\$(\w+)", "run $NAME in $NS, not $"
    lazy, compiled = LazyPattern(source), re.compile(source)
    assert lazy.match(text) == compiled.match(text)  # both None
    search = lazy.search(text)
    assert search is not None
    assert search.group(1) == "NAME"
    assert [m.group(1) for m in lazy.finditer(text)] == ["NAME", "NS"]
    assert lazy.sub(lambda m: m.group(1).lower(), text) == compiled.sub(
        lambda m: m.group(1).lower(), text
    )
    assert LazyPattern("A", re.IGNORECASE).search("xa") is not None
