"""`ctrl+a` on a pod: the real app on a pseudo-terminal attaches the terminal to the
container's main process (sh with stdin and a tty), says the way out on entry, and ctrl+p
ctrl+q comes back to the list it left with the process still running."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.ui.terminal import ENTER, Terminal


def test_ctrl_a_attaches_and_ctrl_p_ctrl_q_detaches(lab: RunningSandbox, tmp_path: Path) -> None:
    terminal = Terminal(["--kubeconfig", str(lab.kubeconfig), "-n", NS], tmp_path, columns=120)
    try:
        terminal.wait_for(rf"pods\({NS}\)\[\d+\]")
        mark = terminal.mark()
        terminal.write(b"/shell" + ENTER.encode())
        terminal.wait_for(rf"pods\({NS}\)\[1/\d+\]  /shell", after=mark)
        mark = terminal.mark()
        terminal.write(b"\x01")  # ctrl+a
        terminal.wait_drawn("attached to", "ctrl+p ctrl+q detaches", after=mark, timeout=20)
        terminal.wait_for(r"/ # $", after=mark, timeout=20)
        mark = terminal.mark()
        terminal.write(b"echo still-here\r")
        terminal.wait_drawn("still-here", after=mark)
        mark = terminal.mark()
        terminal.write(b"\x10\x11")  # ctrl+p ctrl+q
        drawn = terminal.wait_drawn("detached", "runs on", after=mark, timeout=20)
        assert f"pods({NS})[1/" in drawn  # the list it left, drawn again
        mark = terminal.mark()
        terminal.write(b"\x1b")  # the app reads keys again: esc clears the filter
        terminal.wait_for(rf"pods\({NS}\)\[\d+\]", after=mark)
    finally:
        terminal.close()
