"""Access reviews of KubeClient: who the API server thinks we are (whoami) and whether it
lets us do something (can_i)."""

from __future__ import annotations

from typing import Any

from kstui.backends.kube_writes import KubeWrites


class KubeAccess(KubeWrites):
    """whoami and can_i: reviews created with KubeWrites.create."""

    async def whoami(self) -> dict[str, Any]:
        """`status.userInfo` from a SelfSubjectReview: who the API server thinks we are."""
        review = await self.create(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
        return dict((review.get("status") or {}).get("userInfo") or {})

    async def can_i(
        self,
        verb: str,
        resource: str,
        *,
        group: str = "",
        namespace: str = "",
        name: str = "",
        subresource: str = "",
    ) -> tuple[bool, str]:
        """A SelfSubjectAccessReview: (allowed, reason)."""
        attributes = {"verb": verb, "resource": resource, "group": group}
        if namespace:
            attributes["namespace"] = namespace
        if name:
            attributes["name"] = name
        if subresource:
            attributes["subresource"] = subresource
        review = await self.create(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": attributes},
            },
        )
        status = review.get("status") or {}
        return bool(status.get("allowed")), str(status.get("reason") or "")
