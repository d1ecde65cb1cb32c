"""The HTTP face of one sandbox cluster: authentication, authorization, faults, routing."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import orjson
from aiohttp import web

from kstui.sandbox import (
    api,
    discovery,
    eviction,
    openapi,
    podlogs,
    podmetrics,
    portforward,
    proxy,
    reviews,
    streams,
    tokens,
    watch,
)
from kstui.sandbox.auth import (
    ANONYMOUS,
    INSECURE_ADMIN,
    MASTERS,
    Attributes,
    UserInfo,
    forbidden_message,
)
from kstui.sandbox.cluster import KUBERNETES_VERSION, SandboxCluster
from kstui.sandbox.kinds import REVIEW_KINDS
from kstui.sandbox.paths import RequestInfo, parse
from kstui.sandbox.registry import KindRegistry
from kstui.sandbox.status import ApiError

log = logging.getLogger("kstui.sandbox")

CLUSTER = web.AppKey("cluster", SandboxCluster)
TLS = web.AppKey("tls", bool)
SESSION = web.AppKey("session", aiohttp.ClientSession)
USER = web.RequestKey("user", UserInfo)

STREAMED = ("exec", "attach", "portforward")
_PUBLIC_PATHS = ("/healthz", "/readyz", "/livez", "/version")


def error_response(error: ApiError) -> web.Response:
    return web.Response(
        body=orjson.dumps(error.status()),
        status=error.code,
        content_type="application/json",
        headers=error.headers,
    )


def _user(request: web.Request, cluster: SandboxCluster, tls: bool) -> UserInfo | None:
    """The caller, or None for a bad or expired token (401)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return cluster.authn.from_token(header[7:].strip(), cluster.clock.now())
    if tls and request.transport is not None:
        from_cert = cluster.authn.from_certificate(request.transport.get_extra_info("peercert"))
        if from_cert is not None:
            return from_cert
    return ANONYMOUS if tls else INSECURE_ADMIN


def _attributes(info: RequestInfo) -> Attributes:
    if not info.is_resource:
        return Attributes(verb=info.verb, path=info.path)
    name = info.name
    if info.subresource == "proxy" and info.resource == "services":
        name = proxy._split_name(name)[0]
    return Attributes(info.verb, info.group, info.resource, info.subresource, info.namespace, name)


@web.middleware
async def guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    cluster = request.app[CLUSTER]
    path = request.path
    try:
        delay = cluster.faults.delay_for(path)
        if delay:
            await asyncio.sleep(delay)
        # A hung server: polled, as faults are plain flags set from any thread.
        while cluster.faults.hung and path != "/sandbox/faults":  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        failure = cluster.faults.take_failure(path)
        if failure is not None:
            raise failure.error(request.query.get("resourceVersion", ""), cluster.store.oldest_rv)
        tls = request.app[TLS]
        user = _user(request, cluster, tls)
        if user is None or (user is ANONYMOUS and path not in _PUBLIC_PATHS):
            raise ApiError.unauthorized()
        request[USER] = user
        late = cluster.faults.take_late(request.method, path)
        if late is None:
            return await handler(request)
        if not late.applied:
            await asyncio.sleep(late.seconds)
            raise ApiError(
                504, "Timeout", "Timeout: request did not complete within the allotted timeout", {}
            )
        response = await handler(request)  # stored now; only the answer is late
        await asyncio.sleep(late.seconds)
        return response
    except ApiError as error:
        return error_response(error)
    except ConnectionError:
        # The client left mid-answer (a dropped watch or log follow): nothing is wrong and
        # there is no one to answer. Close quietly; aiohttp ignores a ConnectionError here.
        log.debug("client left during %s %s", request.method, path)
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=499)
    except Exception as error:  # a sandbox bug must still answer like a server, not hang
        log.exception("sandbox error on %s %s", request.method, path)
        return error_response(ApiError.internal(f"{type(error).__name__}: {error}"))


def _authorize(cluster: SandboxCluster, user: UserInfo, info: RequestInfo) -> None:
    attrs = _attributes(info)
    if not cluster.authz.allowed(user, attrs):
        raise ApiError.forbidden(
            forbidden_message(user, attrs), attrs.name, attrs.group, attrs.resource
        )


