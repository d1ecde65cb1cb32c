"""An emulated shell in a sandbox container: a small, honest set of commands over the
container's in-memory filesystem (shell_fs.py). What it does not know it says it does not know:
`sh: foo: not found`, exit 127."""

from __future__ import annotations

import hashlib
import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kstui.sandbox.shell_fs import FileSystem, Image
from kstui.sandbox.shell_tar import tar

Output = tuple[bytes, bytes, int]
_OPERATORS = (";", "&&", "||", "|", ">", ">>")
_VARIABLE = re.compile(r"\$(\?|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")


@dataclass(slots=True)
class Box:
    """One container's state that outlives a single exec: its files, env and processes."""

    image: Image
    fs: FileSystem
    env: dict[str, str]
    hostname: str
    main: str
    """The command line of PID 1."""
    uid: int = 0
    gid: int = 0
    since: str = "Jan  1 00:00"
    next_pid: int = 7
    running: dict[int, str] = field(default_factory=dict)

    def spawn(self, command: str) -> int:
        pid = self.next_pid
        self.next_pid += 6
        self.running[pid] = command
        return pid


class Shell:
    """One shell process (or one directly executed program) in a Box."""

    def __init__(self, box: Box, name: str = "sh", tty: bool = False) -> None:
        self.box = box
        self.name = posixpath.basename(name)
        self.tty = tty
        self.cwd = "/"
        self.env = dict(box.env)
        if tty:
            self.env.setdefault("TERM", "xterm")  # what the runtime sets for a tty exec
        self.status = 0
        self.exited: int | None = None
        self.size = (0, 0)
        """The terminal's rows and columns, as the exec's resize channel last said."""

    # ------------------------------------------------------------ the language

    def prompt(self) -> str:
        home = self.env.get("HOME", "/root")
        where = "~" + self.cwd[len(home) :] if self.cwd.startswith(home) else self.cwd
        mark = "#" if self.box.uid == 0 else "$"
        if self.name == "bash":
            user = "root" if self.box.uid == 0 else "I have no name!"
            return f"{user}@{self.box.hostname}:{where}{mark} "
        return f"{where} {mark} "

    def not_found(self, program: str) -> bytes:
        if self.name == "bash":
            return f"bash: {program}: command not found\n".encode()
        return f"{self.name}: {program}: not found\n".encode()

    def _expand(self, line: str) -> str:
        """$VAR, ${VAR} and $? outside single quotes (quoted so the value stays one word)."""
        pieces = re.split(r"('[^']*')", line)
        for index, piece in enumerate(pieces):
            if piece.startswith("'"):
                continue
            pieces[index] = _VARIABLE.sub(self._value, piece)
        return "".join(pieces)

    def _value(self, match: re.Match[str]) -> str:
        name = match.group(1).strip("{}")
        return str(self.status) if name == "?" else self.env.get(name, "")

    def run(self, script: str, stdin: bytes = b"") -> Output:
        """Each line of a script; stops at `exit`."""
        out, err = b"", b""
        for line in script.splitlines() or [""]:
            o, e, _ = self.run_line(line, stdin)
            out, err = out + o, err + e
            if self.exited is not None:
                return out, err, self.exited
        return out, err, self.status

    def run_line(self, line: str, stdin: bytes = b"") -> Output:
        try:
            lexer = shlex.shlex(self._expand(line), posix=True, punctuation_chars=";&|>")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens = list(lexer)
        except ValueError:
            message = f"{self.name}: syntax error: unterminated quoted string\n"
            self.status = 2
            return b"", message.encode(), 2
        out, err = b"", b""
        connector = ";"
        command: list[str] = []
        pipeline: list[list[str]] = []
        for token in [*tokens, ";"]:
            if token not in ("&&", "||", ";"):
                if token == "|":
                    pipeline.append(command)
                    command = []
                else:
                    command.append(token)
                continue
            pipeline.append(command)
            runs = (
                connector == ";"
                or (connector == "&&" and self.status == 0)
                or (connector == "||" and self.status != 0)
            )
            if runs and any(pipeline):
                o, e, self.status = self._pipeline(pipeline, stdin)
                out, err = out + o, err + e
            if self.exited is not None:
                break
            connector, command, pipeline = token, [], []
        return out, err, self.status

    def _pipeline(self, commands: list[list[str]], stdin: bytes) -> Output:
        data, err, code = stdin, b"", 0
        for argv in commands:
            redirect = ""
            append = False
            for op in (">>", ">"):
                if op in argv and argv.index(op) + 1 < len(argv):
                    at = argv.index(op)
                    redirect, append = argv[at + 1], op == ">>"
                    argv = argv[:at] + argv[at + 2 :]
                    break
            if not argv:
                continue
            data, e, code = self.execute(argv, data)
            err += e
            if redirect:
                path = self.path(redirect)
                if self.box.fs.is_dir(path):
                    err += f"{self.name}: can't create {redirect}: Is a directory\n".encode()
                    code = 1
                else:
                    before = self.box.fs.files.get(path, b"") if append else b""
                    self.box.fs.write(path, before + data)
                data = b""
        return data, err, code

    def path(self, given: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, given)) if given else self.cwd

    # ------------------------------------------------------------ programs

    def execute(self, argv: list[str], stdin: bytes = b"") -> Output:
        program = posixpath.basename(argv[0])
        if not self.box.image.has(argv[0]):
            return b"", self.not_found(argv[0]), 127
        if program in self.box.image.shells:
            return self._subshell(program, argv[1:], stdin)
        handler: Callable[[list[str], bytes], Output] = getattr(
            self, "_" + {"[": "test"}.get(program, program)
        )
        return handler(argv[1:], stdin)

    def _subshell(self, name: str, args: list[str], stdin: bytes) -> Output:
        child = Shell(self.box, name, self.tty)
        child.cwd, child.size = self.cwd, self.size
        if args[:1] == ["-c"] and len(args) > 1:
            return child.run(args[1], stdin)
        return child.run(stdin.decode(errors="replace"))

    def _exit(self, args: list[str], stdin: bytes) -> Output:
        try:
            code = int(args[0]) & 255 if args else self.status
        except ValueError:
            self.exited = 2
            return b"", f"{self.name}: exit: Illegal number: {args[0]}\n".encode(), 2
        self.exited = code
        return b"", b"", code

    def _cd(self, args: list[str], stdin: bytes) -> Output:
        target = self.path(args[0]) if args else self.env.get("HOME", "/")
        if not self.box.fs.is_dir(target):
            if self.name == "bash":
                return b"", f"bash: cd: {args[0]}: No such file or directory\n".encode(), 1
            return b"", f"sh: cd: can't cd to {args[0]}: No such file or directory\n".encode(), 2
        self.cwd = target
        self.env["PWD"] = target
        return b"", b"", 0

    def _pwd(self, args: list[str], stdin: bytes) -> Output:
        return (self.cwd + "\n").encode(), b"", 0

    def _echo(self, args: list[str], stdin: bytes) -> Output:
        newline = "\n"
        if args[:1] == ["-n"]:
            args, newline = args[1:], ""
        return (" ".join(args) + newline).encode(), b"", 0

    def _stty(self, args: list[str], stdin: bytes) -> Output:
        """`stty size` only: the rows and columns the client's resize channel sent."""
        if not self.tty:
            return b"", b"stty: standard input: Not a tty\n", 1
        if args != ["size"]:
            return b"", f"stty: only 'stty size' here, not {' '.join(args)!r}\n".encode(), 1
        return f"{self.size[0]} {self.size[1]}\n".encode(), b"", 0

    def _true(self, args: list[str], stdin: bytes) -> Output:
        return b"", b"", 0

    def _false(self, args: list[str], stdin: bytes) -> Output:
        return b"", b"", 1

    def _hostname(self, args: list[str], stdin: bytes) -> Output:
        return (self.box.hostname + "\n").encode(), b"", 0

    def _env(self, args: list[str], stdin: bytes) -> Output:
        return "".join(f"{k}={v}\n" for k, v in self.env.items()).encode(), b"", 0

    def _id(self, args: list[str], stdin: bytes) -> Output:
        def named(number: int) -> str:
            return f"{number}(root)" if number == 0 else str(number)

        box = self.box
        line = f"uid={named(box.uid)} gid={named(box.gid)} groups={named(box.gid)}\n"
        return line.encode(), b"", 0

    def _ps(self, args: list[str], stdin: bytes) -> Output:
        user = "root" if self.box.uid == 0 else str(self.box.uid)
        processes = [(1, self.box.main), *sorted(self.box.running.items())]
        if self.box.image.busybox:
            lines = ["PID   USER     TIME  COMMAND"]
            lines += [f"{pid:>5} {user:<8}  0:00 {cmd}" for pid, cmd in processes]
        else:
            lines = ["UID          PID    PPID  C STIME TTY          TIME CMD"]
            lines += [
                f"{user:<8} {pid:>7} {0 if pid == 1 else 1:>7}  0 00:00 ?        00:00:00 {cmd}"
                for pid, cmd in processes
            ]
        return ("\n".join(lines) + "\n").encode(), b"", 0

    def _df(self, args: list[str], stdin: bytes) -> Output:
        rows = [
            ("overlay", 102626232, 18234568, 79135200, "/"),
            ("tmpfs", 65536, 0, 65536, "/dev"),
            ("shm", 65536, 0, 65536, "/dev/shm"),
        ]
        for source, point in self.box.fs.mounts:
            used = 12 if source == "tmpfs" else 18234568
            total = 8131244 if source == "tmpfs" else 102626232
            rows.append((source, total, used, total - used, point))
        head = "Filesystem           1K-blocks      Used Available Use% Mounted on"
        if not self.box.image.busybox:
            head = "Filesystem     1K-blocks     Used Available Use% Mounted on"
        lines = [head]
        for source, total, used, free, point in rows:
            percent = f"{-(-used * 100 // total)}%"
            if self.box.image.busybox:
                lines.append(f"{source:<20}{total:>10}{used:>10}{free:>10}{percent:>5} {point}")
            else:
                lines.append(f"{source:<14}{total:>10}{used:>9}{free:>10}{percent:>5} {point}")
        return ("\n".join(lines) + "\n").encode(), b"", 0

    def _missing(self, program: str, given: str) -> bytes:
        if self.box.image.busybox:
            return f"{program}: {given}: No such file or directory\n".encode()
        if program == "ls":
            return f"ls: cannot access '{given}': No such file or directory\n".encode()
        return f"{program}: {given}: No such file or directory\n".encode()

    def _ls(self, args: list[str], stdin: bytes) -> Output:
        flags = "".join(a[1:] for a in args if a.startswith("-") and a != "-")
        paths = [a for a in args if not a.startswith("-") or a == "-"] or ["."]
        fs = self.box.fs
        out, err, code = [], b"", 0
        for given in paths:
            full = self.path(given)
            if not fs.exists(full):
                err += self._missing("ls", given)
                code = 2 if not self.box.image.busybox else 1
                continue
            names = fs.children(full) if fs.is_dir(full) else [given]
            if "a" in flags and fs.is_dir(full):
                names = [".", "..", *names]
            if len(paths) > 1 and fs.is_dir(full):
                out.append(f"{given}:")
            if "l" in flags:
                where = [posixpath.join(full, n) if fs.is_dir(full) else full for n in names]
                out += [self._long(path, n) for path, n in zip(where, names, strict=True)]
            elif self.tty:
                out.append("  ".join(names))
            else:
                out += names
        text = "\n".join(line for line in out if line or self.tty)
        return (text + "\n" if text else "").encode(), err, code

    def _long(self, path: str, name: str) -> str:
        fs = self.box.fs
        path = posixpath.normpath(path)
        if fs.is_dir(path):
            mode, size, links = "drwxr-xr-x", 4096, 2
        else:
            mode, size, links = "-rw-r--r--", len(fs.files.get(path, b"")), 1
        return f"{mode} {links:>4} root     root     {size:>9} {self.box.since} {name}"

    def _cat(self, args: list[str], stdin: bytes) -> Output:
        out, err, code = b"", b"", 0
        for given in args or ["-"]:
            if given == "-":
                out += stdin
                continue
            full = self.path(given)
            if self.box.fs.is_dir(full):
                what = "read error" if self.box.image.busybox else given
                err += f"cat: {what}: Is a directory\n".encode()
                code = 1
            elif full not in self.box.fs.files:
                if self.box.image.busybox:
                    err += f"cat: can't open '{given}': No such file or directory\n".encode()
                else:
                    err += self._missing("cat", given)
                code = 1
            else:
                out += self.box.fs.files[full]
        return out, err, code

    def _sleep(self, args: list[str], stdin: bytes) -> Output:
        """In a script it returns at once; run as the exec's own program it lasts (streams.py)."""
        return b"", b"", 0

    def _tail(self, args: list[str], stdin: bytes) -> Output:
        """The last 10 lines; `-f` keeps following only as the exec's own program (streams.py)."""
        out, err, code = self._cat([a for a in args if not a.startswith("-")], stdin)
        return b"".join(out.splitlines(keepends=True)[-10:]), err, code

    def _test(self, args: list[str], stdin: bytes) -> Output:
        if args[-1:] == ["]"]:
            args = args[:-1]
        fs = self.box.fs
        negate = args[:1] == ["!"]
        args = args[1:] if negate else args
        result = False
        if len(args) == 2 and args[0] in ("-d", "-f", "-e", "-n", "-z", "-r", "-s"):
            op, value = args
            full = self.path(value)
            result = {
                "-d": lambda: fs.is_dir(full),
                "-f": lambda: full in fs.files,
                "-e": lambda: fs.exists(full),
                "-r": lambda: fs.exists(full),
                "-s": lambda: bool(fs.files.get(full)),
                "-n": lambda: bool(value),
                "-z": lambda: not value,
            }[op]()
        elif len(args) == 3 and args[1] in ("=", "!="):
            result = (args[0] == args[2]) == (args[1] == "=")
        elif len(args) == 1:
            result = bool(args[0])
        return b"", b"", 0 if result != negate else 1

    def _mkdir(self, args: list[str], stdin: bytes) -> Output:
        parents = "-p" in args
        err, code = b"", 0
        for given in (a for a in args if not a.startswith("-")):
            full = self.path(given)
            if self.box.fs.exists(full) and not parents:
                err += f"mkdir: can't create directory '{given}': File exists\n".encode()
                code = 1
            elif not parents and not self.box.fs.is_dir(posixpath.dirname(full)):
                err += (
                    f"mkdir: can't create directory '{given}': No such file or directory\n".encode(
                        errors="replace"
                    )
                )
                code = 1
            else:
                self.box.fs.mkdir(full)
        return b"", err, code

    def _touch(self, args: list[str], stdin: bytes) -> Output:
        for given in (a for a in args if not a.startswith("-")):
            full = self.path(given)
            if not self.box.fs.exists(full):
                self.box.fs.write(full, b"")
        return b"", b"", 0

    def _rm(self, args: list[str], stdin: bytes) -> Output:
        flags = "".join(a[1:] for a in args if a.startswith("-"))
        err, code = b"", 0
        for given in (a for a in args if not a.startswith("-")):
            full = self.path(given)
            if not self.box.fs.exists(full):
                if "f" not in flags:
                    err += f"rm: can't remove '{given}': No such file or directory\n".encode()
                    code = 1
            elif self.box.fs.is_dir(full) and "r" not in flags:
                err += f"rm: '{given}' is a directory\n".encode()
                code = 1
            else:
                self.box.fs.remove(full)
        return b"", err, code

    def _tar(self, args: list[str], stdin: bytes) -> Output:
        return tar(self.box.fs, self.cwd, args, stdin, self.box.image.busybox)


def exec_failure(image: Image, program: str) -> str:
    """What containerd says when the program to exec is not in the image."""
    return (
        "error executing command in container: failed to exec in container: failed to start "
        f'exec "{_exec_id(image.name, program)}": OCI runtime exec failed: exec failed: unable to '
        f'start container process: exec: "{program}": executable file not found in $PATH: unknown'
    )


def _exec_id(*parts: Any) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()
