"""Builds the sandbox's Jenkins adopts as they are: the runs seed-objects.yaml describes with
their stage JSON already written. They do not move by themselves (a running step's log still
grows by a line a second, from when it was adopted); stop and input answers finish them."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.jenkins import Answer, View
from kstui.sandbox.jenkins_jobs import shell_lines

LIVE = ("RUNNING", "PAUSED", "QUEUED")


class StaticBuild:
    static = True

    def __init__(
        self,
        job: str,
        number: int,
        status: dict[str, Any],
        stages: list[dict[str, Any]],
        adopted: datetime,
        parameters: list[dict[str, Any]],
    ) -> None:
        self.job = job
        self.number = number
        self.status = status
        self.stages = stages
        self.adopted = adopted
        self.parameters = parameters
        self.run_name = ""
        self.touched = False
        """An action changed it: the controller writes it back (never otherwise)."""
        self.stopped: tuple[datetime, str] | None = None
        self.started = adopted
        self.answers: dict[str, Answer] = {}

    def estimated(self) -> float:
        return float(self.status.get("estimatedDurationInMillis", 0)) / 1000

    def _finish(self, now: datetime, result: str) -> None:
        stamp = rfc3339(now)
        for node in self.stages:
            for step in node.get("steps") or []:
                if step.get("state") in LIVE:
                    step.update(state="FINISHED", result=result)
            if node.get("state") in LIVE:
                node.update(state="FINISHED", result=result)
            elif "state" not in node:
                node.update(state="NOT_BUILT", result="NOT_BUILT")
        self.status.update(state="FINISHED", result=result, endTime=stamp, replayable=True)
        self.touched = True

    def stop(self, now: datetime, user: str) -> bool:
        if self.status.get("state") not in LIVE:
            return False
        self.stopped = (now, user)
        self._finish(now, "ABORTED")
        return True

    def answer(self, input_id: str, now: datetime, answer: Answer) -> None:
        self.answers[input_id] = answer
        self._finish(now, "SUCCESS" if answer.proceed else "ABORTED")

    def view(self, now: datetime, console: bool = True) -> View:
        step_logs: dict[str, tuple[bytes, bool]] = {}
        pending: dict[str, tuple[str, dict[str, Any]]] = {}
        lines = [
            *(c.get("shortDescription", "") for c in self.status.get("causes") or []),
            "[Pipeline] Start of Pipeline",
        ]
        for node in self.stages:
            if "state" not in node or node.get("state") in ("SKIPPED", "NOT_BUILT"):
                continue
            lines += ["[Pipeline] stage", f"[Pipeline] {{ ({node.get('displayName', '')})"]
            for step in node.get("steps") or []:
                text, more = self._step_text(step, now)
                step_logs[step["id"]] = (text.encode(), more)
                lines.append(text.rstrip("\n"))
                if step.get("state") == "PAUSED" and step.get("input"):
                    pending[step["id"]] = (node["id"], step["input"])
        if self.status.get("state") == "FINISHED":
            if self.stopped is not None:
                lines.append(f"Aborted by {self.stopped[1]}")
            lines += ["[Pipeline] End of Pipeline", f"Finished: {self.status.get('result')}"]
        log = "".join(f"{line}\n" for line in lines if line).encode()
        return View(
            copy.deepcopy(self.status),
            copy.deepcopy(self.stages),
            log,
            step_logs,
            self.status.get("state") == "FINISHED",
            pending,
        )

    def _step_text(self, step: dict[str, Any], now: datetime) -> tuple[str, bool]:
        if step.get("input"):
            found = step["input"]
            out = [found.get("message", ""), f"{found.get('ok', 'Proceed')} or Abort"]
            answer = self.answers.get(found.get("id", ""))
            if answer is not None:
                out.append(f"{'Approved' if answer.proceed else 'Rejected'} by {answer.user}")
            return "".join(f"{x}\n" for x in out), step.get("state") in LIVE
        description = step.get("displayDescription") or step.get("displayName", "")
        out = shell_lines(description, step.get("result") == "FAILURE")
        if step.get("state") in LIVE:
            seconds = max(int((now - self.adopted).total_seconds()), 0)
            out += [f"[{i:05d}] still building" for i in range(1, seconds + 1)]
            return "".join(f"{x}\n" for x in out), True
        if step.get("result") == "FAILURE":
            out.append("script returned exit code 2")
        if step.get("result") == "ABORTED":
            out.append("Sending interrupt signal to process")
        return "".join(f"{x}\n" for x in out), False


def adopt(cluster: Any) -> None:
    """Every seeded run with a build number and stage JSON but no build becomes one."""
    now = cluster.clock.now()
    for run in cluster.store.objects(("devops.kubesphere.io", "pipelineruns")):
        meta = run["metadata"]
        annotations = meta.get("annotations") or {}
        number = str(annotations.get("devops.kubesphere.io/jenkins-pipelinerun-id") or "")
        spec = run.get("spec") or {}
        pipeline = (spec.get("pipelineRef") or {}).get("name", "")
        if not number.isdigit() or not pipeline:
            continue
        branch = ""
        if (spec.get("pipelineSpec") or {}).get("type") == "multi-branch-pipeline":
            branch = str((spec.get("scm") or {}).get("refName") or "")
        job = (meta["namespace"], pipeline, branch)
        if cluster.jenkins.get(job, int(number)) is not None:
            continue
        configmap = cluster.store.get(("", "configmaps"), meta["namespace"], meta["name"])
        data = (configmap or {}).get("data") or {}
        if "status" not in data or "stage" not in data:
            continue
        build = StaticBuild(
            "/".join(p for p in job if p),
            int(number),
            json.loads(data["status"]),
            json.loads(data["stage"]),
            now,
            list(spec.get("parameters") or []),
        )
        build.run_name = meta["name"]
        cluster.jenkins.builds.setdefault(job, {})[int(number)] = build
        numbers = cluster.jenkins.numbers
        numbers[job] = max(numbers.get(job, 0), int(number))
