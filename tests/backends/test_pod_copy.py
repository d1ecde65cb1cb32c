"""kstui's copy (pod_copy.py, tar over exec as kubectl cp) against the sandbox: a 3 MiB file
up and back with progress, a directory down, and hostile archives refused before anything is
written."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from kstui.backends.errors import KstuiError
from kstui.backends.pod_copy import UnsafeArchive, download, extract, upload
from kstui.backends.pod_exec import ExecError, ExecTarget, run_command
from tests.backends.test_pod_exec import client_for, token_kubeconfig
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture

SHELL = ExecTarget(NS, "shell", "main")


async def test_round_trip_of_a_3_mib_file_with_progress(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    data = os.urandom(3 * 1024 * 1024)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    up: list[tuple[int, int | None]] = []
    down: list[tuple[int, int | None]] = []
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        sent = await upload(client, SHELL, source, "/tmp/big.bin", lambda n, t: up.append((n, t)))
        assert sent.files == 1
        listed = await run_command(client, SHELL, ["ls", "-l", "/tmp"])
        assert b"big.bin" in listed.stdout
        back = tmp_path / "back.bin"
        got = await download(client, SHELL, "/tmp/big.bin", back, lambda n, t: down.append((n, t)))
    assert back.read_bytes() == data
    assert got.files == 1
    assert len(up) > 2
    assert up[-1] == (sent.size, sent.size)
    assert all(total == sent.size for _, total in up)
    assert len(down) > 2
    assert down[-1][0] == got.size
    assert [n for n, _ in down] == sorted(n for n, _ in down)


async def test_a_directory_down(tmp_path: Path, lab: RunningSandbox) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        got = await download(client, SHELL, "/etc/app", tmp_path / "app")
        with pytest.raises(ExecError) as missing:
            await download(client, SHELL, "/no/such", tmp_path / "nothing")
    assert (tmp_path / "app" / "app.yaml").read_text() == "greeting: hello\n"
    assert got.files == 1
    assert "No such file or directory" in missing.value.detail
    assert not (tmp_path / "nothing").exists()


def _archive(*members: tuple[str, str, str]) -> bytes:
    """(name, kind file/dir/sym/lnk, data or link target) as a tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value.encode()))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "lnk": tarfile.LNKTYPE}[
                kind
            ]
            info.linkname = value
            tar.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ((("app", "dir", ""), ("app/../../evil", "file", "x")), "'..'"),
        ((("app", "dir", ""), ("/etc/evil", "file", "x")), "absolute"),
        ((("app", "dir", ""), ("other/evil", "file", "x")), "not under"),
        ((("app", "dir", ""), ("app/out", "sym", "../../outside")), "links out"),
        ((("app", "dir", ""), ("app/out", "sym", "/etc")), "links out"),
        ((("app", "dir", ""), ("app/out", "sym", "."), ("app/out/x", "file", "x")), "below a link"),
        ((("app", "dir", ""), ("app/hard", "lnk", "/etc/passwd")), "links out"),
    ],
)
def test_a_hostile_archive_is_refused_before_writing(
    tmp_path: Path, members: tuple[tuple[str, str, str], ...], why: str
) -> None:
    destination = tmp_path / "inside" / "app"
    destination.parent.mkdir()
    good = ("app/fine.txt", "file", "fine")
    with pytest.raises(UnsafeArchive) as refused:
        extract(_archive(good, *members), "app", destination)
    assert why in refused.value.title
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["inside"]  # nothing written


def test_a_safe_archive_with_an_inner_link(tmp_path: Path) -> None:
    archive = _archive(("app", "dir", ""), ("app/a.txt", "file", "a"), ("app/link", "sym", "a.txt"))
    assert extract(archive, "app", tmp_path / "app") == 1
    assert (tmp_path / "app" / "link").read_text() == "a"


async def test_upload_of_a_missing_file_says_so(tmp_path: Path, lab: RunningSandbox) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        with pytest.raises(KstuiError) as missing:
            await upload(client, SHELL, tmp_path / "absent", "/tmp/absent")
    assert missing.value.detail == "no such file or directory here"
