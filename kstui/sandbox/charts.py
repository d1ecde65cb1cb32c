"""Chart repositories the sandbox serves over plain HTTP, as a Helm repo server does.

`GET /charts/<repo>/index.yaml` is a Helm repository index (apiVersion v1, entries, relative
urls, sha256 digests, created); `GET /charts/<repo>/<chart>-<version>.tgz` is a real chart
archive (Chart.yaml, values.yaml, an optional values.schema.json, README.md, templates/). Real
`helm repo add`/`pull`/`show` accept them. The archives are built once per process and are the
same bytes every run (fixed mtimes, owners and gzip header), so digests are stable.

The sandbox itself has no network: its controllers read these repositories through `fetch()`
(any other URL is unreachable, as on an air-gapped cluster).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from kstui.sandbox.chart_catalog import REPOS, ChartSpec, ChartVersion, readme, schema_text
from kstui.sandbox.clock import parse_time

PREFIX = "/charts"

_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
  labels:
    {{- include "chart.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .Chart.Name }}
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels:
        {{- include "chart.labels" . | nindent 8 }}
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default \
.Chart.AppVersion }}"
          ports:
            - containerPort: {{ .Values.service.port }}
"""
_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ include "chart.fullname" . }}
  labels:
    {{- include "chart.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type | default "ClusterIP" }}
  ports:
    - port: {{ .Values.service.port }}
      targetPort: {{ .Values.service.port }}
  selector:
    app.kubernetes.io/name: {{ .Chart.Name }}
    app.kubernetes.io/instance: {{ .Release.Name }}
"""
_HELPERS = """\
{{- define "chart.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- define "chart.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}
"""
_NOTES = """\
1. Get the application URL by running:
  kubectl --namespace {{ .Release.Namespace }} port-forward svc/{{ include "chart.fullname" . }} \
{{ .Values.service.port }}:{{ .Values.service.port }}
"""


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart archive as the sandbox's Helm reads it."""

    metadata: dict[str, Any]
    values_text: str
    schema: dict[str, Any] | None
    readme: str
    archive: bytes

    @property
    def name(self) -> str:
        return str(self.metadata["name"])

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    @property
    def app_version(self) -> str:
        return str(self.metadata.get("appVersion", ""))

    @property
    def values(self) -> dict[str, Any]:
        loaded = yaml.safe_load(self.values_text)
        return loaded if isinstance(loaded, dict) else {}


def chart_metadata(spec: ChartSpec, version: ChartVersion) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "apiVersion": "v2",
        "name": spec.name,
        "version": version.version,
        "appVersion": version.app_version,
        "description": spec.description,
        "type": "application",
        "home": spec.home,
        "maintainers": [{"name": spec.maintainer, "url": spec.home}],
    }
    if spec.icon:
        meta["icon"] = spec.icon
    if spec.keywords:
        meta["keywords"] = list(spec.keywords)
    return meta


def build_archive(spec: ChartSpec, version: ChartVersion) -> bytes:
    files = {
        "Chart.yaml": yaml.safe_dump(chart_metadata(spec, version), sort_keys=False),
        "values.yaml": spec.values.replace("{tag}", version.app_version),
        "README.md": readme(spec, version),
        "templates/_helpers.tpl": _HELPERS,
        "templates/deployment.yaml": _DEPLOYMENT,
        "templates/service.yaml": _SERVICE,
        "templates/NOTES.txt": _NOTES,
    }
    schema = schema_text(spec, version)
    if schema is not None:
        files["values.schema.json"] = schema
    mtime = int(parse_time(version.created).timestamp())
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{spec.name}/{path}")
            info.size, info.mtime, info.mode = len(data), mtime, 0o644
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def archive_name(chart: str, version: str) -> str:
    return f"{chart}-{version}.tgz"


@functools.cache
def _built() -> dict[str, dict[str, bytes]]:
    """repo → file name → bytes: each repo's archives and its index.yaml."""
    repos: dict[str, dict[str, bytes]] = {}
    for repo, specs in REPOS.items():
        files: dict[str, bytes] = {}
        entries: dict[str, list[dict[str, Any]]] = {}
        for spec in specs:
            for version in spec.versions:
                archive = build_archive(spec, version)
                name = archive_name(spec.name, version.version)
                files[name] = archive
                entry = chart_metadata(spec, version)
                entry.update(
                    created=version.created,
                    digest=hashlib.sha256(archive).hexdigest(),
                    urls=[name],
                )
                entries.setdefault(spec.name, []).append(entry)
        generated = max(v.created for s in specs for v in s.versions)
        index = {"apiVersion": "v1", "entries": entries, "generated": generated}
        files["index.yaml"] = yaml.safe_dump(index, sort_keys=True).encode()
        repos[repo] = files
    return repos


def read_chart(archive: bytes) -> Chart:
    """Open a chart archive as Helm's loader does: the files under its one top directory."""
    files: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is not None:
                files[member.name.split("/", 1)[1]] = handle.read().decode()
    schema = files.get("values.schema.json")
    return Chart(
        metadata=yaml.safe_load(files["Chart.yaml"]),
        values_text=files.get("values.yaml", ""),
        schema=None if schema is None else yaml.safe_load(schema),
        readme=files.get("README.md", ""),
        archive=archive,
    )


class ChartRepos:
    """The repositories, their URL once served, and the sandbox's own (networkless) reads."""

    def __init__(self) -> None:
        self.files = _built()
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    def repo_url(self, repo: str) -> str:
        return f"{self.base_url}{PREFIX}/{repo}"

    def fetch(self, url: str) -> bytes | None:
        """The bytes at a URL this sandbox serves; None for any other (no network here)."""
        if not self.base_url or not url.startswith(self.base_url + PREFIX + "/"):
            return None
        parts = url[len(self.base_url + PREFIX) + 1 :].split("?")[0].split("/")
        if len(parts) != 2:
            return None
        return self.files.get(parts[0], {}).get(parts[1])

    def chart(self, url: str) -> Chart | None:
        archive = self.fetch(url)
        return None if archive is None else _read_cached(archive)

    async def start(self, host: str, port: int = 0) -> str:
        app = web.Application()
        app.router.add_get(PREFIX + "/{repo}/{file}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.base_url = f"http://{host}:{bound}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["repo"], {}).get(request.match_info["file"])
        if data is None:
            return web.Response(status=404, text="404 page not found\n")
        if request.match_info["file"] == "index.yaml":
            return web.Response(body=data, content_type="application/x-yaml")
        return web.Response(body=data, content_type="application/gzip")


@functools.lru_cache(maxsize=64)
def _read_cached(archive: bytes) -> Chart:
    return read_chart(archive)
