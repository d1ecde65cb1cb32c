#!/usr/bin/env python3
"""Regenerate kstui/sandbox/data/openapi/builtin-schemas.json.gz from upstream OpenAPI v3 files.

The input is a Kubernetes release's `api/openapi-spec/v3/` directory (files named like
`apis__apps__v1_openapi.json`), or a copy of it laid out as `api/v1.json`,
`apis/apps/v1.json` (as kubernetes-sigs/kubectl-validate keeps them under
`pkg/openapiclient/builtins/<minor>/`). For each group/version the sandbox serves (or will
serve), it keeps the names in that document's `components.schemas`, and one shared pool of the
schemas themselves (a name means the same schema in every document of a release). Paths are
dropped: the sandbox writes its own.

    python3 tools/openapi-schemas.py --release 1.35 SPEC_DIR
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "kstui/sandbox/data/openapi/builtin-schemas.json.gz"

# The stable group/versions of the groups a sandbox serves or is to serve.
GROUP_VERSIONS = [
    "api/v1",
    "apis/admissionregistration.k8s.io/v1",
    "apis/apiextensions.k8s.io/v1",
    "apis/apiregistration.k8s.io/v1",
    "apis/apps/v1",
    "apis/authentication.k8s.io/v1",
    "apis/authorization.k8s.io/v1",
    "apis/autoscaling/v1",
    "apis/autoscaling/v2",
    "apis/batch/v1",
    "apis/certificates.k8s.io/v1",
    "apis/coordination.k8s.io/v1",
    "apis/discovery.k8s.io/v1",
    "apis/events.k8s.io/v1",
    "apis/flowcontrol.apiserver.k8s.io/v1",
    "apis/networking.k8s.io/v1",
    "apis/node.k8s.io/v1",
    "apis/policy/v1",
    "apis/rbac.authorization.k8s.io/v1",
    "apis/scheduling.k8s.io/v1",
    "apis/storage.k8s.io/v1",
]


def _source_file(spec_dir: Path, group_version: str) -> Path:
    upstream = spec_dir / (group_version.replace("/", "__") + "_openapi.json")
    return upstream if upstream.exists() else spec_dir / f"{group_version}.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec_dir", type=Path, help="a release's api/openapi-spec/v3 directory")
    parser.add_argument("--release", required=True, help="the release it is from, e.g. 1.35")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    pool: dict[str, object] = {}
    group_versions: dict[str, list[str]] = {}
    for group_version in GROUP_VERSIONS:
        source = _source_file(args.spec_dir, group_version)
        if not source.exists():
            print(f"missing {source}", file=sys.stderr)
            return 1
        schemas = json.loads(source.read_text())["components"]["schemas"]
        for name, schema in schemas.items():
            if pool.setdefault(name, schema) != schema:
                print(f"{name} differs between documents", file=sys.stderr)
                return 1
        group_versions[group_version] = sorted(schemas)
    data = {
        "source": f"kubernetes/kubernetes release-{args.release}: api/openapi-spec/v3",
        "release": args.release,
        "groupVersions": group_versions,
        "schemas": dict(sorted(pool.items())),
    }
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name: the same input gives the same bytes.
    with (
        args.out.open("wb") as out,
        gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="", compresslevel=9) as packed,
    ):
        packed.write(raw)
    print(
        f"{args.out}: {len(pool)} schemas, {len(group_versions)} group/versions, "
        f"{len(raw)} bytes, {args.out.stat().st_size} compressed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
