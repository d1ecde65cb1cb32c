"""Kubeconfig files read and merged as kubectl does. Pure (pyyaml only), so listing contexts
never pays for the `kubernetes` import; the credentials of a context are in credentials.py."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from kstui.backends.errors import KubeconfigError
from kstui.backends.kubeconfig_text import NOT_SIMPLE, simple_load

DEMO_HINT = (
    "point KUBECONFIG at a kubeconfig file (or pass --kubeconfig), "
    "or try `kstui demo` for a sandbox cluster"
)
_SECTIONS = (("clusters", "cluster"), ("users", "user"), ("contexts", "context"))


class ContextInfo(NamedTuple):
    """A context as listed: its names, default namespace, server and the file defining it."""

    name: str
    cluster: str
    user: str
    namespace: str = "default"
    server: str = ""
    """The cluster's server, "" when the cluster entry is missing or has none."""
    source: Path = Path()


class Entry(NamedTuple):
    """A cluster or user entry and the file it came from: relative paths resolve against it."""

    name: str
    body: dict[str, Any]
    source: Path


class KubeConfig(NamedTuple):
    files: tuple[Path, ...]
    current_context: str | None
    contexts: dict[str, ContextInfo]
    clusters: dict[str, Entry]
    users: dict[str, Entry]
    raw: dict[str, Any]
    """The merged document, entries as written in their files."""

    def context(self, name: str | None = None) -> ContextInfo:
        """The named context (None: the current one), checked usable: known, its cluster and
        user defined, the cluster with a server."""
        wanted = name or self.current_context
        files = ", ".join(map(str, self.files))
        if not wanted:
            raise KubeconfigError(
                "no current context",
                f"{files} set no current-context",
                f"pick one with --context ({', '.join(self.contexts)}) or run "
                "`kubectl config use-context NAME`",
            )
        info = self.contexts.get(wanted)
        if info is None:
            known = _closest_first(wanted, list(self.contexts))
            raise KubeconfigError(
                f'context "{wanted}" is not in the kubeconfig',
                f"known contexts: {', '.join(known)} (from {files})",
                f'did you mean "{known[0]}"? `kubectl config get-contexts` lists them',
            )
        where = f'context "{wanted}" (defined in {info.source})'
        for kind, ref, entries in (
            ("cluster", info.cluster, self.clusters),
            ("user", info.user, self.users),
        ):
            if kind == "cluster" and not ref:
                raise KubeconfigError(
                    f"{where} names no cluster",
                    "contexts[].context.cluster is empty",
                    f"set the context's cluster in {info.source}",
                )
            if ref and ref not in entries:
                raise KubeconfigError(
                    f'{where} refers to {kind} "{ref}", which no kubeconfig file defines',
                    f"{kind}s defined: {', '.join(entries) or 'none'} (in {files})",
                    f"add a {kind} entry named {ref!r} or fix the context in {info.source}",
                )
        if not info.server:
            cluster = self.clusters[info.cluster]
            raise KubeconfigError(
                f'cluster "{info.cluster}" has no server ({where})',
                f"clusters[].cluster.server is missing in {cluster.source}",
                f"`kubectl config set-cluster {info.cluster} --server=https://HOST:6443`",
            )
        return info

    def exec_waiting(self, name: str | None = None) -> str:
        """What opening the context waits for when its user's credentials come from an exec
        plugin (which may take long, or hang on a login): "" when nothing runs."""
        info = self.contexts.get(name or self.current_context or "")
        user = self.users.get(info.user) if info is not None and info.user else None
        if user is None or not info or not info.server.lower().startswith("https://"):
            return ""  # over plain http no credential is loaded, so no plugin runs
        spec = user.body.get("exec")
        if (
            not isinstance(spec, dict)
            or not spec.get("command")
            or any(user.body.get(k) for k in ("token", "tokenFile", "auth-provider"))
        ):
            return ""
        return f'waiting for exec plugin {spec["command"]} (user "{info.user}")…'


