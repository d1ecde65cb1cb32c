"""Whether a member's or manager's name is a KubeSphere User, against the sandbox: a User, a
name that is none, a tenant who may not read Users, and a vanilla cluster with no users API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.backends.test_workspaces import service_on
from tests.conftest import RunningSandbox


async def test_a_user_passes_and_a_stranger_is_named(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with service_on(sandbox.kubeconfig, "host", tmp_path) as service:
        assert await service.user_caveat("dave") == ""
        assert await service.user_caveat("admin") == ""  # the platform admin is a User too
        assert await service.user_caveat("davey") == "there is no user davey on host"


async def test_a_tenant_who_may_not_read_users_is_told_it_cannot_check(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with service_on(sandbox.kubeconfig, "tenant", tmp_path) as service:
        assert await service.user_caveat("dave") == (
            "cannot check that user dave exists: RBAC denies get users.iam.kubesphere.io on tenant"
        )


async def test_a_vanilla_cluster_cannot_check(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(kubesphere=False, pods=5)
    async with service_on(running.kubeconfig, "host", tmp_path) as service:
        assert await service.user_caveat("dave") == (
            "cannot check that user dave exists on this cluster "
            "(host serves no iam.kubesphere.io users)"
        )
