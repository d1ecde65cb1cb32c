"""The ks-apiserver mode (API.md §9.4): the password grant once, only the refresh token kept
(keyring), renewed before the access token expires, a 401 forgetting both and asking again,
and no token or password in any message; the DevOps API sent with the bearer token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from kstui.backends.devops_api import DevOpsApi, KsApiWay, RunRef
from kstui.backends.devops_endpoint import DevOpsConfigProblem, KsApiEndpoint, parse_devops
from kstui.backends.devops_login import KsLogin, LoginNeeded

ENDPOINT = KsApiEndpoint("https://ks.example.com", "alice")
PASSWORD = "pw-s3cret-never-kept"


class MemoryStore:
    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def get(self, entry: str) -> str | None:
        return self.kept.get(entry)

    def set(self, entry: str, secret: str) -> None:
        self.kept[entry] = secret

    def delete(self, entry: str) -> None:
        self.kept.pop(entry, None)


class OAuth:
    """ks-apiserver's /oauth/token: each grant answers a new pair."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.issued = 0
        self.refresh_ok = True

    async def __call__(self, url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        assert url == "https://ks.example.com/oauth/token"
        self.forms.append(form)
        if form["grant_type"] == "password" and form["password"] != PASSWORD:
            return 400, {"error": "invalid_grant", "error_description": "bad credentials"}
        if form["grant_type"] == "refresh_token" and not self.refresh_ok:
            return 400, {"error": "invalid_grant"}
        self.issued += 1
        return 200, {
            "access_token": f"access-{self.issued}",
            "refresh_token": f"refresh-{self.issued}",
            "token_type": "Bearer",
            "expires_in": 7200,
        }


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def made() -> tuple[KsLogin, OAuth, MemoryStore, Clock]:
    oauth, store, clock = OAuth(), MemoryStore(), Clock()
    return KsLogin(ENDPOINT, oauth, store=store, clock=clock), oauth, store, clock


async def test_the_password_once_then_only_the_refresh_token_is_kept() -> None:
    login, oauth, store, _ = made()
    with pytest.raises(LoginNeeded) as needed:
        await login.token()
    assert "alice at https://ks.example.com" in needed.value.title
    await login.login(PASSWORD)
    assert oauth.forms[0] == {
        "grant_type": "password",
        "username": "alice",
        "password": PASSWORD,
        "client_id": "kubesphere",
        "client_secret": "kubesphere",
    }
    assert store.kept == {"https://ks.example.com alice": "refresh-1"}
    assert PASSWORD not in repr(vars(login))
    assert await login.token() == "access-1"


async def test_renewed_before_expiry_with_the_refresh_token() -> None:
    login, oauth, store, clock = made()
    await login.login(PASSWORD)
    clock.now += 7200 - 120  # two minutes left: still good
    assert await login.token() == "access-1"
    clock.now += 90  # 30 s left: inside the margin, renewed first
    assert await login.token() == "access-2"
    assert oauth.forms[-1]["grant_type"] == "refresh_token"
    assert oauth.forms[-1]["refresh_token"] == "refresh-1"
    assert store.kept["https://ks.example.com alice"] == "refresh-2"
    assert login.grants == ["password", "refresh_token"]


async def test_a_new_session_starts_from_the_kept_refresh_token() -> None:
    _, oauth, store, clock = made()
    store.kept["https://ks.example.com alice"] = "refresh-9"
    login = KsLogin(ENDPOINT, oauth, store=store, clock=clock)
    assert await login.token() == "access-1"
    assert oauth.forms[0]["grant_type"] == "refresh_token"


async def test_an_ended_refresh_token_asks_for_the_password_again() -> None:
    login, oauth, store, clock = made()
    await login.login(PASSWORD)
    oauth.refresh_ok = False
    clock.now += 7200
    with pytest.raises(LoginNeeded) as needed:
        await login.token()
    assert store.kept == {}
    assert "refresh-" not in str(needed.value) + needed.value.detail


async def test_a_wrong_password_says_why_without_the_password() -> None:
    login, _, store, _ = made()
    with pytest.raises(LoginNeeded) as failed:
        await login.login("wrong-pw")
    text = f"{failed.value.title} {failed.value.detail} {failed.value.hint}"
    assert "400" in text
    assert "bad credentials" in text
    assert "wrong-pw" not in text
    assert store.kept == {}


async def test_the_api_gets_the_bearer_token_and_a_401_asks_again() -> None:
    login, _, store, _ = made()
    await login.login(PASSWORD)
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(200, text="line\n", headers={"X-More-Data": "false"}),
        httpx.Response(401, text="token expired"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    http = httpx.AsyncClient(
        base_url="https://ks.example.com", transport=httpx.MockTransport(handler)
    )
    api = DevOpsApi(KsApiWay(login, http))
    assert api.mode == "DevOps API at https://ks.example.com as alice"
    assert not api.anonymous
    ref = RunRef("shop-cicdr7x2k", "api-release", "5", branch="main")
    answer = await api.run_log(ref, {"start": "0"})
    assert answer.text == "line\n"
    assert seen[0].headers["Authorization"] == "Bearer access-1"
    assert seen[0].url.path == (
        "/kapis/devops.kubesphere.io/v1alpha2/namespaces/shop-cicdr7x2k/pipelines/api-release"
        "/branches/main/runs/5/log"
    )
    with pytest.raises(LoginNeeded) as again:
        await api.stop(ref)
    assert "401" in again.value.title
    assert store.kept == {}  # both tokens forgotten: the password is asked again
    with pytest.raises(LoginNeeded):
        await login.token()
    await http.aclose()


def test_the_config_names_a_ks_apiserver_per_context() -> None:
    parsed = parse_devops({"prod": {"ks_apiserver": "https://ks.example.com/", "username": "a"}})
    assert parsed == {"prod": KsApiEndpoint("https://ks.example.com", "a")}
    with pytest.raises(DevOpsConfigProblem, match="carries credentials"):
        parse_devops({"prod": {"ks_apiserver": "https://a:b@ks", "username": "a"}})
    with pytest.raises(DevOpsConfigProblem, match="username"):
        parse_devops({"prod": {"ks_apiserver": "https://ks"}})
    with pytest.raises(DevOpsConfigProblem, match="unknown key"):
        parse_devops({"prod": {"ks_apiserver": "https://ks", "username": "a", "password": "x"}})
