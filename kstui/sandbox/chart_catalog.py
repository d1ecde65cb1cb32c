"""The charts the sandbox's chart repositories hold (charts.py builds and serves them).

Two repositories: `bitnami`, the charts (and versions) the seeded KubeSphere objects name, and
`labs`, a workspace repo that exercises the edges: `broken-app`, whose values.schema.json the
default values fail (so a default install fails), `prometheus-node-exporter`, whose name is
longer than 14 characters (its Application is named by an md5), and a version that is not
DNS-safe (its ApplicationVersion is named by a sha1).

Every chart renders the same two templates (a Deployment and a Service) from `image`,
`replicaCount` and `service.port`; the rest of its values are there to be edited and checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ChartVersion:
    version: str
    app_version: str
    created: str  # the index's `created`: fixed, so that the index is the same bytes every run


@dataclass(frozen=True, slots=True)
class ChartSpec:
    name: str
    description: str
    home: str
    icon: str
    maintainer: str
    image: str
    port: int
    values: str
    """values.yaml; `{tag}` is replaced by each version's appVersion."""
    versions: tuple[ChartVersion, ...]
    schema: dict[str, Any] | None = None
    keywords: tuple[str, ...] = ()
    schema_from: str = ""
    """The first version that ships the schema ("" = all of them)."""
    extra: dict[str, str] = field(default_factory=dict)


BITNAMI = "Broadcom, Inc. All Rights Reserved."

_COMMON_VALUES = """\
## Number of replicas
replicaCount: 1
image:
  repository: {image}
  tag: "{{tag}}"
  pullPolicy: IfNotPresent
service:
  type: ClusterIP
  port: {port}
resources:
  requests:
    cpu: 100m
    memory: 128Mi
  limits:
    cpu: 150m
    memory: 192Mi
"""


def _values(image: str, port: int, extra: str = "") -> str:
    return _COMMON_VALUES.format(image=image, port=port) + extra


_COMMON_SCHEMA: dict[str, Any] = {
    "replicaCount": {"type": "integer", "minimum": 0},
    "image": {
        "type": "object",
        "required": ["repository"],
        "properties": {"repository": {"type": "string"}, "tag": {"type": "string"}},
    },
    "service": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
            "port": {"type": "integer"},
        },
    },
}


def _schema(required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": required,
        "properties": {**_COMMON_SCHEMA, **properties},
    }


