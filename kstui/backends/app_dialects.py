"""The app store's two dialects: KubeSphere 4.x's v2 objects (API.md §2.1–§2.6) and 3.x's
v1alpha1 Helm* objects (§2.7). AppStore picks one by the host's flavour; the rows are the same,
so the screens are too. What a dialect cannot do says why (`repo_actions`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kstui.backends import app_bodies, app_store, app_store_v3
from kstui.backends.app_store import AppRow, CategoryRow, ReleaseRow, RepoRow, VersionRow
from kstui.backends.cluster_values import Flavor
from kstui.backends.kinds import ResourceKind

Obj = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Dialect:
    flavor: Flavor
    repos: ResourceKind
    categories: ResourceKind
    applications: ResourceKind
    versions: ResourceKind
    releases: ResourceKind
    repo_row: Callable[[Obj], RepoRow]
    category_row: Callable[[Obj], CategoryRow]
    app_row: Callable[[Obj], AppRow]
    version_row: Callable[[Obj], VersionRow]
    release_row: Callable[[Obj], ReleaseRow]
    in_store: Callable[[Obj], bool]
    """Which Application objects the store lists (3.x: the `-store` copies)."""
    app_label: str
    """The label on an app's versions that names it."""
    release_body: Callable[..., dict[str, Any]]
    upgrade_patch: Callable[[ReleaseRow, VersionRow, str], dict[str, Any]]
    repo_actions: str = ""
    """Why adding and re-syncing repos is not offered ("" when it is)."""
    no_helm_job: str = ""
    """Why a release has no Helm job to read the log of ("" when Helm runs in a Job)."""
    revision_in_release: bool = False
    """The release object keeps Helm's revision (3.x: `spec.version`); else it is read from
    Helm's release Secrets on the target cluster (4.x)."""

    def resource(self, name: str) -> str:
        """A 4.x resource name (`applicationreleases`) as this dialect names it."""
        kinds = {
            "repos": self.repos,
            "categories": self.categories,
            "applications": self.applications,
            "applicationversions": self.versions,
            "applicationreleases": self.releases,
        }
        return kinds[name].resource if name in kinds else name


V4 = Dialect(
    Flavor.V4,
    app_store.REPOS,
    app_store.CATEGORIES,
    app_store.APPLICATIONS,
    app_store.VERSIONS,
    app_store.RELEASES,
    app_store.repo_row,
    app_store.category_row,
    app_store.app_row,
    app_store.version_row,
    app_store.release_row,
    in_store=lambda _obj: True,
    app_label=app_store.APP_ID,
    release_body=app_bodies.release_body,
    upgrade_patch=app_bodies.upgrade_patch,
)
V3 = Dialect(
    Flavor.V3,
    app_store_v3.REPOS,
    app_store_v3.CATEGORIES,
    app_store_v3.APPLICATIONS,
    app_store_v3.VERSIONS,
    app_store_v3.RELEASES,
    app_store_v3.repo_row,
    app_store_v3.category_row,
    app_store_v3.app_row,
    app_store_v3.version_row,
    app_store_v3.release_row,
    in_store=app_store_v3.in_store,
    app_label=app_store_v3.APP_ID,
    release_body=app_store_v3.release_body,
    upgrade_patch=app_store_v3.upgrade_patch,
    repo_actions=app_store_v3.REPO_ACTIONS,
    no_helm_job=app_store_v3.NO_HELM_JOB,
    revision_in_release=True,
)


def dialect_of(flavor: Flavor) -> Dialect:
    return V3 if flavor is Flavor.V3 else V4
