"""WorkspaceService against the sandbox: cluster links, workspaces and projects across clusters,
every write read back from the server, permissions, partial failures, vanilla and tenants."""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kstui.backends.backend import BackendSettings
from kstui.backends.errors import Conflict, Invalid, KstuiError, ServerError
from kstui.backends.identities import Access, served_by
from kstui.backends.kube import KubeClient
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.session import Session
from kstui.backends.tenancy import (
    UNASSIGNED,
    VANILLA_READ_ONLY,
    pod_has_problem,
    validate_name,
)
from kstui.backends.workspaces import Flavor, PartialFailure, Permission, WorkspaceService
from kstui.config import Config
from kstui.sandbox.runtime import SandboxOptions
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client

TEMPLATES = "/apis/tenant.kubesphere.io/v1beta1/workspacetemplates"
WORKSPACE_ROLES = "/apis/iam.kubesphere.io/v1beta1/workspaceroles"
WORKSPACE_BINDINGS = "/apis/iam.kubesphere.io/v1beta1/workspacerolebindings"
WORKSPACE_QUOTAS = "/apis/quota.kubesphere.io/v1alpha2/resourcequotas"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def discovery_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("discovery")


@contextlib.asynccontextmanager
async def service_on(
    kubeconfig: Path, context: str, cache: Path, config: Config | None = None
) -> AsyncIterator[WorkspaceService]:
    session = Session(
        load_kubeconfig(str(kubeconfig)),
        context,
        "default",
        settings=BackendSettings(cache_dir=cache),
    )
    try:
        yield WorkspaceService(session, other_identities=(config or Config()).allows_other_identity)
    finally:
        await session.aclose()


@pytest.fixture
async def service(
    sandbox: RunningSandbox, discovery_cache: Path
) -> AsyncIterator[WorkspaceService]:
    async with service_on(sandbox.kubeconfig, "host", discovery_cache) as svc:
        yield svc


@pytest.fixture
async def admin(sandbox: RunningSandbox) -> AsyncIterator[KubeClient]:
    client = sandbox_client(sandbox, "host")
    yield client
    await client.aclose()


async def create_quietly(client: KubeClient, path: str, body: dict[str, Any]) -> None:
    """Set-up objects a KubeSphere controller may already have made."""
    with contextlib.suppress(Conflict):
        await client.create(path, body)


async def workspace_with_roles(
    service: WorkspaceService, client: KubeClient, manager: str = "alice"
) -> str:
    """A workspace of the test's own, with the built-in roles created here rather than
    waiting for a controller."""
    name = unique("wst")
    await service.writes.create_workspace(name, manager=manager, clusters=["host"])
    for role in ("admin", "regular", "viewer"):
        await create_quietly(
            client,
            WORKSPACE_ROLES,
            {
                "apiVersion": "iam.kubesphere.io/v1beta1",
                "kind": "WorkspaceRole",
                "metadata": {"name": f"{name}-{role}", "labels": {"kubesphere.io/workspace": name}},
                "rules": [],
            },
        )
    return name


async def project_roles(client: KubeClient, namespace: str, *roles: str) -> None:
    for role in roles:
        path = f"/apis/iam.kubesphere.io/v1beta1/namespaces/{namespace}/roles"
        await create_quietly(
            client,
            path,
            {
                "apiVersion": "iam.kubesphere.io/v1beta1",
                "kind": "Role",
                "metadata": {"name": role, "namespace": namespace},
                "rules": [],
            },
        )


async def user_bindings(client: KubeClient, path: str, user: str) -> list[dict[str, Any]]:
    listed = await client.list(path, {"labelSelector": f"iam.kubesphere.io/user-ref={user}"})
    return list(listed["items"])


def problem_by_hand(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") == "Succeeded":
        return False
    containers = status.get("containerStatuses") or []
    return status.get("phase") != "Running" or not all(c.get("ready") for c in containers)


# ---------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("acme-retail", None),
        ("a", None),
        ("a" * 63, None),
        ("a" * 64, "at most 63"),
        ("Acme", "lower case"),
        ("-acme", "lower case"),
        ("acme_retail", "lower case"),
        ("acme.retail", "lower case"),
        ("", "required"),
        ("clusters", "reserved"),
        ("workspaces", "reserved"),
        ("cluster", "reserved"),
    ],
)
def test_validate_name(name: str, problem: str | None) -> None:
    found = validate_name(name)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_reserved_names_apply_to_workspaces_only() -> None:
    assert validate_name("clusters", "project") is None


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        (
            {"phase": "Running", "containerStatuses": [{"ready": True, "state": {"running": {}}}]},
            False,
        ),
        ({"phase": "Succeeded"}, False),
        ({"phase": "Pending"}, True),
        ({"phase": "Failed"}, True),
        (
            {"phase": "Running", "containerStatuses": [{"ready": False, "state": {"running": {}}}]},
            True,
        ),
        (
            {
                "phase": "Running",
                "containerStatuses": [
                    {"ready": True, "state": {"running": {}}},
                    {"ready": False, "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
                ],
            },
            True,
        ),
    ],
)
def test_problem_pods(status: dict[str, Any], problem: bool) -> None:
    assert pod_has_problem({"metadata": {"name": "p"}, "status": status}) is problem
    being_deleted = {"metadata": {"deletionTimestamp": "2025-01-01T00:00:00Z"}, "status": status}
    assert pod_has_problem(being_deleted) is False


