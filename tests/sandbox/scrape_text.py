"""Reading a scrape in the Prometheus text format, for the sandbox's exporter tests."""

from __future__ import annotations


def samples(text: str) -> dict[str, float]:
    """Series → value of a scrape (the text format: `name{labels} value timestamp`)."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value, _stamp = line.rsplit(" ", 2)
            found[series] = float(value)
    return found
