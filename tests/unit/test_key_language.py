"""One key, one meaning: every key kstui binds means the same thing in every view it is bound
in (`q` is back, `g` the first line, `ctrl+d` delete …), and help can name each binding's id."""

from __future__ import annotations

from collections import defaultdict

from kstui.app import all_bindings
from kstui.key_language import ANSWER_SCOPES, PER_ROW_KIND, meaning, scope


def _meanings_by_key() -> dict[str, dict[str, set[str]]]:
    """key → meaning → the binding ids that give the key that meaning."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for binding in all_bindings():
        if not binding.id or scope(binding.id) in ANSWER_SCOPES:
            continue
        for key in binding.key.split(","):
            found[key.strip()][meaning(binding.id)].add(binding.id)
    return found


def test_each_key_means_one_thing_in_every_view() -> None:
    clashes = {
        key: {what: sorted(ids) for what, ids in meanings.items()}
        for key, meanings in _meanings_by_key().items()
        if len(meanings) > 1 and frozenset(meanings) not in PER_ROW_KIND
    }
    assert clashes == {}


def test_every_described_binding_has_an_id_for_the_keymap_and_help() -> None:
    anonymous = [
        (binding.key, binding.action)
        for binding in all_bindings()
        if binding.description and not binding.id
    ]
    assert anonymous == []


def test_the_keys_the_issue_named_mean_one_thing() -> None:
    meanings = _meanings_by_key()
    assert set(meanings["q"]) == {"back"}
    assert set(meanings["g"]) == {"first line"}
    assert set(meanings["ctrl+d"]) == {"delete"}
    assert set(meanings["e"]) == {"edit"}


def test_meaning_reads_the_id() -> None:
    assert meaning("view.back") == meaning("help.close") == meaning("form.cancel") == "back"
    assert meaning("table.cursor_down") == meaning("view.down") == "down"
    assert meaning("app.section.workspaces") == "section workspaces"
    assert meaning("resource.all_namespaces") == "all namespaces"


def test_s_is_a_shell_on_pods_and_scale_on_workloads() -> None:
    assert set(_meanings_by_key()["s"]) == {"scale", "shell"}
