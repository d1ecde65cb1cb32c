"""`tar` over a container's in-memory filesystem: what `kubectl cp` runs in both directions
(`tar cf - PATH` to copy out, `tar -xmf - -C DIR` to copy in)."""

from __future__ import annotations

import io
import posixpath
import tarfile

from kstui.sandbox.shell_fs import FileSystem

Output = tuple[bytes, bytes, int]


def _parse(args: list[str]) -> tuple[str, str, str, list[str], bool]:
    """(mode c/x/t, archive, -C directory, paths, gzip)."""
    mode, archive, directory, paths, gz = "", "", "", [], False
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg.startswith("--"):
            if arg.startswith("--directory="):
                directory = arg.split("=", 1)[1]
            continue  # --no-same-permissions, --no-same-owner: nothing to do here
        if arg == "-C":
            directory = args[index] if index < len(args) else ""
            index += 1
            continue
        bundled = arg.lstrip("-") if index == 1 or arg.startswith("-") else ""
        if not bundled:
            paths.append(arg)
            continue
        for letter in bundled:
            if letter in "cxt":
                mode = letter
            elif letter == "z":
                gz = True
            elif letter == "f":
                archive = args[index] if index < len(args) else ""
                index += 1
            elif letter == "C":
                directory = args[index] if index < len(args) else ""
                index += 1
    return mode, archive, directory, paths, gz


def tar(fs: FileSystem, cwd: str, args: list[str], stdin: bytes, busybox: bool) -> Output:
    mode, archive, directory, paths, gz = _parse(args)
    if not mode:
        return b"", b"tar: You must specify one of the '-Acdtrux' options\n", 2
    if archive not in ("", "-"):
        return b"", f"tar: {archive}: only '-' (stdin/stdout) is served here\n".encode(), 2
    base = posixpath.normpath(posixpath.join(cwd, directory)) if directory else cwd
    if directory and not fs.is_dir(base):
        return b"", f"tar: {directory}: Cannot open: No such file or directory\n".encode(), 2
    if mode == "c":
        return _create(fs, base, paths, gz, busybox)
    return _extract(fs, base, stdin, mode == "t")


def _create(fs: FileSystem, base: str, paths: list[str], gz: bool, busybox: bool) -> Output:
    if not paths:
        return b"", b"tar: Cowardly refusing to create an empty archive\n", 2
    buffer = io.BytesIO()
    err = b""
    failed = False
    with _writer(buffer, gz) as out:
        for given in paths:
            full = posixpath.normpath(posixpath.join(base, given))
            if not fs.exists(full):
                err += f"tar: {given}: Cannot stat: No such file or directory\n".encode()
                failed = True
                continue
            if given.startswith("/"):
                err += (
                    b"tar: removing leading '/' from member names\n"
                    if busybox
                    else b"tar: Removing leading `/' from member names\n"
                )
            name = posixpath.normpath(given).lstrip("/") or "."
            for path, arcname in _walk(fs, full, name):
                info = tarfile.TarInfo(arcname)
                info.mtime = 1_700_000_000
                info.uname = info.gname = "root"
                if fs.is_dir(path):
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    out.addfile(info)
                else:
                    data = fs.files[path]
                    info.size, info.mode = len(data), 0o644
                    out.addfile(info, io.BytesIO(data))
    if failed:
        err += b"tar: Exiting with failure status due to previous errors\n"
    return buffer.getvalue(), err, 2 if failed else 0


def _writer(buffer: io.BytesIO, gz: bool) -> tarfile.TarFile:
    if gz:
        return tarfile.open(fileobj=buffer, mode="w|gz", format=tarfile.GNU_FORMAT)
    return tarfile.open(fileobj=buffer, mode="w|", format=tarfile.GNU_FORMAT)


def _walk(fs: FileSystem, path: str, name: str) -> list[tuple[str, str]]:
    entries = [(path, name)]
    if fs.is_dir(path):
        for child in fs.children(path):
            entries += _walk(fs, posixpath.join(path, child), posixpath.join(name, child))
    return entries


def _extract(fs: FileSystem, base: str, stdin: bytes, list_only: bool) -> Output:
    if not stdin:
        return b"", b"tar: This does not look like a tar archive\n", 2
    out, err = b"", b""
    try:
        with tarfile.open(fileobj=io.BytesIO(stdin), mode="r|*") as archive:
            for member in archive:
                parts = [p for p in member.name.split("/") if p not in ("", ".")]
                if ".." in parts:  # GNU tar refuses to write outside the directory
                    err += f"tar: {member.name}: Member name contains '..'\n".encode()
                    continue
                if list_only:
                    out += (member.name + "\n").encode()
                    continue
                target = posixpath.join(base, *parts) if parts else base
                if member.isdir():
                    fs.mkdir(target)
                elif member.isfile():
                    handle = archive.extractfile(member)
                    fs.write(target, handle.read() if handle else b"")
    except tarfile.TarError:
        return out, err + b"tar: This does not look like a tar archive\n", 2
    return out, err, 2 if err else 0
