"""Jenkins' progressive text (API.md §3.4), pure: a step's or a run's log read in pieces.

Each request asks `?start=<offset>`; the answer is the text from there, `X-Text-Size` the
offset to ask next and `X-More-Data: true` while the step still runs. ProgressiveLog keeps the
offset, joins a line split across two answers, and says how long to wait before the next ask
(at once while text flows, backing off to 2 s while a running step is quiet).

    log = ProgressiveLog()
    while not log.done:
        answer = await get(path, params=log.params())
        lines = log.feed(answer.text, answer.headers)
        await asyncio.sleep(log.wait())
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FAST = 0.1
"""The wait after an answer that brought text (more may be there already)."""
SLOW = 2.0
"""The longest wait while a running step is quiet."""


@dataclass(slots=True)
class ProgressiveLog:
    start: int = 0
    """The byte offset the next request asks from."""
    more: bool = True
    """X-More-Data of the last answer: the log may still grow."""
    asked: int = 0
    """Answers fed so far."""
    restarted: int = 0
    """Times the log came back shorter than the offset (a replaced or cut log): read again."""
    _partial: str = ""
    _quiet: int = 0

    def params(self) -> dict[str, str]:
        return {"start": str(self.start)}

    @property
    def done(self) -> bool:
        """The step ended and every byte was read."""
        return self.asked > 0 and not self.more

    def feed(self, text: str, headers: Mapping[str, str]) -> list[str]:
        """One answer → the whole lines it completes (the last, unended line waits for the
        next answer, or is given once the log is done)."""
        self.asked += 1
        size = _header(headers, "X-Text-Size")
        self.more = _header(headers, "X-More-Data").lower() == "true"
        lines: list[str] = []
        if size.isdigit() and int(size) < self.start:
            # Shorter than what was read: the log was replaced; read it again from 0.
            self.restarted += 1
            self.start, self._partial = 0, ""
            self._quiet = 0
            return lines
        advanced = int(size) - self.start if size.isdigit() else len(text.encode())
        self.start += max(advanced, 0)
        if text:
            self._quiet = 0
            joined = self._partial + text
            *whole, self._partial = joined.split("\n")
            lines = [line.removesuffix("\r") for line in whole]
        else:
            self._quiet += 1
        if not self.more and self._partial:
            lines.append(self._partial.removesuffix("\r"))
            self._partial = ""
        return lines

    def wait(self) -> float:
        """Seconds before the next request: FAST after text, doubling to SLOW while quiet."""
        if self._quiet == 0:
            return FAST
        return min(SLOW, FAST * (2 ** min(self._quiet, 6)))


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return str(value or "").strip()