# ---------------------------------------------------------------------- reading


async def test_links_map_every_context_to_its_cluster(
    service: WorkspaceService, sandbox: RunningSandbox
) -> None:
    links = {link.context: link for link in await service.links()}
    assert set(links) == {"host", "member", "tenant"}
    for context in ("host", "member"):
        kube_system = sandbox.call(
            sandbox.cluster(context).store.get, ("", "namespaces"), "", "kube-system"
        )
        assert links[context].uid == kube_system["metadata"]["uid"]  # type: ignore[index]
        assert links[context].cluster == context
        assert links[context].flavor is Flavor.V4
        assert links[context].error == ""
        assert (links[context].user, links[context].access) == ("admin", Access.OWN)
    assert links["host"].host
    assert not links["member"].host
    # alice's context shares the host's API server, but she is not this session's user
    assert links["tenant"].cluster == "host"
    assert links["tenant"].host
    assert (links["tenant"].user, links["tenant"].access) == ("alice", Access.REFUSED)
    assert links["tenant"].error == (
        "not reachable as admin (context tenant is alice; opt in: other_identities)"
    )
    assert served_by(links.values(), "host") == [
        ("host", Access.OWN, "host as admin"),
        ("member", Access.OWN, "member as admin"),
    ]
    assert {"host", "member"} <= set(service.cluster_names)
    host = await service.host()
    assert host is not None
    assert host.context == "host"
    assert await service.whoami("host") == "admin"
    assert await service.whoami("tenant") == "alice"


