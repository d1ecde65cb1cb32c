"""Copy files to and from a container as `kubectl cp` does: tar over exec (pod_exec.py).
Down: `tar cf - -C DIR NAME` in the container, the archive checked whole before anything is
written (no absolute names, no `..`, no link or member that lands outside the destination,
no devices), then extracted under the local path. Up: the local file or directory packed
here and fed to `tar xmf - -C DIR`. Progress is the bytes so far (and the total going up)."""

from __future__ import annotations

import asyncio
import io
import posixpath
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from kstui.backends.errors import KstuiError
from kstui.backends.pod_exec import STDIN_CHUNK, STDOUT, ExecError, ExecTarget, open_exec

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

Progress = Callable[[int, int | None], None]
"""Called with the bytes so far and the total when known."""


class UnsafeArchive(KstuiError):
    """An archive that came back would write outside its destination: nothing was written."""


@dataclass(frozen=True, slots=True)
class Copied:
    """What a copy moved: the files written and the archive's bytes."""

    files: int
    size: int


def _split(remote: str) -> tuple[str, str]:
    path = posixpath.normpath(remote)
    parent, name = posixpath.split(path)
    if not name or name in (".", ".."):
        raise KstuiError(f"cannot copy {remote!r}", "name a file or a directory, not /", "")
    return parent or ".", name


def _refuse(member: tarfile.TarInfo, why: str) -> UnsafeArchive:
    return UnsafeArchive(
        f"refused the archive: {member.name!r} {why}",
        "nothing was written; a container's tar should not send this",
        "look at what the container's tar sends (a tampered image can send hostile names)",
    )


def _inside(parts: tuple[str, ...]) -> bool:
    depth = 0
    for part in parts:
        depth += -1 if part == ".." else 0 if part in ("", ".") else 1
        if depth < 0:
            return False
    return True


def check_members(members: list[tarfile.TarInfo], name: str) -> None:
    """Every member under `name`, nothing absolute, no `..`, links that stay inside, no member
    below a link, no devices: else UnsafeArchive, before anything is written."""
    links: set[str] = set()
    for member in members:
        path = PurePosixPath(member.name)
        if path.is_absolute() or member.name.startswith(("/", "\\")):
            raise _refuse(member, "is an absolute path")
        if ".." in path.parts:
            raise _refuse(member, "climbs out with '..'")
        if not path.parts or path.parts[0] != name:
            raise _refuse(member, f"is not under {name!r}, what was asked for")
        if any(str(PurePosixPath(*path.parts[:n])) in links for n in range(1, len(path.parts))):
            raise _refuse(member, "is below a link")
        if member.issym() or member.islnk():
            target = PurePosixPath(member.linkname)
            joined = target.parts if member.islnk() else (*path.parent.parts, *target.parts)
            if target.is_absolute() or not _inside(joined):
                raise _refuse(member, f"links out of the destination ({member.linkname!r})")
            links.add(str(path))
        elif not (member.isfile() or member.isdir()):
            raise _refuse(member, "is a device or a pipe")


def extract(archive: bytes, name: str, local: Path) -> int:
    """Write the archive's `name` (a file or a directory) at `local`; the members checked
    first (check_members). The number of files written."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
        members = tar.getmembers()
        check_members(members, name)
        written = 0
        root = local.resolve()
        for member in members:
            rest = PurePosixPath(member.name).parts[1:]
            destination = root.joinpath(*rest)
            if member.isdir():
                destination.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                destination.parent.mkdir(parents=True, exist_ok=True)
                handle = tar.extractfile(member)
                destination.write_bytes(handle.read() if handle else b"")
                written += 1
            else:  # a link checked to stay inside
                destination.parent.mkdir(parents=True, exist_ok=True)
                if member.issym():
                    destination.symlink_to(member.linkname)
                else:
                    source = root.joinpath(*PurePosixPath(member.linkname).parts[1:])
                    destination.hardlink_to(source)
    return written


def pack(local: Path, name: str) -> bytes:
    """The local file or directory as a tar whose top member is `name`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        tar.add(str(local), arcname=name, recursive=True)
    return buffer.getvalue()


def _packed(local: Path, name: str) -> tuple[bytes, int]:
    if not local.exists():
        raise KstuiError(f"cannot copy {local}", "no such file or directory here", "")
    files = sum(1 for path in local.rglob("*") if path.is_file()) if local.is_dir() else 1
    return pack(local, name), files


def _failed(what: str, target: ExecTarget, code: int, stderr: bytes) -> ExecError:
    said = stderr.decode(errors="replace").strip() or f"tar exited {code}"
    return ExecError(f"{what} {target.where} failed", said, "check the path in the container")


async def download(
    client: KubeClient,
    target: ExecTarget,
    remote: str,
    local: Path,
    progress: Progress | None = None,
) -> Copied:
    """`remote` (a file or a directory) in the container to `local`."""
    parent, name = _split(remote)
    archive, err = bytearray(), bytearray()
    async with open_exec(client, target, ["tar", "cf", "-", "-C", parent, name]) as stream:
        while (output := await stream.next()) is not None:
            if output[0] == STDOUT:
                archive.extend(output[1])
                if progress:
                    progress(len(archive), None)
            else:
                err.extend(output[1])
        code = stream.exit_code()
    if code != 0:
        raise _failed("copying from", target, code, bytes(err))
    try:
        files = await asyncio.to_thread(extract, bytes(archive), name, local)
    except tarfile.TarError as exc:
        raise _failed("copying from", target, code, str(exc).encode()) from exc
    return Copied(files, len(archive))


async def upload(
    client: KubeClient,
    target: ExecTarget,
    local: Path,
    remote: str,
    progress: Progress | None = None,
) -> Copied:
    """`local` (a file or a directory) to `remote` in the container (its directory must be
    there, as with kubectl cp)."""
    parent, name = _split(remote)
    archive, files = await asyncio.to_thread(_packed, local, name)
    err = bytearray()
    argv = ["tar", "xmf", "-", "-C", parent]
    async with open_exec(client, target, argv, stdin=True) as stream:
        for start in range(0, len(archive), STDIN_CHUNK):
            await stream.send(archive[start : start + STDIN_CHUNK])
            if progress:
                progress(min(start + STDIN_CHUNK, len(archive)), len(archive))
        await stream.close_stdin()
        while (output := await stream.next()) is not None:
            if output[0] != STDOUT:
                err.extend(output[1])
        code = stream.exit_code()
    if code != 0:
        raise _failed("copying to", target, code, bytes(err))
    return Copied(files, len(archive))
