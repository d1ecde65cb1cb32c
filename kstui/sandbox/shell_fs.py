"""What is inside a sandbox container: its image's kind (base OS, shells, app), an in-memory
filesystem seeded from that kind and from the pod (mounted ConfigMaps and Secrets), and its env."""

from __future__ import annotations

import base64
import posixpath
from dataclasses import dataclass, field
from typing import Any

_OS_RELEASE = {
    "alpine": (
        'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n'
        'HOME_URL="https://alpinelinux.org/"\n'
        'BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n'
    ),
    "debian": (
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
        'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'
        'HOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\n'
        'BUG_REPORT_URL="https://bugs.debian.org/"\n'
    ),
    "ubuntu": (
        'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\n'
        'VERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\n'
        'ID_LIKE=debian\nHOME_URL="https://www.ubuntu.com/"\n'
    ),
}
# Programs the shell emulates; an image has those of its flavour (busybox or GNU).
PROGRAMS = (
    "cat", "cd", "df", "echo", "env", "exit", "false", "hostname", "id", "ls", "mkdir", "ps",
    "pwd", "rm", "sleep", "stty", "tail", "tar", "test", "[", "touch", "true",
)  # fmt: skip
_APP_VERSIONS = {"nginx": "NGINX_VERSION", "redis": "REDIS_VERSION", "postgres": "PG_VERSION"}


@dataclass(frozen=True, slots=True)
class Image:
    """The kind of an image, guessed from its name as an operator would."""

    name: str
    os: str  # alpine, busybox, debian, ubuntu, distroless
    shells: tuple[str, ...]
    app: str  # nginx, httpd, redis, postgres, or "" for an application image

    @property
    def busybox(self) -> bool:
        return self.os in ("alpine", "busybox")

    @property
    def base(self) -> bool:
        """A bare OS image (alpine, busybox, debian, ubuntu): no application inside."""
        repo = self.name.lower().rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
        return repo in ("alpine", "busybox", "debian", "ubuntu")

    @property
    def tag(self) -> str:
        last = self.name.rsplit("/", 1)[-1]
        return last.split(":", 1)[1].split("@")[0] if ":" in last else "latest"

    def has(self, program: str) -> bool:
        base = posixpath.basename(program)
        if self.os == "distroless":
            return False
        return base in self.shells or base in PROGRAMS


def image_of(name: str) -> Image:
    lowered = name.lower()
    repo = lowered.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    app = next((a for a in ("nginx", "httpd", "redis", "postgres") if a in repo), "")
    if "distroless" in lowered:
        return Image(name, "distroless", (), app)
    if repo == "busybox":
        return Image(name, "busybox", ("sh", "ash"), app)
    if repo == "alpine" or "alpine" in lowered:
        return Image(name, "alpine", ("sh", "ash"), app)
    if repo == "ubuntu":
        return Image(name, "ubuntu", ("sh", "bash", "dash"), app)
    return Image(name, "debian", ("sh", "bash", "dash"), app)


