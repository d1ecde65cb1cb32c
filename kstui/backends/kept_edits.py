"""Edits the server did not take (an error, or no answer), kept on disk so no typing is lost.

One file per failed save, `<context>_<kind>_<namespace>_<name>_<time>.yaml` under
$XDG_STATE_HOME/kstui/edits (mode 0600: it may hold Secret values), with the reason as a
comment header. `e` on the same row reopens the newest one instead of the server's copy.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9.-]")
_ORIGINALS: dict[Path, dict[str, Any]] = {}
"""The object each kept text was edited from, while this process lives: after a conflict,
only the user's own changes are reapplied (without it, kstui cannot tell them apart)."""


def state_home(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ if env is None else env)
    base = env.get("XDG_STATE_HOME") or str(
        Path(env.get("HOME", "~")).expanduser() / ".local" / "state"
    )
    return Path(base) / "kstui" / "edits"


@dataclass(frozen=True, slots=True)
class KeptEdit:
    path: Path
    text: str
    """The user's text, without kstui's header."""
    problem: str
    """Why it was kept (the header, without its `# `)."""

    @property
    def original(self) -> dict[str, Any] | None:
        return _ORIGINALS.get(self.path)


def _stem(context: str, kind: str, namespace: str, name: str) -> str:
    # "_" separates the parts and never occurs inside one, so a prefix names one object.
    return "_".join(_UNSAFE.sub("-", part) for part in (context, kind, namespace, name))


def keep(
    context: str,
    kind: str,
    namespace: str,
    name: str,
    text: str,
    problem: str,
    original: dict[str, Any] | None = None,
    directory: Path | None = None,
) -> Path:
    """Write the text with `problem` on top, owner-only; return where it went."""
    directory = directory or state_home()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    header = "".join(f"# {line}\n" for line in problem.splitlines())
    # Written whole under a hidden name, then linked into place: never seen half-written,
    # never replacing another kept edit.
    fd, draft = tempfile.mkstemp(dir=directory, prefix=".draft-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            file.write(header + text)
        for attempt in range(100):
            suffix = f"-{attempt}" if attempt else ""
            path = directory / f"{_stem(context, kind, namespace, name)}_{stamp}{suffix}.yaml"
            try:
                os.link(draft, path)
            except FileExistsError:
                continue
            if original is not None:
                _ORIGINALS[path] = original
            return path
    finally:
        os.unlink(draft)
    raise FileExistsError(f"no free name for a kept edit in {directory}")


def find(
    context: str, kind: str, namespace: str, name: str, directory: Path | None = None
) -> KeptEdit | None:
    """The newest kept edit of this object, if any."""
    directory = directory or state_home()
    try:
        found = sorted(directory.glob(f"{_stem(context, kind, namespace, name)}_*.yaml"))
    except OSError:
        return None
    for path in reversed(found):
        try:
            content = path.read_text()
        except OSError:
            continue
        lines = content.splitlines(keepends=True)
        header = []
        while lines and lines[0].startswith("#"):
            header.append(lines.pop(0)[1:].strip())
        return KeptEdit(path, "".join(lines), "\n".join(header))
    return None


def discard(kept: KeptEdit) -> None:
    _ORIGINALS.pop(kept.path, None)
    kept.path.unlink(missing_ok=True)
