"""The DevOps API's two doors (API.md §9.4), each a small HTTP server per cluster:

* devops-apiserver, reached through the kube-apiserver's service proxy at
  `kubesphere-devops-system/devops-apiserver:9090` (anonymous there);
* a ks-apiserver-like base URL: `POST /oauth/token` (password and refresh_token grants for the
  client `kubesphere`/`kubesphere`, HS256 JWTs that expire by the cluster's clock) and the same
  `/kapis/devops.kubesphere.io/...` paths for a valid `Authorization: Bearer <access token>`
  (or HTTP Basic), as the user the token names; 401 otherwise.

Every sandbox user (`iam.kubesphere.io` User) has the password `P@88w0rd` (KubeSphere's default
admin password) unless `KsApiServer.passwords` says otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any

from aiohttp import web

from kstui.sandbox import devops_api

USERS = ("iam.kubesphere.io", "users")
DEFAULT_PASSWORD = "P@88w0rd"
CLIENT = ("kubesphere", "kubesphere")
DEVOPS_SERVICE = ("kubesphere-devops-system", "devops-apiserver", 9090)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KsApiServer:
    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self.secret = secrets.token_bytes(32)
        self.access_seconds = 7200.0
        """Access token lifetime (the 4.x chart: 2 h)."""
        self.inactivity_seconds = 1800.0
        """A refresh token lives access + inactivity (the 4.x chart: 30 min)."""
        self.passwords: dict[str, str] = {}
        self.revoked: set[str] = set()
        """Refresh tokens already used: each grant returns a new pair."""
        self.devops_url = ""
        self.url = ""
        self._runners: list[web.AppRunner] = []

    # ------------------------------------------------------------------ tokens

    def _sign(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self.secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(mac)}"

    def verify(self, token: str, token_type: str) -> str | None:
        """The user a valid, unexpired token of that type names; None otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        mac = hmac.new(self.secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64(mac), parts[2]):
            return None
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        if claims.get("token_type") != token_type:
            return None
        if claims.get("exp", 0) <= self.cluster.clock.now().timestamp():
            return None
        return str(claims.get("username", ""))

    def issue(self, username: str) -> dict[str, Any]:
        now = self.cluster.clock.now()

        def token(kind: str, seconds: float) -> str:
            return self._sign(
                {
                    "username": username,
                    "token_type": kind,
                    "iss": "kubesphere",
                    "sub": username,
                    "iat": int(now.timestamp()),
                    "nbf": int(now.timestamp()),
                    "exp": int((now + timedelta(seconds=seconds)).timestamp()),
                    "jti": secrets.token_hex(8),
                }
            )

        return {
            "access_token": token("access_token", self.access_seconds),
            "token_type": "Bearer",
            "refresh_token": token("refresh_token", self.access_seconds + self.inactivity_seconds),
            "expires_in": int(self.access_seconds),
        }

    def password_ok(self, username: str, password: str) -> bool:
        user = self.cluster.store.get(USERS, "", username)
        if user is None or (user.get("status") or {}).get("state", "Active") != "Active":
            return False
        return hmac.compare_digest(self.passwords.get(username, DEFAULT_PASSWORD), password)

    # ------------------------------------------------------------------ HTTP

    async def oauth_token(self, request: web.Request) -> web.Response:
        form = await request.post()

        def fail(status: int, error: str, description: str) -> web.Response:
            return web.json_response(
                {"error": error, "error_description": description}, status=status
            )

        if (form.get("client_id"), form.get("client_secret")) != CLIENT:
            return fail(401, "invalid_client", "client authentication failed")
        grant = form.get("grant_type")
        if grant == "password":
            username = str(form.get("username", ""))
            if not self.password_ok(username, str(form.get("password", ""))):
                return fail(400, "invalid_grant", "incorrect username or password")
        elif grant == "refresh_token":
            refresh = str(form.get("refresh_token", ""))
            found = None if refresh in self.revoked else self.verify(refresh, "refresh_token")
            if not found:
                return fail(400, "invalid_grant", "invalid or expired refresh token")
            self.revoked.add(refresh)
            username = found
        else:
            return fail(400, "unsupported_grant_type", f"grant type {grant!r} is not supported")
        return web.json_response(self.issue(username), headers={"Cache-Control": "no-store"})

    async def identify(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        user: str | None = None
        if scheme.lower() == "bearer":
            user = self.verify(value.strip(), "access_token")
        elif scheme.lower() == "basic":
            try:
                name, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                name = password = ""
            user = name if self.password_ok(name, password) else None
        if not user:
            raise web.HTTPUnauthorized(
                text=json.dumps({"code": 401, "message": "Unauthorized"}),
                content_type="application/json",
            )
        return user

    def apps(self) -> tuple[web.Application, web.Application]:
        devops = web.Application()
        devops_api.add_routes(devops, self.cluster, devops_api.devops_user)
        ks = web.Application()
        ks.router.add_post("/oauth/token", self.oauth_token)
        devops_api.add_routes(ks, self.cluster, self.identify)
        return devops, ks

    async def start(self, host: str) -> None:
        devops, ks = self.apps()
        urls = []
        for app in (devops, ks):
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, host, 0)
            await site.start()
            self._runners.append(runner)
            urls.append(f"http://{host}:{runner.addresses[0][1]}")
        self.devops_url, self.url = urls
        self.cluster.register_proxy(*DEVOPS_SERVICE, self.devops_url)

    async def stop(self) -> None:
        self.cluster.unregister_proxy(*DEVOPS_SERVICE)
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
