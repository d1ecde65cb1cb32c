"""Write kstui/sandbox/data/proto_fields.json: the protobuf field table of the built-in kinds.

The facts come from upstream: each package's `generated.proto` (message and field names, field
numbers, wire types) and its Go types (`types.go` and siblings: the JSON names and `omitempty`,
`,inline` embedding and pointer fields), so that a decoded message becomes exactly the JSON that
Go's encoding/json would write for it.

    python3 tools/gen_proto_fields.py \\
        --repo kubernetes/api=/path/to/api.git@v0.36.3 \\
        --repo kubernetes/apimachinery=/path/to/apimachinery.git@v0.36.3 \\
        --repo kubernetes/kube-aggregator=/path/to/kube-aggregator.git@v0.36.2 \\
        --repo kubernetes/apiextensions-apiserver=/path/to/apiextensions-apiserver.git@v0.36.3

Each path is a git directory (bare or not); the files are read at the given ref.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "kstui" / "sandbox" / "data" / "proto_fields.json"

# repo → package directories (each holds one generated.proto)
PACKAGES: dict[str, tuple[str, ...]] = {
    "kubernetes/apimachinery": (
        "pkg/apis/meta/v1",
        "pkg/runtime",
        "pkg/runtime/schema",
        "pkg/api/resource",
        "pkg/util/intstr",
    ),
    "kubernetes/api": (
        "core/v1",
        "apps/v1",
        "batch/v1",
        "rbac/v1",
        "authorization/v1",
        "authentication/v1",
        "coordination/v1",
        "events/v1",
        "policy/v1",
        "networking/v1",
        "storage/v1",
        "autoscaling/v1",
        "autoscaling/v2",
        "scheduling/v1",
        "discovery/v1",
        "node/v1",
        "certificates/v1",
        "admissionregistration/v1",
        "flowcontrol/v1",
    ),
    "kubernetes/kube-aggregator": ("pkg/apis/apiregistration/v1",),
    "kubernetes/apiextensions-apiserver": ("pkg/apis/apiextensions/v1",),
}

_PREFIXES = (  # proto package → the table's short package name
    ("k8s.io.apimachinery.pkg.apis.", ""),
    ("k8s.io.apimachinery.pkg.api.", ""),
    ("k8s.io.apimachinery.pkg.util.", ""),
    ("k8s.io.apimachinery.pkg.", ""),
    ("k8s.io.api.", ""),
    ("k8s.io.kube_aggregator.pkg.apis.", ""),
    ("k8s.io.apiextensions_apiserver.pkg.apis.", ""),
)
SCALARS = {
    "string",
    "bool",
    "int32",
    "int64",
    "uint32",
    "uint64",
    "sint32",
    "sint64",
    "double",
    "float",
    "bytes",
    "fixed32",
    "fixed64",
    "sfixed32",
    "sfixed64",
}


def short_package(package: str) -> str:
    for prefix, replacement in _PREFIXES:
        if package.startswith(prefix):
            return (replacement + package[len(prefix) :]).replace(".", "/")
    raise SystemExit(f"unknown proto package {package}")


@dataclass
class GoField:
    json: str
    omitempty: bool
    omitzero: bool
    inline: bool
    pointer: bool


@dataclass
class GoTypes:
    structs: dict[str, dict[int, GoField]] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)  # structs that embed TypeMeta
    slices: set[str] = field(default_factory=set)  # `type X []Y`: JSON is the bare array


class Source:
    def __init__(self, spec: str) -> None:
        self.repo, rest = spec.split("=", 1)
        self.gitdir, self.ref = rest.rsplit("@", 1)
        self.commit = self._git("rev-parse", f"{self.ref}^{{commit}}").strip()

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", self._dotgit(), *args], check=True, capture_output=True, text=True
        ).stdout

    def _dotgit(self) -> str:
        path = Path(self.gitdir)
        return str(path / ".git") if (path / ".git").exists() else str(path)

    def read(self, path: str) -> str:
        return self._git("show", f"{self.commit}:{path}")

    def listdir(self, path: str) -> list[str]:
        return self._git("ls-tree", "--name-only", f"{self.commit}:{path}").split()


_FIELD = re.compile(r"^\s*(optional|repeated)\s+(\S+)\s+(\w+)\s*=\s*(\d+)")
_MAP = re.compile(r"^\s*map<\s*(\S+)\s*,\s*(\S+)\s*>\s+(\w+)\s*=\s*(\d+)")


def parse_proto(text: str) -> tuple[str, dict[str, list[tuple[int, str, str, str]]]]:
    """(package, message → [(number, proto name, type, label)]); label: opt, rep or map."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    package = re.search(r"^package\s+([\w.]+);", text, re.M).group(1)  # type: ignore[union-attr]
    messages: dict[str, list[tuple[int, str, str, str]]] = {}
    current: list[tuple[int, str, str, str]] | None = None
    for line in text.splitlines():
        line = line.split("//", 1)[0]
        if m := re.match(r"^message\s+(\w+)\s*{", line):
            current = messages.setdefault(m.group(1), [])
        elif line.startswith("}"):
            current = None
        elif current is not None and (m := _MAP.match(line)):
            current.append((int(m.group(4)), m.group(3), f"{m.group(1)},{m.group(2)}", "map"))
        elif current is not None and (m := _FIELD.match(line)):
            label = "rep" if m.group(1) == "repeated" else "opt"
            current.append((int(m.group(4)), m.group(3), m.group(2), label))
    return package, messages