async def dispatch(request: web.Request) -> web.StreamResponse:
    cluster = request.app[CLUSTER]
    user = request[USER]
    info = parse(request.method, request.path, request.query.get("watch") in ("true", "1"))
    if not info.is_resource:
        return await _non_resource(request, cluster, user, info)
    if info.subresource in STREAMED and info.resource == "pods" and info.verb == "get":
        # A WebSocket upgrade is a GET; kube-apiserver authorizes it as `create`, as SPDY's POST.
        info = dataclasses.replace(info, verb="create")
    _authorize(cluster, user, info)
    kind = cluster.kind(info.group, info.version, info.resource)
    if kind is None:
        raise ApiError.path_not_found()
    if (
        kind.namespaced
        and info.resource != "namespaces"
        and not info.namespace
        and (info.name or info.verb == "create")
    ):
        raise ApiError.path_not_found()
    if not kind.namespaced and info.namespace and info.resource != "namespaces":
        raise ApiError.path_not_found()
    call = api.Call(cluster, request, info, kind, user)
    verb, sub = info.verb, info.subresource
    if sub and sub not in kind.subresources():
        raise ApiError.path_not_found()
    if kind.plural in REVIEW_KINDS and kind.group.startswith(("authorization", "authentication")):
        if verb != "create":
            raise ApiError.method_not_allowed()
        return await reviews.create_review(call)
    if kind.group == "metrics.k8s.io":
        if verb not in ("get", "list"):
            raise ApiError.method_not_allowed()
        return await podmetrics.metrics(call)
    if verb not in kind.verbs and not sub:
        raise ApiError.method_not_allowed()
    if not info.name and verb not in ("list", "watch", "create", "deletecollection"):
        raise ApiError.method_not_allowed()  # a collection has no PATCH (nor PUT) route
    if sub == "log" and verb == "get":
        return await podlogs.pod_log(call)
    if sub == "proxy" and info.resource == "services":
        return await proxy.service_proxy(call, request.app[SESSION])
    if sub in STREAMED and info.resource == "pods":
        if verb != "create":
            raise ApiError.method_not_allowed()
        return await (portforward.forward(call) if sub == "portforward" else streams.stream(call))
    if sub == "eviction" and verb == "create":
        return await eviction.evict(call)
    if sub == "token" and verb == "create":
        return await tokens.create_token(call)
    handler: Callable[[api.Call], Awaitable[web.StreamResponse]] | None
    if sub == "scale":
        handler = {"get": api.get_scale, "update": api.update_scale, "patch": api.patch}.get(verb)
    elif sub in ("status", "finalize", "approval", ""):
        handler = {
            "get": api.get,
            "list": api.list_,
            "watch": watch.watch,
            "create": api.create,
            "update": api.update,
            "patch": api.patch,
            "delete": api.delete,
            "deletecollection": api.delete_collection,
        }.get(verb)
        if sub and verb not in ("get", "update", "patch"):
            handler = None
    else:
        handler = None
    if handler is None:
        raise ApiError.method_not_allowed()
    if sub == "finalize":
        call = api.Call(cluster, request, dataclasses.replace(info, subresource=""), kind, user)
    elif sub == "approval":  # a CSR's approval is written into its status conditions
        call = api.Call(
            cluster, request, dataclasses.replace(info, subresource="status"), kind, user
        )
    return await handler(call)


