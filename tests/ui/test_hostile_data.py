"""Hostile cluster and kubeconfig data never drives the terminal (issue 8, item 1).

Every free-form field the app shows is filled with escape sequences (OSC 0 title, OSC 52
clipboard, CSI 2J), BEL, C1 controls, bidi and zero-width characters, Rich markup and a
100,000-character value; the real app (`python -m kstui`) runs on a pty and is driven through
every view. Every byte it writes is kept: none of the data's control sequences may be among
them, and the markup must show as the literal text it is.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
from pathlib import Path
from typing import Any

import yaml

from kstui.backends.kube import KubeClient
from kstui.sandbox.controllers.pods import UNSCHEDULABLE_ANNOTATION
from kstui.sandbox.podlogs import LOG_ANNOTATION
from tests.connections import sandbox_client
from tests.ui.terminal import CTRL_P, ENTER, ESCAPE, Terminal

UNIQUE = secrets.token_hex(6)
CLIPBOARD = base64.b64encode(f"clipboard-overwritten-{UNIQUE}".encode()).decode()
BIG = 100_000
WORKSPACE, NAMESPACE = "a0-hostile", "hostile"
ALIAS = "kubesphere.io/alias-name"


def hostile(mark: str) -> str:
    """One field value with every kind of hostile text; `mark` tells where a copy came from.
    Spaces between the parts let wrapped text (a notification) break between them."""
    return (
        f"{mark} [red]{mark}-MARKUP[/red] [bold red]x[/] [link=https://evil.example]L[/link] "
        f"\x1b]0;PWNED-{mark}\x07 \x1b]52;c;{CLIPBOARD}\x07 CLR{mark}\x1b[2J "
        f"\x07\x9b31m\x9d0;C1-{mark}\x9c\x85 \u202e{mark}-RTL\u202c \u200bZW\u2066\u2069"
    )


def markup_shown(mark: str) -> str:
    """The markup of `hostile(mark)` as it must appear: literally."""
    return f"[red]{mark}-MARKUP[/red]"


# ---------------------------------------------------------------------- the hostile cluster


async def _seed(kube: KubeClient) -> None:
    await kube.create(
        "/apis/tenant.kubesphere.io/v1beta1/workspacetemplates",
        {
            "apiVersion": "tenant.kubesphere.io/v1beta1",
            "kind": "WorkspaceTemplate",
            "metadata": {
                "name": WORKSPACE,
                "annotations": {"kubesphere.io/creator": "admin", ALIAS: hostile("W")},
            },
            "spec": {
                "template": {"spec": {"manager": "admin"}},
                "placement": {"clusters": [{"name": "host"}]},
            },
        },
    )
    await kube.create(
        "/api/v1/namespaces",
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": NAMESPACE,
                "annotations": {"kubesphere.io/creator": "admin", ALIAS: hostile("P")},
                "labels": {"kubesphere.io/workspace": WORKSPACE, "kubesphere.io/managed": "true"},
            },
        },
    )
    pods = f"/api/v1/namespaces/{NAMESPACE}/pods"
    log = "\n".join([f"ordinary line {n}" for n in range(5)] + [hostile("L"), "X" * BIG])
    running = await kube.create(
        pods,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "hostile-a",
                "annotations": {
                    "hostile.test/a": hostile("A"),
                    "hostile.test/big": "B" * BIG,
                    LOG_ANNOTATION: log,
                },
            },
            "spec": {
                "containers": [
                    {"name": "app", "image": "nginx:1.27"},
                    {"name": "side", "image": hostile("I")},  # IMAGE, and kubelet's events
                ]
            },
        },
    )
    await kube.create(
        f"/api/v1/namespaces/{NAMESPACE}/events",
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "hostile-a.event", "namespace": NAMESPACE},
            "involvedObject": {
                "kind": "Pod",
                "namespace": NAMESPACE,
                "name": "hostile-a",
                "uid": running["metadata"]["uid"],
                "apiVersion": "v1",
            },
            "reason": "Hostile",
            "message": hostile("E"),
            "type": "Warning",
            "count": 1,
            "source": {"component": "kubelet"},
        },
    )
    # Pending for good (no node takes it); its waiting reason is the server's text that the
    # list shows as STATUS and the log request's error repeats
    await kube.create(
        pods,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "hostile-b", "annotations": {UNSCHEDULABLE_ANNOTATION: "true"}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        },
    )
    # its log is served once it runs (the sandbox's kubelet starts it within seconds)
    deadline = asyncio.get_running_loop().time() + 60
    while (await kube.get(f"{pods}/hostile-a")).get("status", {}).get("phase") != "Running":
        assert asyncio.get_running_loop().time() < deadline, "hostile-a never started"
        await asyncio.sleep(0.1)
    await kube.patch(
        f"{pods}/hostile-b/status",
        {
            "status": {
                "containerStatuses": [
                    {
                        "name": "app",
                        "image": "nginx:1.27",
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "started": False,
                        "state": {"waiting": {"reason": hostile("R")}},
                    }
                ]
            }
        },
    )


def _hostile_kubeconfig(source: Path, target: Path) -> Path:
    """The sandbox's kubeconfig with hostile context, cluster and user names (current)."""
    config: dict[str, Any] = yaml.safe_load(source.read_text())
    names = {"host": hostile("C"), "kstui-host": hostile("K"), "host-admin": hostile("U")}
    for section, key in (("contexts", "name"), ("clusters", "name"), ("users", "name")):
        for entry in config[section]:
            entry[key] = names.get(entry[key], entry[key])
    for entry in config["contexts"]:
        context = entry["context"]
        context["cluster"] = names.get(context["cluster"], context["cluster"])
        context["user"] = names.get(context["user"], context["user"])
    config["current-context"] = names["host"]
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    target.chmod(0o600)
    return target


