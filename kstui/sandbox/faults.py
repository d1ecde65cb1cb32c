"""Faults a test can inject into one sandbox cluster: dropped watches, cut exec/attach/forward
streams, 410s, 429/500s, latency, late answers to writes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from kstui.sandbox.status import ApiError


@dataclass(slots=True)
class _Failure:
    status: int
    remaining: int
    path_prefix: str
    retry_after: int

    def error(self, resource_version: str, oldest_rv: int) -> ApiError:
        """The Status kube-apiserver answers with for this code."""
        if self.status == 429:
            return ApiError.too_many_requests(self.retry_after)
        if self.status == 410:
            # The watch cache's NewResourceExpired (reason Gone before 1.16): client-go's
            # reflector relists on IsResourceExpired || IsGone, never on an InternalError.
            return ApiError.expired(
                f"too old resource version: {resource_version or 0} ({oldest_rv})"
            )
        if self.status == 503:
            return ApiError.service_unavailable(
                "the server is currently unable to handle the request"
            )
        if self.status == 504:
            return ApiError(
                504, "Timeout", "Timeout: request did not complete within the allotted timeout", {}
            )
        if self.status != 500:
            return ApiError(
                self.status, "InternalError", f"injected fault (HTTP {self.status})", {}
            )
        return ApiError.internal("injected fault")


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
    taken: list[tuple[float, str, int]] = field(default_factory=list)
    """(time.monotonic(), path, status) of each request answered with an injected failure."""
    hung: bool = False
    """Accept connections but answer nothing; open watches fall silent (a stuck server)."""
    muted_watches: bool = False
    """Open watches send nothing, not even bookmarks, while requests are answered."""
    stream_generation: int = 0
    """Bumped to cut every open exec, attach and port-forward WebSocket."""
    _failures: list[_Failure] = field(default_factory=list)
    _late: list[_LateAnswer] = field(default_factory=list)

    def drop_streams(self) -> None:
        """Cut every open exec, attach and port-forward connection (no close frame)."""
        self.stream_generation += 1

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

    def answer_late(
        self,
        seconds: float,
        path_prefix: str = "",
        *,
        count: int = 1,
        applied: bool = True,
        methods: tuple[str, ...] = WRITE_METHODS,
    ) -> None:
        """The next `count` requests under `path_prefix` (writes by default) answer `seconds`
        late. `applied`: handled first, so the write is stored and only its answer is late;
        otherwise not handled at all (a 504 after the delay, as from a server that gave up)."""
        self._late.append(
            _LateAnswer(seconds, count, path_prefix, tuple(m.upper() for m in methods), applied)
        )

    def clear(self) -> None:
        self.hung = self.muted_watches = False
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
                self.taken.append((time.monotonic(), path, failure.status))
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
