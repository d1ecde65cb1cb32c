"""Faults a test can inject into one sandbox cluster: dropped watches, 410s, 429/500s, latency."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class _Failure:
    status: int
    remaining: int
    path_prefix: str
    retry_after: int


@dataclass(slots=True)
class Faults:
    latency: float = 0.0
    """Seconds added before every API answer."""
    latency_prefix: str = ""
    watch_generation: int = 0
    """Bumped to make every open watch end; watches compare it with the value they began with."""
    abrupt_drop: bool = True
    drop_watches_after: int | None = None
    """End each watch after this many events (a server that keeps dropping connections)."""
    hung: bool = False
    """Accept connections but answer nothing; open watches fall silent (a stuck server)."""
    muted_watches: bool = False
    """Open watches send nothing, not even bookmarks, while requests are answered."""
    _failures: list[_Failure] = field(default_factory=list)

    def drop_watches(self, abrupt: bool = True) -> None:
        """End every open watch now: abruptly (connection reset) or cleanly (as on a timeout)."""
        self.abrupt_drop = abrupt
        self.watch_generation += 1

    def fail_next(
        self, count: int = 1, status: int = 500, path_prefix: str = "", retry_after: int = 1
    ) -> None:
        """Answer the next `count` API requests under `path_prefix` with `status` (429 or 5xx)."""
        self._failures.append(_Failure(status, count, path_prefix, retry_after))

    def slow(self, seconds: float, path_prefix: str = "") -> None:
        self.latency = seconds
        self.latency_prefix = path_prefix

    def hang(self, on: bool = True) -> None:
        self.hung = on

    def mute_watches(self, on: bool = True) -> None:
        self.muted_watches = on

    @property
    def watches_silent(self) -> bool:
        return self.hung or self.muted_watches

    def clear(self) -> None:
        self.hung = self.muted_watches = False
        self.latency = 0.0
        self.latency_prefix = ""
        self.drop_watches_after = None
        self._failures.clear()

    def take_failure(self, path: str) -> _Failure | None:
        for failure in self._failures:
            if path.startswith(failure.path_prefix) and failure.remaining > 0:
                failure.remaining -= 1
                if failure.remaining == 0:
                    self._failures.remove(failure)
                return failure
        return None

    def delay_for(self, path: str) -> float:
        return self.latency if self.latency and path.startswith(self.latency_prefix) else 0.0
