"""Keys typed after `:` or `/` belong to the prompt, however fast they arrive (a pty test)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import RunningSandbox
from tests.ui.terminal import Terminal

ROUNDS = ("list shown", "right behind", "one read", "with a typo") * 2
"""The second write once the list shows, right behind the first, or all in one read (also with
a typo mended by backspace: a prompt binding runs in order with the keys around it)."""


def deployment_versions(running: RunningSandbox) -> dict[tuple[str, str], str]:
    """Each deployment as a user could have changed it (labels, annotations, spec), not its
    status, which its controller keeps writing while pods come up."""

    def read() -> dict[tuple[str, str], str]:
        bucket = running.cluster().store.bucket(("apps", "deployments"))
        found = {}
        for key, entry in bucket.items():
            obj = entry.decode()
            meta = obj["metadata"]
            found[key] = json.dumps(
                [meta.get("labels"), meta.get("annotations"), obj.get("spec")], sort_keys=True
            )
        return found

    return running.call(read)  # type: ignore[return-value]


def changing_editor(tmp_path: Path) -> str:
    """An editor that really changes the object: an accidental `e` would PUT something."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "text = path.read_text().replace('metadata:\\n', "
        "'metadata:\\n  labels: {accidental: edit}\\n', 1)\n"
        "path.write_text(text)\n"
        f"pathlib.Path({str(tmp_path / 'edited')!r}).touch()\n"
    )
    return f"{sys.executable} {script}"


def test_keys_after_colon_and_slash_never_reach_the_table(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    """`:deploy⏎` then `/ready⏎`, each one write, while the app loads thousands of pods:
    no restart (`r`), no edit (`e`), no describe; the filter holds "ready"."""
    running = fresh_sandbox(pods=3000)
    before = deployment_versions(running)
    assert before, "the sandbox has deployments"
    terminal = Terminal(
        ["--kubeconfig", str(running.kubeconfig), "-A"],
        tmp_path,
        env={"KUBE_EDITOR": changing_editor(tmp_path)},
    )
    try:
        terminal.wait_for(r"pods\(all\)\[")
        for gap in ROUNDS:
            mark = terminal.mark()
            if gap == "one read":
                terminal.write(b":deploy\r/ready\r")
            elif gap == "with a typo":
                terminal.write(b":deplx\x7foy\r/ready\r")
            else:
                terminal.write(b":deploy\r")
                if gap == "list shown":
                    terminal.wait_for(r"deployments\(all\)\[", after=mark, timeout=30)
                terminal.write(b"/ready\r")
            terminal.wait_for(r"deployments\(all\)\[\d+/\d+\]  /ready", after=mark, timeout=30)
            for wrong in ("Restart Deployment", "describe Deployment", "yaml Deployment"):
                assert wrong not in terminal.since(mark), f"{gap}: {wrong}"
            mark = terminal.mark()
            terminal.write(b"\x1b")  # clears the filter
            terminal.wait_for(r"deployments\(all\)\[\d+\]", after=mark)
            terminal.write(b"\x1b")  # back to the pods
            terminal.wait_for(r"pods\(all\)\[", after=mark)
        time.sleep(1.0)  # a misrouted write would have reached the server by now
        assert deployment_versions(running) == before
        assert not (tmp_path / "edited").exists(), "the editor was opened"
    finally:
        terminal.close()


def test_keys_typed_at_the_first_frame_wait_for_the_prompt(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The first list composes its prompt after its first frame (issue 18): `:deploy⏎` typed
    the moment the header shows still switches to the deployments (without the app holding
    the keys until then, 2 starts in 5 lost them)."""
    for start in range(4):
        terminal = Terminal(["--kubeconfig", str(sandbox.kubeconfig), "-A"], tmp_path / str(start))
        try:
            terminal.wait_for("⎈")
            terminal.write(b":deploy\r")
            terminal.wait_for(r"deployments\(all\)\[\d+\]", timeout=30)
        finally:
            terminal.close()


def test_keys_typed_ahead_at_the_shell_reach_the_first_screen(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """`:deploy⏎` typed before kstui has even started (the terminal still in line mode, so ⏎
    arrives as a line feed, ctrl+j) switches to the deployments: the keys read before the
    first screen's mount waited for it and its prompt (before, `:` found no prompt and did
    nothing, and the line feed did not submit)."""
    for start in range(3):
        terminal = Terminal(["--kubeconfig", str(sandbox.kubeconfig), "-A"], tmp_path / str(start))
        try:
            terminal.write(b":deploy\r")
            terminal.wait_for(r"deployments\(all\)\[\d+\]", timeout=30)
        finally:
            terminal.close()
