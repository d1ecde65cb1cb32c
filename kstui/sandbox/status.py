"""API errors as kube-apiserver reports them: a Status object with a real reason and code."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered as a `Status` body. Raised anywhere in the sandbox's request path."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body

    # The constructors below mirror k8s.io/apimachinery/pkg/api/errors.

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, "BadRequest", message)

    @classmethod
    def not_found(cls, resource: str, name: str, group: str = "") -> ApiError:
        qualified = f"{resource}.{group}" if group else resource
        return cls(
            404,
            "NotFound",
            f'{qualified} "{name}" not found',
            {"name": name, "group": group, "kind": resource}
            if group
            else {"name": name, "kind": resource},
        )

    @classmethod
    def path_not_found(cls) -> ApiError:
        return cls(404, "NotFound", "the server could not find the requested resource", {})

    @classmethod
    def already_exists(cls, resource: str, name: str, group: str = "") -> ApiError:
        qualified = f"{resource}.{group}" if group else resource
        details = {"name": name, "kind": resource}
        if group:
            details["group"] = group
        return cls(409, "AlreadyExists", f'{qualified} "{name}" already exists', details)

    @classmethod
    def conflict(cls, resource: str, name: str, group: str = "") -> ApiError:
        qualified = f"{resource}.{group}" if group else resource
        details = {"name": name, "kind": resource}
        if group:
            details["group"] = group
        return cls(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            details,
        )

    @classmethod
    def invalid(
        cls, kind: str, name: str, causes: list[dict[str, str]], group: str = ""
    ) -> ApiError:
        qualified = f"{kind}.{group}" if group else kind
        summary = ", ".join(
            f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes
        )
        details: dict[str, Any] = {"name": name, "kind": kind, "causes": causes}
        if group:
            details["group"] = group
        return cls(422, "Invalid", f'{qualified} "{name}" is invalid: {summary}', details)

    @classmethod
    def method_not_allowed(
        cls, message: str = "the server does not allow this method on the requested resource"
    ) -> ApiError:
        return cls(405, "MethodNotAllowed", message, {})

    @classmethod
    def unsupported_media_type(cls, content_type: str, with_protobuf: bool = True) -> ApiError:
        accepted = "application/json, application/yaml"
        if with_protobuf:  # only the built-in kinds are decoded from protobuf
            accepted += ", application/vnd.kubernetes.protobuf"
        return cls(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types "
            f'include: {accepted} (got "{content_type}")',
            {},
        )

    @classmethod
    def too_large(cls) -> ApiError:
        return cls(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728", {})

    @classmethod
    def unauthorized(cls) -> ApiError:
        return cls(401, "Unauthorized", "Unauthorized")

    @classmethod
    def forbidden(cls, message: str, name: str = "", group: str = "", kind: str = "") -> ApiError:
        details: dict[str, Any] = {"kind": kind} if kind else {}
        if name:
            details["name"] = name
        if group:
            details["group"] = group
        return cls(403, "Forbidden", message, details)

    @classmethod
    def expired(cls, message: str) -> ApiError:
        return cls(410, "Expired", message)

    @classmethod
    def too_large_resource_version(cls, requested: int, current: int) -> ApiError:
        """kube-apiserver's answer to a list or watch newer than anything it has seen."""
        return cls(
            504,
            "Timeout",
            f"Too large resource version: {requested}, current: {current}",
            {
                "causes": [
                    {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
                ],
                "retryAfterSeconds": 1,
            },
            {"Retry-After": "1"},
        )

    @classmethod
    def too_many_requests(cls, retry_after: int) -> ApiError:
        return cls(
            429,
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later",
            {"retryAfterSeconds": retry_after},
            {"Retry-After": str(retry_after)},
        )

    @classmethod
    def internal(cls, message: str) -> ApiError:
        return cls(
            500,
            "InternalError",
            f"Internal error occurred: {message}",
            {"causes": [{"message": message}]},
        )

    @classmethod
    def service_unavailable(cls, message: str) -> ApiError:
        return cls(503, "ServiceUnavailable", message, {})
