"""kubesphere/s2ioperator's S2iRun controller: a run of an S2iBuilder is a Job (named in
`status.kubernetesJobName`) whose pod builds and pushes the image; the run is `Running` until
the Job ends, then `Successful` with the image it produced in `status.s2iBuildResult`, or
`Failed`. The builder counts its runs and shows the last one. A builder annotated
`sandbox.kstui.io/crash: "true"` fails its builds (its job pods exit 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey, owner_ref
from kstui.sandbox.controllers.jobs import JOBS
from kstui.sandbox.controllers.pods import CRASH_ANNOTATION
from kstui.sandbox.store import Event

GROUP = "devops.kubesphere.io"
S2I_RUNS = (GROUP, "s2iruns")
BUILDERS = (GROUP, "s2ibuilders")
RUN_LABEL = "s2irun-name"
BUILDER_LABEL = "s2ibuilder-name"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def _short(text: str, n: int = 5) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:n])


def build_result(builder: dict[str, Any], run: dict[str, Any], at: str) -> dict[str, Any]:
    """The image an S2I build pushed, as the operator reports it."""
    config = (builder.get("spec") or {}).get("config") or {}
    tag = (run.get("spec") or {}).get("newTag") or config.get("tag") or "latest"
    image = f"{config.get('imageName', '')}:{tag}"
    digest = hashlib.sha256(f"{run['metadata'].get('uid', '')}{image}".encode()).hexdigest()
    return {
        "imageName": image,
        "imageID": f"sha256:{digest}",
        "imageSize": 86_000_000 + int(digest[:6], 16) % 40_000_000,
        "imageCreated": at,
        "imageRepoTags": [image],
        "commandPull": f"docker pull {image}",
    }


def build_source(builder: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    config = (builder.get("spec") or {}).get("config") or {}
    spec = run.get("spec") or {}
    source = {
        "sourceUrl": spec.get("newSourceURL") or config.get("sourceUrl", ""),
        "builderImage": config.get("builderImage", ""),
        "description": config.get("description", ""),
    }
    if config.get("isBinaryURL"):
        url = source["sourceUrl"]
        source.update(binaryName=url.rsplit("/", 1)[-1], binarySize=48_213_004)
    else:
        source.update(
            revisionId=spec.get("newRevisionId") or config.get("revisionId") or "master",
            commitID=hashlib.sha1(run["metadata"]["name"].encode()).hexdigest(),
            committerName="Alice",
            committerEmail="alice@acme.example",
        )
    return source


class S2iRunController(Controller):
    watches = (S2I_RUNS, JOBS)
    primary = S2I_RUNS

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == JOBS:
            entry = event.new
            if RUN_LABEL in entry.labels:
                return [(entry.namespace, entry.labels[RUN_LABEL])]
            return []
        return super().keys_for(event)

    def reconcile(self, key: WorkKey) -> None:
        run = self.store.get(S2I_RUNS, *key)
        if run is None or run["metadata"].get("deletionTimestamp"):
            return
        status = dict(run.get("status") or {})
        if status.get("runState") in ("Successful", "Failed") or status.get("completionTime"):
            return
        builder_name = (run.get("spec") or {}).get("builderName", "")
        builder = self.store.get(BUILDERS, key[0], builder_name)
        now = rfc3339(self.clock.now())
        if builder is None:
            status.update(runState="Failed", startTime=status.get("startTime", now))
            status["completionTime"] = now
            self._write(run, status)
            return
        job_name = status.get("kubernetesJobName")
        if not job_name:
            job_name = f"{builder_name}-{_short(run['metadata']['uid'])}-job"
            self.cluster.create(self.kind(JOBS), self._job(run, builder, job_name))
            status.update(runState="Running", startTime=now, kubernetesJobName=job_name)
            self._write(run, status)
            self._builder(builder, run, "Running", now, count=True)
            return
        job = self.store.get(JOBS, key[0], job_name)
        conditions = {
            c.get("type")
            for c in ((job or {}).get("status") or {}).get("conditions") or []
            if c.get("status") == "True"
        }
        if "Complete" in conditions:
            status.update(runState="Successful", completionTime=now)
            status["s2iBuildResult"] = build_result(builder, run, now)
            status["s2iBuildSource"] = build_source(builder, run)
        elif "Failed" in conditions or job is None:
            status.update(runState="Failed", completionTime=now)
            status["s2iBuildSource"] = build_source(builder, run)
        else:
            return
        self._write(run, status)
        self._builder(builder, run, status["runState"], status["startTime"])

    def _write(self, run: dict[str, Any], status: dict[str, Any]) -> None:
        run["status"] = status
        self.store.update(self.kind(S2I_RUNS), run, subresource="status", check_rv=False)

    def _builder(
        self,
        builder: dict[str, Any],
        run: dict[str, Any],
        state: str,
        started: str,
        count: bool = False,
    ) -> None:
        status = dict(builder.get("status") or {})
        if count:
            status["runCount"] = int(status.get("runCount") or 0) + 1
        status.update(
            lastRunState=state, lastRunName=run["metadata"]["name"], lastRunStartTime=started
        )
        builder["status"] = status
        self.store.update(self.kind(BUILDERS), builder, subresource="status", check_rv=False)

    def _job(self, run: dict[str, Any], builder: dict[str, Any], name: str) -> dict[str, Any]:
        config = (builder.get("spec") or {}).get("config") or {}
        labels = {RUN_LABEL: run["metadata"]["name"], BUILDER_LABEL: builder["metadata"]["name"]}
        template_meta: dict[str, Any] = {"labels": dict(labels)}
        if (builder["metadata"].get("annotations") or {}).get(CRASH_ANNOTATION) == "true":
            template_meta["annotations"] = {CRASH_ANNOTATION: "true"}
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": run["metadata"]["namespace"],
                "labels": labels,
                "ownerReferences": [owner_ref(run)],
            },
            "spec": {
                "backoffLimit": int((run.get("spec") or {}).get("backoffLimit") or 0),
                "template": {
                    "metadata": template_meta,
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "s2irun",
                                "image": "kubespheredev/s2irun:v3.2.0",
                                "env": [
                                    {"name": "S2I_CONFIG_PATH", "value": "/etc/data/config.json"},
                                    {"name": "IMAGE_NAME", "value": config.get("imageName", "")},
                                ],
                            }
                        ],
                    },
                },
            },
        }
