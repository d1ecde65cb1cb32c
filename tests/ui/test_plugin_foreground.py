"""A foreground plugin on a pseudo-terminal: the real app (`python -m kstui`, its config read
and checked) hands the terminal to the program, which reads what is typed; then the list it
left comes back with the exit status said. ctrl+c there stops the program, not kstui. A
plugin key that is a built-in key is refused at start, naming the key."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.ui.terminal import ENTER, Terminal

PLUGINS = {
    "ask": {
        "key": "ctrl+t",
        "kinds": ["pods"],
        "command": [
            "sh",
            "-c",
            'printf "plugin sees [%s]\\n" "$1"; read line; echo "got $line"; exit 4',
            "ask",
            "$NAME",
        ],
    },
    "wait": {"key": "ctrl+o", "kinds": ["pods"], "command": ["sleep", "60"]},
}


def write_config(home: Path, plugins: dict[str, object]) -> None:
    folder = home / "config" / "kstui"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump({"plugins": plugins}))


def test_a_foreground_plugin_gets_the_terminal_and_gives_it_back(
    lab: RunningSandbox, tmp_path: Path
) -> None:
    write_config(tmp_path, PLUGINS)
    terminal = Terminal(["--kubeconfig", str(lab.kubeconfig), "-n", NS], tmp_path, columns=120)
    try:
        terminal.wait_for(rf"pods\({NS}\)\[\d+\]")
        mark = terminal.mark()
        terminal.write(b"/shell" + ENTER.encode())
        terminal.wait_for(rf"pods\({NS}\)\[1/\d+\]  /shell", after=mark)
        mark = terminal.mark()
        terminal.press("\x14")  # ctrl+t
        terminal.wait_drawn("plugin sees [shell]", after=mark, timeout=20)
        terminal.write(b"hello\r")
        drawn = terminal.wait_drawn("got hello", after=mark)
        during = drawn[drawn.index("plugin sees") : drawn.index("got hello")]
        assert "pods(" not in during  # the app draws nothing while the program runs
        drawn = terminal.wait_drawn("plugin ask ended: exit 4", after=mark, timeout=20)
        assert f"pods({NS})[1/" in drawn  # the list it left, its filter kept

        mark = terminal.mark()
        terminal.press("\x0f")  # ctrl+o: sleep 60
        terminal.press("\x03")  # ctrl+c: the program's, not kstui's
        terminal.wait_drawn("plugin wait ended: killed by signal 2", after=mark, timeout=20)
        assert terminal.alive()
        mark = terminal.mark()
        terminal.write(b"\x1b")  # the app reads keys again: esc clears the filter
        terminal.wait_for(rf"pods\({NS}\)\[\d+\]", after=mark)
    finally:
        terminal.close()


def test_a_plugin_on_a_built_in_key_is_refused_at_start(
    lab: RunningSandbox, tmp_path: Path
) -> None:
    write_config(tmp_path, {"logs": {"key": "l", "kinds": ["pods"], "command": ["true"]}})
    terminal = Terminal(["--kubeconfig", str(lab.kubeconfig)], tmp_path, columns=200)
    try:
        terminal.wait_drawn("plugins.logs.key: 'l' is already resource.logs on resource lists")
    finally:
        terminal.close()
