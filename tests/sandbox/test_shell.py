"""The emulated container shell on its own: programs, the filesystem it is seeded with, tar."""

from __future__ import annotations

import io
import tarfile

from kstui.sandbox.shell import Box, Shell
from kstui.sandbox.shell_fs import build_filesystem, environment, image_of

POD = {
    "metadata": {"name": "web-1", "namespace": "shop", "uid": "u1"},
    "spec": {
        "containers": [],
        "volumes": [
            {
                "name": "cfg",
                "configMap": {"name": "site", "items": [{"key": "a", "path": "conf/a.txt"}]},
            }
        ],
    },
    "status": {"podIP": "10.0.0.7"},
}
CONTAINER = {
    "name": "web",
    "image": "nginx:1.27.3-alpine",
    "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
    "volumeMounts": [{"name": "cfg", "mountPath": "/etc/site"}],
}


def lookup(kind: tuple[str, str], namespace: str, name: str) -> dict | None:
    if kind == ("", "configmaps") and (namespace, name) == ("shop", "site"):
        return {"data": {"a": "alpha\n", "b": "beta\n"}}
    return None


def shell(name: str = "sh") -> Shell:
    image = image_of(CONTAINER["image"])
    box = Box(
        image,
        build_filesystem(POD, CONTAINER, image, lookup),
        environment(POD, CONTAINER, image, lookup),
        "web-1",
        "nginx: master process nginx -g daemon off;",
    )
    return Shell(box, name)


def test_image_kinds() -> None:
    assert image_of("nginx:1.27.3").shells == ("sh", "bash", "dash")
    assert image_of("nginx:1.27.3-alpine").shells == ("sh", "ash")
    assert image_of("busybox").os == "busybox"
    assert image_of("gcr.io/distroless/base").has("sh") is False
    assert image_of("redis:7.2.5").app == "redis"


def test_seeded_files_env_and_items() -> None:
    sh = shell()
    assert sh.run("cat /etc/site/conf/a.txt")[0] == b"alpha\n"
    assert sh.run("ls /etc/site/conf")[0] == b"a.txt\n"  # items: only the keys asked for
    assert sh.run("echo $POD $NGINX_VERSION")[0] == b"web-1 1.27.3\n"
    assert sh.run("cat /etc/hostname")[0] == b"web-1\n"
    assert b"ID=alpine" in sh.run("cat /etc/os-release")[0]


def test_language_pipes_redirects_and_errors() -> None:
    sh = shell()
    assert sh.run("echo hi > /tmp/x; cat /tmp/x | cat")[0] == b"hi\n"
    assert sh.run("test -d /tmp && echo dir || echo no")[0] == b"dir\n"
    assert sh.run("cd /nope") == (b"", b"sh: cd: can't cd to /nope: No such file or directory\n", 2)
    assert sh.run("cat /nope") == (b"", b"cat: can't open '/nope': No such file or directory\n", 1)
    assert sh.run("vim") == (b"", b"sh: vim: not found\n", 127)
    assert sh.run("echo '$HOME' \"$HOME\"")[0] == b"$HOME /root\n"
    assert sh.run("exit 7; echo never") == (b"", b"", 7)
    assert sh.execute(["sh", "-c", "cat > /tmp/in; cat /tmp/in"], b"fed\n")[0] == b"fed\n"


def test_ps_lists_pid_1_and_the_shell() -> None:
    sh = shell()
    sh.box.spawn("sh")
    out = sh.run("ps")[0].decode().splitlines()
    assert out[0] == "PID   USER     TIME  COMMAND"
    assert out[1].split()[0] == "1"
    assert out[1].endswith("nginx: master process nginx -g daemon off;")


def _archive(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_tar_round_trip_and_traversal_refused() -> None:
    sh = shell()
    archive = _archive(("ok.txt", b"fine\n"), ("../../etc/evil", b"x"), ("/abs/../../up", b"y"))
    _, err, code = sh.execute(["tar", "-xmf", "-", "-C", "/tmp"], archive)
    assert sh.box.fs.files["/tmp/ok.txt"] == b"fine\n"
    assert "/etc/evil" not in sh.box.fs.files
    assert not [p for p in sh.box.fs.files if p.endswith(("/evil", "/up"))]
    assert code == 2
    assert b"../../etc/evil: Member name contains '..'" in err
    packed, err, code = sh.execute(["tar", "cf", "-", "/tmp/ok.txt"])
    assert code == 0
    assert err == b"tar: removing leading '/' from member names\n"
    with tarfile.open(fileobj=io.BytesIO(packed)) as tar:
        assert tar.getnames() == ["tmp/ok.txt"]
        assert tar.extractfile("tmp/ok.txt").read() == b"fine\n"  # type: ignore[union-attr]
    missing = sh.execute(["tar", "cf", "-", "/nope"])
    assert missing[2] == 2
    assert missing[1].startswith(b"tar: /nope: Cannot stat: No such file or directory\n")


def test_stty_size_answers_only_on_a_terminal() -> None:
    on_tty = Shell(shell().box, "sh", tty=True)
    assert on_tty.execute(["stty", "size"]) == (b"0 0\n", b"", 0)  # no resize sent yet
    on_tty.size = (40, 120)
    assert on_tty.run("stty size; sh -c 'stty size'")[0] == b"40 120\n40 120\n"
    assert shell().execute(["stty", "size"]) == (b"", b"stty: standard input: Not a tty\n", 1)
