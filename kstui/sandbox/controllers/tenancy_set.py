"""Which tenancy controllers run on a cluster: KubeSphere's controller-manager (and
kube-controller-manager's quota controller). Apart from the controllers themselves, so that
they and the helpers they share in tenancy.py never import each other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kstui.sandbox.controllers.apprelease import RELEASES, AppReleaseController
from kstui.sandbox.controllers.appstore import (
    AppVersionController,
    CategoryController,
    RepoController,
)
from kstui.sandbox.controllers.helmrelease_v3 import HELM_RELEASES, HelmReleaseV3Controller
from kstui.sandbox.controllers.iam import RoleBindingMirror, RoleMirror
from kstui.sandbox.controllers.projects import ProjectController
from kstui.sandbox.controllers.quota import (
    WORKSPACE_QUOTAS,
    ResourceQuotaController,
    WorkspaceQuotaController,
)
from kstui.sandbox.controllers.strategy import STRATEGIES, VIRTUAL_SERVICES, StrategyController
from kstui.sandbox.controllers.tenancy import IAM_ROLES, TEMPLATES, WORKSPACES, Flavor
from kstui.sandbox.controllers.workspaces import WorkspaceController, WorkspaceTemplateController

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster
    from kstui.sandbox.controllers import Controller


def controllers_for(
    cluster: SandboxCluster, clusters: Mapping[str, SandboxCluster], flavor: Flavor
) -> list[Controller]:
    """What runs on this cluster: the host also keeps the workspaces of every cluster in step."""
    controllers: list[Controller] = [ResourceQuotaController(cluster)]
    registry = cluster.registry
    if registry.storage_kind(STRATEGIES) and registry.storage_kind(VIRTUAL_SERVICES):
        controllers.append(StrategyController(cluster))  # service mesh: §5.1, §5.4
    if cluster.registry.storage_kind(WORKSPACES) is None:
        return controllers  # a vanilla cluster: no tenant API
    if cluster.registry.storage_kind(WORKSPACE_QUOTAS) is not None:
        controllers.append(WorkspaceQuotaController(cluster))
    if cluster.registry.storage_kind(TEMPLATES) is not None and cluster.name == "host":
        controllers.append(WorkspaceTemplateController(cluster, clusters, flavor))
    controllers += [WorkspaceController(cluster, flavor), ProjectController(cluster, flavor)]
    if cluster.registry.storage_kind(IAM_ROLES) is not None:
        controllers += [RoleMirror(cluster), RoleBindingMirror(cluster)]
    if cluster.name == "host" and cluster.registry.storage_kind(RELEASES) is not None:
        controllers += [  # the app store (host only, as ks-controller-manager runs them)
            RepoController(cluster),
            AppVersionController(cluster),
            CategoryController(cluster),
            AppReleaseController(cluster, clusters),
        ]
    if cluster.name == "host" and cluster.registry.storage_kind(HELM_RELEASES) is not None:
        controllers.append(HelmReleaseV3Controller(cluster))  # a 3.x store (§2.7)
    return controllers