_TAG = re.compile(r'(\w+):"([^"]*)"')


def parse_go(files: list[str]) -> GoTypes:
    types = GoTypes()
    for text in files:
        for m in re.finditer(r"^type (\w+) \[\]", text, re.M):
            types.slices.add(m.group(1))
        for m in re.finditer(r"^type (\w+) struct {\n(.*?)^}", text, re.M | re.S):
            name, body = m.group(1), m.group(2)
            fields: dict[int, GoField] = {}
            for line in body.splitlines():
                if line.strip().startswith("//"):
                    continue
                if "`" not in line:
                    if line.strip() in ("metav1.TypeMeta", "TypeMeta"):
                        types.kinds.add(name)
                    continue
                head, tag = line.split("`")[0].split(), dict(_TAG.findall(line.split("`")[1]))
                if head and head[-1] in ("metav1.TypeMeta", "TypeMeta") and len(head) == 1:
                    types.kinds.add(name)
                proto = tag.get("protobuf")
                if not proto or proto == "-" or not head:
                    continue
                number = int(proto.split(",")[1])
                json_tag = tag.get("json", "").split(",")
                go_type = head[-1]
                json_name = json_tag[0] or (head[0] if len(head) == 2 else "")
                if json_name == "-":
                    continue
                fields[number] = GoField(
                    json=json_name,
                    omitempty="omitempty" in json_tag[1:],
                    omitzero="omitzero" in json_tag[1:],
                    inline="inline" in json_tag[1:],
                    pointer=go_type.startswith("*"),
                )
            types.structs[name] = fields
    return types


def type_ref(proto_type: str, package: str) -> str:
    if proto_type in SCALARS:
        return proto_type
    if proto_type.startswith("."):
        full = proto_type[1:]
        pkg, _, name = full.rpartition(".")
        return f"{short_package(pkg)}.{name}"
    return f"{short_package(package)}.{proto_type}"


def build(sources: dict[str, Source]) -> dict[str, object]:
    messages: dict[str, list[list[object]]] = {}
    kinds: dict[str, str] = {}
    slices: list[str] = []
    origin = []
    for repo, dirs in PACKAGES.items():
        source = sources[repo]
        origin.append(
            {
                "repo": f"github.com/{repo}",
                "ref": source.ref,
                "commit": source.commit,
                "paths": [f"{d}/generated.proto" for d in dirs],
            }
        )
        for directory in dirs:
            package, parsed = parse_proto(source.read(f"{directory}/generated.proto"))
            short = short_package(package)
            go_files = [
                source.read(f"{directory}/{name}")
                for name in source.listdir(directory)
                if name.endswith(".go")
                and not name.endswith("_test.go")
                and not name.startswith(("zz_generated", "generated."))
                and "swagger" not in name
            ]
            go = parse_go(go_files)
            group = ""
            for text in go_files:
                if m := re.search(r'^const GroupName = "([^"]*)"', text, re.M):
                    group = m.group(1)
            version = directory.rsplit("/", 1)[1]
            for name, fields in parsed.items():
                ref = f"{short}.{name}"
                if name in go.slices:
                    slices.append(ref)
                go_fields = go.structs.get(name, {})
                rows = []
                for number, proto_name, proto_type, label in fields:
                    info = go_fields.get(number)
                    if info is None and go_fields:
                        continue  # not in the Go struct (e.g. json:"-"): not in the JSON
                    flags = ""
                    if label == "rep":
                        flags += "r"
                    if info is None or info.omitempty:
                        flags += "o"
                    if info is not None and info.omitzero:
                        flags += "z"
                    if info is not None and info.pointer:
                        flags += "p"
                    if info is not None and info.inline:
                        flags += "i"
                    if label == "map":
                        key, value = proto_type.split(",")
                        type_ = f"map:{type_ref(key, package)}:{type_ref(value, package)}"
                    else:
                        type_ = type_ref(proto_type, package)
                    json_name = info.json if info is not None and info.json else proto_name
                    rows.append([number, json_name, type_, flags])
                messages[ref] = rows
                if name in go.kinds and short != "runtime":
                    api_version = f"{group}/{version}" if group else version
                    kinds[f"{api_version}/{name}"] = ref
    return {
        "_about": "Protobuf field table of the built-in kinds, written by "
        "tools/gen_proto_fields.py from the upstream generated.proto files and Go "
        "types listed in _source. Rows: [number, JSON name, type, flags]; flags: "
        "r repeated, o omitempty, z omitzero, p pointer, i inline. Do not edit by hand.",
        "_source": origin,
        "kinds": dict(sorted(kinds.items())),
        "slices": sorted(slices),
        "messages": dict(sorted(messages.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repo",
        action="append",
        required=True,
        help="owner/name=GITDIR@REF, once per upstream repository",
    )
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    sources = {s.repo: s for s in (Source(spec) for spec in args.repo)}
    missing = set(PACKAGES) - set(sources)
    if missing:
        parser.error(f"--repo missing for {', '.join(sorted(missing))}")
    table = build(sources)
    text = json.dumps(table, separators=(",", ":"))
    # one message per line: reviewable diffs, still compact
    text = text.replace(',"messages":{', ',\n"messages":{\n').replace('],"', '],\n"')
    Path(args.out).write_text(text + "\n")
    sys.stderr.write(
        f"{args.out}: {len(table['messages'])} messages, "  # type: ignore[arg-type]
        f"{len(table['kinds'])} kinds\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
