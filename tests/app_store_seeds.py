"""For the app store's tests: a real chart archive served over HTTP from a thread, and an
Application with its ApplicationVersions written to the sandbox through its API (status
through /status, as a controller would)."""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kstui.backends.kube import KubeClient

API = "/apis/application.kubesphere.io/v2"
DEFAULT_VALUES = "replicaCount: 1\nimage:\n  tag: '1.0'\n"
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "replicaCount": {"type": "integer", "minimum": 1},
        "image": {"type": "object", "properties": {"tag": {"type": "string"}}},
    },
    "required": ["replicaCount"],
}


def chart_archive(name: str, version: str, *, schema: bool = True) -> bytes:
    files = {
        "Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: '1.0'\n"
        f"description: A test chart\n",
        "values.yaml": DEFAULT_VALUES,
        "README.md": f"# {name}\n\nA chart for the app store's tests.\n",
        "templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
    }
    if schema:
        files["values.schema.json"] = json.dumps(SCHEMA)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@contextlib.contextmanager
def chart_server(charts: dict[str, bytes]) -> Iterator[str]:
    """http://127.0.0.1:PORT serving `charts` by path (`/demo-1.0.0.tgz`); 404 otherwise."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = charts.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def put_with_status(client: KubeClient, resource: str, obj: dict[str, Any]) -> None:
    status = obj.pop("status", None)
    name = obj["metadata"]["name"]
    try:
        await client.create(f"{API}/{resource}", obj)
    except Exception as error:  # already there from an earlier test of the session
        if getattr(error, "reason", "") != "AlreadyExists":
            raise
    if status is not None:
        await client.patch(f"{API}/{resource}/{name}/status", {"status": status}, "merge")


async def seed_app(
    client: KubeClient,
    app: str,
    base_url: str,
    *,
    versions: dict[str, str],
    category: str = "databases",
    alias: str = "",
) -> None:
    """An Application and its versions ({version: state}); pullUrl = base_url/<app>-<v>.tgz."""
    latest = next(iter(versions))
    await put_with_status(
        client,
        "applications",
        {
            "apiVersion": "application.kubesphere.io/v2",
            "kind": "Application",
            "metadata": {
                "name": app,
                "labels": {
                    "application.kubesphere.io/repo-name": "testrepo",
                    "application.kubesphere.io/app-type": "helm",
                    "application.kubesphere.io/app-category-name": category,
                    "kubesphere.io/workspace": "system-workspace",
                },
                "annotations": {
                    "kubesphere.io/alias-name": alias or app,
                    "kubesphere.io/description": f"{app} for tests",
                    "application.kubesphere.io/latest-app-version": latest,
                },
            },
            "spec": {"appType": "helm"},
            "status": {"state": "active"},
        },
    )
    for index, (version, state) in enumerate(versions.items()):  # newest first
        await put_with_status(
            client,
            "applicationversions",
            {
                "apiVersion": "application.kubesphere.io/v2",
                "kind": "ApplicationVersion",
                "metadata": {
                    "name": f"{app}-{version}",
                    "labels": {
                        "application.kubesphere.io/repo-name": "testrepo",
                        "application.kubesphere.io/app-id": app,
                        "application.kubesphere.io/app-type": "helm",
                        "kubesphere.io/workspace": "system-workspace",
                    },
                },
                "spec": {
                    "versionName": version,
                    "appType": "helm",
                    "created": f"2025-05-{20 - index:02d}T10:00:00Z",
                    "pullUrl": f"{base_url}/{app}-{version}.tgz",
                },
                "status": {"state": state},
            },
        )
