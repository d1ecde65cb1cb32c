"""ObjectEditor: `e` on a row. The object goes to $KUBE_EDITOR/$EDITOR as YAML and comes back
to the server; a text the server refuses (400 BadRequest: it does not decode, e.g.
`replicas: abc`; 422 Invalid: it fails validation) or that is not YAML reopens the editor with
the reason on top, a conflict shows what changed meanwhile, and any other failure keeps the text
on disk for the next `e`."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from textual.app import App, SuspendNotSupported

from kstui.backends import actions, describe, kept_edits, write_outcome
from kstui.backends.errors import BadRequest, Conflict, Invalid, KstuiError, NoAnswer
from kstui.backends.kinds import ResourceKind
from kstui.screens.confirm import ConfirmModal
from kstui.screens.sending import WriteHost

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

KEPT_HINT = "kept by kstui: save to send it again; delete every line to discard it"


class ObjectEditor:
    def __init__(
        self,
        app: App[Any],
        client: KubeClient,
        kind: ResourceKind,
        label: str,
        *,
        context: str,
        key: str = "",
        host: WriteHost | None = None,
    ) -> None:
        self.app = app
        self.client = client
        self.kind = kind
        self.label = label
        self.context = context
        self.key = key
        self.host = host

    async def edit(
        self, namespace: str, name: str, server_copy: dict[str, Any] | None = None
    ) -> bool:
        """True when a change was saved. A text the server did not take is kept on disk, and
        the next edit of the same object reopens it (kept_edits.py). `server_copy`: the
        object as just read, when the caller has read it."""
        kind, client = self.kind, self.client
        kept = await asyncio.to_thread(
            kept_edits.find, self.context, kind.resource, namespace, name
        )
        original = kept.original if kept else None
        server_copy = original or server_copy or await actions.fetch(client, kind, namespace, name)
        base = describe.to_yaml(server_copy, reveal_secrets=True)
        if kept is not None:
            self.app.notify(f"reopening your kept edit {kept.path}", title=self.label)
            text, problem = kept.text, f"{kept.problem}\n{KEPT_HINT}".strip()
        else:
            original, text, problem = server_copy, base, ""
        at: tuple[int, int] | None = None  # where in the text a YAML error is
        while True:
            header = comment_header(problem, at)
            edited_text = strip_problem(
                await self.run_editor(header + text, f"{kind.resource}-{name}")
            )
            if kept is not None and edited_text.strip() in ("", base.strip()):
                kept_edits.discard(kept)
                self.app.notify(f"kept edit discarded: {kept.path}")
                return False
            if edited_text.strip() == base.strip() or not edited_text.strip():
                self.app.notify("edit cancelled: no changes")
                return False
            try:
                edited = yaml.safe_load(edited_text)
                if not isinstance(edited, dict):
                    raise yaml.YAMLError("the document must be a mapping")
            except yaml.YAMLError as exc:
                text, (problem, at) = edited_text, yaml_problem(exc)
                continue
            at = None
            try:
                saved = await self.save(original, edited, namespace, name)
            except (BadRequest, Invalid) as error:  # the server read the text and refused it
                causes = "\n".join(
                    f"{c.get('field', '')}: {c.get('message', '')}" for c in error.causes
                )
                text, problem = edited_text, f"{error.detail or error.title}\n{causes}".strip()
                continue
            except Exception as error:
                if await self.keep(edited_text, original, namespace, name, error) and kept:
                    kept_edits.discard(kept)  # the new file holds the newer text
                return False
            if kept is not None:
                kept_edits.discard(kept)
            return saved

    async def save(
        self, original: dict[str, Any] | None, edited: dict[str, Any], namespace: str, name: str
    ) -> bool:
        """PUT (or reapply after a conflict), shown in flight; False if the user gave up."""
        token = self.host.write_began(self.key, f"saving {self.label}…") if self.host else 0
        applied = False
        try:
            with write_outcome.late_answers() as late:
                try:
                    await actions.save_edit(self.client, self.kind, edited)
                except Conflict:
                    if original is None:  # a kept text from an earlier run: no safe reapply
                        raise
                    if not await self.reapply_after_conflict(original, edited, namespace, name):
                        return False
            applied = True
        finally:
            if self.host is not None:
                self.host.write_ended(token, applied)
        if late:
            self.app.notify(f"edit of {self.label}: {late[-1].text}", title="saved", timeout=12)
        else:
            self.app.notify(f"saved {self.label}")
        return True

    async def keep(
        self,
        text: str,
        original: dict[str, Any] | None,
        namespace: str,
        name: str,
        error: BaseException,
    ) -> bool:
        """The server did not take the text (or may not have): keep it and say where."""
        if isinstance(error, NoAnswer):
            title = f"edit of {self.label}: " + (
                "not applied" if error.applied is False else "outcome unknown"
            )
            why = error.detail
        elif isinstance(error, KstuiError):
            title, why = (
                f"edit of {self.label} not saved",
                "\n".join(p for p in (error.title, error.detail) if p),
            )
        else:
            title, why = f"edit of {self.label} not saved", f"{type(error).__name__}: {error}"
        try:
            path = await asyncio.to_thread(
                kept_edits.keep,
                self.context,
                self.kind.resource,
                namespace,
                name,
                text,
                f"not saved: {why}",
                original,
            )
        except OSError as failure:
            self.app.notify(
                f"{why}\nand your text could not be kept: {failure}",
                title=title,
                severity="error",
                timeout=20,
            )
            return False
        self.app.notify(
            f"{why}\nyour text is kept in {path}\npress e on the row to reopen it",
            title=title,
            severity="error",
            timeout=20,
        )
        return True

    async def reapply_after_conflict(
        self, original: dict[str, Any], edited: dict[str, Any], namespace: str, name: str
    ) -> bool:
        latest = await actions.fetch(self.client, self.kind, namespace, name)
        changed = describe.yaml_diff(
            actions.strip_volatile(original), actions.strip_volatile(latest)
        )
        reapply = await self.app.push_screen_wait(
            ConfirmModal(
                f"{self.label} changed on the server since you opened it",
                f"What changed meanwhile:\n{changed or '(metadata only)'}\n\n"
                "Reapply only your own changes on top of the latest version?",
                yes="Reapply",
                dangerous=False,
            )
        )
        if not reapply:
            self.app.notify("edit discarded", severity="warning")
            return False
        await actions.reapply_edit(self.client, self.kind, original, edited)
        return True

    async def run_editor(self, text: str, stem: str) -> str:
        return await run_editor(self.app, text, stem)


async def run_editor(app: App[Any], text: str, stem: str) -> str:
    """Hand the terminal to the editor and wait; the app's loop keeps running meanwhile."""
    editor = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="kstui-edit-") as tmp:
        path = Path(tmp) / f"{re.sub(r'[^a-zA-Z0-9_.-]', '-', stem)}.yaml"
        path.write_text(text)
        command = [*shlex.split(editor), str(path)]
        try:
            with app.suspend():
                await asyncio.to_thread(subprocess.run, command, check=False)
        except SuspendNotSupported:  # headless (tests): the editor needs no terminal
            await asyncio.to_thread(subprocess.run, command, check=False, stdin=subprocess.DEVNULL)
        return path.read_text()


def yaml_problem(exc: yaml.YAMLError) -> tuple[str, tuple[int, int] | None]:
    """The parser's complaint, and where it is in the text (1-based line and column). Its own
    message quotes the line counted without the comment header: not shown."""
    said = " ".join(
        str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part
    )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = (mark.line + 1, mark.column + 1) if mark is not None else None
    return f"not valid YAML: {' '.join((said or str(exc)).split())}", where


def comment_header(problem: str, at: tuple[int, int] | None = None) -> str:
    """`problem` as `# ` lines on top of the text; `at` (a line and column of the text) is
    named as the editor numbers it, below this header."""
    lines = problem.splitlines()
    if at is not None:
        line, column = at
        lines.append(f"at line {line + len(lines) + 1}, column {column}")
    return "".join(f"# {line}\n" for line in lines)


def strip_problem(text: str) -> str:
    """Drop the `# error` lines kstui put on top of the file when it reopened the editor."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)
