"""The table's widths as plain functions (table_layout.py): what is cut first at 80 columns."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from kstui.model import Column
from kstui.widgets.table_layout import (
    MIN_NAMESPACE_COLUMN,
    MIN_SQUEEZED_COLUMN,
    fit_widths,
    message_lines,
    total_width,
)

PODS_ALL_NAMESPACES = [
    Column("NAMESPACE", max_width=30),
    Column("NAME"),
    Column("READY"),
    Column("STATUS"),
    Column("RESTARTS", numeric=True),
    Column("AGE", age=True, max_width=12),
]
NATURAL = [24, 30, 6, 16, 14, 6]
"""kubesphere-devops-worker, reporting-job-65bf5bf88b-kwjn6, CrashLoopBackOff, 41 (4d23h ago)."""


def test_all_namespaces_at_80_columns_cut_the_namespace_before_the_name() -> None:
    fitted = fit_widths(NATURAL, 78, PODS_ALL_NAMESPACES)  # 80 less the vertical scrollbar
    assert total_width(fitted) <= 78, "RESTARTS and AGE stay on screen: no sideways scroll"
    namespace, name, ready, status, restarts, age = fitted
    assert namespace == MIN_NAMESPACE_COLUMN
    assert name > MIN_SQUEEZED_COLUMN  # was cut to 16 while NAMESPACE kept 24
    assert name >= 20
    assert (ready, age) == (6, 6)
    assert min(status, restarts) >= 10  # "CrashLoop…", "41 (4d23h…"


def test_a_small_overflow_is_taken_from_the_namespace_alone() -> None:
    fitted = fit_widths(NATURAL, 100, PODS_ALL_NAMESPACES)
    assert total_width(fitted) == 100
    assert fitted[1:] == NATURAL[1:]
    assert fitted[0] == 24 - (total_width(NATURAL) - 100)


def test_the_name_is_cut_before_the_columns_beside_it_down_to_a_readable_width() -> None:
    columns = PODS_ALL_NAMESPACES[1:]  # one namespace: no NAMESPACE column
    fitted = fit_widths(NATURAL[1:], 78, columns)
    assert total_width(fitted) <= 78
    assert fitted[1:] == NATURAL[2:], "STATUS and RESTARTS keep their width"
    assert fitted[0] == 30 - (total_width(NATURAL[1:]) - 78)


def test_too_narrow_even_cut_down_the_table_scrolls_sideways() -> None:
    fitted = fit_widths(NATURAL, 50, PODS_ALL_NAMESPACES)
    assert fitted == [MIN_NAMESPACE_COLUMN, MIN_SQUEEZED_COLUMN, 5, 5, 5, 6]
    assert total_width(fitted) > 50


def test_unknown_columns_squeeze_the_last_one_then_cut_the_widest_one() -> None:
    assert fit_widths([10, 40, 10], 50) == [10, 27, 8]
    assert fit_widths([10, 40, 10], 20) == [10, MIN_SQUEEZED_COLUMN, 8]


def test_an_empty_tables_message_wraps_each_of_its_lines() -> None:
    message = (
        "forbidden: alice cannot list secrets in namespace payments\n"
        "ask a cluster admin for this permission, or switch to a context that has it"
    )
    lines = message_lines(message, 40)
    assert all(len(line) <= 40 for line in lines)
    assert lines[0] == "forbidden: alice cannot list secrets in"
    assert " ".join(lines) == message.replace("\n", " ")
    assert message_lines("loading…", 78) == ["loading…"]
    assert message_lines("a\x1b[31mred\n\n", 78) == ["a␛[31mred"]  # data stays inert


def test_an_empty_tables_message_is_wrapped_once_for_all_of_its_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every line of an empty table asks for the message (issue 18: the first frame's table
    is empty, and 40-odd wraps of the same text were a good part of that frame)."""
    wraps: list[str] = []
    wrap = textwrap.wrap

    def counted(text: str, *args: Any, **kwargs: Any) -> list[str]:
        wraps.append(text)
        return wrap(text, *args, **kwargs)

    monkeypatch.setattr(textwrap, "wrap", counted)
    message = "loading pods in every namespace of a cluster with a long name…"
    lines = [message_lines(message, 37) for _line in range(40)]
    assert wraps == [message]
    assert (
        lines[0]
        == lines[-1]
        == ["loading pods in every namespace of a", "cluster with a long name…"]
    )
    lines[0].append("changed by a caller")  # each gets its own list
    assert message_lines(message, 37) == lines[-1]


def test_a_wide_table_of_short_columns_cuts_them_before_scrolling_sideways() -> None:
    """The Workspaces list at 80 columns: AGE stays on screen, the detail columns give way."""
    columns = [Column(n) for n in ("NAME", "ALIAS", "MANAGER", "CLUSTERS", "PROJECTS", "MEMBERS")]
    columns += [Column("QUOTA"), Column("AGE")]
    fitted = fit_widths([11, 12, 7, 11, 8, 7, 7, 3], 74, columns)
    assert total_width(fitted) <= 74
    assert fitted[0] == 11  # NAME whole
    assert fitted[-1] == 3  # AGE whole
    assert min(fitted) >= 3
