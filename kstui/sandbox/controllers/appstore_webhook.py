"""KubeSphere's ApplicationRelease validating webhook (host only, CREATE and UPDATE): a release
of an ApplicationVersion that is not `active` is refused, as kube-apiserver relays a
controller-runtime webhook's denial (403 Forbidden, or the webhook's own 404 when the version
does not exist):

    admission webhook "applicationrelease.application.kubesphere.io" denied the request:
    invalid application version: <version>, state: <state>, for release: <release>
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kstui.sandbox.controllers.appstore import GROUP, VERSIONS
from kstui.sandbox.status import ApiError

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster
    from kstui.sandbox.kinds import ResourceKind

WEBHOOK = "applicationrelease.application.kubesphere.io"
RELEASES = (GROUP, "applicationreleases")


def install(cluster: SandboxCluster) -> None:
    """Register the webhook on the host cluster."""

    def validate(kind: ResourceKind, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        if kind.storage_key != RELEASES:
            return
        denied = f'admission webhook "{WEBHOOK}" denied the request'
        version_id = str((obj.get("spec") or {}).get("appVersionID", ""))
        version = cluster.store.get(VERSIONS, "", version_id)
        if version is None:
            raise ApiError(
                404,
                "NotFound",
                f'{denied}: applicationversions.{GROUP} "{version_id}" not found',
                {"name": version_id, "group": GROUP, "kind": "applicationversions"},
            )
        state = (version.get("status") or {}).get("state", "")
        release_state = (obj.get("status") or {}).get("state", "")
        if state != "active" and release_state != "passed":
            name = obj["metadata"].get("name", "")
            raise ApiError(
                403,
                "Forbidden",
                f"{denied}: invalid application version: {version_id}, state: {state}, "
                f"for release: {name}",
            )

    cluster.webhooks.append(validate)
