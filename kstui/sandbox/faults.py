"""Faults a test can inject into one sandbox cluster: dropped watches, 410s, 429/500s, latency,
late answers to writes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class _Failure:
    status: int
    remaining: int
    path_prefix: str
    retry_after: int


WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(slots=True)
class _LateAnswer:
    seconds: float
    remaining: int
    path_prefix: str
    methods: tuple[str, ...]
    applied: bool


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
    _failures: list[_Failure] = field(default_factory=list)
    _late: list[_LateAnswer] = field(default_factory=list)

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

    def answer_late(self, seconds: float, path_prefix: str = "", *, count: int = 1,
                    applied: bool = True, methods: tuple[str, ...] = WRITE_METHODS) -> None:
        """The next `count` requests under `path_prefix` (writes by default) answer `seconds`
        late. `applied`: handled first, so the write is stored and only its answer is late;
        otherwise not handled at all (a 504 after the delay, as from a server that gave up)."""
        self._late.append(_LateAnswer(seconds, count, path_prefix,
                                      tuple(m.upper() for m in methods), applied))

    def clear(self) -> None:
        self.latency = 0.0
        self.latency_prefix = ""
        self.drop_watches_after = None
        self._failures.clear()
        self._late.clear()

    def take_failure(self, path: str) -> _Failure | None:
        for failure in self._failures:
            if path.startswith(failure.path_prefix) and failure.remaining > 0:
                failure.remaining -= 1
                if failure.remaining == 0:
                    self._failures.remove(failure)
                return failure
        return None

    def take_late(self, method: str, path: str) -> _LateAnswer | None:
        for late in self._late:
            if method in late.methods and path.startswith(late.path_prefix):
                late.remaining -= 1
                if late.remaining <= 0:
                    self._late.remove(late)
                return late
        return None

    def delay_for(self, path: str) -> float:
        return self.latency if self.latency and path.startswith(self.latency_prefix) else 0.0
