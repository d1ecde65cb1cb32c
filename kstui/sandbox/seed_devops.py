"""KubeSphere DevOps beyond seed-objects.yaml (whose four runs stay as written): the
devops-apiserver Service the DevOps API is reached through (API.md §9.4), and two more DevOps
projects in two workspaces whose pipelines have real builds in the sandbox's Jenkins, so their
runs have logs and answer stop, replay and input:

* `shop-deliveryk5v2q` (workspace acme-retail, creator alice):
  - `cart-ci`: string, choice and boolean parameters; a parallel group of four test stages;
    runs succeeded, running (a long integration step), and aborted;
  - `payments-nightly`: fails in "Integration Test", every time;
  - `db-migrate`: waits on an input step that names submitters bob and carol;
  - `web-app`: multi-branch (main, develop, feature/checkout-v2), with runs on two branches;
* `ml-cicdq4t8w` (workspace beta-labs, creator bob): `model-train`, one succeeded run.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from kstui.sandbox import jenkins_static
from kstui.sandbox.clock import rfc3339
from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.controllers import agent_pods
from kstui.sandbox.controllers.pipelineruns import FINALIZER, RUN_ID, run_status
from kstui.sandbox.controllers.pods import _conditions, container_status
from kstui.sandbox.controllers.tenancy import Flavor
from kstui.sandbox.jenkins import Answer, Build
from kstui.sandbox.jenkins_jobs import PLAN_ANNOTATION
from kstui.sandbox.seed import KUBESPHERE_4, put
from kstui.sandbox.seed_devops_data import MEMBERS, PIPELINES, PROJECTS, RUNS, jenkins_metadata

DEVOPS_SYSTEM = "kubesphere-devops-system"
GROUP_VERSION = "devops.kubesphere.io/v1alpha3"


def seed_devops(cluster: SandboxCluster, flavor: Flavor = KUBESPHERE_4) -> None:
    jenkins_static.adopt(cluster)  # seed-objects.yaml's runs: logs, stop and input too
    _system(cluster)
    now = cluster.clock.now()
    projects: dict[str, dict[str, Any]] = {}
    for name, workspace, creator, alias in PROJECTS:
        projects[name] = _project(cluster, name, workspace, creator, alias)
        _members(cluster, name, flavor)
    pipelines: dict[tuple[str, str], dict[str, Any]] = {}
    for namespace, name, spec, plan, _, creator in PIPELINES:
        annotations = {
            "kubesphere.io/creator": creator,
            "pipeline.devops.kubesphere.io/syncstatus": "successful",
            "pipeline.devops.kubesphere.io/synctime": rfc3339(now - timedelta(days=3)),
            PLAN_ANNOTATION: json.dumps(plan, separators=(",", ":")),
        }
        pipelines[(namespace, name)] = put(
            cluster,
            {
                "apiVersion": GROUP_VERSION,
                "kind": "Pipeline",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "annotations": annotations,
                    "finalizers": ["pipeline.finalizers.kubesphere.io"],
                    "creationTimestamp": rfc3339(now - timedelta(days=3)),
                },
                "spec": spec,
            },
        )
    builds: dict[tuple[str, str], list[Build]] = {}
    for namespace, pipeline_name, branch, params, creator, ago, action in RUNS:
        pipeline = pipelines[(namespace, pipeline_name)]
        build = cluster.jenkins.trigger(
            pipeline,
            branch,
            params,
            f"Started by user {creator}",
            now,
            started_ago=ago * cluster.pipeline_step_seconds,
        )
        if action is not None:
            kind, after = action
            at = build.enqueued + timedelta(seconds=after * cluster.pipeline_step_seconds)
            if kind == "stop":
                build.stop(at, creator)
            else:
                build.answer(kind, at, Answer(at, True, creator))
        _run(cluster, pipeline, build, branch, creator)
        builds.setdefault((namespace, pipeline_name), []).append(build)
    for (namespace, name), pipeline in pipelines.items():
        _annotate(cluster, pipeline, builds.get((namespace, name), []))


def _system(cluster: SandboxCluster) -> None:
    put(cluster, _namespace(DEVOPS_SYSTEM, {"kubesphere.io/workspace": "system-workspace"}))
    put(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "devops-apiserver",
                "namespace": DEVOPS_SYSTEM,
                "labels": {"app.kubernetes.io/name": "devops-apiserver", "app": "devops"},
            },
            "spec": {
                "selector": {"app.kubernetes.io/name": "devops-apiserver"},
                "ports": [{"port": 9090, "targetPort": 9090, "protocol": "TCP"}],
            },
        },
    )


def _namespace(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**labels, "kubernetes.io/metadata.name": name}},
    }


def _project(
    cluster: SandboxCluster, name: str, workspace: str, creator: str, alias: str
) -> dict[str, Any]:
    """A DevOpsProject (generateName = display name) and its admin namespace, owned by it."""
    now = cluster.clock.now()
    project = put(
        cluster,
        {
            "apiVersion": GROUP_VERSION,
            "kind": "DevOpsProject",
            "metadata": {
                "name": name,
                "generateName": name[:-5],
                "labels": {"kubesphere.io/workspace": workspace},
                "annotations": {
                    "kubesphere.io/creator": creator,
                    "kubesphere.io/alias-name": alias,
                    "devopsproject.devops.kubesphere.io/syncstatus": "successful",
                    "devopsproject.devops.kubesphere.io/synctime": rfc3339(now - timedelta(days=7)),
                },
                "finalizers": ["devopsproject.finalizers.kubesphere.io"],
                "creationTimestamp": rfc3339(now - timedelta(days=7)),
            },
            "status": {"adminNamespace": name},
        },
    )
    namespace = _namespace(
        name,
        {
            "kubesphere.io/devopsproject": name,
            "devops.kubesphere.io/managed": "true",
            "kubesphere.io/workspace": workspace,
        },
    )
    namespace["metadata"]["annotations"] = {"kubesphere.io/creator": creator}
    namespace["metadata"]["ownerReferences"] = [
        {
            "apiVersion": GROUP_VERSION,
            "kind": "DevOpsProject",
            "name": name,
            "uid": project["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    put(cluster, namespace)
    return project


def _members(cluster: SandboxCluster, namespace: str, flavor: Flavor) -> None:
    """The DevOps project's roles and members (3.x: plain RBAC; 4.x: iam objects, which the
    role controllers mirror into RBAC `kubesphere:iam:<name>`)."""
    rules = {
        "admin": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
        "viewer": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}],
    }
    for role, role_rules in rules.items():
        doc = {
            "apiVersion": "iam.kubesphere.io/v1beta1",
            "kind": "Role",
            "metadata": {"name": role, "namespace": namespace},
            "rules": role_rules,
        }
        put(cluster, flavor.seed_object(doc))
    for user, role in MEMBERS[namespace]:
        doc = {
            "apiVersion": "iam.kubesphere.io/v1beta1",
            "kind": "RoleBinding",
            "metadata": {
                "name": f"{user}-{role}",
                "namespace": namespace,
                "labels": {"iam.kubesphere.io/user-ref": user, "iam.kubesphere.io/role-ref": role},
            },
            "roleRef": {"apiGroup": "iam.kubesphere.io", "kind": "Role", "name": role},
            "subjects": [{"apiGroup": "iam.kubesphere.io", "kind": "User", "name": user}],
        }
        put(cluster, flavor.seed_object(doc))


def _run(
    cluster: SandboxCluster, pipeline: dict[str, Any], build: Build, branch: str, creator: str
) -> None:
    """The PipelineRun and ConfigMap the controller would hold for the build by now."""
    now = cluster.clock.now()
    view = build.view(now, console=False)
    meta = pipeline["metadata"]
    suffix = agent_pods.pod_name(build)[-5:]
    name = f"{meta['name']}-{suffix}"
    build.run_name = name
    spec: dict[str, Any] = {
        "pipelineRef": {"kind": "Pipeline", "name": meta["name"], "namespace": meta["namespace"]},
        "pipelineSpec": pipeline["spec"],
        "parameters": build.parameters,
    }
    if branch:
        spec["scm"] = {"refName": branch, "refType": "branch"}
    annotations = {"devops.kubesphere.io/creator": creator, RUN_ID: str(build.number)}
    if not view.finished and view.status["state"] != "QUEUED":
        pod = _agent_pod(cluster, build, rfc3339(build.started))
        annotations[agent_pods.POD_ANNOTATION] = pod["metadata"]["name"]
        annotations[agent_pods.NODE_ANNOTATION] = pod["spec"]["nodeName"]
    run = put(
        cluster,
        {
            "apiVersion": GROUP_VERSION,
            "kind": "PipelineRun",
            "metadata": {
                "name": name,
                "generateName": f"{meta['name']}-",
                "namespace": meta["namespace"],
                "labels": {"devops.kubesphere.io/pipeline": meta["name"]},
                "annotations": annotations,
                "finalizers": [FINALIZER],
                "creationTimestamp": rfc3339(build.enqueued),
                "ownerReferences": [
                    {
                        "apiVersion": GROUP_VERSION,
                        "kind": "Pipeline",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": spec,
            "status": run_status({"startTime": rfc3339(build.enqueued)}, view, rfc3339(now)),
        },
    )
    put(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "creationTimestamp": rfc3339(build.enqueued),
                "ownerReferences": [
                    {
                        "apiVersion": GROUP_VERSION,
                        "kind": "PipelineRun",
                        "name": name,
                        "uid": run["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "data": {
                "status": json.dumps(view.status, separators=(",", ":")),
                "stage": json.dumps(view.stages, separators=(",", ":")),
            },
        },
    )


def _agent_pod(cluster: SandboxCluster, build: Build, started: str) -> dict[str, Any]:
    pod = agent_pods.agent_pod(build)
    pod["spec"]["nodeName"] = f"{cluster.name}-worker-1"
    pod["metadata"]["creationTimestamp"] = started
    containers = pod["spec"]["containers"]
    pod["status"] = {
        "phase": "Running",
        "startTime": started,
        "conditions": _conditions(started, True),
        "containerStatuses": [
            container_status(c, {"running": {"startedAt": started}}, True) for c in containers
        ],
        "podIP": "10.244.1.77",
        "hostIP": "172.18.0.3",
    }
    return put(cluster, pod)


def _annotate(cluster: SandboxCluster, pipeline: dict[str, Any], builds: list[Build]) -> None:
    """The Jenkins metadata (and branches) the pipeline controller mirrors into annotations."""
    now = cluster.clock.now()
    metadata, branches = jenkins_metadata(
        pipeline, [(b, b.view(now, console=False)) for b in builds]
    )
    annotations = pipeline["metadata"]["annotations"]
    annotations["pipeline.devops.kubesphere.io/jenkins-metadata"] = json.dumps(
        metadata, separators=(",", ":")
    )
    if branches is not None:
        annotations["pipeline.devops.kubesphere.io/jenkins-branches"] = json.dumps(
            branches, separators=(",", ":")
        )
    kind = cluster.kind_of(pipeline)
    cluster.store.update(kind, pipeline, check_rv=False)


BENCH_PROJECT = "bench-cicdb3nch"
BENCH_PLAN: list[dict[str, Any]] = [
    {"name": "Checkout", "steps": [{"checkout": "https://git.acme.example/bench/app.git"}]},
    {"name": "Build", "steps": [{"sh": "make build", "units": 4}]},
    {"name": "Test", "steps": [{"sh": "make test", "units": 5}]},
]


def seed_devops_bench(cluster: SandboxCluster, pipelines: int, runs: int) -> None:
    """`pipelines` pipelines with `runs` finished runs between them in project
    `bench-cicdb3nch` (acme-retail), and `bench-long`: 40 stages, the last one's step writing
    2,000 lines a second for a minute, with a running run (#1) there now."""
    if not pipelines:
        return
    _project(cluster, BENCH_PROJECT, "acme-retail", "alice", "Benchmark pipelines")
    now = cluster.clock.now()
    made = []
    long_plan: list[dict[str, Any]] = [
        {"name": f"Stage {i:02d}", "steps": [{"sh": f"make step-{i}", "units": 1}]}
        for i in range(1, 40)
    ]
    long_plan.append(
        {"name": "Stage 40", "steps": [{"sh": "make chatty", "units": 60, "lines": 120_000}]}
    )
    for index in range(pipelines):
        name = "bench-long" if index == 0 else f"bench-{index:03d}"
        plan = long_plan if index == 0 else BENCH_PLAN
        made.append(
            put(
                cluster,
                {
                    "apiVersion": GROUP_VERSION,
                    "kind": "Pipeline",
                    "metadata": {
                        "name": name,
                        "namespace": BENCH_PROJECT,
                        "annotations": {
                            "kubesphere.io/creator": "alice",
                            PLAN_ANNOTATION: json.dumps(plan, separators=(",", ":")),
                        },
                    },
                    "spec": {"type": "pipeline", "pipeline": {"name": name}},
                },
            )
        )
    unit = cluster.pipeline_step_seconds
    long_run = cluster.jenkins.trigger(made[0], "", [], "Started by user alice", now, 45 * unit)
    _run(cluster, made[0], long_run, "", "alice")
    for index in range(runs):
        pipeline = made[1 + index % max(pipelines - 1, 1)] if pipelines > 1 else made[0]
        ago = (runs - index) * 60 * unit
        build = cluster.jenkins.trigger(
            pipeline, "", [], "Started by user alice", now, started_ago=ago
        )
        if index % 7 == 3:
            build.stop(build.started + timedelta(seconds=5 * unit), "alice")
        _run(cluster, pipeline, build, "", "alice")
