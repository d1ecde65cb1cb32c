"""The Traffic section's settings (config `traffic:`), stdlib only: read at start."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

from typing import NamedTuple

WINDOWS = {"5m": 300, "15m": 900, "1h": 3600, "6h": 21600}
"""The windows the health figures may cover, and their seconds."""


class GuardSettings(NamedTuple):
    error_margin: float = 1.0
    """Percentage points: the raised version's 5xx ratio may exceed the other's by this much."""
    latency_margin: float = 20.0
    """Percent: the raised version's p95 may exceed the other's by this much."""
    window: str = "15m"
    """The window the figures cover unless the user picks another."""
