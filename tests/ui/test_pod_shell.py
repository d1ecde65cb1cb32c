"""`s` on a pod: the real app on a pseudo-terminal hands the terminal to a shell in the
container (sh: the alpine image has no bash), then comes back to the list it left, saying the
shell's exit status."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.ui.terminal import ENTER, Terminal


def test_s_opens_a_shell_and_comes_back_with_its_exit_status(
    lab: RunningSandbox, tmp_path: Path
) -> None:
    terminal = Terminal(["--kubeconfig", str(lab.kubeconfig), "-n", NS], tmp_path, columns=120)
    try:
        terminal.wait_for(rf"pods\({NS}\)\[\d+\]")
        mark = terminal.mark()
        terminal.write(b"/shell" + ENTER.encode())
        terminal.wait_for(rf"pods\({NS}\)\[1/\d+\]  /shell", after=mark)
        mark = terminal.mark()
        terminal.press("s")
        terminal.wait_for(r"/ # $", after=mark, timeout=20)  # the shell's prompt, alone
        mark = terminal.mark()
        terminal.write(b"ls /\r")
        listing = terminal.wait_drawn("proc", "usr", after=mark)
        assert "bin" in listing
        assert "pods(" not in listing  # the app draws nothing while the shell runs
        mark = terminal.mark()
        terminal.write(b"exit 3\r")
        drawn = terminal.wait_drawn(
            "shell ended: exit 3", 'sh in container "main" of pod', after=mark, timeout=20
        )
        assert f"pods({NS})[1/" in drawn  # the list it left, its filter kept, drawn again
        mark = terminal.mark()
        terminal.write(b"\x1b")  # the app reads keys again: esc clears the filter
        terminal.wait_for(rf"pods\({NS}\)\[\d+\]", after=mark)
    finally:
        terminal.close()


def test_a_dropped_connection_gives_the_terminal_back_and_says_so(
    lab: RunningSandbox, tmp_path: Path
) -> None:
    terminal = Terminal(["--kubeconfig", str(lab.kubeconfig), "-n", NS], tmp_path, columns=120)
    try:
        terminal.wait_for(rf"pods\({NS}\)\[\d+\]")
        mark = terminal.mark()
        terminal.write(b"/shell" + ENTER.encode())
        terminal.wait_for(rf"pods\({NS}\)\[1/\d+\]  /shell", after=mark)
        mark = terminal.mark()
        terminal.press("s")
        terminal.wait_for(r"/ # $", after=mark, timeout=20)
        mark = terminal.mark()
        lab.call(lab.cluster().faults.drop_streams)
        drawn = terminal.wait_drawn("was cut", "before the command ended", after=mark)
        assert f"pods({NS})[1/" in drawn
        mark = terminal.mark()
        terminal.write(b"\x1b")
        terminal.wait_for(rf"pods\({NS}\)\[\d+\]", after=mark)
    finally:
        terminal.close()
