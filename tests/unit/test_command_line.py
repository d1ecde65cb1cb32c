"""The `:` command language: parsing and completion, without a UI."""

from __future__ import annotations

import pytest

from kstui.command_line import (
    CommandError,
    GoTo,
    OpenSection,
    Quit,
    SetContext,
    SetNamespace,
    ShowHelp,
    complete,
    parse,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (":po", GoTo("po")),
        ("deploy payments", GoTo("deploy", "payments")),
        ("po -A", GoTo("po", "")),
        ("po all", GoTo("po", "")),
        ("po -n shop-prod", GoTo("po", "shop-prod")),
        ("po@member", GoTo("po", None, "member")),
        ("po @member", GoTo("po", None, "member")),
        ("po payments @member -l app=api", GoTo("po", "payments", "member", "app=api")),
        ("workspacetemplates", GoTo("workspacetemplates")),
        ("apprls", GoTo("apprls")),
        ("ns payments", SetNamespace("payments")),
        ("ns -A", SetNamespace("")),
        ("ctx member", SetContext("member")),
        ("q", Quit()),
        ("q!", Quit()),
        ("help", ShowHelp()),
    ],
)
def test_parse(line: str, expected: object) -> None:
    assert parse(line) == expected


def test_a_bare_section_name_opens_the_section_and_otherwise_names_a_kind() -> None:
    sections = ("resources", "workspaces")
    assert parse(":workspaces", sections=sections) == OpenSection("workspaces")
    assert parse("resources", sections=sections) == OpenSection("resources")
    assert parse("workspaces -A", sections=sections) == GoTo("workspaces", "")
    assert parse("workspaces") == GoTo("workspaces")
    assert "workspaces" in complete("works", kinds=(), sections=sections)


def test_alias_expands_before_parsing() -> None:
    assert parse("pp", {"pp": "pods -n payments"}) == GoTo("pods", "payments")
    assert parse("pp -l app=x", {"pp": "pods -n payments"}) == GoTo(
        "pods", "payments", selector="app=x"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "empty command"),
        ("po -n", "-n needs a namespace"),
        ("po -l", "-l needs a label selector"),
        ("po a b", "unexpected 'b'"),
        ("ns a b", "takes one namespace"),
        ("@member", "missing kind"),
        ("po 'unclosed", "cannot read"),
    ],
)
def test_errors_say_why(line: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse(line)


def test_complete_kinds_contexts_namespaces() -> None:
    kinds = ["pods", "po", "poddisruptionbudgets", "deployments", "deploy"]
    assert complete("po", kinds=kinds)[:2] == ["pods", "poddisruptionbudgets"]
    assert complete(":dep", kinds=kinds) == ["deploy", "deployments"]
    assert complete("ctx me", kinds=kinds, contexts=["host", "member"]) == ["ctx member"]
    assert complete("po @m", kinds=kinds, contexts=["host", "member"]) == ["po @member"]
    assert complete("po@h", kinds=kinds, contexts=["host", "member"]) == ["po@host"]
    assert complete("po pay", kinds=kinds, namespaces=["payments", "storefront"]) == ["po payments"]
    assert complete("ns st", kinds=kinds, namespaces=["payments", "storefront"]) == [
        "ns storefront"
    ]
    assert complete("po -l ap", kinds=kinds, namespaces=["apps"]) == []
    assert complete("pp", kinds=kinds, aliases=["ppx"]) == ["ppx"]


def test_a_section_view_word_opens_the_section_at_that_view() -> None:
    views = {"appstore": ("apps", "store"), "repos": ("apps", "repos")}
    assert parse(":appstore", sections=("apps",), views=views) == OpenSection("apps", "store")
    assert parse("repos", sections=("apps",), views=views) == OpenSection("apps", "repos")
    assert parse("repos -A", sections=("apps",), views=views) == GoTo("repos", "")  # the kind
    assert "appstore" in complete("appst", kinds=(), sections=("apps", "appstore"))
