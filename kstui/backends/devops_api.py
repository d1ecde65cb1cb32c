"""The DevOps API (devops-apiserver, API.md §3.4 and §9.4): step and run logs, stop, replay,
input steps, live nodes. Two ways in, one client:

- ProxyWay (the default): the kube-apiserver's service proxy to
  `kubesphere-devops-system/devops-apiserver:9090`. The proxy drops the caller's
  credentials, so devops-apiserver sees `anonymous` and acts with Jenkins-admin rights;
  every action says so (`DevOpsApi.mode`) and is checked first with a
  SelfSubjectAccessReview on `services/proxy` (`may`).
- KsApiWay: a configured ks-apiserver URL with a KubeSphere token (devops_login.KsLogin),
  which enforces KubeSphere's own RBAC; approvals carry the real user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import orjson

from kstui.backends.errors import ApiError, KstuiError

if TYPE_CHECKING:
    from kstui.backends.devops_login import KsLogin
    from kstui.backends.kube import KubeClient

NAMESPACE = "kubesphere-devops-system"
SERVICE = "devops-apiserver"
PORT = 9090
V2 = "/kapis/devops.kubesphere.io/v1alpha2"
PROXY_MODE = "DevOps API through the service proxy, as anonymous (Jenkins-admin rights)"

_METHOD_VERB = {"GET": "get", "POST": "create", "PUT": "update", "DELETE": "delete"}


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return orjson.loads(self.text) if self.text.strip() else None
        except orjson.JSONDecodeError:
            return None


class DevOpsError(KstuiError):
    """The DevOps API refused or failed; `reason` is its own words (a submitter refusal)."""

    def __init__(self, title: str, reason: str = "", hint: str = "", status: int = 0) -> None:
        super().__init__(title, reason, hint)
        self.reason, self.status = reason, status


class DevOpsUnreachable(DevOpsError):
    """No DevOps API answers here (no Service, no endpoints, no route): show what the
    cluster alone holds instead (API.md §9.5)."""


class Way(Protocol):
    mode: str
    anonymous: bool

    async def send(
        self, method: str, path: str, params: Mapping[str, str] | None, body: Any
    ) -> Answer: ...

    async def may(self, method: str) -> tuple[bool, str]: ...


class ProxyWay:
    """devops-apiserver through the kube-apiserver's service proxy."""

    mode = PROXY_MODE
    anonymous = True

    def __init__(self, client: KubeClient) -> None:
        self.client = client

    def _url(self, path: str) -> str:
        return f"/api/v1/namespaces/{NAMESPACE}/services/{SERVICE}:{PORT}/proxy/{path.lstrip('/')}"

    async def send(
        self, method: str, path: str, params: Mapping[str, str] | None, body: Any
    ) -> Answer:
        try:
            data, headers = await self.client.exchange(
                method, self._url(path), params=params, body=body
            )
        except ApiError as error:
            raise _from_api_error(error) from None
        except KstuiError as error:
            raise DevOpsUnreachable(
                "no DevOps API: the service proxy did not answer", error.title
            ) from None
        return Answer(data.decode(errors="replace"), headers)

    async def may(self, method: str) -> tuple[bool, str]:
        """SelfSubjectAccessReview: may this user send `method` through services/proxy?"""
        verb = _METHOD_VERB.get(method, "get")
        allowed, reason = await self.client.can_i(
            verb, "services", namespace=NAMESPACE, name=SERVICE, subresource="proxy"
        )
        if allowed:
            return True, ""
        return False, (
            f"{verb} on services/proxy in {NAMESPACE} is not allowed"
            + (f" ({reason})" if reason else "")
        )


def _from_api_error(error: ApiError) -> DevOpsError:
    """A proxied failure: the service missing or without endpoints means no DevOps API;
    otherwise devops-apiserver's own answer (its text is the reason)."""
    said = (error.body.get("message") if error.body else "") or error.detail or error.title
    said = str(said).strip()
    if error.status_code == 503 or (
        error.status_code == 404 and "services" in said and SERVICE in said
    ):
        return DevOpsUnreachable(
            f"no DevOps API: {SERVICE} does not answer", f"{NAMESPACE}: {said[:300]}"
        )
    return DevOpsError(
        f"the DevOps API refused ({error.status_code})", said[:300], "", error.status_code
    )