def load_kubeconfig(
    explicit: str | None = None, env: Mapping[str, str] | None = None
) -> KubeConfig:
    """Read and merge kubeconfig files as kubectl does: --kubeconfig alone; else every file in
    KUBECONFIG that exists (the first defining a name wins, and the first setting
    current-context); else ~/.kube/config."""
    files = _kubeconfig_files(explicit, os.environ if env is None else env)
    merged: dict[str, dict[str, Entry]] = {section: {} for section, _ in _SECTIONS}
    current: str | None = None
    for path in files:
        document = _read(path)
        for section, inner in _SECTIONS:
            _merge(path, section, inner, document.get(section), merged[section])
        if not current and isinstance(document.get("current-context"), str):
            current = document["current-context"] or None
    clusters, users = merged["clusters"], merged["users"]
    contexts: dict[str, ContextInfo] = {}
    for name, entry in merged["contexts"].items():
        cluster_name, user_name = (
            str(entry.body.get("cluster") or ""),
            str(entry.body.get("user") or ""),
        )
        cluster = clusters.get(cluster_name)
        contexts[name] = ContextInfo(
            name,
            cluster_name,
            user_name,
            str(entry.body.get("namespace") or "default"),
            str(cluster.body.get("server") or "") if cluster else "",
            entry.source,
        )
    if not contexts:
        raise KubeconfigError(
            f"no contexts in {', '.join(map(str, files))}",
            "a kubeconfig needs a context joining a cluster and a user",
            f"add one with `kubectl config set-context NAME --cluster=C --user=U`, or {DEMO_HINT}",
        )
    raw: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "current-context": current or ""}
    for section, inner in _SECTIONS:
        raw[section] = [{"name": e.name, inner: e.body} for e in merged[section].values()]
    return KubeConfig(tuple(files), current, contexts, clusters, users, raw)


def _kubeconfig_files(explicit: str | None, env: Mapping[str, str]) -> list[Path]:
    if explicit:
        path = Path(os.path.abspath(explicit))
        if not path.exists():
            raise KubeconfigError(
                f"kubeconfig {path} does not exist",
                "--kubeconfig names a file that is not there",
                "check the path, or leave --kubeconfig out to use KUBECONFIG or ~/.kube/config",
            )
        return [path]
    listed = list(dict.fromkeys(p for p in env.get("KUBECONFIG", "").split(os.pathsep) if p))
    if listed:
        found = [Path(os.path.abspath(p)) for p in listed if os.path.exists(p)]
        if not found:  # kubectl skips missing files; with none left there is nothing to use
            raise KubeconfigError(
                "none of the files in KUBECONFIG exist",
                f"KUBECONFIG={os.pathsep.join(listed)}",
                DEMO_HINT,
            )
        return found
    home = env.get("HOME") or os.path.expanduser("~")
    default = Path(home) / ".kube" / "config"
    if not default.exists():
        raise KubeconfigError(
            "no kubeconfig found", f"KUBECONFIG is not set and {default} does not exist", DEMO_HINT
        )
    return [default]


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KubeconfigError(
            f"cannot read kubeconfig {path}",
            str(exc),
            "check the file's permissions and that it is a text file",
        ) from exc
    document = simple_load(text)  # the usual kubeconfig, without importing yaml (issue 18)
    if document is NOT_SIMPLE:
        document = _yaml_load(path, text)
    if document is None:
        return {}  # an empty file is an empty config, as for kubectl
    if not isinstance(document, dict):
        raise KubeconfigError(
            f"kubeconfig {path} is not a kubeconfig",
            f"expected a mapping at the top, found {type(document).__name__}",
            "a kubeconfig has clusters, users, contexts and current-context",
        )
    return document


def _yaml_load(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise KubeconfigError(
            f"kubeconfig {path} is not valid YAML{at}",
            " ".join(str(exc).replace('"<unicode string>"', path.name).split()),
            f"fix {path}{at}; `kubectl config view` shows what kubectl makes of it",
        ) from exc


def _merge(path: Path, section: str, inner: str, items: Any, into: dict[str, Entry]) -> None:
    def bad(what: str) -> KubeconfigError:
        return KubeconfigError(
            f"kubeconfig {path}: {what}",
            f"in the {section} list",
            f"fix {path}: each {inner} entry is `- name: N` with `{inner}:`",
        )

    if items is None:
        return
    if not isinstance(items, list):
        raise bad(f"{section} should be a list, found {type(items).__name__}")
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            raise bad(f"{section}[{index}] has no name")
        body = item.get(inner) or {}
        if not isinstance(body, dict):
            raise bad(f'{section} entry "{name}": {inner} should be a mapping')
        into.setdefault(name, Entry(name, body, path))


def _closest_first(wanted: str, names: list[str]) -> list[str]:
    import difflib

    return sorted(names, key=lambda n: -difflib.SequenceMatcher(None, wanted, n).ratio())
