"""The pure tenancy projections, on the sandbox's seed objects and on literal objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kstui.backends.tenancy.kinds import UNASSIGNED
from kstui.backends.tenancy.projections import (
    binding_user,
    count_projects,
    is_project,
    members_of,
    pod_has_problem,
    project_quota_lines,
    project_summary,
    rbac_user_subjects,
    selector_matches,
    summed_quota_lines,
    tally_pods,
    workspace_quota_lines,
    workspace_selector,
    workspace_summary,
)
from kstui.backends.tenancy.values import Member, QuotaLine

SEED = Path(__file__).resolve().parents[2] / "kstui" / "sandbox" / "data" / "seed-objects.yaml"


@pytest.fixture(scope="module")
def seed() -> list[dict[str, Any]]:
    return [obj for obj in yaml.safe_load_all(SEED.read_text()) if obj]


def one(seed: list[dict[str, Any]], kind: str, name: str, api: str = "") -> dict[str, Any]:
    return next(
        o
        for o in seed
        if o["kind"] == kind and o["metadata"]["name"] == name and o["apiVersion"].startswith(api)
    )


def of_kind(seed: list[dict[str, Any]], kind: str, api: str) -> list[dict[str, Any]]:
    return [o for o in seed if o["kind"] == kind and o["apiVersion"] == api]


def test_a_template_becomes_its_workspace_summary(seed: list[dict[str, Any]]) -> None:
    summary = workspace_summary(
        one(seed, "WorkspaceTemplate", "acme-retail"), project_count=2, member_count=3, quota=()
    )
    assert (summary.name, summary.alias, summary.manager, summary.creator) == (
        "acme-retail",
        "ACME Retail",
        "alice",
        "admin",
    )
    assert summary.description == "Online shop, storefront and checkout teams"
    assert (summary.clusters, summary.project_count, summary.member_count) == (("host",), 2, 3)
    assert not summary.synthetic


def test_a_template_placed_by_selector_names_no_cluster() -> None:
    template = {"metadata": {"name": "w"}, "spec": {"placement": {"clusterSelector": {}}}}
    summary = workspace_summary(template, project_count=0, member_count=0, quota=())
    assert summary.clusters == ("(selector)",)
    assert (summary.alias, summary.manager, summary.created) == ("", "", "")


def test_a_workspace_quota_reads_the_controllers_totals(seed: list[dict[str, Any]]) -> None:
    quota = one(seed, "ResourceQuota", "acme-retail", "quota.kubesphere.io")
    lines = {line.resource: line for line in workspace_quota_lines(quota)}
    assert list(lines) == ["limits.cpu", "limits.memory", "requests.cpu", "requests.memory"]
    assert lines["limits.cpu"] == QuotaLine("limits.cpu", "5500m", "24", pytest.approx(5.5 / 24))
    assert lines["limits.memory"].ratio == pytest.approx(9 / 48)


def test_a_workspace_quota_without_totals_shows_its_limits_unused() -> None:
    quota = {"spec": {"quota": {"hard": {"pods": "50"}}}}
    assert workspace_quota_lines(quota) == (QuotaLine("pods", "", "50", None),)
    assert workspace_quota_lines(None) == ()


def test_a_project_quota_reads_status_else_spec(seed: list[dict[str, Any]]) -> None:
    quota = one(seed, "ResourceQuota", "shop-prod", "v1")
    pods = next(line for line in project_quota_lines(quota) if line.resource == "pods")
    assert pods == QuotaLine("pods", "5", "40", 0.125)
    assert project_quota_lines({"spec": {"hard": {"pods": "3"}}}) == (
        QuotaLine("pods", "", "3", None),
    )


def test_vanilla_totals_add_the_namespaces_quotas_up() -> None:
    quotas = [
        {
            "spec": {"hard": {"requests.cpu": "500m", "pods": "10"}},
            "status": {"used": {"requests.cpu": "250m", "pods": "2"}},
        },
        {
            "spec": {"hard": {"requests.cpu": "1500m"}},
            "status": {"used": {"requests.cpu": "1", "secrets": "4"}},
        },
    ]
    lines = {line.resource: line for line in summed_quota_lines(quotas)}
    assert set(lines) == {"pods", "requests.cpu"}  # "secrets" is used but never limited
    assert lines["requests.cpu"].ratio == pytest.approx(1.25 / 2)
    assert lines["pods"].ratio == pytest.approx(0.2)


def test_devops_admin_namespaces_are_no_projects(seed: list[dict[str, Any]]) -> None:
    namespaces = of_kind(seed, "Namespace", "v1")
    assert is_project(one(seed, "Namespace", "shop-prod"))
    assert not is_project(one(seed, "Namespace", "shop-cicdr7x2k"))
    counts = count_projects([namespaces, None])
    assert counts == {"acme-retail": 2, "beta-labs": 2, "system-workspace": 1}


def test_a_namespace_becomes_its_project_summary(seed: list[dict[str, Any]]) -> None:
    project = project_summary(
        one(seed, "Namespace", "shop-prod"),
        context="host",
        cluster="host",
        pods=5,
        problem_pods=1,
        other_user="",
    )
    assert (project.name, project.workspace, project.alias, project.creator) == (
        "shop-prod",
        "acme-retail",
        "Shop (production)",
        "alice",
    )
    assert (project.context, project.cluster, project.pods, project.problem_pods) == (
        "host",
        "host",
        5,
        1,
    )
    bare = project_summary(
        {"metadata": {"name": "x"}}, context="c", cluster="c", pods=0, problem_pods=0
    )
    assert bare.workspace == UNASSIGNED


def running(*containers: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "ns", **meta},
        "status": {"phase": "Running", "containerStatuses": list(containers)},
    }


@pytest.mark.parametrize(
    ("pod", "problem"),
    [
        (running({"ready": True, "state": {"running": {}}}), False),
        (running({"ready": False, "state": {"running": {}}}), True),
        (running({"ready": True, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}), True),
        ({"metadata": {}, "status": {"phase": "Succeeded"}}, False),
        ({"metadata": {}, "status": {"phase": "Pending"}}, True),
        (
            {
                "metadata": {"deletionTimestamp": "2025-05-12T08:00:00Z"},
                "status": {"phase": "Failed"},
            },
            False,
        ),
    ],
)
def test_which_pods_are_problems(pod: dict[str, Any], problem: bool) -> None:
    assert pod_has_problem(pod) is problem


def test_pods_are_tallied_for_the_namespaces_asked_about(seed: list[dict[str, Any]]) -> None:
    pods = of_kind(seed, "Pod", "v1")
    expected: dict[str, list[int]] = {}
    for pod in pods:
        count = expected.setdefault(pod["metadata"]["namespace"], [0, 0])
        count[0] += 1
        count[1] += pod_has_problem(pod)
    tally = tally_pods(pods, {"shop-prod", "nowhere"})
    assert tally == {"shop-prod": tuple(expected["shop-prod"])}
    assert tally["shop-prod"][1] >= 1  # the seeded CrashLoopBackOff worker


def test_workspace_members_come_from_the_user_ref(seed: list[dict[str, Any]]) -> None:
    bindings = of_kind(seed, "WorkspaceRoleBinding", "iam.kubesphere.io/v1beta1")
    members = members_of(bindings, "workspace")
    assert Member("alice", "acme-retail-admin", "acme-retail-admin", "workspace") in members
    assert members == sorted(members, key=lambda m: (m.user, m.role, m.binding))
    assert len(members) == len(bindings)


def test_plain_rbac_members_are_every_user_subject() -> None:
    binding = {
        "metadata": {"name": "devs", "namespace": "ns"},
        "roleRef": {"name": "edit"},
        "subjects": [
            {"kind": "User", "name": "erin"},
            {"kind": "Group", "name": "g"},
            {"kind": "User", "name": "dave"},
        ],
    }
    assert members_of([binding], "project", every_user_subject=True) == [
        Member("dave", "edit", "devs", "project"),
        Member("erin", "edit", "devs", "project"),
    ]
    assert list(rbac_user_subjects([binding])) == [("ns", "erin"), ("ns", "dave")]
    assert binding_user(binding) == "erin"  # no user-ref label: the first User subject
    labelled = {**binding, "metadata": {"labels": {"iam.kubesphere.io/user-ref": "frank"}}}
    assert binding_user(labelled) == "frank"


def test_workspace_selectors_and_their_local_match() -> None:
    assert workspace_selector("acme") == "kubesphere.io/workspace=acme"
    assert workspace_selector(UNASSIGNED) == "!kubesphere.io/workspace"
    labels = {"kubesphere.io/workspace": "acme"}
    assert selector_matches("kubesphere.io/workspace=acme", labels)
    assert not selector_matches("kubesphere.io/workspace=beta", labels)
    assert selector_matches("kubesphere.io/workspace", labels)
    assert not selector_matches("!kubesphere.io/workspace", labels)
    assert selector_matches("!kubesphere.io/workspace", {})
    assert selector_matches("", {})
