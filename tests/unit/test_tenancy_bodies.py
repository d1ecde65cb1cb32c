"""The bodies kstui writes are the objects the console writes (API.md §1): checked against the
sandbox's seed objects, which were written to match KubeSphere's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kstui.backends.cluster_values import Flavor
from kstui.backends.tenancy.bodies import (
    namespace_body,
    project_binding_body,
    project_quota_body,
    template_body,
    workspace_binding_body,
    workspace_quota_body,
)
from kstui.backends.tenancy.kinds import KINDS, PROJECT_BINDINGS

SEED = Path(__file__).resolve().parents[2] / "kstui" / "sandbox" / "data" / "seed-objects.yaml"
SERVER_SIDE = ("status", "finalizers")


@pytest.fixture(scope="module")
def seed() -> list[dict[str, Any]]:
    return [obj for obj in yaml.safe_load_all(SEED.read_text()) if obj]


def as_written(seed: list[dict[str, Any]], kind: str, name: str, api: str) -> dict[str, Any]:
    """The seed object without what the server or its controllers add."""
    found = next(
        o
        for o in seed
        if o["kind"] == kind and o["metadata"]["name"] == name and o["apiVersion"].startswith(api)
    )
    meta = {k: v for k, v in found["metadata"].items() if k not in SERVER_SIDE}
    return {**{k: v for k, v in found.items() if k not in SERVER_SIDE}, "metadata": meta}


def test_a_workspace_template_is_the_consoles(seed: list[dict[str, Any]]) -> None:
    body = template_body(
        KINDS[Flavor.V4].templates,
        "acme-retail",
        creator="admin",
        alias="ACME Retail",
        description="Online shop, storefront and checkout teams",
        manager="alice",
        clusters=["host"],
    )
    assert body == as_written(seed, "WorkspaceTemplate", "acme-retail", "tenant")


def test_a_3x_template_uses_v1alpha2() -> None:
    body = template_body(
        KINDS[Flavor.V3].templates,
        "w",
        creator="c",
        alias="",
        description="",
        manager="m",
        clusters=[],
    )
    assert body["apiVersion"] == "tenant.kubesphere.io/v1alpha2"
    assert body["metadata"]["annotations"] == {"kubesphere.io/creator": "c"}
    assert body["spec"]["placement"] == {"clusters": []}


def test_a_workspace_binding_is_the_consoles(seed: list[dict[str, Any]]) -> None:
    body = workspace_binding_body(
        KINDS[Flavor.V4].workspace_bindings, "acme-retail", "carol", "acme-retail-regular"
    )
    assert body == as_written(seed, "WorkspaceRoleBinding", "carol-acme-retail-regular", "iam")


def test_a_4x_project_binding_is_the_consoles(seed: list[dict[str, Any]]) -> None:
    body = project_binding_body(
        PROJECT_BINDINGS[Flavor.V4], Flavor.V4, "shop-prod", "carol", "operator"
    )
    assert body == as_written(seed, "RoleBinding", "carol-operator", "iam")


def test_a_vanilla_project_binding_is_plain_rbac_and_may_bind_a_cluster_role() -> None:
    body = project_binding_body(
        PROJECT_BINDINGS[Flavor.VANILLA], Flavor.VANILLA, "ns", "dave", "edit", "ClusterRole"
    )
    assert body["apiVersion"] == "rbac.authorization.k8s.io/v1"
    assert body["metadata"] == {
        "name": "dave-edit",
        "namespace": "ns",
        "labels": {"iam.kubesphere.io/user-ref": "dave"},
    }
    assert body["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "edit",
    }
    assert body["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "dave"}
    ]


def test_a_4x_project_is_managed_and_labelled_with_its_workspace(
    seed: list[dict[str, Any]],
) -> None:
    body = namespace_body(
        "shop-staging",
        workspace="acme-retail",
        flavor=Flavor.V4,
        creator="alice",
        alias="Shop (staging)",
    )
    seeded = as_written(seed, "Namespace", "shop-staging", "v1")
    assert body["metadata"]["annotations"] == seeded["metadata"]["annotations"]
    assert body["metadata"]["labels"].items() <= seeded["metadata"]["labels"].items()
    assert body["metadata"]["labels"] == {
        "kubesphere.io/workspace": "acme-retail",
        "kubesphere.io/managed": "true",
    }


@pytest.mark.parametrize(
    ("workspace", "flavor", "labels"),
    [
        ("w", Flavor.V3, {"kubesphere.io/workspace": "w"}),
        ("", Flavor.V4, {}),
    ],
)
def test_only_4x_workspace_projects_are_managed(
    workspace: str, flavor: Flavor, labels: dict[str, str]
) -> None:
    body = namespace_body("p", workspace=workspace, flavor=flavor, creator="c", alias="")
    assert body["metadata"]["labels"] == labels
    assert body["metadata"]["annotations"] == {"kubesphere.io/creator": "c"}


def test_quotas_are_the_consoles(seed: list[dict[str, Any]]) -> None:
    hard = {
        "limits.cpu": "24",
        "limits.memory": "48Gi",
        "requests.cpu": "12",
        "requests.memory": "24Gi",
    }
    assert workspace_quota_body("acme-retail", hard, "admin") == as_written(
        seed, "ResourceQuota", "acme-retail", "quota"
    )
    hard = {
        "limits.cpu": "8",
        "limits.memory": "16Gi",
        "requests.cpu": "4",
        "requests.memory": "8Gi",
        "pods": "40",
    }
    assert project_quota_body("shop-prod", hard, "alice") == as_written(
        seed, "ResourceQuota", "shop-prod", "v1"
    )
