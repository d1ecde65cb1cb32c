"""Prometheus history for the Observe screens: a client over the kube-apiserver service proxy
(the context's own credentials, API.md §4/§9.3) or over a URL set per context in the config
(its secret from the OS keyring, prometheus_endpoint.py).

Every failure is a PrometheusError whose `kind` says which and whose `line` says it in one line:
absent (no Service, or no Prometheus API at the URL), down (a Service without a ready
Prometheus behind it), forbidden / unauthorized (401/403, with the server's words), slow (no
answer in time), promql (Prometheus refused the query), failed (any other error answer) and
unreachable (no answer at all).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx
import orjson

from kstui.backends.cluster_values import Flavor
from kstui.backends.errors import (
    ApiError,
    Forbidden,
    KstuiError,
    NotFound,
    Unauthorized,
    Unreachable,
)
from kstui.backends.kube import KubeClient
from kstui.backends.prometheus_endpoint import PrometheusEndpoint, secret_for
from kstui.backends.prometheus_queries import WINDOWS, Metric, Target, expression

Kind = Literal[
    "absent", "down", "forbidden", "unauthorized", "slow", "promql", "failed", "unreachable"
]
DEFAULT_TIMEOUT = 10.0


class PrometheusError(KstuiError):
    def __init__(self, kind: Kind, line: str, hint: str = "") -> None:
        super().__init__(line, "", hint)
        self.kind = kind
        self.line = line


@dataclass(frozen=True, slots=True)
class ServiceRef:
    """Where Prometheus is in a cluster: a Service and its port (name or number)."""

    namespace: str
    name: str
    port: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}:{self.port}"


KUBESPHERE_PROMETHEUS = ServiceRef("kubesphere-monitoring-system", "prometheus-k8s", "web")
"""3.4 (ks-installer) and 4.x (whizard-monitoring) alike, API.md §9.3."""
KUBE_PROMETHEUS = ServiceRef("monitoring", "prometheus-k8s", "web")
"""kube-prometheus on a cluster without KubeSphere."""


def service_for(flavor: Flavor) -> ServiceRef:
    return KUBE_PROMETHEUS if flavor is Flavor.VANILLA else KUBESPHERE_PROMETHEUS


@dataclass(frozen=True, slots=True)
class Series:
    labels: Mapping[str, str]
    points: list[tuple[float, float]] = field(default_factory=list)
    """(unix seconds, value), oldest first; an instant query gives one."""


class Transport(Protocol):
    where: str

    async def get(self, path: str, params: Mapping[str, str]) -> Any: ...


class ProxyTransport:
    """Through `…/services/{name}:{port}/proxy/`: the context's credentials, no others."""

    def __init__(self, kube: KubeClient, service: ServiceRef) -> None:
        self.kube = kube
        self.service = service
        self.where = f"service {service} (context {kube.connection.context_name})"

    async def get(self, path: str, params: Mapping[str, str]) -> Any:
        s = self.service
        try:
            return await self.kube.proxy(s.namespace, s.name, path, port=s.port, params=params)
        except Forbidden as error:
            raise PrometheusError(
                "forbidden",
                f"Prometheus {error.denied}",  # forbidden: alice cannot get services/proxy …
                "ask for get on services/proxy in that namespace, or set a URL for this context",
            ) from error
        except Unauthorized as error:
            raise PrometheusError(
                "unauthorized",
                "Prometheus unauthorized: the cluster refused this context's credentials (401)",
            ) from error
        except NotFound as error:
            if (error.body.get("details") or {}).get("kind") == "services":
                raise PrometheusError(
                    "absent",
                    f"Prometheus absent: no Service {s.namespace}/{s.name} on this cluster",
                    "install KubeSphere monitoring, or set a Prometheus URL for this context",
                ) from error
            raise _from_prometheus(error, self.where) from error
        except ApiError as error:
            if error.status_code == 503 and "no endpoints" in error.detail:
                raise PrometheusError(
                    "down", f"Prometheus down: Service {s} has no ready endpoints"
                ) from error
            if error.status_code == 503 and "error trying to reach service" in error.detail:
                raise PrometheusError(
                    "down", f"Prometheus down: Service {s} does not answer the proxy"
                ) from error
            raise _from_prometheus(error, self.where) from error
        except Unreachable as error:
            raise PrometheusError(
                "unreachable", f"Prometheus unreachable: {error.title}"
            ) from error


