"""Whether there is a terminal to draw the full-screen UI on (stdin, stdout and stderr)."""

from __future__ import annotations

import sys


def _not_terminals() -> list[str]:
    """Which of stdin and stdout are not a terminal: the full-screen UI needs both."""
    streams = (("stdin", sys.stdin), ("stdout", sys.stdout))
    return [name for name, stream in streams if not _is_terminal(stream)]


def needs_terminal(prog: str) -> int | None:
    """Exit status 2 and why, when there is no terminal to draw on (not: escape codes
    written into a file, then waiting forever for keys)."""
    missing = _not_terminals()
    if missing:
        what = (
            f"{missing[0]} is not a TTY" if len(missing) == 1 else "stdin and stdout are not TTYs"
        )
        sys.stderr.write(f"{prog}: needs a terminal ({what}): run it interactively\n")
        return 2
    if not _is_terminal(sys.stderr):
        # Textual draws the screen on stderr: redirected, the screen would go into the file.
        sys.stderr.write(
            f"{prog}: needs a terminal (stderr is not a TTY, and the screen is "
            "drawn there): run it without redirecting stderr\n"
        )
        return 2
    return None


def _is_terminal(stream: object) -> bool:
    try:
        return stream is not None and stream.isatty()  # type: ignore[attr-defined]
    except ValueError:  # closed
        return False
