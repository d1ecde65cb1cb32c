"""A builder's runs from real-shaped S2iRuns: its own only (spec.builderName, else the label),
newest first, a run not yet started ordered by its creation, the image whole; templates."""

from __future__ import annotations

from typing import Any

from kstui.backends.s2i_history import builder_runs, template_rows


def _run(name: str, builder: str, created: str, status: dict[str, Any] | None = None) -> Any:
    run: dict[str, Any] = {
        "metadata": {"name": name, "creationTimestamp": created},
        "spec": {"builderName": builder},
    }
    if status is not None:
        run["status"] = status
    return run


def test_builder_runs_newest_first_with_unstarted_runs_by_creation() -> None:
    image = "registry.acme.example/shop/cart-web:v1.4.2"
    runs = [
        _run(
            "cart-a",
            "cart",
            "2026-01-01T10:00:00Z",
            {
                "runState": "Successful",
                "startTime": "2026-01-01T10:00:05Z",
                "completionTime": "2026-01-01T10:03:05Z",
                "s2iBuildResult": {"imageName": image},
                "kubernetesJobName": "cart-a-job",
            },
        ),
        _run("cart-c", "cart", "2026-01-01T12:00:00Z"),
        _run("other-b", "other", "2026-01-01T11:00:00Z"),
        {
            "metadata": {
                "name": "cart-b",
                "creationTimestamp": "2026-01-01T11:00:00Z",
                "labels": {"devops.kubesphere.io/s2ibuilder": "cart"},
            },
            "status": {"runState": "Failed", "startTime": "2026-01-01T11:00:01Z"},
        },
    ]
    rows = builder_runs("cart", runs)
    assert [r.name for r in rows] == ["cart-c", "cart-b", "cart-a"]
    newest, failed, done = rows
    assert (newest.state, newest.started, newest.duration_ms(0.0)) == ("", None, None)
    assert (failed.state, failed.image) == ("Failed", "")
    assert (done.image, done.job, done.duration_ms(0.0)) == (image, "cart-a-job", 180_000)


def test_template_rows_hold_framework_base_images_and_binary() -> None:
    template = {
        "metadata": {"name": "java", "labels": {"binary": "true"}},
        "spec": {
            "codeFramework": "java",
            "defaultBaseImage": "kubespheredev/java-8-centos7:v3.2.0",
            "containerInfo": [
                {"builderImage": "kubespheredev/java-8-centos7:v3.2.0"},
                {"builderImage": "kubespheredev/java-11-centos7:v3.2.0"},
            ],
            "version": "0.0.1",
        },
    }
    (row,) = template_rows("host", [template])
    assert (row.framework, row.binary, row.version) == ("java", True, "0.0.1")
    assert row.images[1] == "kubespheredev/java-11-centos7:v3.2.0"
    assert row.key == "host/java"
