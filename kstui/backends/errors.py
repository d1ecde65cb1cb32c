"""Typed errors with a title, a detail and a hint: what the UI shows, never a traceback."""

from __future__ import annotations

from typing import Any

from kstui.lazy_pattern import LazyPattern


class KstuiError(Exception):
    """Something the user should read: what went wrong, the specifics, and what to do."""

    def __init__(self, title: str, detail: str = "", hint: str = "") -> None:
        super().__init__(title)
        self.title = title
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.title]
        if self.detail:
            parts.append(self.detail)
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        return "\n".join(parts)


class KubeconfigError(KstuiError):
    """No usable kubeconfig, context, or credentials."""


class Unreachable(KstuiError):
    """The server could not be reached (DNS, refused, timeout, TLS)."""


class ApiError(KstuiError):
    """An API answer with a non-2xx status, carrying the Status body when there is one."""

    def __init__(
        self,
        status_code: int,
        title: str,
        detail: str = "",
        hint: str = "",
        reason: str = "",
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(title, detail, hint)
        self.status_code = status_code
        self.reason = reason
        self.body = body or {}

    @property
    def causes(self) -> list[dict[str, Any]]:
        return list((self.body.get("details") or {}).get("causes") or [])


class BadRequest(ApiError):
    """400: the request itself was malformed."""


class Unauthorized(ApiError):
    """401: the credentials were refused or have expired."""


class Forbidden(ApiError):
    """403: RBAC denies this verb on this resource."""

    @property
    def denied(self) -> str:
        """What is denied, in a few words: `forbidden: alice cannot list secrets in namespace
        payments` (or `cluster-wide`), read from the server's message when it is in
        Kubernetes' words; else the server's message, else the title."""
        match = _DENIAL.search(self.detail)
        if match is None:
            if "forbidden" in self.detail.lower():
                return self.detail
            return f"forbidden: {self.detail}" if self.detail else self.title
        resource = match["resource"] + (f".{match['group']}" if match["group"] else "")
        if match["namespace"]:
            where = f" in namespace {match['namespace']}"
        else:
            where = " cluster-wide" if match["cluster"] else ""
        return f"forbidden: {match['user']} cannot {match['verb']} {resource}{where}"


_DENIAL = LazyPattern(
    r'User "(?P<user>[^"]*)" cannot (?P<verb>[\w-]+) resource "(?P<resource>[^"]+)"'
    r'(?: in API group "(?P<group>[^"]*)")?'
    r'(?: in the namespace "(?P<namespace>[^"]*)"|(?P<cluster> at the cluster scope))?'
)
"""The authorizer's words: `secrets is forbidden: User "alice" cannot list resource "secrets"
in API group "" in the namespace "payments"` (or `at the cluster scope`)."""


class NotFound(ApiError):
    """404: no such object or resource."""


class Conflict(ApiError):
    """409: the object changed since it was read, or already exists."""


class Gone(ApiError):
    """410: the resourceVersion is too old to resume from; relist."""


class Invalid(ApiError):
    """422: the server's validation refused the object."""


class TooManyRequests(ApiError):
    """429: the server asks to retry later."""

    def __init__(self, *args: Any, retry_after: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed; usually worth a retry."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
}

_HINTS = {
    401: "the credentials in your kubeconfig were refused; log in again or refresh the token",
    403: "ask a cluster admin for this permission, or switch to a context that has it",
    409: "reload the object and apply your change again",
    410: "the list is re-read automatically",
    429: "the server is busy; kstui retries with backoff",
}


def api_error(
    status_code: int, body: dict[str, Any] | None, what: str, retry_after: float | None = None
) -> ApiError:
    """An ApiError subclass for this status, its message taken from a Status body if any."""
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or "")
    reason = str(body.get("reason") or "")
    cls = _BY_STATUS.get(status_code, ServerError if status_code >= 500 else ApiError)
    title = f"{what}: {reason or status_code}"
    hint = _HINTS.get(status_code, "")
    if reason == "AlreadyExists":  # a 409 too, but nothing changed meanwhile: the name is taken
        hint = "the name is taken: choose another"
    if cls is TooManyRequests:
        return TooManyRequests(
            status_code, title, message, hint, reason, body, retry_after=retry_after or 1.0
        )
    return cls(status_code, title, message, hint, reason, body)


class NoAnswer(KstuiError):
    """A write was sent but its answer never came (a read timeout, a dropped connection), and
    reading the object back did not show it applied: `applied` is False when the read-back
    shows it was not, None when that is still unknown. See write_outcome.py."""

    def __init__(
        self,
        title: str,
        detail: str = "",
        hint: str = "",
        *,
        applied: bool | None = None,
        waited: float = 0.0,
        said: str = "",
    ) -> None:
        super().__init__(title, detail, hint)
        self.applied = applied
        self.waited = waited
        self.said = said
        """What the read-back found ("replicas is 3"), or why it could not tell."""