@dataclass(slots=True)
class FileSystem:
    """Paths to bytes, and the directories; everything owned by root."""

    files: dict[str, bytes] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=lambda: {"/"})
    mounts: list[tuple[str, str]] = field(default_factory=list)
    """(source, mount point) of each volume, for df."""

    def mkdir(self, path: str) -> None:
        while path not in self.dirs:
            self.dirs.add(path)
            path = posixpath.dirname(path)

    def write(self, path: str, data: bytes) -> None:
        self.mkdir(posixpath.dirname(path))
        self.files[path] = data

    def is_dir(self, path: str) -> bool:
        return path in self.dirs

    def exists(self, path: str) -> bool:
        return path in self.dirs or path in self.files

    def children(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {
            entry[len(prefix) :].split("/", 1)[0]
            for entry in (*self.dirs, *self.files)
            if entry.startswith(prefix) and entry != prefix
        }
        return sorted(names)

    def remove(self, path: str) -> None:
        prefix = path.rstrip("/") + "/"
        self.files = {p: d for p, d in self.files.items() if p != path and not p.startswith(prefix)}
        self.dirs = {p for p in self.dirs if p != path and not p.startswith(prefix)} | {"/"}


_BASE_DIRS = (
    "/bin", "/dev", "/etc", "/home", "/lib", "/proc", "/root", "/run", "/sbin", "/srv", "/sys",
    "/tmp", "/usr/bin", "/usr/local/bin", "/usr/lib", "/var/log", "/var/tmp",
)  # fmt: skip


def _app_files(image: Image, container: dict[str, Any]) -> dict[str, str]:
    ports = [p.get("containerPort") for p in container.get("ports") or []]
    port = ports[0] if ports else 8080
    if image.app == "nginx":
        return {
            "/etc/nginx/nginx.conf": "user  nginx;\nworker_processes  auto;\n\nevents {\n"
            "    worker_connections  1024;\n}\n\nhttp {\n"
            "    include /etc/nginx/conf.d/*.conf;\n}\n",
            "/etc/nginx/conf.d/default.conf": "server {\n    listen       80;\n"
            "    location / {\n        root   /usr/share/nginx/html;\n"
            "        index  index.html;\n    }\n}\n",
            "/usr/share/nginx/html/index.html": "<!DOCTYPE html>\n<html>\n<head>\n"
            "<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n"
            "</body>\n</html>\n",
        }
    if image.app == "httpd":
        page = "<html><body><h1>It works!</h1></body></html>\n"
        return {"/usr/local/apache2/htdocs/index.html": page}
    if image.app == "redis":
        return {"/data/.keep": "", "/usr/local/etc/redis/redis.conf": "port 6379\nappendonly no\n"}
    if image.app == "postgres":
        return {"/var/lib/postgresql/data/PG_VERSION": "16\n"}
    if image.base:
        return {}
    return {
        "/app/config.yaml": f"# {image.name}\nserver:\n  port: {port}\n"
        "  metricsPath: /metrics\nlog:\n  level: info\n  format: json\n"
    }


def _volume_files(
    volume: dict[str, Any], namespace: str, lookup: Any
) -> tuple[str, dict[str, bytes]] | None:
    """A ConfigMap or Secret volume's source and its files (key → content)."""
    if "configMap" in volume:
        source = volume["configMap"]
        obj = lookup(("", "configmaps"), namespace, source.get("name", ""))
        data = {k: v.encode() for k, v in ((obj or {}).get("data") or {}).items()}
        data |= {k: base64.b64decode(v) for k, v in ((obj or {}).get("binaryData") or {}).items()}
    elif "secret" in volume:
        source = volume["secret"]
        obj = lookup(("", "secrets"), namespace, source.get("secretName", ""))
        data = {k: base64.b64decode(v) for k, v in ((obj or {}).get("data") or {}).items()}
    else:
        return None
    items = source.get("items")
    if items:
        data = {item["path"]: data[item["key"]] for item in items if item.get("key") in data}
    return ("tmpfs", data)


def build_filesystem(
    pod: dict[str, Any], container: dict[str, Any], image: Image, lookup: Any
) -> FileSystem:
    fs = FileSystem()
    meta = pod["metadata"]
    for path in _BASE_DIRS:
        fs.mkdir(path)
    if image.os in _OS_RELEASE:
        fs.write("/etc/os-release", _OS_RELEASE[image.os].encode())
    fs.write("/etc/hostname", (hostname_of(pod) + "\n").encode())
    fs.write(
        "/etc/passwd",
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    )
    ns = meta["namespace"]
    fs.write(
        "/etc/resolv.conf",
        f"search {ns}.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\noptions ndots:5\n".encode(),
    )
    ip = (pod.get("status") or {}).get("podIP", "")
    fs.write("/etc/hosts", f"127.0.0.1\tlocalhost\n{ip}\t{hostname_of(pod)}\n".encode())
    fs.write("/var/run/secrets/kubernetes.io/serviceaccount/namespace", ns.encode())
    for path, text in _app_files(image, container).items():
        if path.endswith("/.keep"):
            fs.mkdir(posixpath.dirname(path))
        else:
            fs.write(path, text.encode())
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for mount in container.get("volumeMounts") or []:
        point = posixpath.normpath(mount.get("mountPath") or "/")
        volume = volumes.get(mount.get("name"), {})
        found = _volume_files(volume, ns, lookup)
        fs.mkdir(point)
        if found is None:
            fs.mounts.append(("/dev/sda1", point))
            continue
        fs.mounts.append((found[0], point))
        for key, data in found[1].items():
            target = posixpath.join(point, key)
            if mount.get("subPath"):
                if key == mount["subPath"]:
                    fs.dirs.discard(point)
                    fs.write(point, data)
                continue
            fs.write(target, data)
    return fs


def hostname_of(pod: dict[str, Any]) -> str:
    return (pod.get("spec") or {}).get("hostname") or pod["metadata"]["name"]


def environment(
    pod: dict[str, Any], container: dict[str, Any], image: Image, lookup: Any
) -> dict[str, str]:
    """The process environment: the image's, Kubernetes' service variables, the container's."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME": hostname_of(pod),
    }
    if image.app in _APP_VERSIONS:
        env[_APP_VERSIONS[image.app]] = image.tag.split("-")[0]
    env |= {
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443",
        "KUBERNETES_PORT": "tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
        "KUBERNETES_PORT_443_TCP_PORT": "443",
        "KUBERNETES_PORT_443_TCP_ADDR": "10.96.0.1",
    }
    ns = pod["metadata"]["namespace"]
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            obj = lookup(("", "configmaps"), ns, source["configMapRef"].get("name", ""))
            env |= {prefix + k: v for k, v in ((obj or {}).get("data") or {}).items()}
        elif "secretRef" in source:
            obj = lookup(("", "secrets"), ns, source["secretRef"].get("name", ""))
            env |= {
                prefix + k: base64.b64decode(v).decode(errors="replace")
                for k, v in ((obj or {}).get("data") or {}).items()
            }
    for var in container.get("env") or []:
        value = _env_value(pod, var, lookup)
        if value is not None:
            env[var["name"]] = value
    env["HOME"] = env.get("HOME", "/root")
    return env


def _env_value(pod: dict[str, Any], var: dict[str, Any], lookup: Any) -> str | None:
    if "valueFrom" not in var:
        return str(var.get("value", ""))
    source = var["valueFrom"]
    ns = pod["metadata"]["namespace"]
    if "fieldRef" in source:
        path = source["fieldRef"].get("fieldPath", "")
        fields = {
            "metadata.name": pod["metadata"]["name"],
            "metadata.namespace": ns,
            "metadata.uid": pod["metadata"].get("uid", ""),
            "spec.nodeName": (pod.get("spec") or {}).get("nodeName", ""),
            "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", ""),
            "status.podIP": (pod.get("status") or {}).get("podIP", ""),
            "status.hostIP": (pod.get("status") or {}).get("hostIP", ""),
        }
        return fields.get(path, "")
    if "configMapKeyRef" in source:
        ref = source["configMapKeyRef"]
        obj = lookup(("", "configmaps"), ns, ref.get("name", ""))
        return ((obj or {}).get("data") or {}).get(ref.get("key", ""))
    if "secretKeyRef" in source:
        ref = source["secretKeyRef"]
        obj = lookup(("", "secrets"), ns, ref.get("name", ""))
        raw = ((obj or {}).get("data") or {}).get(ref.get("key", ""))
        return None if raw is None else base64.b64decode(raw).decode(errors="replace")
    return None