def _from_prometheus(error: ApiError, where: str) -> PrometheusError:
    body = error.body
    if body.get("errorType"):
        kind: Kind = "promql" if body.get("errorType") in ("bad_data", "execution") else "failed"
        words = "PromQL error" if kind == "promql" else "Prometheus failed"
        return PrometheusError(kind, f"{words}: {_one_line(str(body.get('error') or ''))}")
    detail = _one_line(error.detail or error.title)
    return PrometheusError(
        "failed", f"Prometheus failed ({error.status_code}) at {where}: {detail}"
    )


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class DirectTransport:
    """A URL set in the config; the bearer token or basic password comes from the keyring."""

    def __init__(self, endpoint: PrometheusEndpoint, context: str, timeout: float) -> None:
        self.endpoint = endpoint
        self.where = endpoint.url
        self._context = context
        self._timeout = timeout
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            endpoint = self.endpoint
            auth: httpx.Auth | None = None
            headers = {"Accept": "application/json", "User-Agent": "kstui"}
            if endpoint.auth != "none":
                secret = secret_for(endpoint, self._context)
                if endpoint.auth == "basic":
                    auth = httpx.BasicAuth(endpoint.username, secret)
                else:
                    headers["Authorization"] = f"Bearer {secret}"
            self._http = httpx.AsyncClient(
                base_url=endpoint.url.rstrip("/"),
                auth=auth,
                headers=headers,
                timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 5.0)),
                verify=endpoint.ca_file or endpoint.verify,
            )
        return self._http

    async def get(self, path: str, params: Mapping[str, str]) -> Any:
        try:
            client = self._client()
        except KstuiError as error:  # no secret, no keyring: said without any value
            raise PrometheusError(
                "unauthorized", f"Prometheus unauthorized: {error.title}", error.hint
            ) from None
        try:
            response = await client.get("/" + path.lstrip("/"), params=dict(params))
        except httpx.TimeoutException as error:
            raise PrometheusError(
                "slow", f"Prometheus slow: no answer from {self.where}"
            ) from error
        except httpx.HTTPError as error:
            raise PrometheusError(
                "unreachable", f"Prometheus unreachable at {self.where}: {type(error).__name__}"
            ) from error
        status = response.status_code
        entry = self.endpoint.keyring_entry or self._context
        if status == 401:
            raise PrometheusError(
                "unauthorized",
                f"Prometheus unauthorized: {self.where} refused the {self.endpoint.auth} "
                f"credentials (401; keyring entry {entry!r})",
                f"kstui credentials set-prometheus {self._context}",
            )
        if status == 403:
            raise PrometheusError("forbidden", f"Prometheus forbidden: {self.where} answered 403")
        if status == 404:
            raise PrometheusError("absent", f"Prometheus absent: no Prometheus API at {self.where}")
        try:
            body = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            body = {"message": response.text[:200]}
        if status >= 300:
            raise _from_prometheus(
                ApiError(status, f"HTTP {status}", str(body.get("message") or ""), body=body),
                self.where,
            )
        return body

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


class Prometheus:
    """Queries with a deadline: a Prometheus that does not answer in `timeout` is "slow"."""

    def __init__(self, transport: Transport, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.transport = transport
        self.timeout = timeout

    async def _api(self, path: str, params: Mapping[str, str]) -> list[Series]:
        try:
            async with asyncio.timeout(self.timeout):
                body = await self.transport.get(path, params)
        except TimeoutError as error:
            raise PrometheusError(
                "slow",
                f"Prometheus slow: no answer in {self.timeout:g}s from {self.transport.where}",
            ) from error
        if not isinstance(body, dict) or body.get("status") != "success":
            shown = body.get("error") if isinstance(body, dict) else str(body)[:100]
            raise PrometheusError("failed", f"Prometheus failed: {_one_line(str(shown))}")
        return _series(body.get("data") or {})

    async def query(self, expr: str, at: float | None = None) -> list[Series]:
        """An instant query at `at` (now if None). Give `at` for a moment in the past:
        Prometheus forgets a series 5 minutes after its last sample."""
        at = time.time() if at is None else at
        return await self._api("api/v1/query", {"query": expr, "time": _number(at)})

    async def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        return await self._api(
            "api/v1/query_range",
            {"query": expr, "start": _number(start), "end": _number(end), "step": _number(step)},
        )

    async def history(
        self, metric: Metric, target: Target, window: str, end: float | None = None
    ) -> list[Series]:
        """`metric` of `target` over a window (15m, 1h, 6h, 24h, 7d) ending at `end`."""
        if window not in WINDOWS:
            raise ValueError(f"unknown window {window!r}; one of {', '.join(WINDOWS)}")
        seconds, step = WINDOWS[window]
        end = time.time() if end is None else end
        end = end // step * step  # aligned: the same points on every refresh
        return await self.query_range(expression(metric, target), end - seconds, end, step)

    async def now(self, metric: Metric, target: Target, at: float | None = None) -> list[Series]:
        return await self.query(expression(metric, target), at)

    async def aclose(self) -> None:
        """Close a configured URL's connections (the service proxy's belong to the context)."""
        if isinstance(self.transport, DirectTransport):
            await self.transport.aclose()


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _series(data: Mapping[str, Any]) -> list[Series]:
    found = []
    for item in data.get("result") or []:
        labels = dict(item.get("metric") or {})
        if "values" in item:
            points = [(float(t), float(v)) for t, v in item["values"]]
        else:
            t, v = item.get("value") or (0, "nan")
            points = [(float(t), float(v))]
        found.append(Series(labels, points))
    return found


def prometheus_for(
    context: str,
    kube: KubeClient,
    flavor: Flavor,
    endpoint: PrometheusEndpoint | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Prometheus:
    """The configured URL for this context if there is one, else the service proxy at the
    Service of the cluster's flavour."""
    if endpoint is not None:
        return Prometheus(DirectTransport(endpoint, context, timeout), timeout)
    return Prometheus(ProxyTransport(kube, service_for(flavor)), timeout)
