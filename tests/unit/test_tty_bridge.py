"""The terminal modes a shell or an attach gets (a real pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import termios

from kstui.backends.tty_bridge import make_raw


def test_without_a_container_tty_the_terminal_still_turns_newlines_into_cr_lf() -> None:
    """A read-only attach's output has bare newlines: in full raw mode it stair-stepped."""
    main, side = pty.openpty()
    try:
        make_raw(side, remote_tty=False)
        attributes = termios.tcgetattr(side)
        assert attributes[1] & termios.OPOST
        assert attributes[1] & termios.ONLCR
        assert not attributes[3] & termios.ICANON  # keys still go through unread
        assert not attributes[3] & termios.ECHO
        make_raw(side, remote_tty=True)  # the container's TTY turns them itself
        assert not termios.tcgetattr(side)[1] & termios.OPOST
    finally:
        os.close(main)
        os.close(side)
