"""The section registry on its own: no Textual, no app."""

from __future__ import annotations

import pytest

from kstui.screens.sections import SECTIONS, Section, register, unregister
from tests.fresh_python import fresh_python


def test_built_in_sections_in_key_order() -> None:
    assert [(s.name, s.key) for s in SECTIONS.values()][:3] == [
        ("resources", "1"),
        ("workspaces", "2"),
        ("apps", "3"),
    ]


def test_a_key_belongs_to_one_section() -> None:
    with pytest.raises(ValueError, match="section key 2 is taken by 'workspaces'"):
        register(Section("probe", "2", "probe", screen="kstui.screens.apps:AppsScreen"))
    assert "probe" not in SECTIONS
    unregister("probe")  # unknown names are ignored


def test_the_cli_reads_the_registry_without_loading_textual() -> None:
    code = "import sys, kstui.__main__; print('textual' in sys.modules)"
    printed = fresh_python(code)
    assert printed.strip() == "False"
