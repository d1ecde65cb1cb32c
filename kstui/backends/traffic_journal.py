"""The local action journal: every guard override, with the figures of the moment, one JSON
line each in `$XDG_STATE_HOME/kstui/traffic-journal.jsonl` (0600; ~/.local/state when unset)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAME = "traffic-journal.jsonl"


def journal_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local/state")
    return Path(base) / "kstui" / NAME


@dataclass(frozen=True, slots=True)
class Entry:
    at: float
    context: str
    namespace: str
    name: str
    action: str
    """What was overridden: `weight 20 → 60`."""
    reasons: tuple[str, ...]
    figures: Mapping[str, Mapping[str, Any]]
    """Version → rate, error_ratio, p95_ms, window (the figures the guard judged)."""
    user: str = ""

    def line(self) -> str:
        return json.dumps(
            {
                "at": self.at,
                "context": self.context,
                "namespace": self.namespace,
                "name": self.name,
                "action": self.action,
                "reasons": list(self.reasons),
                "figures": {k: dict(v) for k, v in self.figures.items()},
                "user": self.user,
            },
            sort_keys=True,
        )


class Journal:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or journal_path()

    def record(self, entry: Entry) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(entry.line() + "\n")

    def entries(self) -> list[Entry]:
        """Newest first; a line that does not read is skipped."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        found = []
        for line in text.splitlines():
            try:
                data = json.loads(line)
                found.append(
                    Entry(
                        float(data["at"]),
                        str(data["context"]),
                        str(data["namespace"]),
                        str(data["name"]),
                        str(data["action"]),
                        tuple(str(r) for r in data.get("reasons") or ()),
                        dict(data.get("figures") or {}),
                        str(data.get("user") or ""),
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue
        return found[::-1]
