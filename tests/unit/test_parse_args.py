"""`kstui`'s command line: a plain start is read without building the subcommands' parsers
(issue 18: on the way to the first frame), and every command line reads and fails exactly as
the full parser has it."""

from __future__ import annotations

import pytest

from kstui.__main__ import build_parser, parse_args
from tests.fresh_python import fresh_python

SAME = [
    [],
    ["--kubeconfig", "/tmp/k", "-A"],
    ["--context", "tenant", "-n", "shop-prod", "--readonly", "--kind", "deploy"],
    ["--screen", "observe"],
    ["--kubeconfig", "demo"],  # a file named like a subcommand is still a file
    ["demo", "--pods", "3", "--context", "tenant"],
    ["sandbox", "--kubeconfig", "/tmp/k", "--pods", "5"],
    ["credentials", "set-prometheus", "host"],
]
FAILING = [
    ["--screen", "bogus"],
    ["foo"],
    ["--kubeconfig"],
    ["-n", "a", "-A"],
    ["credentials"],
    ["--pods", "3"],
    ["--help"],
    ["--version"],
]


@pytest.mark.parametrize("argv", SAME, ids=" ".join)
def test_a_command_line_reads_as_the_full_parser_reads_it(argv: list[str]) -> None:
    assert vars(parse_args(argv)) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", FAILING, ids=" ".join)
def test_help_version_and_errors_say_what_the_full_parser_says(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as lean:
        parse_args(argv)
    said = capsys.readouterr()
    with pytest.raises(SystemExit) as full:
        build_parser().parse_args(argv)
    assert (lean.value.code, said) == (full.value.code, capsys.readouterr())


def test_a_plain_start_builds_no_subcommand_parser() -> None:
    code = (
        "import sys\n"
        "from kstui.__main__ import parse_args\n"
        "args = parse_args(['--kubeconfig', '/tmp/k', '-A'])\n"
        "print(args.command, 'kstui.credentials_command' in sys.modules)\n"
    )
    printed = fresh_python(code, timeout=60)
    assert printed.split() == ["None", "False"]