# ---------------------------------------------------------------------- what may not be written


def _any_of(characters: str) -> re.Pattern[bytes]:
    """Any of these characters as UTF-8 (the terminal's encoding) in the output."""
    return re.compile(b"|".join(re.escape(ch.encode()) for ch in characters))


LEAKS = {
    "OSC 0 (window title)": re.compile(rb"\x1b\]0;PWNED"),
    "OSC 52 (clipboard)": re.compile(rb"\x1b\]52;c;" + CLIPBOARD.encode()),
    "CSI 2J (clear screen)": re.compile(rb"CLR[A-Z]\x1b\[2J"),
    "BEL": re.compile(rb"PWNED-[A-Z]\x07"),
    "C1 CSI/OSC/ST/NEL": _any_of("\x85\x9b\x9c\x9d"),
    "bidi override/isolate": _any_of("\u202e\u202c\u2066\u2069"),
    "zero-width space": _any_of("\u200b"),
}


def leaks(raw: bytes) -> dict[str, bytes]:
    found = {}
    for name, pattern in LEAKS.items():
        match = pattern.search(raw)
        if match:
            found[name] = raw[max(0, match.start() - 40) : match.end() + 20]
    return found


class Drive:
    """Keys in, then wait for the view (`ready`, required) and for the data as it must show
    (`shown`: checked at the end, so that a failure still reports every leak)."""

    def __init__(self, app: Terminal) -> None:
        self.app = app
        self.not_shown: list[str] = []

    def __call__(self, keys: str, *ready: str, shown: tuple[str, ...] = ()) -> None:
        mark = self.app.mark()
        self.app.press(*keys)
        try:
            self.app.wait_drawn(*ready, after=mark, timeout=60)
        except AssertionError as failure:
            raise AssertionError(
                f"after {keys!r}: {failure}\nleaks so far: {leaks(self.app.raw)}"
            ) from None
        for text in shown:
            try:
                self.app.wait_drawn(text, after=mark, timeout=20)
            except AssertionError:
                self.not_shown.append(f"{keys!r}: {text}")


def test_hostile_data_never_reaches_the_terminal(fresh_sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    running = fresh_sandbox(pods=0)

    async def seed() -> None:
        kube = sandbox_client(running)
        try:
            await _seed(kube)
        finally:
            await kube.aclose()

    asyncio.run(seed())
    kubeconfig = _hostile_kubeconfig(running.kubeconfig, tmp_path / "hostile-kubeconfig")

    app = Terminal(
        ["--kubeconfig", str(kubeconfig), "-n", NAMESPACE], tmp_path, columns=200, lines=50
    )
    try:
        step = Drive(app)
        # the list and the header: kubeconfig names, the server's STATUS text
        step(
            "",
            "hostile-a",
            "hostile-b",
            shown=(markup_shown("C"), markup_shown("R"), "C [red]C-MARKUP[/red]"),
        )

        # describe: an annotation and an event message
        step(
            "d",
            "describe Pod hostile/hostile-a",
            "Events:",
            shown=(markup_shown("A"), markup_shown("E"), "␛]0;PWNED-A␇"),
        )
        step(ESCAPE, "hostile-b")
        # YAML: the same annotation and a 100,000-character one
        step(
            "y",
            "yaml Pod hostile/hostile-a",
            "BBBBBBBBBB",
            shown=(markup_shown("A"), "␛]52;c;" + CLIPBOARD),
        )
        step(ESCAPE, "hostile-b")

        # two containers: `l` asks which (the server's "choose one of: [app side]" is
        # test_literal_text's notification)
        step("l", "logs of hostile-a: which container?", "side", "all containers")
        step(ESCAPE, "hostile-b")

        # the containers screen, then a container's log with hostile lines and a long one
        step(ENTER, "› containers", "nginx:1.27", "IMAGE", shown=(markup_shown("I"),))
        step(
            "l",
            "logs hostile/hostile-a [app]",
            "ordinary line 4",
            "XXXXXXXXXX",
            shown=(markup_shown("L"), "CLRL␛[2J"),
        )
        step(ESCAPE, "› containers")
        step(ESCAPE, "hostile-b")

        # a notification carrying the hostile text itself (the pending pod's waiting reason)
        step("j", "hostile-b")
        step("l", "logs hostile/hostile-b", shown=("waiting to start", markup_shown("R")))
        step(ESCAPE, "hostile-a")

        # help
        step("?", "Keys: resources")
        step(ESCAPE, "hostile-a")

        # Workspaces: the list, the workspace, the project (its header and its panes)
        step("2", WORKSPACE, "MANAGER", shown=(markup_shown("W"),))
        step(
            ENTER,
            f"workspaces › {WORKSPACE}",
            "CREATOR",
            shown=(markup_shown("W"), markup_shown("P")),
        )
        step(ENTER, f"› {NAMESPACE}", "pods 2", shown=(markup_shown("P"),))
        step("]", "USER")  # the next pane (the number keys are the sections')
        step("]", "no quota set")
        step(ESCAPE, "CREATOR")
        step(ESCAPE, "MANAGER")

        # back in the browser: the palette and the `:` prompt's completion name contexts
        step("1", "hostile-a")
        step(CTRL_P, "context: C", shown=("context: C [red]C-MARKUP[/red]",))
        step(ESCAPE, "hostile-a")
        step(":", "kind, ns NAME")
        step("ctx C", "ctx C", shown=("ctx C [red]C-MARKUP[/red]",))

        raw = app.raw
    finally:
        app.close()

    assert leaks(raw) == {}, "cluster data reached the terminal as control sequences"
    assert step.not_shown == [], "data not shown literally"