class KsApiWay:
    """A configured ks-apiserver, with a KubeSphere token."""

    anonymous = False

    def __init__(self, login: KsLogin, http: Any) -> None:
        self.login = login
        self.http = http
        """An httpx.AsyncClient with the ks-apiserver URL as its base."""
        self.mode = f"DevOps API at {login.endpoint.url} as {login.endpoint.username}"

    async def send(
        self, method: str, path: str, params: Mapping[str, str] | None, body: Any
    ) -> Answer:
        import httpx

        token = await self.login.token()
        headers = {"Authorization": f"Bearer {token}", "Accept": "*/*"}
        content = orjson.dumps(body) if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = await self.http.request(
                method, path, params=params, content=content, headers=headers
            )
        except httpx.HTTPError as error:
            raise DevOpsUnreachable(
                f"no DevOps API: {self.login.endpoint.url} does not answer",
                type(error).__name__,
            ) from None
        if response.status_code == 401:
            raise self.login.unauthorized()
        if response.status_code >= 300:
            text = response.text.strip()
            with contextlib.suppress(orjson.JSONDecodeError, AttributeError):
                text = str(orjson.loads(text).get("message") or text)
            raise DevOpsError(
                f"the DevOps API refused ({response.status_code})",
                text[:300],
                "",
                response.status_code,
            )
        return Answer(response.text, dict(response.headers))

    async def may(self, method: str) -> tuple[bool, str]:
        return True, ""  # ks-apiserver enforces KubeSphere's RBAC itself


@dataclass(frozen=True, slots=True)
class RunRef:
    """A Jenkins run: the DevOps namespace, the pipeline, its branch (multi-branch) and the
    build number (annotation `devops.kubesphere.io/jenkins-pipelinerun-id`)."""

    namespace: str
    pipeline: str
    run: str
    branch: str = ""

    def path(self) -> str:
        base = f"{V2}/namespaces/{quote(self.namespace)}/pipelines/{quote(self.pipeline)}"
        if self.branch:
            base += f"/branches/{quote(self.branch, safe='')}"
        return f"{base}/runs/{quote(self.run)}"


class DevOpsApi:
    def __init__(self, way: Way) -> None:
        self.way = way

    @property
    def mode(self) -> str:
        return self.way.mode

    @property
    def anonymous(self) -> bool:
        return self.way.anonymous

    async def may(self, method: str = "POST") -> tuple[bool, str]:
        return await self.way.may(method)

    async def step_log(self, ref: RunRef, node: str, step: str, start: Mapping[str, str]) -> Answer:
        path = f"{ref.path()}/nodes/{quote(node)}/steps/{quote(step)}/log"
        return await self.way.send("GET", path, start, None)

    async def run_log(self, ref: RunRef, start: Mapping[str, str]) -> Answer:
        return await self.way.send("GET", f"{ref.path()}/log", start, None)

    async def nodes(self, ref: RunRef) -> Any:
        return (await self.way.send("GET", f"{ref.path()}/nodesdetail", None, None)).json()

    async def stop(self, ref: RunRef) -> Answer:
        params = {"blocking": "true", "timeOutInSecs": "10"}
        return await self.way.send("POST", f"{ref.path()}/stop", params, None)

    async def replay(self, ref: RunRef) -> Answer:
        return await self.way.send("POST", f"{ref.path()}/replay", None, None)

    async def answer_input(
        self,
        ref: RunRef,
        node: str,
        step: str,
        input_id: str,
        *,
        abort: bool = False,
        parameters: list[dict[str, Any]] | None = None,
    ) -> Answer:
        body: dict[str, Any] = {"id": input_id}
        if abort:
            body["abort"] = True
        else:
            body["parameters"] = parameters or []
        path = f"{ref.path()}/nodes/{quote(node)}/steps/{quote(step)}"
        answer = await self.way.send("POST", path, None, body)
        refusal = answer.json()
        # ks-devops refuses a non-submitter with HTTP 200 and {"allow": "false", "message"}
        if isinstance(refusal, dict) and str(refusal.get("allow", "")).lower() == "false":
            why = str(refusal.get("message") or "not allowed to answer this input step")
            raise DevOpsError("input refused", why, "ask a listed submitter", 200)
        return answer
