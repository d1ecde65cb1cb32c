"""The sandbox's Jenkins: jobs, their builds and queue, and the plans builds follow.

A job is `<namespace>/<pipeline>` (multi-branch: `<namespace>/<pipeline>/<branch>`), as
ks-devops names Jenkins jobs (API.md §3.1). What a build does comes from, in order: the
Pipeline's sandbox-only annotation `sandbox.kstui.io/plan` (JSON, see `columns_from_json`), the
stages and `sh` steps of its Jenkinsfile, or a default Checkout / Build / Test plan.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from kstui.sandbox.jenkins import Build, Column, Stage, Step

PLAN_ANNOTATION = "sandbox.kstui.io/plan"
JobKey = tuple[str, str, str]  # namespace, pipeline, branch ("" unless multi-branch)


class Jenkins:
    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        """The SandboxCluster (its `pipeline_step_seconds`); not imported: it holds this."""
        self.builds: dict[JobKey, dict[int, Build]] = {}
        """Builds by job and number (seeded history may hold jenkins_static.StaticBuild)."""
        self.numbers: dict[JobKey, int] = {}

    def next_number(self, job: JobKey) -> int:
        number = self.numbers.get(job, 0) + 1
        self.numbers[job] = number
        return number

    def get(self, job: JobKey, number: int) -> Build | None:
        return self.builds.get(job, {}).get(number)

    def by_run(self, namespace: str, run_name: str) -> Build | None:
        for (ns, _, _), builds in self.builds.items():
            if ns != namespace:
                continue
            for build in builds.values():
                if build.run_name == run_name:
                    return build
        return None

    def remove(self, job: JobKey, number: int) -> None:
        self.builds.get(job, {}).pop(number, None)

    def queued_twin(
        self, job: JobKey, parameters: list[dict[str, Any]], now: datetime
    ) -> Build | None:
        """An identical build still in the queue: Jenkins merges a new request into it."""
        for build in self.builds.get(job, {}).values():
            if build.started > now and build.stopped is None and build.parameters == parameters:
                return build
        return None

    def trigger(
        self,
        pipeline: dict[str, Any],
        branch: str,
        parameters: list[dict[str, Any]],
        cause: str,
        now: datetime,
        started_ago: float | None = None,
    ) -> Build:
        """Queue a build (started `started_ago` seconds before now, for seeding history)."""
        meta = pipeline["metadata"]
        job = (meta["namespace"], meta["name"], branch)
        number = self.next_number(job)
        unit = self.cluster.pipeline_step_seconds
        enqueued = now
        if started_ago is not None:
            from datetime import timedelta

            enqueued = now - timedelta(seconds=started_ago)
        extra: dict[str, Any] = {}
        if branch:
            git = ((pipeline.get("spec") or {}).get("multi_branch_pipeline") or {}).get(
                "git_source"
            ) or {}
            extra["pipeline"] = branch
            extra["branch"] = {"url": git.get("url", ""), "isPrimary": branch == "main"}
            extra["commitId"] = _commit(f"{job}/{number}")
        build = Build(
            "/".join(p for p in job if p),
            number,
            plan_for(pipeline, parameters),
            enqueued,
            unit,
            unit,
            parameters,
            cause,
            extra,
        )
        self.builds.setdefault(job, {})[number] = build
        return build


def _commit(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()[:12]


# ------------------------------------------------------------------ plans


def plan_for(pipeline: dict[str, Any], parameters: list[dict[str, Any]]) -> list[Column]:
    values = {p.get("name", ""): str(p.get("value", "")) for p in parameters}
    annotations = pipeline["metadata"].get("annotations") or {}
    if PLAN_ANNOTATION in annotations:
        return columns_from_json(json.loads(annotations[PLAN_ANNOTATION]), values)
    spec = pipeline.get("spec") or {}
    jenkinsfile = (spec.get("pipeline") or {}).get("jenkinsfile") or ""
    columns = columns_from_jenkinsfile(jenkinsfile, values)
    if columns:
        return columns
    return [
        _column("Checkout", [_checkout()]),
        _column("Build", [_sh("make build", 4)]),
        _column("Test", [_sh("make test", 5)]),
    ]


def _column(name: str, steps: list[Step]) -> Column:
    return Column(name, [Stage(name, steps)])


def _checkout(url: str = "https://git.acme.example/shop/storefront.git") -> Step:
    lines = [
        "The recommended git tool is: NONE",
        "Cloning the remote Git repository",
        f"Cloning repository {url}",
        " > git init /home/jenkins/agent/workspace # timeout=10",
        f"Fetching upstream changes from {url}",
        " > git rev-parse origin/main^{commit} # timeout=10",
        "Checking out Revision 9f1c2e7b4d0a (origin/main)",
    ]
    return Step("Check out from version control", url, 2, lines)


def _expand(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: values.get(m[1], m[0]), text)


def _sh(command: str, units: float, fail: bool = False, count: int = 0) -> Step:
    return Step("Shell Script", command, units, shell_lines(command, fail, count), fail)


def shell_lines(command: str, fail: bool = False, count: int = 0) -> list[str]:
    """Plausible output of a shell step (its first line is the command, as `sh` echoes it)."""
    out = [f"+ {command}"]
    if "docker build" in command:
        out += [f"Step {i}/8 : {s}" for i, s in enumerate(_DOCKER, 1)]
        out += [" ---> Running in 4c1f2a9e7b3d", "Successfully built 8d3b1f0c2a77"]
        out.append(f"Successfully tagged {command.split('-t ', 1)[-1].split()[0]}")
    elif "docker push" in command:
        image = command.split()[-1]
        out.append(f"The push refers to repository [{image.rsplit(':', 1)[0]}]")
        out += [f"{layer}: Pushed" for layer in ("5f70bf18a086", "a3ed95caeb02", "c9d2a3b1e0f4")]
        out.append(f"{image.rsplit(':', 1)[-1]}: digest: sha256:{'3c1d8a0b' * 8} size: 1570")
    elif "test" in command or "gradlew" in command:
        out += [f"=== RUN   Test{name}" for name in _TESTS]
        if fail:
            out += [
                "--- FAIL: TestCheckoutTotals (0.02s)",
                "    cart_test.go:88: total = 41.98, want 42.00",
                "FAIL\tacme.example/shop/cart\t0.214s",
                "make: *** [Makefile:12: test] Error 2",
            ]
        else:
            out += [f"--- PASS: Test{name} (0.0{i}s)" for i, name in enumerate(_TESTS, 1)]
            out.append("ok  \tacme.example/shop/cart\t0.214s")
    else:
        out += [f"{command.split()[0]}: working", f"{command.split()[0]}: done"]
    out += [f"[{i:05d}] progress {i * 100 // max(count, 1)}%" for i in range(1, count + 1)]
    return out


_DOCKER = (
    "FROM node:20-alpine AS build",
    "WORKDIR /app",
    "COPY package*.json ./",
    "RUN npm ci",
    "COPY . .",
    "RUN npm run build",
    "FROM nginx:1.27-alpine",
    "COPY --from=build /app/dist /usr/share/nginx/html",
)
_TESTS = ("CartAdd", "CartRemove", "CheckoutTotals", "PriceRounding")
_STAGE = re.compile(r"stage\(\s*['\"]([^'\"]+)['\"]\s*\)")
_SH = re.compile(r"\bsh\s*\(?\s*(?:script:\s*)?(['\"])(.+?)\1")


def columns_from_jenkinsfile(text: str, values: dict[str, str]) -> list[Column]:
    """Sequential stages with their `checkout`, `sh` and `input` steps, as written."""
    found = list(_STAGE.finditer(text))
    columns = []
    for index, match in enumerate(found):
        body = text[match.end() : found[index + 1].start() if index + 1 < len(found) else None]
        steps: list[Step] = []
        if "checkout" in body:
            steps.append(_checkout())
        for sh in _SH.finditer(body):
            command = _expand(sh[2], values)
            steps.append(_sh(command, 6 if "build" in command else 3))
        if "input(" in body or "input " in body:
            steps.append(
                Step(
                    "Wait for interactive input",
                    units=1,
                    input={"id": f"input-{index}", "message": "Proceed?", "ok": "Proceed"},
                )
            )
        columns.append(_column(match[1], steps or [_sh("echo", 1)]))
    return columns


def columns_from_json(plan: list[dict[str, Any]], values: dict[str, str]) -> list[Column]:
    """`[{"name": "Test", "stages": [{"name": "unit", "steps": [{"sh": "make unit",
    "units": 3, "fail": false, "lines": 0}]}]}, {"name": "Approve", "input": {...}}]`: a column
    with `stages` is a parallel group; a column with `steps` (or `input`) one stage."""
    columns = []
    for column in plan:
        name = column["name"]
        if "stages" in column:
            stages = [Stage(s["name"], _steps(s, values)) for s in column["stages"]]
            columns.append(Column(name, stages))
        else:
            columns.append(Column(name, [Stage(name, _steps(column, values))]))
    return columns


def _steps(entry: dict[str, Any], values: dict[str, str]) -> list[Step]:
    steps = []
    for raw in entry.get("steps") or []:
        if raw.get("checkout"):
            steps.append(_checkout(raw["checkout"]))
            continue
        command = _expand(raw.get("sh", "echo"), values)
        steps.append(
            _sh(
                command, float(raw.get("units", 2)), bool(raw.get("fail")), int(raw.get("lines", 0))
            )
        )
    if entry.get("input"):
        steps.append(Step("Wait for interactive input", units=1, input=dict(entry["input"])))
    return steps
