"""WriteStatus: one line naming the writes still waiting for the server's answer."""

from __future__ import annotations

import itertools

from textual.widgets import Static


class WriteStatus(Static):
    """Hidden while nothing is in flight; `begin` returns a token that `end` takes back."""

    DEFAULT_CSS = """
    WriteStatus {
        height: 1; padding: 0 1; display: none; color: $warning;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    WriteStatus.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._writes: dict[int, str] = {}
        self._tokens = itertools.count(1)

    @property
    def texts(self) -> list[str]:
        return list(self._writes.values())

    def begin(self, text: str) -> int:
        token = next(self._tokens)
        self._writes[token] = text
        self._show()
        return token

    def change(self, token: int, text: str) -> None:
        if token in self._writes:
            self._writes[token] = text
            self._show()

    def end(self, token: int) -> None:
        if self._writes.pop(token, None) is not None:
            self._show()

    def _show(self) -> None:
        self.update(" · ".join(self._writes.values()))
        self.set_class(bool(self._writes), "-shown")
