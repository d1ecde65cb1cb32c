"""`kstui`'s command line: a plain start is read without argparse
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
    ["--kubeconfig=/tmp/k", "--kind=deploy", "--namespace=shop", "--context=", "--readonly"],
    ["-A", "--all-namespaces", "--context", "a", "--context", "b"],  # the last one wins
    ["--kube", "/tmp/k", "--all"],  # abbreviations: argparse's
    ["-n=shop", "--kind", "-1"],  # argparse's reading of these: "shop", and "-1" as a value
    ["demo", "--pods", "3", "--context", "tenant"],
    ["sandbox", "--kubeconfig", "/tmp/k", "--pods", "5"],
    ["credentials", "set-prometheus", "host"],
]
FAILING = [
    ["--screen", "bogus"],
    ["foo"],
    ["--kubeconfig"],
    ["-n", "a", "-A"],
    ["--namespace=a", "--all-namespaces"],
    ["--context", "--readonly"],
    ["--kind", "pods", "extra"],
    ["-A=1"],
    ["--screen=workspaces", "--kubeconfig", "--kind=x"],
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


def test_a_plain_start_imports_no_argparse_and_builds_no_subcommand_parser() -> None:
    code = (
        "import sys\n"
        "from kstui.__main__ import parse_args\n"
        "args = parse_args(['--kubeconfig', '/tmp/k', '-A'])\n"
        "print(args.command, 'kstui.credentials_command' in sys.modules,"
        " 'argparse' in sys.modules)\n"
    )
    printed = fresh_python(code, timeout=60)
    assert printed.split() == ["None", "False", "False"]