REPOS: dict[str, tuple[ChartSpec, ...]] = {
    "bitnami": (
        ChartSpec(
            name="nginx",
            description="NGINX Open Source is a web server that can be also used as a reverse "
            "proxy, load balancer, and HTTP cache.",
            home="https://github.com/bitnami/charts/tree/main/bitnami/nginx",
            icon="https://bitnami.com/assets/stacks/nginx/img/nginx-stack-220x234.png",
            maintainer=BITNAMI,
            image="docker.io/bitnami/nginx",
            port=80,
            values=_values("docker.io/bitnami/nginx", 80, 'serverBlock: ""\n'),
            versions=(
                ChartVersion("18.2.4", "1.27.2", "2025-05-02T10:14:21Z"),
                ChartVersion("18.1.15", "1.27.1", "2025-04-11T08:02:47Z"),
            ),
            keywords=("nginx", "http", "web", "www", "reverse proxy"),
        ),
        ChartSpec(
            name="redis",
            description="Redis(R) is an open source, advanced key-value store. It is often "
            "referred to as a data structure server.",
            home="https://github.com/bitnami/charts/tree/main/bitnami/redis",
            icon="https://bitnami.com/assets/stacks/redis/img/redis-stack-220x234.png",
            maintainer=BITNAMI,
            image="docker.io/bitnami/redis",
            port=6379,
            values=_values(
                "docker.io/bitnami/redis",
                6379,
                "## standalone or replication\narchitecture: replication\n"
                'auth:\n  enabled: true\n  password: ""\n  existingSecret: ""\n'
                "master:\n  persistence:\n    size: 8Gi\n",
            ),
            versions=(
                ChartVersion("20.1.3", "7.4.1", "2025-04-28T13:40:02Z"),
                ChartVersion("19.6.4", "7.2.5", "2025-02-19T09:21:55Z"),
            ),
            schema=_schema(
                ["architecture", "auth"],
                architecture={"type": "string", "enum": ["standalone", "replication"]},
                auth={
                    "type": "object",
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "password": {"type": "string"},
                        "existingSecret": {"type": "string"},
                    },
                },
            ),
            keywords=("redis", "keyvalue", "database"),
        ),
        ChartSpec(
            name="postgresql",
            description="PostgreSQL (Postgres) is an open source object-relational database "
            "known for reliability and data integrity.",
            home="https://github.com/bitnami/charts/tree/main/bitnami/postgresql",
            icon="https://bitnami.com/assets/stacks/postgresql/img/postgresql-stack-220x234.png",
            maintainer=BITNAMI,
            image="docker.io/bitnami/postgresql",
            port=5432,
            values=_values(
                "docker.io/bitnami/postgresql",
                5432,
                'auth:\n  postgresPassword: ""\n  database: ""\n'
                "primary:\n  persistence:\n    size: 8Gi\n",
            ),
            versions=(ChartVersion("16.0.1", "17.0.0", "2025-05-06T17:05:33Z"),),
            schema=_schema(
                ["auth"],
                auth={
                    "type": "object",
                    "properties": {
                        "postgresPassword": {"type": "string"},
                        "database": {"type": "string"},
                    },
                },
            ),
            keywords=("postgresql", "postgres", "database", "sql"),
        ),
    ),
    "labs": (
        ChartSpec(
            name="broken-app",
            description="A demo app whose default values do not meet its own values schema: "
            "install it with database.host set, or see the install fail.",
            home="https://example.com/kstui/broken-app",
            icon="",
            maintainer="kstui sandbox",
            image="ghcr.io/kstui/broken-app",
            port=8080,
            values=_values(
                "ghcr.io/kstui/broken-app",
                8080,
                "## Required: the database to connect to (database.host)\n"
                "database:\n  port: 5432\n  name: app\n",
            ),
            versions=(
                ChartVersion("0.3.1", "0.3.1", "2025-03-03T09:00:00Z"),
                ChartVersion("0.2.0", "0.2.0", "2025-01-20T09:00:00Z"),
            ),
            schema=_schema(
                ["database"],
                database={
                    "type": "object",
                    "required": ["host"],
                    "properties": {
                        "host": {"type": "string"},
                        "port": {"type": "integer"},
                        "name": {"type": "string"},
                    },
                },
            ),
            schema_from="0.3.1",
        ),
        ChartSpec(
            name="prometheus-node-exporter",
            description="A Helm chart for prometheus node-exporter",
            home="https://github.com/prometheus/node_exporter/",
            icon="https://raw.githubusercontent.com/prometheus/prometheus.github.io/master/"
            "assets/prometheus_logo-cb55bb5c346.png",
            maintainer="gianrubio",
            image="quay.io/prometheus/node-exporter",
            port=9100,
            values=_values("quay.io/prometheus/node-exporter", 9100),
            versions=(
                ChartVersion("4.40.0+kstui.1", "1.8.2", "2025-04-01T12:00:00Z"),
                ChartVersion("4.39.0", "1.8.2", "2025-03-01T12:00:00Z"),
            ),
            keywords=("node-exporter", "prometheus", "exporter"),
        ),
    ),
}


UPLOADED = ChartSpec(
    name="storefront",
    description="acme-retail's storefront, uploaded to the app store for review",
    home="https://example.com/acme/storefront",
    icon="",
    maintainer="acme-retail",
    image="ghcr.io/acme/storefront",
    port=8080,
    values=_values("ghcr.io/acme/storefront", 8080, "greeting: hello\n"),
    versions=(ChartVersion("0.1.0", "5.1.0", "2025-05-01T10:00:00Z"),),
)
"""An uploaded chart: KubeSphere keeps it in the ConfigMap named after its version in
`extension-openpitrix` (key `BinaryKey`), not in a repository."""


def readme(spec: ChartSpec, version: ChartVersion) -> str:
    port = spec.port
    return (
        f"# {spec.name}\n\n{spec.description}\n\n"
        f"## TL;DR\n\n```console\nhelm install my-release oci://example/{spec.name}\n```\n\n"
        f"## Parameters\n\n| Name | Description | Value |\n| --- | --- | --- |\n"
        f"| `replicaCount` | Number of replicas | `1` |\n"
        f"| `image.repository` | Image repository | `{spec.image}` |\n"
        f"| `image.tag` | Image tag | `{version.app_version}` |\n"
        f"| `service.port` | Service port | `{port}` |\n"
    )


def schema_text(spec: ChartSpec, version: ChartVersion) -> str | None:
    if spec.schema is None:
        return None
    if spec.schema_from and version.version != spec.schema_from:
        return None
    return json.dumps(spec.schema, indent=2, sort_keys=True) + "\n"
