"""Plugins (kstui/plugins.py): the config's entries checked, commands expanded into argv
elements (never a shell string), and keys that clash with built-in ones refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kstui.app import KstuiApp
from kstui.config import ConfigError, load_config, validate_plugins
from kstui.plugins import MissingValue, Plugin, expand, parse_plugins
from kstui.screens.plugin_keys import builtin_keys

HOSTILE = "$(rm -rf ~)"
VALUES = {
    "CONTEXT": "host",
    "CLUSTER": "kstui-host",
    "NAMESPACE": "payments",
    "NAME": "web",
    "KIND": "pods",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_a_plugin_from_the_config(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
plugins:
  dig:
    key: shift+d
    description: debug the pod
    kinds: [pods, Container]
    command: [kubectl, --context, $CONTEXT, -n, $NAMESPACE, debug, $NAME, -c, "${CONTAINER}"]
    confirm: true
  top:
    key: ctrl+t
    kinds: all
    command: [printf, "%s\\n", $COL-STATUS]
    background: true
    safe: true
""",
        ),
        env={},
    )
    dig, top = config.plugins
    assert dig == Plugin(
        "dig",
        "D",  # as Textual reports shift+d
        ("pods", "containers"),
        (
            "kubectl",
            "--context",
            "$CONTEXT",
            "-n",
            "$NAMESPACE",
            "debug",
            "$NAME",
            "-c",
            "${CONTAINER}",
        ),
        background=False,
        confirm=True,
        description="debug the pod",
    )
    assert dig.uses("CONTAINER")
    assert not top.uses("CONTAINER")
    assert top.kinds == ("all",)
    assert top.background
    assert top.safe
    assert top.applies_to({"deployments"})
    assert dig.applies_to({"pod", "pods", "po"})
    assert not dig.applies_to({"deployments", "deploy"})


def test_values_stay_one_argument_each_whatever_they_hold() -> None:
    command = ("printf", "%s|%s|%s\n", "$NAME", "pod=${NAME}.x", "$$NAME $1 $line")
    hostile = {**VALUES, "NAME": HOSTILE}
    argv = expand(command, hostile, {})
    assert argv == ["printf", "%s|%s|%s\n", HOSTILE, f"pod={HOSTILE}.x", "$NAME $1 $line"]
    # run for real: the name comes back as it is, and nothing ran it
    marker = Path.home() / "kstui-plugin-must-not-exist"
    spaced = {**VALUES, "NAME": f"a b; touch {marker}; `touch {marker}` $(touch {marker})"}
    out = subprocess.run(expand(("printf", "%s", "$NAME"), spaced, {}), capture_output=True)
    assert out.stdout.decode() == spaced["NAME"]
    assert not marker.exists()


def test_columns_by_name_and_what_is_missing() -> None:
    columns = {"NAME": "web", "STATUS": "Running", "NOMINATED NODE": "<none>", "AGE": "5m"}
    argv = expand(
        ("x", "$COL-STATUS", "${COL-NOMINATED NODE}", "$COL-nominated-node"), VALUES, columns
    )
    assert argv == ["x", "Running", "<none>", "<none>"]
    with pytest.raises(MissingValue, match="no column 'RESTARTS' in this list"):
        expand(("x", "$COL-RESTARTS"), VALUES, columns)
    with pytest.raises(MissingValue, match=r"no value for \$CONTAINER here"):
        expand(("x", "$CONTAINER"), VALUES, columns)


@pytest.mark.parametrize(
    ("fields", "where", "problem"),
    [
        (
            "{key: x, kinds: [pods], command: 'kubectl get $NAME'}",
            "plugins.p.command",
            "one string",
        ),
        (
            "{key: x, kinds: [pods], command: [echo, $NAMESPCE]}",
            "plugins.p.command[1]",
            "unknown variable $NAMESPCE",
        ),
        ("{key: 'a,b', kinds: [pods], command: [echo]}", "plugins.p.key", "is not one key"),
        ("{key: x, kinds: [], command: [echo]}", "plugins.p.kinds", "is a list"),
        (
            "{key: x, kinds: [pods], command: [echo], background: yes please}",
            "plugins.p.background",
            "is a string",
        ),
        (
            "{key: x, kinds: [pods], command: [echo], shortcut: y}",
            "plugins.p.shortcut",
            "unknown field",
        ),
        ("{kinds: [pods], command: [echo]}", "plugins.p.key", "is missing"),
    ],
)
def test_bad_entries_name_their_key(tmp_path: Path, fields: str, where: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, f"plugins:\n  p: {fields}\n"), env={})
    assert raised.value.key_path == where
    assert problem in raised.value.problem


def test_two_plugins_on_one_key_must_not_share_kinds() -> None:
    one = {"key": "ctrl+t", "kinds": ["pods"], "command": ["a"]}
    parse_plugins({"a": one, "b": {**one, "kinds": ["deployments"]}})  # different rows: fine
    with pytest.raises(Exception, match="also plugin a's on the same kinds"):
        parse_plugins({"a": one, "b": {**one, "kinds": ["all"]}})


def test_a_key_clashing_with_a_built_in_one_is_refused() -> None:
    keys = builtin_keys(KstuiApp)
    ok = parse_plugins({"dig": {"key": "shift+d", "kinds": ["pods"], "command": ["a"]}})
    validate_plugins(ok, keys, "config.yaml")
    cases = [
        ("l", ["pods"], "'l' is already resource.logs on resource lists"),
        ("ctrl+p", ["deploy"], "'ctrl+p' is already app.command_palette on resource lists"),
        ("s", ["containers"], "'s' is already container.shell on pod containers"),
        ("shift+e", ["all"], "'E' is already resource.events on resource lists"),
        ("1", ["pods"], "'1' is already app.section.resources"),
    ]
    for key, kinds, problem in cases:
        plugins = parse_plugins({"p": {"key": key, "kinds": kinds, "command": ["a"]}})
        with pytest.raises(ConfigError) as raised:
            validate_plugins(plugins, keys, "config.yaml")
        assert raised.value.key_path == "plugins.p.key"
        assert problem in raised.value.problem, raised.value.problem
    # `d` is describe on resource lists but free among a pod's containers: still refused
    # there? No: the containers view has no `d`; a plugin of containers may take it
    free = parse_plugins({"p": {"key": "d", "kinds": ["containers"], "command": ["a"]}})
    validate_plugins(free, keys, "config.yaml")
    # the user's keymap counts: logs moved off `l` frees it
    moved = builtin_keys(KstuiApp, {"resource.logs": "ctrl+l"})
    validate_plugins(parse_plugins({"p": {"key": "l", "kinds": ["pods"], "command": ["a"]}}), moved)


def test_the_example_configs_plugins_are_valid(tmp_path: Path) -> None:
    from kstui.config_example import EXAMPLE_CONFIG

    config = load_config(write(tmp_path, EXAMPLE_CONFIG), env={})
    assert [plugin.name for plugin in config.plugins] == ["debug", "images"]
    validate_plugins(config.plugins, builtin_keys(KstuiApp, config.keymap), "example")
