"""Reviews: kinds that are created, answered from identity and RBAC, and never stored."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kstui.sandbox import shapes
from kstui.sandbox.api import Call, read_body, respond
from kstui.sandbox.auth import Attributes, UserInfo
from kstui.sandbox.status import ApiError


def _attributes(spec: dict[str, Any]) -> Attributes:
    resource = spec.get("resourceAttributes")
    if resource:
        return Attributes(
            verb=resource.get("verb", ""),
            group=resource.get("group", ""),
            resource=resource.get("resource", ""),
            subresource=resource.get("subresource", ""),
            namespace=resource.get("namespace", ""),
            name=resource.get("name", ""),
        )
    non_resource = spec.get("nonResourceAttributes") or {}
    return Attributes(verb=non_resource.get("verb", ""), path=non_resource.get("path", ""))


def _access_status(call: Call, user: UserInfo, spec: dict[str, Any]) -> dict[str, Any]:
    if not spec.get("resourceAttributes") and not spec.get("nonResourceAttributes"):
        raise ApiError.invalid(
            call.kind.kind,
            "",
            [
                {
                    "reason": "FieldValueRequired",
                    "field": "spec.resourceAttributes",
                    "message": "Required value: exactly one of nonResourceAttributes or "
                    "resourceAttributes must be specified",
                }
            ],
            call.kind.group,
        )
    allowed, reason = call.cluster.authz.decide(user, _attributes(spec))
    status: dict[str, Any] = {"allowed": allowed}
    if reason:
        status["reason"] = reason
    return status


async def create_review(call: Call) -> web.Response:
    body = await read_body(call.request)
    if not isinstance(body, dict):
        raise ApiError.bad_request("Object 'Kind' is missing in request body")
    problem = shapes.decode_error(call.kind, body)
    if problem:
        raise ApiError.bad_request(
            f'{call.kind.kind} in version "{call.kind.version}" cannot be '
            f"handled as a {call.kind.kind}: {problem}"
        )
    spec = body.get("spec") or {}
    plural = call.kind.plural
    result: dict[str, Any] = {
        "kind": call.kind.kind,
        "apiVersion": call.kind.api_version,
        "metadata": {"creationTimestamp": None},
        "spec": spec,
    }
    if plural in ("selfsubjectaccessreviews", "localsubjectaccessreviews"):
        if plural == "localsubjectaccessreviews":
            spec.setdefault("resourceAttributes", {})["namespace"] = call.info.namespace
        result["status"] = _access_status(call, call.user, spec)
    elif plural == "subjectaccessreviews":
        subject = UserInfo(
            spec.get("user", ""), tuple(spec.get("groups") or ()), spec.get("uid", "")
        )
        result["status"] = _access_status(call, subject, spec)
    elif plural == "selfsubjectrulesreviews":
        resource_rules, non_resource_rules = call.cluster.authz.rules_for(
            call.user, spec.get("namespace", "")
        )
        result["status"] = {
            "resourceRules": resource_rules,
            "nonResourceRules": non_resource_rules,
            "incomplete": False,
        }
    elif plural == "selfsubjectreviews":
        result.pop("spec")
        result["status"] = {"userInfo": call.user.as_dict()}
    elif plural == "tokenreviews":
        found = call.cluster.authn.from_token(spec.get("token", ""), call.cluster.clock.now())
        result["status"] = {"authenticated": found is not None}
        if found is not None:
            result["status"]["user"] = found.as_dict()
    return respond(result, 201)
