"""TokenRequest (`create` on serviceaccounts/token): a bound, expiring token that authenticates as
the service account, so RBAC applies to it as to any user; `kubectl create token` uses it.

The token is shaped as kube-apiserver's (a JWT with its claims) but signed with nothing: only
this sandbox's authenticator reads it, and it stops working when the account goes away.
"""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

import orjson
from aiohttp import web

from kstui.sandbox.api import Call, read_body, respond
from kstui.sandbox.clock import rfc3339
from kstui.sandbox.status import ApiError

API_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
SERVICE_ACCOUNTS = ("", "serviceaccounts")


def service_account_groups(namespace: str) -> tuple[str, ...]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def _invalid(name: str, field: str, value: Any, detail: str) -> ApiError:
    return ApiError.invalid(
        "TokenRequest",
        name,
        [
            {
                "reason": "FieldValueInvalid",
                "field": field,
                "message": f"Invalid value: {value}: {detail}",
            }
        ],
        "authentication.k8s.io",
    )


async def create_token(call: Call) -> web.Response:
    body = await read_body(call.request) or {}
    if not isinstance(body, dict):
        raise ApiError.bad_request("TokenRequest must be an object")
    spec = dict(body.get("spec") or {})
    seconds = spec.get("expirationSeconds")
    if seconds is None:
        seconds = 3600  # an hour, the default
    if not isinstance(seconds, int):
        raise ApiError.bad_request("spec.expirationSeconds must be an integer")
    if seconds < 600:
        raise _invalid(
            call.info.name,
            "spec.expirationSeconds",
            seconds,
            "may not specify a duration less than 10 minutes",
        )
    if seconds > 2**32:
        raise _invalid(
            call.info.name,
            "spec.expirationSeconds",
            seconds,
            "may not specify a duration larger than 2^32 seconds",
        )
    audiences = list(spec.get("audiences") or [API_AUDIENCE])
    namespace, name = call.info.namespace, call.info.name
    account = call.store.entry(SERVICE_ACCOUNTS, namespace, name)
    if account is None:
        raise ApiError.not_found("serviceaccounts", name)
    now = call.cluster.clock.now()
    expires = now + timedelta(seconds=seconds)
    username = f"system:serviceaccount:{namespace}:{name}"
    claims = {
        "aud": audiences,
        "exp": int(expires.timestamp()),
        "iat": int(now.timestamp()),
        "iss": API_AUDIENCE,
        "jti": secrets.token_hex(16),
        "kubernetes.io": {
            "namespace": namespace,
            "serviceaccount": {"name": name, "uid": account.uid},
        },
        "nbf": int(now.timestamp()),
        "sub": username,
    }
    token = ".".join(
        (_b64({"alg": "RS256", "kid": "kstui-sandbox"}), _b64(claims), secrets.token_urlsafe(32))
    )
    store, uid = call.store, account.uid

    def still_bound() -> bool:  # a deleted (or recreated) account's tokens stop working
        current = store.entry(SERVICE_ACCOUNTS, namespace, name)
        return current is not None and current.uid == uid

    if API_AUDIENCE in audiences and not call.dry_run:  # a token for others is not ours
        call.cluster.authn.issue(
            username, service_account_groups(namespace), expires, token, uid=uid, valid=still_bound
        )
    spec.update({"audiences": audiences, "expirationSeconds": seconds})
    spec.setdefault("boundObjectRef", None)
    return respond(
        {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
            "spec": spec,
            "status": {"token": token, "expirationTimestamp": rfc3339(expires)},
        },
        201,
    )