async def _non_resource(
    request: web.Request, cluster: SandboxCluster, user: UserInfo, info: RequestInfo
) -> web.StreamResponse:
    path = request.path.rstrip("/") or "/"
    if path == "/sandbox/faults":
        return await _faults_endpoint(request, cluster, user)
    if not cluster.authz.allowed(user, Attributes(verb="get", path=request.path)):
        raise ApiError.forbidden(forbidden_message(user, Attributes(verb="get", path=request.path)))
    registry = cluster.registry
    accept = request.headers.get("Accept", "")
    aggregated = discovery.wants_aggregated(accept)
    parts = [p for p in path.split("/") if p]
    body: object = None
    content_type = "application/json"
    if path in ("/healthz", "/readyz", "/livez"):
        return web.Response(text="ok", content_type="text/plain")
    if path == "/version":
        body = KUBERNETES_VERSION
    elif path == "/api":
        if aggregated:
            body, content_type = discovery.aggregated(registry, True, aggregated), aggregated
        else:
            body = discovery.core_versions(request.host)
    elif path == "/apis":
        if aggregated:
            body, content_type = discovery.aggregated(registry, False, aggregated), aggregated
        else:
            body = discovery.group_list(registry)
    elif parts[:2] == ["api", "v1"] and len(parts) == 2:
        body = discovery.resource_list(registry, "", "v1")
    elif parts[0] == "apis" and len(parts) == 2:
        body = discovery.group(registry, parts[1])
    elif parts[0] == "apis" and len(parts) == 3 and registry.has_group_version(parts[1], parts[2]):
        body = discovery.resource_list(registry, parts[1], parts[2])
    elif path == "/openapi/v3":
        body = openapi.index(registry)
    elif parts[:2] == ["openapi", "v3"] and _openapi_group_version(registry, parts[2:]):
        group, version = ("", parts[3]) if parts[2] == "api" else (parts[3], parts[4])
        return openapi.response(
            registry,
            group,
            version,
            KUBERNETES_VERSION["gitVersion"],
            request.query.get("hash"),
            request.headers.get("If-None-Match"),
        )
    elif path == "/openapi/v2":
        return openapi.v2_response(KUBERNETES_VERSION["gitVersion"], accept)
    if body is None:
        raise ApiError.path_not_found()
    return web.Response(body=orjson.dumps(body), headers={"Content-Type": content_type})


def _openapi_group_version(registry: KindRegistry, rest: list[str]) -> bool:
    """`api/v1` or `apis/GROUP/VERSION` of a served group/version."""
    if rest == ["api", "v1"]:
        return True
    return len(rest) == 3 and rest[0] == "apis" and registry.has_group_version(rest[1], rest[2])


async def _faults_endpoint(
    request: web.Request, cluster: SandboxCluster, user: UserInfo
) -> web.Response:
    """Fault injection over HTTP for a sandbox in another process (admins only)."""
    if MASTERS not in user.groups:
        raise ApiError.forbidden("only cluster admins may inject faults")
    if request.method != "POST":
        raise ApiError.method_not_allowed()
    command = orjson.loads(await request.read() or b"{}")
    faults = cluster.faults
    action = command.get("action")
    if action == "drop-watches":
        faults.drop_watches(abrupt=command.get("abrupt", True))
    elif action == "drop-streams":
        faults.drop_streams()
    elif action == "expire":
        cluster.store.compact()
    elif action == "fail":
        faults.fail_next(
            command.get("count", 1),
            command.get("status", 500),
            command.get("pathPrefix", ""),
            command.get("retryAfter", 1),
        )
    elif action == "slow":
        faults.slow(float(command.get("seconds", 1.0)), command.get("pathPrefix", ""))
    elif action == "hang":
        faults.hang(bool(command.get("on", True)))
    elif action == "mute-watches":
        faults.mute_watches(bool(command.get("on", True)))
    elif action == "late":
        faults.answer_late(
            float(command.get("seconds", 1.0)),
            command.get("pathPrefix", ""),
            count=int(command.get("count", 1)),
            applied=bool(command.get("applied", True)),
        )
    elif action == "clear":
        faults.clear()
    else:
        raise ApiError.bad_request(f"unknown fault action {action!r}")
    return web.json_response({"ok": True, "action": action})


async def _open_session(app: web.Application) -> None:
    app[SESSION] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=5))


async def _close_session(app: web.Application) -> None:
    await app[SESSION].close()


def build_app(cluster: SandboxCluster, tls: bool) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=64 * 1024 * 1024)
    app[CLUSTER] = cluster
    app[TLS] = tls
    app.on_startup.append(_open_session)
    app.on_cleanup.append(_close_session)
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
