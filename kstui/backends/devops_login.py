"""A KubeSphere login for a configured ks-apiserver (API.md §9.4): the OAuth password grant
once, then the refresh token, kept in the OS keyring keyed by URL and user, renewed before the
access token expires. The password is never kept; a 401 forgets both tokens and asks again.

The tokens never reach a file, a log or a message (errors name the URL and the user only).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kstui.backends.devops_endpoint import KsApiEndpoint
from kstui.backends.errors import KstuiError

KEYRING_SERVICE = "kstui-kubesphere"
RENEW_MARGIN = 60.0
"""Renew this long before the access token expires (a tenth of its life if that is less)."""


class LoginNeeded(KstuiError):
    """No usable token: the password must be asked (once) for this URL and user."""


class TokenStore(Protocol):
    def get(self, entry: str) -> str | None: ...
    def set(self, entry: str, secret: str) -> None: ...
    def delete(self, entry: str) -> None: ...


class KeyringStore:
    """The OS keyring (keyring), imported when first used."""

    def get(self, entry: str) -> str | None:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, entry)
        except KeyringError:
            return None

    def set(self, entry: str, secret: str) -> None:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, entry, secret)
        except KeyringError as error:
            raise KstuiError(
                f"the OS keyring cannot keep the KubeSphere login ({type(error).__name__})",
                "you will be asked for the password again next time",
            ) from None

    def delete(self, entry: str) -> None:
        import keyring
        from keyring.errors import KeyringError

        with contextlib.suppress(KeyringError):
            keyring.delete_password(KEYRING_SERVICE, entry)


class TokenPost(Protocol):
    async def __call__(self, url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]: ...


@dataclass(slots=True)
class _Access:
    token: str
    expires_at: float
    lifetime: float


class KsLogin:
    """One ks-apiserver URL and user's tokens."""

    def __init__(
        self,
        endpoint: KsApiEndpoint,
        post: TokenPost,
        *,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = endpoint
        self._post = post
        self._store = store or KeyringStore()
        self._clock = clock
        self._access: _Access | None = None
        self.grants: list[str] = []
        """The grant types sent, in order (for tests and the status line)."""

    @property
    def entry(self) -> str:
        return f"{self.endpoint.url} {self.endpoint.username}"

    def who(self) -> str:
        return f"{self.endpoint.username} at {self.endpoint.url}"

    async def token(self) -> str:
        """An access token valid now: the one held, else renewed with the refresh token."""
        access = self._access
        if access is not None:
            margin = min(RENEW_MARGIN, access.lifetime / 10)
            if self._clock() < access.expires_at - margin:
                return access.token
        refresh = self._store.get(self.entry)
        if not refresh:
            self._access = None
            raise LoginNeeded(f"KubeSphere login needed: {self.who()}", "", "enter the password")
        await self._grant({"grant_type": "refresh_token", "refresh_token": refresh})
        assert self._access is not None
        return self._access.token

    async def login(self, password: str) -> None:
        """The password grant; only the refresh token it returns is kept (keyring)."""
        form = {"grant_type": "password", "username": self.endpoint.username}
        form["password"] = password
        await self._grant(form)

    def unauthorized(self) -> LoginNeeded:
        """A 401 from the API: both tokens are forgotten; the password is asked again."""
        self._access = None
        self._store.delete(self.entry)
        return LoginNeeded(
            f"KubeSphere refused the login (401): {self.who()}", "", "enter the password again"
        )

    async def _grant(self, form: dict[str, str]) -> None:
        grant = form["grant_type"]
        self.grants.append(grant)
        form = {
            **form,
            "client_id": self.endpoint.client_id,
            "client_secret": self.endpoint.client_secret,
        }
        status, answer = await self._post(f"{self.endpoint.url}/oauth/token", form)
        if status != 200 or not answer.get("access_token"):
            self._access = None
            if grant == "refresh_token":
                self._store.delete(self.entry)
                raise LoginNeeded(
                    f"the KubeSphere session ended: {self.who()}", "", "enter the password"
                )
            reason = str(answer.get("error_description") or answer.get("error") or "")
            if status == 429:
                reason = "too many failed logins: wait, then try again"
            raise LoginNeeded(
                f"KubeSphere login failed ({status}): {self.who()}",
                reason[:200],
                "check the password",
            )
        lifetime = float(answer.get("expires_in") or 0) or 7200.0
        self._access = _Access(str(answer["access_token"]), self._clock() + lifetime, lifetime)
        if refresh := answer.get("refresh_token"):
            self._store.set(self.entry, str(refresh))


async def httpx_token_post(endpoint: KsApiEndpoint) -> TokenPost:
    """POST the form to /oauth/token over httpx (the endpoint's CA and verify)."""
    import httpx

    verify: Any = endpoint.ca_file or endpoint.verify

    async def post(url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            async with httpx.AsyncClient(verify=verify, timeout=15.0) as http:
                response = await http.post(url, data=form)
        except httpx.HTTPError as error:
            raise KstuiError(
                f"cannot reach {endpoint.url} ({type(error).__name__})",
                "",
                "check the ks_apiserver URL in the config",
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, dict) else {}

    return post
