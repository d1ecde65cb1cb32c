"""Turn a request path into what it asks for, as kube-apiserver's RequestInfoFactory does."""

from __future__ import annotations

from dataclasses import dataclass

_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True, slots=True)
class RequestInfo:
    is_resource: bool
    path: str
    verb: str = ""
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    rest: str = ""
    """What follows a subresource, e.g. the path after `services/x:80/proxy/`."""


def parse(method: str, path: str, watch_param: bool) -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    non_resource = RequestInfo(False, path, verb=method.lower())
    if not parts or parts[0] not in ("api", "apis"):
        return non_resource
    if parts[0] == "api":
        if len(parts) < 3:
            return non_resource
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 4:
            return non_resource
        group, version, rest = parts[1], parts[2], parts[3:]

    watch = watch_param
    if rest and rest[0] == "watch":  # legacy /api/v1/watch/... paths
        watch, rest = True, rest[1:]
    namespace = ""
    if rest and rest[0] == "namespaces":
        if len(rest) >= 3 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            namespace, rest = rest[1], rest[2:]
        elif len(rest) >= 2:
            namespace = rest[1]
    if not rest:
        return non_resource
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    extra = "/".join(rest[3:])
    if subresource == "proxy" and path.endswith("/") and extra:
        extra += "/"

    if name:
        verb = {
            "get": "get",
            "put": "update",
            "patch": "patch",
            "delete": "delete",
            "post": "create",
        }.get(method.lower(), method.lower())
        if watch and verb == "get":
            verb = "watch"
    else:
        verb = {"get": "list", "post": "create", "delete": "deletecollection"}.get(
            method.lower(), method.lower()
        )
        if watch and verb == "list":
            verb = "watch"
    return RequestInfo(
        True, path, verb, group, version, resource, subresource, namespace, name, extra
    )
