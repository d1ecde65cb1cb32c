"""ObjectEditor: `e` on a row. The object goes to $KUBE_EDITOR/$EDITOR as YAML and comes back
to the server; a validation error reopens the editor, a conflict shows what changed meanwhile."""

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

from kstui.backends import actions, describe
from kstui.backends.errors import Conflict, Invalid
from kstui.backends.kinds import ResourceKind
from kstui.screens.confirm import ConfirmModal

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient


class ObjectEditor:
    def __init__(self, app: App[Any], client: KubeClient, kind: ResourceKind,
                 label: str) -> None:
        self.app = app
        self.client = client
        self.kind = kind
        self.label = label

    async def edit(self, namespace: str, name: str) -> bool:
        """True when a change was saved (the caller marks the row pending)."""
        kind, client = self.kind, self.client
        original = await actions.fetch(client, kind, namespace, name)
        text = describe.to_yaml(original, reveal_secrets=True)
        problem = ""
        while True:
            edited_text = strip_problem(await self.run_editor(text, problem,
                                                              f"{kind.resource}-{name}"))
            if edited_text.strip() == text.strip() or not edited_text.strip():
                self.app.notify("edit cancelled: no changes")
                return False
            try:
                edited = yaml.safe_load(edited_text)
                if not isinstance(edited, dict):
                    raise yaml.YAMLError("the document must be a mapping")
            except yaml.YAMLError as exc:
                text, problem = edited_text, f"not valid YAML: {exc}"
                continue
            try:
                await actions.save_edit(client, kind, edited)
            except Invalid as error:
                causes = "\n".join(f"{c.get('field', '')}: {c.get('message', '')}"
                                   for c in error.causes)
                text, problem = edited_text, f"{error.detail}\n{causes}".strip()
                continue
            except Conflict:
                if not await self.reapply_after_conflict(original, edited, namespace, name):
                    return False
            self.app.notify(f"saved {self.label}")
            return True

    async def reapply_after_conflict(self, original: dict[str, Any], edited: dict[str, Any],
                                     namespace: str, name: str) -> bool:
        latest = await actions.fetch(self.client, self.kind, namespace, name)
        changed = describe.yaml_diff(actions.strip_volatile(original),
                                     actions.strip_volatile(latest))
        reapply = await self.app.push_screen_wait(ConfirmModal(
            f"{self.label} changed on the server since you opened it",
            f"What changed meanwhile:\n{changed or '(metadata only)'}\n\n"
            "Reapply only your own changes on top of the latest version?",
            yes="Reapply", dangerous=False))
        if not reapply:
            self.app.notify("edit discarded", severity="warning")
            return False
        await actions.reapply_edit(self.client, self.kind, original, edited)
        return True

    async def run_editor(self, text: str, problem: str, stem: str) -> str:
        """Hand the terminal to the editor and wait; the app's loop keeps running meanwhile."""
        editor = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi"
        header = "".join(f"# {line}\n" for line in problem.splitlines()) if problem else ""
        with tempfile.TemporaryDirectory(prefix="kstui-edit-") as tmp:
            path = Path(tmp) / f"{re.sub(r'[^a-zA-Z0-9_.-]', '-', stem)}.yaml"
            path.write_text(header + text)
            command = [*shlex.split(editor), str(path)]
            try:
                with self.app.suspend():
                    await asyncio.to_thread(subprocess.run, command, check=False)
            except SuspendNotSupported:  # headless (tests): the editor needs no terminal
                await asyncio.to_thread(subprocess.run, command, check=False,
                                        stdin=subprocess.DEVNULL)
            return path.read_text()


def strip_problem(text: str) -> str:
    """Drop the `# error` lines kstui put on top of the file when it reopened the editor."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)
