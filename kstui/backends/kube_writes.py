"""Writes of KubeClient: create, replace, patch (merge, strategic, JSON or server-side
apply) and delete; each may be a dry run."""

from __future__ import annotations

import json
from typing import Any

import orjson

from kstui.backends.kube_transport import KubeTransport
from kstui.backends.kube_wire import FIELD_MANAGER, PATCH_CONTENT_TYPES, PatchType, write_params


class KubeWrites(KubeTransport):
    """create, replace, patch and delete."""

    async def create(self, path: str, body: dict[str, Any], *, dry_run: bool = False) -> Any:
        return await self.request("POST", path, params=write_params(dry_run), body=body)

    async def replace(self, path: str, body: dict[str, Any], *, dry_run: bool = False) -> Any:
        return await self.request("PUT", path, params=write_params(dry_run), body=body)

    async def patch(
        self,
        path: str,
        patch: Any,
        patch_type: PatchType = "merge",
        *,
        dry_run: bool = False,
        force: bool = False,
    ) -> Any:
        params = write_params(dry_run)
        if patch_type == "apply":
            params["fieldManager"] = FIELD_MANAGER
            if force:
                params["force"] = "true"
            content = patch.encode() if isinstance(patch, str) else json.dumps(patch).encode()
        else:
            content = orjson.dumps(patch)
        return await self.request(
            "PATCH",
            path,
            params=params,
            content=content,
            content_type=PATCH_CONTENT_TYPES[patch_type],
        )

    async def delete(
        self,
        path: str,
        *,
        propagation: str | None = None,
        dry_run: bool = False,
        grace_seconds: int | None = None,
    ) -> Any:
        options: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation:
            options["propagationPolicy"] = propagation
        if grace_seconds is not None:
            options["gracePeriodSeconds"] = grace_seconds
        if dry_run:
            options["dryRun"] = ["All"]
        return await self.request("DELETE", path, body=options)