async def test_an_unreachable_context_is_a_link_with_an_error(
    sandbox: RunningSandbox, tmp_path: Path, discovery_cache: Path
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    config["clusters"].append(
        {
            "name": "gone",
            "cluster": {"server": f"https://127.0.0.1:{port}", "insecure-skip-tls-verify": True},
        }
    )
    config["contexts"].append(
        {"name": "gone", "context": {"cluster": "gone", "user": "host-admin"}}
    )
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    async with service_on(path, "host", discovery_cache) as service:
        links = {link.context: link for link in await service.links()}
        assert links["gone"].error
        assert "cannot reach" in links["gone"].error
        assert links["gone"].cluster == "gone"
        assert not links["gone"].host
        assert links["host"].error == ""
        assert links["host"].host
        names = [w.name for w in await service.workspaces()]
        assert "acme-retail" in names
        assert any(w.startswith("gone:") for w in service.warnings)
        assert {p.name for p in await service.projects("acme-retail")} >= {"shop-prod"}
        denied = await service.permission("project.create", context="gone")
        assert not denied.allowed
        assert "cannot reach" in denied.reason
        with pytest.raises(KstuiError, match="cannot use context gone"):
            await service.writes.create_project("acme-retail", context="gone", name=unique("p"))


async def test_workspaces_list_the_seeded_ones(service: WorkspaceService) -> None:
    started = time.perf_counter()
    workspaces = {w.name: w for w in await service.workspaces()}
    assert time.perf_counter() - started < 1.0
    acme = workspaces["acme-retail"]
    assert (acme.alias, acme.manager, acme.creator) == ("ACME Retail", "alice", "admin")
    assert acme.description == "Online shop, storefront and checkout teams"
    assert "host" in acme.clusters
    assert not acme.synthetic
    assert acme.project_count >= 2  # shop-prod, shop-staging (not the DevOps namespace)
    assert acme.member_count >= 3  # alice, carol, dave
    hard = {line.resource: line.hard for line in acme.quota}
    assert hard == {
        "limits.cpu": "24",
        "limits.memory": "48Gi",
        "requests.cpu": "12",
        "requests.memory": "24Gi",
    }
    beta = workspaces["beta-labs"]
    assert (beta.alias, beta.manager, beta.creator, beta.quota) == ("Beta Labs", "bob", "bob", ())


async def test_projects_carry_pod_counts(service: WorkspaceService, admin: KubeClient) -> None:
    started = time.perf_counter()
    projects = {p.name: p for p in await service.projects("acme-retail")}
    assert time.perf_counter() - started < 1.0
    assert {"shop-prod", "shop-staging"} <= set(projects)
    assert "shop-cicdr7x2k" not in projects  # a DevOps admin namespace, not a project
    shop = projects["shop-prod"]
    assert (shop.context, shop.cluster, shop.workspace) == ("host", "host", "acme-retail")
    assert (shop.alias, shop.creator, shop.phase) == ("Shop (production)", "alice", "Active")
    pods = (await admin.list("/api/v1/namespaces/shop-prod/pods"))["items"]
    assert shop.pods == len(pods) > 0
    assert shop.problem_pods == sum(map(problem_by_hand, pods))


async def test_projects_span_clusters(
    service: WorkspaceService, admin: KubeClient, sandbox: RunningSandbox
) -> None:
    workspace = unique("wsp")
    on_host, on_member = unique("ph"), unique("pm")
    await service.writes.create_project(workspace, context="host", name=on_host, alias="On host")
    await service.writes.create_project(workspace, context="member", name=on_member)
    projects = await service.projects(workspace)
    assert [(p.name, p.context, p.cluster) for p in sorted(projects, key=lambda p: p.cluster)] == [
        (on_host, "host", "host"),
        (on_member, "member", "member"),
    ]
    assert all(p.creator == "admin" and p.pods == 0 for p in projects)
    member = sandbox_client(sandbox, "member")
    try:
        held = await member.get(f"/api/v1/namespaces/{on_member}")
    finally:
        await member.aclose()
    assert held["metadata"]["labels"]["kubesphere.io/workspace"] == workspace
    assert held["metadata"]["labels"]["kubesphere.io/managed"] == "true"


# ---------------------------------------------------------------------- workspace writes


async def test_create_and_delete_a_workspace(
    service: WorkspaceService, admin: KubeClient, sandbox: RunningSandbox
) -> None:
    name = unique("wsc")
    written = await service.writes.create_workspace(
        name, alias="Team X", description="for tests", manager="carol", clusters=["host", "member"]
    )
    assert [w["metadata"]["name"] for w in written] == [name]
    held = await admin.get(f"{TEMPLATES}/{name}")
    stamped = {
        "kubesphere.io/creator": "admin",
        "kubesphere.io/alias-name": "Team X",
        "kubesphere.io/description": "for tests",
    }
    assert stamped.items() <= held["metadata"]["annotations"].items()
    assert held["spec"]["template"]["metadata"]["annotations"] == stamped
    assert held["spec"]["template"]["spec"] == {"manager": "carol"}
    assert held["spec"]["placement"] == {"clusters": [{"name": "host"}, {"name": "member"}]}
    with pytest.raises(Conflict):
        await service.writes.create_workspace(name, manager="carol", clusters=["host"])
    with pytest.raises(KstuiError, match="no cluster named nowhere"):
        await service.writes.create_workspace(unique("wsc"), manager="carol", clusters=["nowhere"])

    store = sandbox.cluster("host").store
    since = sandbox.call(lambda: store.rv)
    patched, _ = await service.writes.delete_workspace(name, projects="detach")
    assert patched["metadata"]["annotations"]["kubesphere.io/deletion-propagation"] == "Orphan"
    events = [
        (e.type, e.new.decode())
        for e in sandbox.call(store.events_since, since) or ()
        if e.key == ("tenant.kubesphere.io", "workspacetemplates")
        and e.new.decode()["metadata"]["name"] == name
    ]
    propagation = [
        (obj["metadata"].get("annotations") or {}).get("kubesphere.io/deletion-propagation")
        for _, obj in events
    ]
    deleting = [
        kind == "DELETED" or bool(obj["metadata"].get("deletionTimestamp")) for kind, obj in events
    ]
    assert "Orphan" in propagation  # the annotation was written...
    assert True in deleting
    assert propagation.index("Orphan") < deleting.index(True)  # ...before the delete


async def test_delete_with_projects_asks_for_background(
    service: WorkspaceService, admin: KubeClient
) -> None:
    name = unique("wsd")
    await service.writes.create_workspace(name, manager="", clusters=["host"])
    held = await admin.get(f"{TEMPLATES}/{name}")
    assert held["spec"]["template"]["spec"]["manager"] == "admin"  # no manager: the creator
    patched, _ = await service.writes.delete_workspace(name, projects="delete")
    assert patched["metadata"]["annotations"]["kubesphere.io/deletion-propagation"] == "Background"


@pytest.mark.parametrize("name", ["Bad_Name", "clusters", "x" * 64, ""])
async def test_invalid_workspace_names_never_reach_the_server(
    service: WorkspaceService, admin: KubeClient, name: str
) -> None:
    with pytest.raises(KstuiError, match="invalid workspace name"):
        await service.writes.create_workspace(name, manager="alice", clusters=["host"])
    names = {t["metadata"]["name"] for t in (await admin.list(TEMPLATES))["items"]}
    assert name not in names


async def test_the_server_refuses_what_the_client_rule_lets_through(
    service: WorkspaceService, admin: KubeClient
) -> None:
    """A user name that is no label value: the binding's name and labels are invalid."""
    workspace = await workspace_with_roles(service, admin)
    with pytest.raises(Invalid) as refused:
        await service.writes.add_workspace_member(workspace, "carol@example.com", "regular")
    assert refused.value.status_code == 422
    assert "carol@example.com" in refused.value.detail
    listed = await admin.list(
        WORKSPACE_BINDINGS, {"labelSelector": f"kubesphere.io/workspace={workspace}"}
    )
    assert all(b["subjects"][0]["name"] != "carol@example.com" for b in listed["items"])


async def test_workspace_members_add_change_remove(
    service: WorkspaceService, admin: KubeClient
) -> None:
    workspace = await workspace_with_roles(service, admin)
    assert {f"{workspace}-admin", f"{workspace}-regular", f"{workspace}-viewer"} <= set(
        await service.workspace_roles(workspace)
    )
    written = await service.writes.add_workspace_member(workspace, "erin", "regular")
    binding = await admin.get(f"{WORKSPACE_BINDINGS}/erin-{workspace}-regular")
    assert written[0]["metadata"]["uid"] == binding["metadata"]["uid"]
    assert binding["metadata"]["labels"] == {
        "kubesphere.io/workspace": workspace,
        "iam.kubesphere.io/user-ref": "erin",
        "iam.kubesphere.io/role-ref": f"{workspace}-regular",
    }
    assert binding["roleRef"] == {
        "apiGroup": "iam.kubesphere.io",
        "kind": "WorkspaceRole",
        "name": f"{workspace}-regular",
    }
    assert binding["subjects"] == [
        {"apiGroup": "iam.kubesphere.io", "kind": "User", "name": "erin"}
    ]
    members = [m for m in await service.workspace_members(workspace) if m.user == "erin"]
    assert [(m.role, m.binding, m.scope) for m in members] == [
        (f"{workspace}-regular", f"erin-{workspace}-regular", "workspace")
    ]
    with pytest.raises(KstuiError, match="already a member"):
        await service.writes.add_workspace_member(workspace, "erin", "viewer")
    with pytest.raises(KstuiError, match="no role owner"):
        await service.writes.add_workspace_member(workspace, "frank", "owner")

    await service.writes.change_workspace_member(workspace, "erin", f"{workspace}-viewer")
    held = [
        b
        for b in await user_bindings(admin, WORKSPACE_BINDINGS, "erin")
        if b["metadata"]["labels"]["kubesphere.io/workspace"] == workspace
    ]
    assert [(b["metadata"]["name"], b["roleRef"]["name"]) for b in held] == [
        (f"erin-{workspace}-viewer", f"{workspace}-viewer")
    ]
    assert await service.writes.change_workspace_member(workspace, "erin", "viewer") == []

    await service.writes.remove_workspace_member(workspace, "erin")
    assert [
        b
        for b in await user_bindings(admin, WORKSPACE_BINDINGS, "erin")
        if b["metadata"]["labels"]["kubesphere.io/workspace"] == workspace
    ] == []
    with pytest.raises(KstuiError, match="not a member"):
        await service.writes.remove_workspace_member(workspace, "erin")


async def test_change_role_that_fails_half_way_says_what_was_done(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(clusters=1, pods=0)
    admin = sandbox_client(running, "host")
    store = running.cluster("host").store
    armed: list[bool] = []

    def fail_the_create_after_the_delete(event: Any) -> None:
        # The list and the delete share the create's path prefix: arm the 500 only once the
        # old binding is gone, so exactly the create meets it.
        if event.type == "DELETED" and event.key[1] == "workspacerolebindings" and not armed:
            armed.append(True)
            running.cluster("host").faults.fail_next(
                count=1, status=500, path_prefix=WORKSPACE_BINDINGS
            )

    try:
        async with service_on(running.kubeconfig, "host", tmp_path) as service:
            workspace = await workspace_with_roles(service, admin)
            await service.writes.add_workspace_member(workspace, "erin", "regular")
            running.call(store.add_listener, fail_the_create_after_the_delete)
            with pytest.raises(PartialFailure) as failure:
                await service.writes.change_workspace_member(workspace, "erin", "viewer")
            assert failure.value.done == [
                f"deleted WorkspaceRoleBinding erin-{workspace}-regular (role {workspace}-regular)"
            ]
            assert failure.value.failed.startswith(
                f"create WorkspaceRoleBinding erin-{workspace}-viewer (role {workspace}-viewer)"
            )
            assert "500" in failure.value.failed or "Internal" in failure.value.failed
            assert failure.value.not_done == []
            assert f"erin-{workspace}-regular" in failure.value.detail
            assert "add the member again" in failure.value.hint
            assert await user_bindings(admin, WORKSPACE_BINDINGS, "erin") == []

            def fail_the_delete_after_the_annotation(event: Any) -> None:
                obj = event.new.decode()
                if (
                    event.type == "MODIFIED"
                    and obj["metadata"]["name"] == workspace
                    and "kubesphere.io/deletion-propagation" in obj["metadata"]["annotations"]
                ):
                    running.cluster("host").faults.fail_next(
                        count=1, status=503, path_prefix=f"{TEMPLATES}/{workspace}"
                    )

            running.call(store.add_listener, fail_the_delete_after_the_annotation)
            with pytest.raises(PartialFailure) as failure:
                await service.writes.delete_workspace(workspace, projects="delete")
            assert failure.value.done == [
                f"annotated WorkspaceTemplate {workspace} with "
                "kubesphere.io/deletion-propagation=Background"
            ]
            assert failure.value.failed.startswith(f"delete WorkspaceTemplate {workspace}: ")
            held = await admin.get(f"{TEMPLATES}/{workspace}")
            assert (
                held["metadata"]["annotations"]["kubesphere.io/deletion-propagation"]
                == "Background"
            )
            assert not held["metadata"].get("deletionTimestamp")
    finally:
        await admin.aclose()


# ---------------------------------------------------------------------- project writes


async def test_project_create_move_members_and_quota(
    service: WorkspaceService, admin: KubeClient
) -> None:
    workspace, other = unique("wsq"), unique("wsq")
    name = unique("proj")
    written = await service.writes.create_project(
        workspace, context="host", name=name, alias="Test project"
    )
    held = await admin.get(f"/api/v1/namespaces/{name}")
    assert written[0]["metadata"]["uid"] == held["metadata"]["uid"]
    assert {"kubesphere.io/workspace": workspace, "kubesphere.io/managed": "true"}.items() <= held[
        "metadata"
    ]["labels"].items()
    assert {
        "kubesphere.io/creator": "admin",
        "kubesphere.io/alias-name": "Test project",
    }.items() <= held["metadata"]["annotations"].items()
    with pytest.raises(KstuiError, match="invalid project name"):
        await service.writes.create_project(workspace, context="host", name="Not_Valid")

    await service.writes.move_project(context="host", namespace=name, workspace=other)
    held = await admin.get(f"/api/v1/namespaces/{name}")
    assert held["metadata"]["labels"]["kubesphere.io/workspace"] == other
    assert [p.name for p in await service.projects(other)] == [name]
    assert await service.projects(workspace) == []

    bindings = f"/apis/iam.kubesphere.io/v1beta1/namespaces/{name}/rolebindings"
    await project_roles(admin, name, "admin", "operator", "viewer")
    await service.writes.add_project_member(
        context="host", namespace=name, user="dave", role="operator"
    )
    binding = await admin.get(f"{bindings}/dave-operator")
    assert binding["metadata"]["labels"] == {
        "iam.kubesphere.io/user-ref": "dave",
        "iam.kubesphere.io/role-ref": "operator",
    }
    assert binding["roleRef"] == {
        "apiGroup": "iam.kubesphere.io",
        "kind": "Role",
        "name": "operator",
    }
    assert binding["subjects"] == [
        {"apiGroup": "iam.kubesphere.io", "kind": "User", "name": "dave"}
    ]
    assert ("dave", "operator", "dave-operator", "project") in [
        (m.user, m.role, m.binding, m.scope) for m in await service.project_members("host", name)
    ]
    await service.writes.change_project_member(
        context="host", namespace=name, user="dave", role="viewer"
    )
    assert [b["metadata"]["name"] for b in await user_bindings(admin, bindings, "dave")] == [
        "dave-viewer"
    ]
    await service.writes.remove_project_member(context="host", namespace=name, user="dave")
    assert await user_bindings(admin, bindings, "dave") == []

    quota = f"/api/v1/namespaces/{name}/resourcequotas/{name}"
    await service.writes.set_project_quota(context="host", namespace=name, hard={"pods": "10"})
    held = await admin.get(quota)
    assert held["spec"]["hard"] == {"pods": "10"}
    assert held["metadata"]["annotations"]["kubesphere.io/creator"] == "admin"
    first_version = held["metadata"]["resourceVersion"]
    await service.writes.set_project_quota(
        context="host", namespace=name, hard={"pods": "20", "requests.cpu": "2"}
    )
    held = await admin.get(quota)
    assert held["spec"]["hard"] == {"pods": "20", "requests.cpu": "2"}
    assert held["metadata"]["resourceVersion"] != first_version
    lines = {line.resource: line.hard for line in await service.project_quota("host", name)}
    assert lines == {"pods": "20", "requests.cpu": "2"}
    with pytest.raises(KstuiError, match="invalid quota"):
        await service.writes.set_project_quota(
            context="host", namespace=name, hard={"pods": "many"}
        )


async def test_workspace_quota_is_created_then_updated(
    service: WorkspaceService, admin: KubeClient, sandbox: RunningSandbox
) -> None:
    workspace = unique("wsq")
    await service.writes.create_workspace(workspace, manager="alice", clusters=["host"])
    await service.writes.set_workspace_quota(workspace, {"limits.cpu": "4", "limits.memory": "8Gi"})
    held = await admin.get(f"{WORKSPACE_QUOTAS}/{workspace}")
    assert held["metadata"]["labels"] == {"kubesphere.io/workspace": workspace}
    assert held["metadata"]["annotations"]["kubesphere.io/creator"] == "admin"
    assert held["spec"]["selector"] == {"kubesphere.io/workspace": workspace}
    assert held["spec"]["quota"]["hard"] == {"limits.cpu": "4", "limits.memory": "8Gi"}
    await service.writes.set_workspace_quota(workspace, {"limits.cpu": "6"})
    updated = await admin.get(f"{WORKSPACE_QUOTAS}/{workspace}")
    assert updated["spec"]["quota"]["hard"] == {"limits.cpu": "6"}
    assert updated["metadata"]["uid"] == held["metadata"]["uid"]
    assert {line.resource: line.hard for line in await service.workspace_quota(workspace)} == {
        "limits.cpu": "6"
    }
    summary = next(w for w in await service.workspaces() if w.name == workspace)
    assert [line.hard for line in summary.quota] == ["6"]
    with pytest.raises(KstuiError, match="negative"):
        await service.writes.set_workspace_quota(workspace, {"limits.cpu": "-1"})

    # one quota object per workspace and cluster: the member's lives on the member
    await service.writes.set_workspace_quota(workspace, {"pods": "50"}, cluster="member")
    member = sandbox_client(sandbox, "member")
    try:
        held = await member.get(f"{WORKSPACE_QUOTAS}/{workspace}")
    finally:
        await member.aclose()
    assert held["spec"]["quota"]["hard"] == {"pods": "50"}
    assert [line.hard for line in await service.workspace_quota(workspace, cluster="member")] == [
        "50"
    ]
    assert [line.hard for line in await service.workspace_quota(workspace)] == ["6"]


# ---------------------------------------------------------------------- permissions


async def test_admin_may_do_everything(service: WorkspaceService) -> None:
    for action in (
        "workspace.create",
        "workspace.delete",
        "workspace.member.change",
        "workspace.quota",
    ):
        assert (await service.permission(action, workspace="acme-retail")).allowed
    for action in ("project.create", "project.move", "project.member.change", "project.quota"):
        assert (await service.permission(action, context="member", namespace="default")).allowed
    with pytest.raises(ValueError, match="unknown action"):
        await service.permission("workspace.rename")


async def test_a_tenant_is_told_why_not(
    sandbox: RunningSandbox, discovery_cache: Path, admin: KubeClient
) -> None:
    async with service_on(sandbox.kubeconfig, "tenant", discovery_cache) as service:
        host = await service.host()
        assert host is not None
        assert host.context == "tenant"
        # alice may read neither kube-system nor the Cluster objects: her cluster goes by her
        # context's name (the admin contexts that could tell are not hers to use)
        denied = await service.permission("workspace.create")
        assert denied == Permission(
            False, "RBAC denies create workspacetemplates.tenant.kubesphere.io on tenant"
        )
        member_add = await service.permission("workspace.member.add", workspace="acme-retail")
        assert not member_add.allowed
        assert "create workspacerolebindings.iam.kubesphere.io on tenant" in member_add.reason
        project_create = await service.permission("project.create", context="tenant")
        assert project_create.reason == "RBAC denies create namespaces on tenant"
        for action in (
            "project.member.add",
            "project.member.change",
            "project.member.remove",
            "project.quota",
        ):
            allowed = await service.permission(action, context="tenant", namespace="shop-prod")
            assert allowed == Permission(True, ""), action
        elsewhere = await service.permission(
            "project.member.add", context="tenant", namespace="ml-research"
        )
        assert elsewhere.reason == (
            "RBAC denies create rolebindings.iam.kubesphere.io in ml-research on tenant"
        )

        # What alice can reach on the host: her project and the workspace it belongs to
        # (the member cluster only the member's admin context reaches: not used).
        acme = next(w for w in await service.workspaces() if w.name == "acme-retail")
        assert acme.project_count >= 1
        assert any("may not list workspaces" in warning for warning in service.warnings)
        assert [p.name for p in await service.projects("acme-retail") if p.context == "tenant"] == [
            "shop-prod"
        ]
        bindings = "/apis/iam.kubesphere.io/v1beta1/namespaces/shop-prod/rolebindings"
        try:
            await service.writes.add_project_member(
                context="tenant", namespace="shop-prod", user="erin", role="viewer"
            )
            assert (await admin.get(f"{bindings}/erin-viewer"))["subjects"][0]["name"] == "erin"
        finally:
            await service.writes.remove_project_member(
                context="tenant", namespace="shop-prod", user="erin"
            )
        assert await user_bindings(admin, bindings, "erin") == []


# ---------------------------------------------------------------------- whose identity

INJECTED = 20
"""500s armed on the member cluster: each read or write that reaches it takes one."""


async def failures_left(client: KubeClient, path: str) -> int:
    """Drain the injected 500s that answer `path` and count them."""
    left = 0
    while True:
        try:
            await client.get(path)
        except ServerError:
            left += 1
        else:
            return left


async def test_a_tenant_never_acts_through_another_users_context(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    """Started as alice, shop-eu (on member, which only the member's admin context reaches) is
    neither read nor written: the member cluster hears nothing but "who are you"."""
    running = fresh_sandbox(clusters=2, pods=0)
    member = running.cluster("member")
    for prefix in ("/api/v1/", "/apis/iam.kubesphere.io/"):
        running.call(member.faults.fail_next, INJECTED, 500, prefix)
    refusal = "not reachable as alice (context member is admin; opt in: other_identities)"
    async with service_on(running.kubeconfig, "tenant", tmp_path / "cache") as service:
        links = {link.context: link for link in await service.links()}
        assert (links["member"].user, links["member"].access) == ("admin", Access.REFUSED)
        assert links["member"].error == refusal
        assert (links["tenant"].user, links["tenant"].access) == ("alice", Access.OWN)
        assert served_by(links.values(), "tenant") == [
            ("member", Access.REFUSED, f"member: {refusal}"),
            ("tenant", Access.OWN, "tenant as alice"),
        ]
        assert [p.name for p in await service.projects("acme-retail")] == ["shop-prod"]
        assert f"member: {refusal}" in service.warnings
        assert await service.permission(
            "project.member.add", context="member", namespace="shop-eu"
        ) == Permission(False, refusal)
        with pytest.raises(KstuiError, match="will not act as admin through member") as caught:
            await service.project_members("member", "shop-eu")
        assert caught.value.detail == refusal
        assert caught.value.hint == "list member in other_identities in the config to allow it"
        with pytest.raises(KstuiError, match="will not act as admin through member"):
            await service.writes.add_project_member(
                context="member", namespace="shop-eu", user="erin", role="viewer"
            )
        with pytest.raises(KstuiError, match="will not act as admin through member"):
            await service.writes.set_project_quota(
                context="member", namespace="shop-eu", hard={"pods": "1"}
            )
        with pytest.raises(KstuiError, match="will not act as admin through member"):
            await service.writes.create_project("acme-retail", context="member", name=unique("p"))
        with pytest.raises(KstuiError, match="will not act as admin through member"):
            await service.workspace_quota("acme-retail", cluster="member")
    admin = sandbox_client(running, "member")
    try:
        bindings = "/apis/iam.kubesphere.io/v1beta1/namespaces/shop-eu/rolebindings"
        assert await failures_left(admin, "/api/v1/namespaces/shop-eu") == INJECTED
        assert await failures_left(admin, bindings) == INJECTED
        assert await user_bindings(admin, bindings, "erin") == []
    finally:
        await admin.aclose()


async def test_an_admin_session_uses_the_member_admin_context(
    sandbox: RunningSandbox, service: WorkspaceService
) -> None:
    """Another kubeconfig user entry, but the same user by SelfSubjectReview: it serves."""
    config = load_kubeconfig(str(sandbox.kubeconfig))
    assert config.contexts["host"].user != config.contexts["member"].user
    for cluster in ("host", "member"):
        client = sandbox_client(sandbox, cluster)
        try:
            assert (await client.whoami())["username"] == "admin"
        finally:
            await client.aclose()
    links = {link.context: link for link in await service.links(refresh=True)}
    assert (links["member"].user, links["member"].access) == ("admin", Access.OWN)
    shop_eu = next(p for p in await service.projects("acme-retail") if p.name == "shop-eu")
    assert (shop_eu.context, shop_eu.cluster, shop_eu.other_user) == ("member", "member", "")
    assert not service.warnings
    assert (
        await service.permission("project.member.add", context="member", namespace="shop-eu")
    ).allowed


async def test_an_opted_in_context_serves_as_its_user_and_says_so(
    sandbox: RunningSandbox, discovery_cache: Path
) -> None:
    config = Config(other_identities=frozenset({"mem*"}))
    async with service_on(sandbox.kubeconfig, "tenant", discovery_cache, config) as service:
        links = {link.context: link for link in await service.links()}
        assert (links["member"].access, links["member"].error) == (Access.BORROWED, "")
        assert links["host"].access is Access.REFUSED  # not listed: still not used
        assert served_by(links.values(), "tenant") == [
            ("member", Access.BORROWED, "member as admin (other identity, opted in)"),
            ("tenant", Access.OWN, "tenant as alice"),
        ]
        projects = {p.name: p for p in await service.projects("acme-retail")}
        assert (projects["shop-eu"].context, projects["shop-eu"].other_user) == ("member", "admin")
        assert (projects["shop-prod"].context, projects["shop-prod"].other_user) == ("tenant", "")
        assert "alice" in [m.user for m in await service.project_members("member", "shop-eu")]
        assert (
            await service.permission("project.member.add", context="member", namespace="shop-eu")
        ).allowed


# ---------------------------------------------------------------------- other flavors


async def test_vanilla_groups_namespaces_by_label(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(kubesphere=False, clusters=1, pods=0)
    admin = sandbox_client(running, "host")
    try:
        for name, limit in (("team-a-web", "10"), ("team-a-db", "5")):
            await admin.create(
                "/api/v1/namespaces",
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": name, "labels": {"kubesphere.io/workspace": "team-a"}},
                },
            )
            await admin.create(
                f"/api/v1/namespaces/{name}/resourcequotas",
                {
                    "apiVersion": "v1",
                    "kind": "ResourceQuota",
                    "metadata": {"name": name, "namespace": name},
                    "spec": {"hard": {"pods": limit}},
                },
            )
        async with service_on(running.kubeconfig, "host", tmp_path) as service:
            links = {link.context: link for link in await service.links()}
            assert links["host"].flavor is Flavor.VANILLA
            assert not links["host"].host
            assert links["host"].cluster == "host"
            assert links["host"].error == ""
            groups = {w.name: w for w in await service.workspaces()}
            assert set(groups) == {"team-a", UNASSIGNED}
            assert all(w.synthetic for w in groups.values())
            assert groups["team-a"].project_count == 2
            assert [(q.resource, q.hard) for q in groups["team-a"].quota] == [("pods", "15")]
            assert groups[UNASSIGNED].project_count >= 4  # default, kube-system, ...
            assert {p.name for p in await service.projects("team-a")} == {"team-a-web", "team-a-db"}
            assert "default" in {p.name for p in await service.projects(UNASSIGNED)}
            for action in ("workspace.create", "workspace.member.add", "workspace.quota"):
                assert await service.permission(action) == Permission(False, VANILLA_READ_ONLY)
            with pytest.raises(KstuiError) as refused:
                await service.writes.create_workspace("team-b", manager="x", clusters=[])
            assert refused.value.detail == VANILLA_READ_ONLY
            assert await service.workspace_members("team-a") == []

            # Project members are plain RBAC here; the default ClusterRoles are offered.
            assert {"admin", "edit", "view"} <= set(
                await service.project_roles("host", "team-a-web")
            )
            await service.writes.add_project_member(
                context="host", namespace="team-a-web", user="erin", role="view"
            )
            binding = await admin.get(
                "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a-web/rolebindings/erin-view"
            )
            assert binding["roleRef"] == {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            }
            assert binding["subjects"] == [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "erin"}
            ]
            assert binding["metadata"]["labels"] == {"iam.kubesphere.io/user-ref": "erin"}
            assert ("erin", "view") in [
                (m.user, m.role) for m in await service.project_members("host", "team-a-web")
            ]
            await service.writes.remove_project_member(
                context="host", namespace="team-a-web", user="erin"
            )
            rbac = (
                await admin.list(
                    "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a-web/rolebindings"
                )
            )["items"]
            assert [b["metadata"]["name"] for b in rbac] == []
    finally:
        await admin.aclose()


async def test_kubesphere_3(fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path) -> None:
    if "kubesphere_version" not in SandboxOptions.__dataclass_fields__:
        pytest.skip("the sandbox has no KubeSphere 3.x mode yet")
    running = fresh_sandbox(clusters=1, pods=0, kubesphere_version="3")
    admin = sandbox_client(running, "host")
    try:
        async with service_on(running.kubeconfig, "host", tmp_path) as service:
            links = {link.context: link for link in await service.links()}
            assert links["host"].flavor is Flavor.V3
            name = unique("ws3")
            await service.writes.create_workspace(name, manager="alice", clusters=["host"])
            held = await admin.get(f"/apis/tenant.kubesphere.io/v1alpha2/workspacetemplates/{name}")
            assert held["spec"]["template"]["spec"]["manager"] == "alice"
            assert held["metadata"]["annotations"]["kubesphere.io/creator"] == "admin"
            project = unique("p3")
            await service.writes.create_project(name, context="host", name=project)
            namespace = await admin.get(f"/api/v1/namespaces/{project}")
            assert namespace["metadata"]["labels"]["kubesphere.io/workspace"] == name
            assert "kubesphere.io/managed" not in namespace["metadata"]["labels"]
            await create_quietly(
                admin,
                f"/apis/rbac.authorization.k8s.io/v1/namespaces/{project}/roles",
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "Role",
                    "metadata": {"name": "operator", "namespace": project},
                    "rules": [],
                },
            )
            await service.writes.add_project_member(
                context="host", namespace=project, user="dave", role="operator"
            )
            binding = await admin.get(
                f"/apis/rbac.authorization.k8s.io/v1/namespaces/"
                f"{project}/rolebindings/dave-operator"
            )
            assert binding["roleRef"] == {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "operator",
            }
            assert binding["metadata"]["labels"]["iam.kubesphere.io/user-ref"] == "dave"
    finally:
        await admin.aclose()


async def test_a_loaded_platform_lists_fast(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    fields = SandboxOptions.__dataclass_fields__
    if "workspaces" not in fields or "projects" not in fields:
        pytest.skip("the sandbox cannot generate workspaces/projects yet")
    running = fresh_sandbox(workspaces=50, projects=2000, clusters=2)
    async with service_on(running.kubeconfig, "host", tmp_path) as service:
        await service.links()
        started = time.perf_counter()
        workspaces = await service.workspaces()
        listed = time.perf_counter() - started
        assert len(workspaces) >= 50
        assert listed < 1.0
        biggest = max(workspaces, key=lambda w: w.project_count)
        started = time.perf_counter()
        projects = await service.projects(biggest.name)
        assert time.perf_counter() - started < 1.0
        assert len(projects) == biggest.project_count
