"""S2I/B2I (kubesphere/s2ioperator): builder templates, builders in the shop-staging project,
and finished runs with the image each produced (or failed to)."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from typing import Any

import yaml

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.controllers.pods import CRASH_ANNOTATION
from kstui.sandbox.controllers.s2i import _short, build_result, build_source
from kstui.sandbox.seed import put

NAMESPACE = "shop-staging"
V1 = "devops.kubesphere.io/v1alpha1"
TEMPLATES = (
    ("java", "kubespheredev/java-8-centos7:v3.2.0", "Java 8 (Maven builds and B2I for jar/war)"),
    ("nodejs", "kubespheredev/nodejs-8-centos7:v3.2.0", "Node.js 8"),
    ("python", "kubespheredev/python-36-centos7:v3.2.0", "Python 3.6"),
)
BUILDERS = (
    # name, template, source, binary, image, tag, crash
    ("cart-web-s2i", "nodejs", "https://git.acme.example/shop/cart-web.git", False,
     "registry.acme.example/shop/cart-web", "v1.4.2", False),
    ("payments-b2i", "java", "https://artifacts.acme.example/payments/payments-2.1.0.jar", True,
     "registry.acme.example/shop/payments", "2.1.0", False),
    ("recs-s2i", "python", "https://git.acme.example/shop/recs.git", False,
     "registry.acme.example/shop/recs", "latest", True),
)  # fmt: skip


def seed_s2i(cluster: SandboxCluster) -> None:
    """The S2I CRDs (data/s2i-crds.yaml: installed here, after the workloads, so that the
    names those draw stay what they were), then the objects."""
    text = resources.files("kstui.sandbox").joinpath("data", "s2i-crds.yaml").read_text()
    for crd in yaml.safe_load_all(text):
        if crd:
            put(cluster, crd)
    now = cluster.clock.now()
    for framework, image, description in TEMPLATES:
        put(
            cluster,
            {
                "apiVersion": V1,
                "kind": "S2iBuilderTemplate",
                "metadata": {
                    "name": framework,
                    "annotations": {"descriptionEN": description},
                    "labels": {"binary": "true" if framework == "java" else "false"},
                },
                "spec": {
                    "codeFramework": framework,
                    "defaultBaseImage": image,
                    "version": "0.0.1",
                    "description": description,
                    "containerInfo": [{"builderImage": image}],
                    "environment": [],
                },
            },
        )
    templates = {t[0]: t[1] for t in TEMPLATES}
    for index, (name, template, source, binary, image, tag, crash) in enumerate(BUILDERS):
        annotations = {"kubesphere.io/creator": "alice"}
        if crash:
            annotations[CRASH_ANNOTATION] = "true"
        builder = put(
            cluster,
            {
                "apiVersion": V1,
                "kind": "S2iBuilder",
                "metadata": {"name": name, "namespace": NAMESPACE, "annotations": annotations},
                "spec": {
                    "config": {
                        "displayName": name,
                        "builderImage": templates[template],
                        "imageName": image,
                        "tag": tag,
                        "sourceUrl": source,
                        "isBinaryURL": binary,
                        "export": True,
                        "builderPullPolicy": "if-not-present",
                        "outputBuildResult": True,
                        "pushAuthentication": {"secretRef": {"name": "registry-acme"}},
                        **({} if binary else {"revisionId": "master"}),
                    },
                    "fromTemplate": {"name": template, "builderImage": templates[template]},
                },
            },
        )
        started = now - timedelta(hours=2 + 5 * index)
        ended = started + timedelta(minutes=3, seconds=17 * index)
        run_name = f"{name}-{_short(name + 'run')}"
        run: dict[str, Any] = {
            "apiVersion": V1,
            "kind": "S2iRun",
            "metadata": {
                "name": run_name,
                "namespace": NAMESPACE,
                "labels": {"devops.kubesphere.io/s2ibuilder": name},
                "annotations": {"kubesphere.io/creator": "alice"},
                "creationTimestamp": rfc3339(started),
            },
            "spec": {"builderName": name, "backoffLimit": 0, "secondsAfterFinished": 3600},
        }
        run = put(cluster, run)
        state = "Failed" if crash else "Successful"
        status: dict[str, Any] = {
            "runState": state,
            "startTime": rfc3339(started),
            "completionTime": rfc3339(ended),
            "kubernetesJobName": f"{name}-{_short(run['metadata']['uid'])}-job",
            "s2iBuildSource": build_source(builder, run),
        }
        if not crash:
            status["s2iBuildResult"] = build_result(builder, run, rfc3339(ended))
        run["status"] = status
        cluster.store.update(cluster.kind_of(run), run, subresource="status", check_rv=False)
        builder["status"] = {
            "runCount": 1,
            "lastRunState": state,
            "lastRunName": run_name,
            "lastRunStartTime": rfc3339(started),
        }
        cluster.store.update(
            cluster.kind_of(builder), builder, subresource="status", check_rv=False
        )
