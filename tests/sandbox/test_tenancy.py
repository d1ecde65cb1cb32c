"""The sandbox's KubeSphere tenancy controllers, over real HTTP: WorkspaceTemplates become
Workspaces, roles and a manager binding on the clusters they are placed on; deleting one deletes
or detaches its projects; projects get their roles, creator binding and finalizer; iam
memberships become RBAC that kube-apiserver enforces; quotas count what namespaces hold and
refuse what would exceed them; a 3.x-style cluster and a vanilla one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kstui.backends.errors import Forbidden, NotFound
from kstui.backends.kube import KubeClient
from kstui.sandbox.printing import parse_quantity
from kstui.sandbox.runtime import SandboxOptions
from tests.conftest import RunningSandbox, _start
from tests.connections import sandbox_client

T = TypeVar("T")
Fresh = Callable[..., RunningSandbox]
TENANT = "/apis/tenant.kubesphere.io/v1beta1"
IAM = "/apis/iam.kubesphere.io/v1beta1"
RBAC = "/apis/rbac.authorization.k8s.io/v1"
NAMESPACES = "/api/v1/namespaces"
WS_LABEL = "kubesphere.io/workspace"
CASCADING = ["kubesphere.io/cascading-deletion"]
BUILTIN_WS_ROLES = ("admin", "regular", "self-provisioner", "viewer")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A private host + member sandbox: these tests add and delete workspaces, which the
    shared sandbox's other tests count."""
    sandbox = _start(tmp_path_factory.mktemp("tenancy"), SandboxOptions(clusters=2, pods=20))
    yield sandbox
    sandbox.thread.stop()


@pytest.fixture
async def admin(running: RunningSandbox) -> AsyncIterator[KubeClient]:
    client = sandbox_client(running, "host")
    yield client
    await client.aclose()


@pytest.fixture
async def member(running: RunningSandbox) -> AsyncIterator[KubeClient]:
    client = sandbox_client(running, "member")
    yield client
    await client.aclose()


@pytest.fixture
async def alice(running: RunningSandbox) -> AsyncIterator[KubeClient]:
    client = sandbox_client(running, "host", "alice")
    yield client
    await client.aclose()


