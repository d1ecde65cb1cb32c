"""devops-apiserver's Jenkins-backed `/kapis/devops.kubesphere.io/v1alpha2` paths (API.md §3.4,
§9.4), over the sandbox's Jenkins, and the v1alpha3 PipelineRun delete that refuses runs not in
a final phase.

Who calls: no `Authorization` header is user `anonymous`; `Bearer <JWT>` is the token's `sub`
(else `username`) claim, its signature never checked (as ks-devops' bearer authenticator); any
other scheme is 401. The kube-apiserver's service proxy drops the caller's header, so what comes
through it is always `anonymous`. Identity matters for input steps only: a step naming
submitters may be answered by one of them or the pipeline's creator, and a refusal is a 200 with
`{"allow": "false", "message": "you have no permission to approve this step"}`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from kstui.sandbox.controllers.pipelineruns import CREATOR, RUN_ID, RUNS
from kstui.sandbox.jenkins import Answer, Build, View

V2 = "/kapis/devops.kubesphere.io/v1alpha2/namespaces/{devops}/pipelines/{pipeline}"
V3 = "/kapis/devops.kubesphere.io/v1alpha3/namespaces/{devops}"
PIPELINES = ("devops.kubesphere.io", "pipelines")
METADATA = "pipeline.devops.kubesphere.io/jenkins-metadata"
BRANCHES = "pipeline.devops.kubesphere.io/jenkins-branches"
Identify = Callable[[web.Request], Awaitable[str]]


async def devops_user(request: web.Request) -> str:
    """devops-apiserver's authentication: anonymous, or an unverified JWT's subject."""
    header = request.headers.get("Authorization", "")
    if not header:
        return "anonymous"
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise _http(401, "Unauthorized")
    return jwt_subject(token.strip())


def jwt_subject(token: str) -> str:
    parts = token.split(".")
    if len(parts) != 3:
        return ""
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, json.JSONDecodeError):
        return ""
    return str(claims.get("sub") or claims.get("username") or "")


def branch_name(text: str) -> str:
    """A branch as Jenkins spells it in URLs (`feature%2Fx`, even `feature%252Fx`) to its name."""
    while "%" in text and unquote(text) != text:
        text = unquote(text)
    return text


def _http(status: int, message: str) -> web.HTTPException:
    classes: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
        403: web.HTTPForbidden,
    }
    return classes.get(status, web.HTTPInternalServerError)(
        text=json.dumps({"code": status, "message": message}), content_type="application/json"
    )


def add_routes(app: web.Application, cluster: Any, identify: Identify) -> None:
    """The DevOps API on `app`, for `cluster`, with `identify` telling who calls."""
    api = DevOpsApi(cluster, identify)
    for branch in ("", "/branches/{branch}"):
        base = V2 + branch
        app.router.add_get(base + "/runs/{run}", api.run)
        app.router.add_get(base + "/runs/{run}/nodes", api.nodes)
        app.router.add_get(base + "/runs/{run}/nodesdetail", api.nodes_detail)
        app.router.add_get(base + "/runs/{run}/nodes/{node}/steps", api.node_steps)
        app.router.add_get(base + "/runs/{run}/log", api.run_log)
        app.router.add_get(base + "/runs/{run}/nodes/{node}/steps/{step}/log", api.step_log)
        app.router.add_post(base + "/runs/{run}/stop", api.stop)
        app.router.add_post(base + "/runs/{run}/replay", api.replay)
        app.router.add_post(base + "/runs/{run}/nodes/{node}/steps/{step}", api.submit_input)
    app.router.add_get(V2, api.pipeline)
    app.router.add_get(V2 + "/branches", api.branches)
    app.router.add_delete(V3 + "/pipelineruns/{name}", api.delete_run)


class DevOpsApi:
    def __init__(self, cluster: Any, identify: Identify) -> None:
        self.cluster = cluster
        self.identify = identify

    # ------------------------------------------------------------------ lookup

    async def _build(self, request: web.Request, console: bool = False) -> tuple[Build, View, str]:
        user = await self.identify(request)
        info = request.match_info
        run = info["run"]
        job = (info["devops"], info["pipeline"], branch_name(info.get("branch", "")))
        build = self.cluster.jenkins.get(job, int(run)) if run.isdigit() else None
        if build is None:
            raise _http(404, f"run {run} of {'/'.join(p for p in job if p)} not found")
        return build, build.view(self.cluster.clock.now(), console), user

    def _pipeline_obj(self, request: web.Request) -> dict[str, Any]:
        info = request.match_info
        found = self.cluster.store.get(PIPELINES, info["devops"], info["pipeline"])
        if found is None:
            raise _http(404, f'pipelines.devops.kubesphere.io "{info["pipeline"]}" not found')
        return found

    # ------------------------------------------------------------------ pipeline metadata

    async def pipeline(self, request: web.Request) -> web.Response:
        await self.identify(request)
        pipeline = self._pipeline_obj(request)
        annotations = pipeline["metadata"].get("annotations") or {}
        metadata = json.loads(annotations.get(METADATA) or "{}")
        metadata.setdefault("name", pipeline["metadata"]["name"])
        metadata.setdefault("fullName", f"{pipeline['metadata']['namespace']}/{metadata['name']}")
        return web.json_response(metadata)

    async def branches(self, request: web.Request) -> web.Response:
        await self.identify(request)
        pipeline = self._pipeline_obj(request)
        annotations = pipeline["metadata"].get("annotations") or {}
        items = json.loads(annotations.get(BRANCHES) or "[]")
        return web.json_response({"items": items, "total": len(items)})

    # ------------------------------------------------------------------ runs and nodes

    async def run(self, request: web.Request) -> web.Response:
        _, view, _ = await self._build(request)
        return web.json_response(view.status)

    async def nodes(self, request: web.Request) -> web.Response:
        _, view, _ = await self._build(request)
        return web.json_response(
            [{k: v for k, v in n.items() if k != "steps"} for n in view.stages]
        )

    async def nodes_detail(self, request: web.Request) -> web.Response:
        _, view, user = await self._build(request)
        nodes = json.loads(json.dumps(view.stages))
        for node in nodes:
            for step in node.get("steps") or []:
                if step.get("state") == "PAUSED" and step.get("input"):
                    step["approvable"] = self._approvable(request, step["input"], user)
        return web.json_response(nodes)

    async def node_steps(self, request: web.Request) -> web.Response:
        _, view, _ = await self._build(request)
        for node in view.stages:
            if node["id"] == request.match_info["node"]:
                return web.json_response(node.get("steps") or [])
        raise _http(404, f"node {request.match_info['node']} not found")

    # ------------------------------------------------------------------ logs

    async def run_log(self, request: web.Request) -> web.Response:
        _, view, _ = await self._build(request, console=True)
        return _progressive(request, view.log, not view.finished)

    async def step_log(self, request: web.Request) -> web.Response:
        _, view, _ = await self._build(request)
        node_id, step_id = request.match_info["node"], request.match_info["step"]
        node = next((n for n in view.stages if n["id"] == node_id), None)
        if node is None or not any(s["id"] == step_id for s in node.get("steps") or []):
            raise _http(404, f"step {step_id} of node {node_id} not found")
        text, more = view.step_logs.get(step_id, (b"", False))
        return _progressive(request, text, more)

    # ------------------------------------------------------------------ actions

    async def stop(self, request: web.Request) -> web.Response:
        build, _, user = await self._build(request)
        now = self.cluster.clock.now()
        build.stop(now, user or "anonymous")
        return web.json_response(build.view(now, console=False).status)

    async def replay(self, request: web.Request) -> web.Response:
        build, view, user = await self._build(request)
        if not view.finished:
            raise _http(400, f"run {build.number} is still running: it cannot be replayed")
        pipeline = self._pipeline_obj(request)
        now = self.cluster.clock.now()
        branch = branch_name(request.match_info.get("branch", ""))
        cause = f"Replayed #{build.number}"
        new = self.cluster.jenkins.trigger(pipeline, branch, list(build.parameters), cause, now)
        new.run_name = self._run_for(pipeline, new, branch, user)
        return web.json_response(new.view(now, console=False).status)

    def _run_for(self, pipeline: dict[str, Any], build: Build, branch: str, user: str) -> str:
        """The PipelineRun the controller makes for a build it did not start (a replay)."""
        meta = pipeline["metadata"]
        spec: dict[str, Any] = {
            "pipelineRef": {
                "kind": "Pipeline",
                "name": meta["name"],
                "namespace": meta["namespace"],
            },
            "pipelineSpec": pipeline.get("spec") or {},
            "parameters": list(build.parameters),
        }
        if branch:
            spec["scm"] = {"refName": branch, "refType": "branch"}
        run = {
            "apiVersion": "devops.kubesphere.io/v1alpha3",
            "kind": "PipelineRun",
            "metadata": {
                "generateName": f"{meta['name']}-",
                "namespace": meta["namespace"],
                "labels": {"devops.kubesphere.io/pipeline": meta["name"]},
                "annotations": {RUN_ID: str(build.number), CREATOR: user or "anonymous"},
                "ownerReferences": [
                    {
                        "apiVersion": pipeline["apiVersion"],
                        "kind": "Pipeline",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": spec,
        }
        kind = self.cluster.registry.storage_kind(RUNS)
        created = self.cluster.create(kind, run)
        return str(created["metadata"]["name"])

    def _approvable(self, request: web.Request, step_input: dict[str, Any], user: str) -> bool:
        submitters = [s.strip() for s in str(step_input.get("submitter") or "").split(",")]
        submitters = [s for s in submitters if s]
        if not submitters:
            return True
        pipeline = self._pipeline_obj(request)
        creator = (pipeline["metadata"].get("annotations") or {}).get("kubesphere.io/creator")
        return user != "" and (user == creator or user in submitters)

    async def submit_input(self, request: web.Request) -> web.Response:
        build, view, user = await self._build(request)
        step_id, node_id = request.match_info["step"], request.match_info["node"]
        try:
            body = await request.json()
        except (ValueError, json.JSONDecodeError):
            body = {}
        pending = view.pending_inputs.get(step_id)
        message = ""
        if pending is None or pending[0] != node_id:
            step = next(
                (
                    s
                    for n in view.stages
                    if n["id"] == node_id
                    for s in n.get("steps") or []
                    if s["id"] == step_id
                ),
                None,
            )
            if step is None:
                message = "cannot get the submitters of current step"
            elif not step.get("input"):
                message = f"the step '{step.get('displayName', '')}' is not approvable"
            else:
                message = "you have no permission to approve this step"
        elif not self._approvable(request, pending[1], user):
            message = "you have no permission to approve this step"
        if message or pending is None:
            return web.json_response({"allow": "false", "message": message})
        if str(body.get("id", "")) != pending[1]["id"]:
            raise _http(400, f"input id {body.get('id')!r} is not {pending[1]['id']!r}")
        proceed = not body.get("abort")
        now = self.cluster.clock.now()
        build.answer(
            pending[1]["id"],
            now,
            Answer(now, proceed, user or "anonymous", body.get("parameters") or []),
        )
        return web.Response(status=200, body=b"")

    async def delete_run(self, request: web.Request) -> web.Response:
        """v1alpha3: the kapis refuses to delete a run not in a final phase (API.md §3.4)."""
        await self.identify(request)
        info = request.match_info
        run = self.cluster.store.get(RUNS, info["devops"], info["name"])
        if run is None:
            raise _http(404, f'pipelineruns.devops.kubesphere.io "{info["name"]}" not found')
        phase = (run.get("status") or {}).get("phase", "")
        if not (run.get("status") or {}).get("completionTime") and phase not in (
            "Succeeded",
            "Failed",
            "Cancelled",
        ):
            raise _http(
                400,
                f"cannot delete PipelineRun {info['name']} in phase {phase or 'Unknown'}: "
                "only finished runs can be deleted",
            )
        kind = self.cluster.registry.storage_kind(RUNS)
        self.cluster.store.delete(kind, info["devops"], info["name"])
        return web.json_response(run)


def _progressive(request: web.Request, text: bytes, more: bool) -> web.Response:
    """Jenkins' progressive text: bytes from `start`, `X-Text-Size` the next offset, and
    `X-More-Data: true` while the log may still grow."""
    try:
        start = int(request.query.get("start", "0"))
    except ValueError:
        start = 0
    start = min(max(start, 0), len(text))
    headers = {"X-Text-Size": str(len(text))}
    if more:
        headers["X-More-Data"] = "true"
    return web.Response(
        body=text[start:], headers=headers, content_type="text/plain", charset="utf-8"
    )