async def eventually(check: Callable[[], Awaitable[T]], within: float = 10.0) -> T:
    """The controllers react right after a write; give them a moment, then insist."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await check()
        except (AssertionError, NotFound):
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.05)


async def gone(client: KubeClient, path: str) -> None:
    async def check() -> None:
        with pytest.raises(NotFound):
            await client.get(path)

    await eventually(check)


def template(
    name: str,
    manager: str = "carol",
    placement: dict[str, Any] | None = None,
    propagation: str | None = None,
) -> dict[str, Any]:
    annotations = {"kubesphere.io/alias-name": name.title(), "kubesphere.io/creator": "admin"}
    meta: dict[str, Any] = {"name": name, "annotations": dict(annotations)}
    if propagation:
        meta["annotations"]["kubesphere.io/deletion-propagation"] = propagation
    return {
        "apiVersion": "tenant.kubesphere.io/v1beta1",
        "kind": "WorkspaceTemplate",
        "metadata": meta,
        "spec": {
            "template": {
                "metadata": {"labels": {"team": name}, "annotations": annotations},
                "spec": {"manager": manager},
            },
            "placement": placement or {"clusters": [{"name": "host"}, {"name": "member"}]},
        },
    }


def project(
    name: str, workspace: str, creator: str = "admin", managed: bool = True
) -> dict[str, Any]:
    labels = {WS_LABEL: workspace, **({"kubesphere.io/managed": "true"} if managed else {})}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {"kubesphere.io/creator": creator},
        },
    }


def pod(name: str, cpu_limit: str | None = "1", memory: str = "128Mi") -> dict[str, Any]:
    resources = (
        {}
        if cpu_limit is None
        else {
            "requests": {"cpu": "250m", "memory": memory},
            "limits": {"cpu": cpu_limit, "memory": memory},
        }
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27.3", "resources": resources}]},
    }


def names(listing: dict[str, Any]) -> list[str]:
    return [item["metadata"]["name"] for item in listing["items"]]


def owners(obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["kind"], r["name"], r["uid"]) for r in obj["metadata"].get("ownerReferences", [])]


# ------------------------------------------------------------------ the seed, settled


async def test_seeded_workspaces_reach_both_clusters(admin: KubeClient, member: KubeClient) -> None:
    acme = await admin.get(f"{TENANT}/workspacetemplates/acme-retail")
    assert acme["spec"]["placement"] == {"clusters": [{"name": "host"}, {"name": "member"}]}
    assert acme["metadata"]["finalizers"] == CASCADING
    assert {"acme-retail", "beta-labs"} <= set(names(await admin.list(f"{TENANT}/workspaces")))
    on_member = set(names(await member.list(f"{TENANT}/workspaces")))
    assert "acme-retail" in on_member
    assert "beta-labs" not in on_member
    copy = await member.get(f"{TENANT}/workspaces/acme-retail")
    assert copy["metadata"]["finalizers"] == CASCADING
    assert copy["metadata"]["annotations"]["kubesphere.io/alias-name"] == "ACME Retail"
    assert copy["spec"] == {"manager": "alice"}

    # roles and members: on the host owned by the template, on the member by its Workspace
    host_roles = await admin.list(
        f"{IAM}/workspaceroles", {"labelSelector": f"{WS_LABEL}=acme-retail"}
    )
    assert names(host_roles) == [f"acme-retail-{r}" for r in BUILTIN_WS_ROLES]
    assert {owners(r)[0][:2] for r in host_roles["items"]} == {("WorkspaceTemplate", "acme-retail")}
    member_roles = await member.list(f"{IAM}/workspaceroles")
    assert names(member_roles) == names(host_roles)
    assert {owners(r)[0] for r in member_roles["items"]} == {
        ("Workspace", "acme-retail", copy["metadata"]["uid"])
    }
    assert names(await member.list(f"{IAM}/workspacerolebindings")) == [
        "acme-retail-admin",
        "carol-acme-retail-regular",
        "dave-acme-retail-viewer",
    ]

    # a project on each cluster, with its roles, creator binding and RBAC twins
    for client, namespace in ((admin, "shop-staging"), (member, "shop-eu")):
        assert names(await client.list(f"{IAM}/namespaces/{namespace}/roles")) == [
            "admin",
            "operator",
            "viewer",
        ]
        assert "alice-admin" in names(
            await client.list(f"{IAM}/namespaces/{namespace}/rolebindings")
        )
        assert "kubesphere:iam:alice-admin" in names(
            await client.list(f"{RBAC}/namespaces/{namespace}/rolebindings")
        )


# ------------------------------------------------------------------ workspace templates


async def test_a_workspace_template_makes_roles_binding_and_copies(
    admin: KubeClient, member: KubeClient
) -> None:
    await admin.create(f"{TENANT}/workspacetemplates", template("tt-create"))

    async def settled() -> dict[str, Any]:
        created = await admin.get(f"{TENANT}/workspacetemplates/tt-create")
        assert created["metadata"].get("finalizers") == CASCADING
        await member.get(f"{IAM}/workspacerolebindings/tt-create-admin")
        return created

    created = await eventually(settled)
    template_ref = {
        "apiVersion": "tenant.kubesphere.io/v1beta1",
        "kind": "WorkspaceTemplate",
        "name": "tt-create",
        "uid": created["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
    for role in BUILTIN_WS_ROLES:
        stamped = await admin.get(f"{IAM}/workspaceroles/tt-create-{role}")
        assert stamped["metadata"]["labels"] == {WS_LABEL: "tt-create"}
        assert stamped["metadata"]["ownerReferences"] == [template_ref]
        assert stamped["metadata"]["annotations"]["kubesphere.io/creator"] == "system"
        assert stamped["rules"]
    admin_role = await admin.get(f"{IAM}/workspaceroles/tt-create-admin")
    assert admin_role["rules"] == [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]

    binding = await admin.get(f"{IAM}/workspacerolebindings/tt-create-admin")
    assert binding["metadata"]["labels"] == {
        WS_LABEL: "tt-create",
        "iam.kubesphere.io/user-ref": "carol",
        "iam.kubesphere.io/role-ref": "tt-create-admin",
    }
    assert binding["roleRef"] == {
        "apiGroup": "iam.kubesphere.io",
        "kind": "WorkspaceRole",
        "name": "tt-create-admin",
    }
    assert binding["subjects"] == [
        {"apiGroup": "iam.kubesphere.io", "kind": "User", "name": "carol"}
    ]

    for client in (admin, member):
        workspace = await client.get(f"{TENANT}/workspaces/tt-create")
        assert workspace["metadata"]["labels"] == {"team": "tt-create"}
        assert workspace["metadata"]["annotations"] == {
            "kubesphere.io/alias-name": "Tt-Create",
            "kubesphere.io/creator": "admin",
        }
        assert workspace["spec"] == {"manager": "carol"}
        assert workspace["metadata"]["finalizers"] == CASCADING
    copied = await member.get(f"{IAM}/workspacerolebindings/tt-create-admin")
    assert copied["roleRef"] == binding["roleRef"]
    assert copied["metadata"]["labels"] == binding["metadata"]["labels"]

    # a template change reaches the copies; a new member is copied too
    await admin.patch(
        f"{TENANT}/workspacetemplates/tt-create",
        {"spec": {"template": {"spec": {"manager": "bob"}}}},
    )
    await admin.create(
        f"{IAM}/workspacerolebindings",
        {
            "apiVersion": "iam.kubesphere.io/v1beta1",
            "kind": "WorkspaceRoleBinding",
            "metadata": {
                "name": "dave-tt-create-viewer",
                "labels": {
                    WS_LABEL: "tt-create",
                    "iam.kubesphere.io/user-ref": "dave",
                    "iam.kubesphere.io/role-ref": "tt-create-viewer",
                },
            },
            "roleRef": {
                "apiGroup": "iam.kubesphere.io",
                "kind": "WorkspaceRole",
                "name": "tt-create-viewer",
            },
            "subjects": [{"apiGroup": "iam.kubesphere.io", "kind": "User", "name": "dave"}],
        },
    )

    async def followed() -> None:
        assert (await member.get(f"{TENANT}/workspaces/tt-create"))["spec"] == {"manager": "bob"}
        rebound = await member.get(f"{IAM}/workspacerolebindings/tt-create-admin")
        assert rebound["subjects"][0]["name"] == "bob"
        await member.get(f"{IAM}/workspacerolebindings/dave-tt-create-viewer")

    await eventually(followed)


async def test_a_long_workspace_name_hashes_its_role_names(admin: KubeClient) -> None:
    name = "tt-" + "long" * 15  # 63 characters: "<ws>-admin" would not fit
    await admin.create(
        f"{TENANT}/workspacetemplates", template(name, placement={"clusters": [{"name": "host"}]})
    )

    async def stamped() -> list[str]:
        found = names(
            await admin.list(f"{IAM}/workspaceroles", {"labelSelector": f"{WS_LABEL}={name}"})
        )
        assert len(found) == 4
        return found

    found = await eventually(stamped)
    assert {n.split(".")[0] for n in found} == set(BUILTIN_WS_ROLES)
    assert len({n.split(".")[1] for n in found}) == 1
    assert all(len(n) <= 63 for n in found)
    manager_role = next(n for n in found if n.startswith("admin."))
    binding = await admin.get(f"{IAM}/workspacerolebindings/{manager_role}")
    assert binding["roleRef"]["name"] == manager_role


async def test_placement_by_selector_and_leaving_it(admin: KubeClient, member: KubeClient) -> None:
    host_only = {"clusterSelector": {"matchLabels": {"cluster-role.kubesphere.io/host": ""}}}
    await admin.create(f"{TENANT}/workspacetemplates", template("tt-move", placement=host_only))
    await eventually(lambda: admin.get(f"{TENANT}/workspaces/tt-move"))
    await admin.create(NAMESPACES, project("tt-move-p", "tt-move"))
    await eventually(lambda: admin.get(f"{IAM}/namespaces/tt-move-p/rolebindings/admin-admin"))
    with pytest.raises(NotFound):
        await member.get(f"{TENANT}/workspaces/tt-move")

    await admin.patch(
        f"{TENANT}/workspacetemplates/tt-move",
        {"spec": {"placement": {"clusters": [{"name": "member"}], "clusterSelector": None}}},
    )
    await eventually(lambda: member.get(f"{IAM}/workspaceroles/tt-move-viewer"))
    await gone(admin, f"{TENANT}/workspaces/tt-move")
    # the project on the cluster the workspace left is detached, not deleted
    detached = await admin.get(f"{NAMESPACES}/tt-move-p")
    assert WS_LABEL not in detached["metadata"]["labels"]
    await gone(admin, f"{IAM}/namespaces/tt-move-p/rolebindings/admin-admin")


# ------------------------------------------------------------------ deleting workspaces


async def _events(client: KubeClient, path: str, since: str) -> list[tuple[int, str, dict]]:
    """What a watch from `since` replays: (resourceVersion, type, object)."""
    seen = []
    async for event in client.watch(path, {"resourceVersion": since}, timeout_seconds=1):
        if event["type"] != "BOOKMARK":
            obj = event["object"]
            seen.append((int(obj["metadata"]["resourceVersion"]), event["type"], obj))
    return seen


@pytest.mark.parametrize("policy", ["Foreground", "Background"])
async def test_deleting_a_workspace_deletes_its_projects(
    admin: KubeClient, member: KubeClient, policy: str
) -> None:
    name = f"tt-del-{policy.lower()}"
    await admin.create(f"{TENANT}/workspacetemplates", template(name, propagation=policy))
    for client in (admin, member):
        await eventually(partial(client.get, f"{TENANT}/workspaces/{name}"))
        await client.create(NAMESPACES, project(f"{name}-p", name, creator="alice"))
        await eventually(
            partial(
                client.get, f"{RBAC}/namespaces/{name}-p/rolebindings/kubesphere:iam:alice-admin"
            )
        )
    since = (await admin.get(NAMESPACES, {"limit": 1}))["metadata"]["resourceVersion"]
    member_since = (await member.get(NAMESPACES, {"limit": 1}))["metadata"]["resourceVersion"]

    await admin.delete(f"{TENANT}/workspacetemplates/{name}")
    for client in (admin, member):
        await gone(client, f"{NAMESPACES}/{name}-p")
        await gone(client, f"{TENANT}/workspaces/{name}")
    await gone(admin, f"{TENANT}/workspacetemplates/{name}")
    await gone(admin, f"{IAM}/workspaceroles/{name}-admin")  # with its template
    await gone(member, f"{IAM}/workspaceroles/{name}-admin")  # with its Workspace

    for client, start in ((admin, since), (member, member_since)):
        workspaces, namespaces = await asyncio.gather(
            _events(client, f"{TENANT}/workspaces", start), _events(client, NAMESPACES, start)
        )
        mine = [(rv, kind, obj) for rv, kind, obj in workspaces if obj["metadata"]["name"] == name]
        assert any(
            kind == "MODIFIED"
            and obj["metadata"]["annotations"].get("kubesphere.io/deletion-propagation") == policy
            for _, kind, obj in mine
        )
        workspace_gone = next(rv for rv, kind, _ in mine if kind == "DELETED")
        project_gone = next(
            rv
            for rv, kind, obj in namespaces
            if kind == "DELETED" and obj["metadata"]["name"] == f"{name}-p"
        )
        if policy == "Foreground":  # the workspace waits for its projects
            assert project_gone < workspace_gone


async def test_deleting_without_propagation_detaches_the_projects(admin: KubeClient) -> None:
    await admin.create(f"{TENANT}/workspacetemplates", template("tt-orphan"))
    await eventually(lambda: admin.get(f"{TENANT}/workspaces/tt-orphan"))
    await admin.create(NAMESPACES, project("tt-orphan-p", "tt-orphan", creator="alice"))
    await eventually(
        lambda: admin.get(f"{RBAC}/namespaces/tt-orphan-p/rolebindings/kubesphere:iam:alice-admin")
    )

    await admin.delete(f"{TENANT}/workspacetemplates/tt-orphan")
    await gone(admin, f"{TENANT}/workspacetemplates/tt-orphan")
    await gone(admin, f"{TENANT}/workspaces/tt-orphan")
    kept = await admin.get(f"{NAMESPACES}/tt-orphan-p")
    assert kept["metadata"]["labels"] == {
        "kubesphere.io/managed": "true",
        "kubernetes.io/metadata.name": "tt-orphan-p",
    }
    assert "deletionTimestamp" not in kept["metadata"]

    async def released() -> None:
        current = await admin.get(f"{NAMESPACES}/tt-orphan-p")
        assert "finalizers" not in current["metadata"]
        for path in (
            f"{IAM}/namespaces/tt-orphan-p/roles",
            f"{IAM}/namespaces/tt-orphan-p/rolebindings",
            f"{RBAC}/namespaces/tt-orphan-p/rolebindings",
        ):
            assert names(await admin.list(path)) == []

    await eventually(released)


# ------------------------------------------------------------------ projects


async def test_a_project_gets_roles_creator_binding_twins_and_finalizer(admin: KubeClient) -> None:
    await admin.create(NAMESPACES, project("tt-proj", "acme-retail", creator="bob"))
    binding = await eventually(
        lambda: admin.get(f"{IAM}/namespaces/tt-proj/rolebindings/bob-admin")
    )
    assert binding["metadata"]["labels"] == {
        "iam.kubesphere.io/user-ref": "bob",
        "iam.kubesphere.io/role-ref": "admin",
    }
    assert binding["roleRef"] == {"apiGroup": "iam.kubesphere.io", "kind": "Role", "name": "admin"}
    assert binding["subjects"] == [{"apiGroup": "iam.kubesphere.io", "kind": "User", "name": "bob"}]
    namespace = await admin.get(f"{NAMESPACES}/tt-proj")
    assert namespace["metadata"]["finalizers"] == CASCADING
    assert "ownerReferences" not in namespace["metadata"]

    roles = {
        r["metadata"]["name"]: r
        for r in (await admin.list(f"{IAM}/namespaces/tt-proj/roles"))["items"]
    }
    assert list(roles) == ["admin", "operator", "viewer"]
    assert roles["viewer"]["rules"] == [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]}
    ]
    assert roles["admin"]["metadata"]["annotations"]["kubesphere.io/creator"] == "system"

    async def mirrored() -> None:
        for role in roles.values():
            twin = await admin.get(
                f"{RBAC}/namespaces/tt-proj/roles/kubesphere:iam:{role['metadata']['name']}"
            )
            assert twin["rules"] == role["rules"]
            assert owners(twin) == [("Role", role["metadata"]["name"], role["metadata"]["uid"])]
        twin = await admin.get(f"{RBAC}/namespaces/tt-proj/rolebindings/kubesphere:iam:bob-admin")
        assert twin["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "kubesphere:iam:admin",
        }
        assert twin["subjects"] == [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}
        ]
        assert owners(twin) == [("RoleBinding", "bob-admin", binding["metadata"]["uid"])]

    await eventually(mirrored)

    # a twin deleted by hand comes back; a workspace role has no twin
    await admin.delete(f"{RBAC}/namespaces/tt-proj/roles/kubesphere:iam:viewer")
    await eventually(lambda: admin.get(f"{RBAC}/namespaces/tt-proj/roles/kubesphere:iam:viewer"))
    assert not [n for n in names(await admin.list(f"{RBAC}/clusterroles")) if "acme-retail" in n]

    # out of its workspace: its iam roles and members go, with their twins and the finalizer
    await admin.patch(f"{NAMESPACES}/tt-proj", {"metadata": {"labels": {WS_LABEL: None}}})

    async def released() -> None:
        assert names(await admin.list(f"{IAM}/namespaces/tt-proj/roles")) == []
        assert names(await admin.list(f"{IAM}/namespaces/tt-proj/rolebindings")) == []
        assert names(await admin.list(f"{RBAC}/namespaces/tt-proj/roles")) == []
        assert "finalizers" not in (await admin.get(f"{NAMESPACES}/tt-proj"))["metadata"]

    await eventually(released)


async def test_an_unmanaged_namespace_in_a_workspace_is_left_alone(admin: KubeClient) -> None:
    await admin.create(
        NAMESPACES, project("tt-unmanaged", "acme-retail", creator="bob", managed=False)
    )
    await eventually(
        lambda: admin.get("/api/v1/namespaces/tt-unmanaged/serviceaccounts/default")
    )  # the namespace controller has been by
    assert names(await admin.list(f"{IAM}/namespaces/tt-unmanaged/roles")) == []
    assert "finalizers" not in (await admin.get(f"{NAMESPACES}/tt-unmanaged"))["metadata"]


# ------------------------------------------------------------------ RBAC follows membership


async def test_alice_keeps_her_project_and_gains_and_loses_others(
    admin: KubeClient, alice: KubeClient
) -> None:
    assert await alice.can_i("delete", "pods", namespace="shop-prod") == (
        True,
        'RBAC: allowed by RoleBinding "kubesphere:iam:alice-admin/shop-prod" of Role '
        '"kubesphere:iam:admin" to User "alice"',
    )
    assert await alice.can_i("delete", "pods", namespace="payments") == (False, "")

    await admin.create(NAMESPACES, project("tt-rbac", "acme-retail"))
    await eventually(lambda: admin.get(f"{RBAC}/namespaces/tt-rbac/roles/kubesphere:iam:operator"))
    assert await alice.can_i("delete", "pods", namespace="tt-rbac") == (False, "")

    await admin.create(
        f"{IAM}/namespaces/tt-rbac/rolebindings",
        {
            "apiVersion": "iam.kubesphere.io/v1beta1",
            "kind": "RoleBinding",
            "metadata": {
                "name": "alice-operator",
                "labels": {
                    "iam.kubesphere.io/user-ref": "alice",
                    "iam.kubesphere.io/role-ref": "operator",
                },
            },
            "roleRef": {"apiGroup": "iam.kubesphere.io", "kind": "Role", "name": "operator"},
            "subjects": [{"apiGroup": "iam.kubesphere.io", "kind": "User", "name": "alice"}],
        },
    )

    async def granted() -> None:
        assert await alice.can_i("delete", "pods", namespace="tt-rbac") == (
            True,
            'RBAC: allowed by RoleBinding "kubesphere:iam:alice-operator/tt-rbac" of '
            'Role "kubesphere:iam:operator" to User "alice"',
        )

    await eventually(granted)
    assert (await alice.list(f"{NAMESPACES}/tt-rbac/pods"))["kind"] == "PodList"

    await admin.delete(f"{IAM}/namespaces/tt-rbac/rolebindings/alice-operator")

    async def revoked() -> None:
        assert await alice.can_i("delete", "pods", namespace="tt-rbac") == (False, "")

    await eventually(revoked)
    with pytest.raises(Forbidden):
        await alice.list(f"{NAMESPACES}/tt-rbac/pods")
    await gone(admin, f"{RBAC}/namespaces/tt-rbac/rolebindings/kubesphere:iam:alice-operator")


# ------------------------------------------------------------------ quotas


async def test_a_resource_quota_counts_pods_and_refuses_what_exceeds_it(admin: KubeClient) -> None:
    await admin.create(
        NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tt-quota"}}
    )
    await admin.create(
        f"{NAMESPACES}/tt-quota/resourcequotas",
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "tt-quota"},
            "spec": {
                "hard": {
                    "limits.cpu": "4000m",
                    "requests.cpu": "2",
                    "limits.memory": "1Gi",
                    "requests.memory": "1Gi",
                    "pods": "3",
                    "count/pods": "5",
                    "configmaps": "4",
                }
            },
        },
    )
    path = f"{NAMESPACES}/tt-quota/resourcequotas/tt-quota"
    hard = {
        "configmaps": "4",
        "count/pods": "5",
        "limits.cpu": "4",
        "limits.memory": "1Gi",
        "pods": "3",
        "requests.cpu": "2",
        "requests.memory": "1Gi",
    }

    async def status_is(used: dict[str, str]) -> None:
        assert (await admin.get(path)).get("status") == {"hard": hard, "used": used}

    await eventually(
        lambda: status_is(
            {
                "configmaps": "1",
                "count/pods": "0",
                "limits.cpu": "0",
                "limits.memory": "0",
                "pods": "0",
                "requests.cpu": "0",
                "requests.memory": "0",
            }
        )
    )  # kube-root-ca.crt

    await admin.create(f"{NAMESPACES}/tt-quota/pods", pod("a", cpu_limit="3", memory="384Mi"))
    await eventually(
        lambda: status_is(
            {
                "configmaps": "1",
                "count/pods": "1",
                "limits.cpu": "3",
                "limits.memory": "384Mi",
                "pods": "1",
                "requests.cpu": "250m",
                "requests.memory": "384Mi",
            }
        )
    )

    async def running_a() -> None:  # started by the kubelet stand-in, which we then overrule
        assert (await admin.get(f"{NAMESPACES}/tt-quota/pods/a"))["status"]["phase"] == "Running"

    with pytest.raises(Forbidden) as refused:
        await admin.create(f"{NAMESPACES}/tt-quota/pods", pod("b", cpu_limit="2"))
    assert refused.value.body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "b" is forbidden: exceeded quota: tt-quota, requested: limits.cpu=2, '
        "used: limits.cpu=3, limited: limits.cpu=4",
        "reason": "Forbidden",
        "details": {"name": "b", "kind": "pods"},
        "code": 403,
    }
    with pytest.raises(Forbidden) as unstated:
        await admin.create(f"{NAMESPACES}/tt-quota/pods", pod("c", cpu_limit=None))
    assert unstated.value.body["message"] == (
        'pods "c" is forbidden: failed quota: tt-quota: must specify limits.cpu for: app; '
        "limits.memory for: app; requests.cpu for: app; requests.memory for: app"
    )
    with pytest.raises(NotFound):
        await admin.get(f"{NAMESPACES}/tt-quota/pods/b")

    # a finished pod stops counting as compute, and still counts as an object
    await admin.create(f"{NAMESPACES}/tt-quota/pods", pod("d", cpu_limit="500m"))
    await eventually(running_a)
    await admin.patch(f"{NAMESPACES}/tt-quota/pods/a/status", {"status": {"phase": "Succeeded"}})
    await eventually(
        lambda: status_is(
            {
                "configmaps": "1",
                "count/pods": "2",
                "limits.cpu": "500m",
                "limits.memory": "128Mi",
                "pods": "1",
                "requests.cpu": "250m",
                "requests.memory": "128Mi",
            }
        )
    )
    await admin.create(f"{NAMESPACES}/tt-quota/pods", pod("b", cpu_limit="2"))  # fits now
    await admin.delete(f"{NAMESPACES}/tt-quota/pods/a")
    await admin.delete(f"{NAMESPACES}/tt-quota/pods/b")
    await eventually(
        lambda: status_is(
            {
                "configmaps": "1",
                "count/pods": "1",
                "limits.cpu": "500m",
                "limits.memory": "128Mi",
                "pods": "1",
                "requests.cpu": "250m",
                "requests.memory": "128Mi",
            }
        )
    )


def _sum(values: list[str]) -> Fraction:
    return sum((parse_quantity(v)[0] for v in values), Fraction(0))


async def test_a_workspace_quota_sums_its_namespaces(admin: KubeClient) -> None:
    path = "/apis/quota.kubesphere.io/v1alpha2/resourcequotas/beta-labs"
    await admin.create(
        "/apis/quota.kubesphere.io/v1alpha2/resourcequotas",
        {
            "apiVersion": "quota.kubesphere.io/v1alpha2",
            "kind": "ResourceQuota",
            "metadata": {"name": "beta-labs", "labels": {WS_LABEL: "beta-labs"}},
            "spec": {
                "selector": {WS_LABEL: "beta-labs"},
                "quota": {"hard": {"limits.cpu": "16", "requests.memory": "8Gi"}},
            },
        },
    )
    hard = {"limits.cpu": "16", "requests.memory": "8Gi"}

    async def rows() -> dict[str, dict[str, str]]:
        status = (await admin.get(path)).get("status") or {}
        assert status["total"]["hard"] == hard
        found = {row["namespace"]: row for row in status["namespaces"]}
        assert all(row["hard"] == hard for row in found.values())
        for resource in hard:
            assert (
                _sum([row["used"][resource] for row in found.values()])
                == parse_quantity(status["total"]["used"][resource])[0]
            )
        return {name: row["used"] for name, row in found.items()}

    before = await eventually(rows)
    assert {"ml-research", "data-pipeline"} <= set(before)
    await admin.create(NAMESPACES, project("tt-wsq", "beta-labs"))
    await admin.create(f"{NAMESPACES}/tt-wsq/pods", pod("job", cpu_limit="1500m", memory="1536Mi"))

    async def counted() -> None:
        assert (await rows())["tt-wsq"] == {"limits.cpu": "1500m", "requests.memory": "1536Mi"}

    await eventually(counted)
    await admin.patch(f"{NAMESPACES}/tt-wsq", {"metadata": {"labels": {WS_LABEL: "acme-retail"}}})

    async def moved() -> None:
        assert "tt-wsq" not in await rows()
        acme = await admin.get("/apis/quota.kubesphere.io/v1alpha2/resourcequotas/acme-retail")
        assert "tt-wsq" in {row["namespace"] for row in acme["status"]["namespaces"]}

    await eventually(moved)


# ------------------------------------------------------------------ other kinds of cluster


async def test_a_kubesphere_3_cluster(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(clusters=2, pods=0, kubesphere_version="3")
    host, other = sandbox_client(running, "host"), sandbox_client(running, "member")
    tenant = sandbox_client(running, "host", "alice")
    try:
        group = await host.get("/apis/tenant.kubesphere.io")
        assert [v["version"] for v in group["versions"]] == ["v1alpha2", "v1alpha1"]
        assert group["preferredVersion"]["version"] == "v1alpha2"
        for missing in ("/apis/tenant.kubesphere.io/v1beta1", "/apis/iam.kubesphere.io/v1beta1"):
            with pytest.raises(NotFound):
                await host.get(missing)
        templates = await host.list("/apis/tenant.kubesphere.io/v1alpha2/workspacetemplates")
        assert names(templates) == ["acme-retail", "beta-labs"]
        assert templates["items"][0]["metadata"]["finalizers"] == [
            "finalizers.workspacetemplate.kubesphere.io"
        ]
        copy = await other.get("/apis/tenant.kubesphere.io/v1alpha1/workspaces/acme-retail")
        assert copy["metadata"]["finalizers"] == ["finalizers.tenant.kubesphere.io"]
        assert names(await other.list("/apis/iam.kubesphere.io/v1alpha2/workspaceroles")) == [
            f"acme-retail-{r}" for r in BUILTIN_WS_ROLES
        ]
        cluster = await host.get("/apis/cluster.kubesphere.io/v1alpha1/clusters/host")
        assert cluster["status"]["kubeSphereVersion"] == "v3.4.1"

        workspace = await host.get("/apis/tenant.kubesphere.io/v1alpha1/workspaces/acme-retail")
        shop = await host.get(f"{NAMESPACES}/shop-prod")
        assert shop["metadata"]["labels"]["kubesphere.io/namespace"] == "shop-prod"
        assert "kubesphere.io/managed" not in shop["metadata"]["labels"]
        assert shop["metadata"]["finalizers"] == ["finalizers.kubesphere.io/namespaces"]
        assert owners(shop) == [("Workspace", "acme-retail", workspace["metadata"]["uid"])]
        assert names(await host.list(f"{RBAC}/namespaces/shop-prod/roles")) == [
            "admin",
            "operator",
            "viewer",
        ]
        binding = await host.get(f"{RBAC}/namespaces/shop-prod/rolebindings/alice-admin")
        assert binding["metadata"]["labels"] == {"iam.kubesphere.io/user-ref": "alice"}
        assert await tenant.can_i("delete", "pods", namespace="shop-prod") == (
            True,
            'RBAC: allowed by RoleBinding "alice-admin/shop-prod" of Role "admin" to User "alice"',
        )
        assert await tenant.can_i("get", "pods", namespace="ml-research") == (False, "")

        await host.create(
            NAMESPACES, project("tt-three", "beta-labs", creator="carol", managed=False)
        )
        made = await eventually(
            lambda: host.get(f"{RBAC}/namespaces/tt-three/rolebindings/carol-admin")
        )
        assert made["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "admin",
        }
        assert made["subjects"] == [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "carol"}
        ]
        adopted = await host.get(f"{NAMESPACES}/tt-three")
        beta = await host.get("/apis/tenant.kubesphere.io/v1alpha1/workspaces/beta-labs")
        assert owners(adopted) == [("Workspace", "beta-labs", beta["metadata"]["uid"])]
        assert names(await host.list(f"{RBAC}/namespaces/tt-three/roles")) == [
            "admin",
            "operator",
            "viewer",
        ]
    finally:
        for client in (host, other, tenant):
            await client.aclose()


async def test_a_vanilla_cluster_has_no_tenant_api_but_quotas(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(kubesphere=False)
    client = sandbox_client(running)
    try:
        with pytest.raises(NotFound):
            await client.get("/apis/tenant.kubesphere.io")
        groups = [g["name"] for g in (await client.get("/apis"))["groups"]]
        assert not [g for g in groups if g.endswith("kubesphere.io")]
        await client.create(
            f"{NAMESPACES}/default/resourcequotas",
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "pods"},
                "spec": {"hard": {"count/services": "5"}},
            },
        )

        async def counted() -> None:
            quota = await client.get(f"{NAMESPACES}/default/resourcequotas/pods")
            assert quota["status"] == {
                "hard": {"count/services": "5"},
                "used": {"count/services": "1"},
            }  # kubernetes

        await eventually(counted)
    finally:
        await client.aclose()


async def test_a_settled_seed_needs_no_running_controllers(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(controllers=False)
    tenant, client = sandbox_client(running, "host", "alice"), sandbox_client(running)
    try:
        assert (await tenant.can_i("delete", "pods", namespace="shop-prod"))[0]
        quota = await client.get(f"{NAMESPACES}/shop-prod/resourcequotas/shop-prod")
        assert quota["status"]["used"] == {
            "limits.cpu": "4",
            "limits.memory": "4Gi",
            "pods": "4",
            "requests.cpu": "1250m",
            "requests.memory": "2Gi",
        }
    finally:
        await tenant.aclose()
        await client.aclose()


def _tenancy_state(running: RunningSandbox) -> list[tuple[str, ...]]:
    keys = [
        ("tenant.kubesphere.io", "workspacetemplates"),
        ("tenant.kubesphere.io", "workspaces"),
        ("iam.kubesphere.io", "workspaceroles"),
        ("iam.kubesphere.io", "workspacerolebindings"),
        ("iam.kubesphere.io", "roles"),
        ("iam.kubesphere.io", "rolebindings"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("", "namespaces"),
        ("", "resourcequotas"),
        ("quota.kubesphere.io", "resourcequotas"),
    ]

    def read() -> list[tuple[str, ...]]:
        return [
            (cluster, key[1], e.namespace, e.name, e.uid, str(e.rv))
            for cluster in ("host", "member")
            for key in keys
            for e in running.cluster(cluster).store.select(key)
        ]

    return running.call(read)  # type: ignore[return-value]


def test_generated_workspaces_and_projects_are_deterministic(
    fresh_sandbox: Fresh, tmp_path: Path
) -> None:
    options = {"clusters": 2, "pods": 0, "frozen": True, "seed": 3, "workspaces": 3, "projects": 9}
    first, second = fresh_sandbox(**options), fresh_sandbox(**options)
    state = _tenancy_state(first)
    assert state == _tenancy_state(second)
    templates = [row[3] for row in state if row[:2] == ("host", "workspacetemplates")]
    assert templates == ["acme-retail", "beta-labs", "ws-000", "ws-001", "ws-002"]
    projects = {
        (row[0], row[3]) for row in state if row[1] == "namespaces" and row[3].startswith("ws-")
    }
    assert projects == {("host", f"ws-00{w}-p000") for w in range(3)} | {
        ("member", f"ws-00{w}-p001") for w in range(3)
    } | {("host", f"ws-00{w}-p002") for w in range(3)}
    bindings = {(row[0], row[2], row[3]) for row in state if row[1] == "rolebindings"}
    assert ("member", "ws-001-p001", "bob-admin") in bindings
    assert ("member", "ws-001-p001", "kubesphere:iam:bob-admin") in bindings
    quotas = {(row[0], row[3]) for row in state if row[1] == "resourcequotas" and not row[2]}
    assert {(c, f"ws-00{w}") for c in ("host", "member") for w in range(3)} <= quotas
