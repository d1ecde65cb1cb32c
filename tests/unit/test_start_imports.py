"""The start path imports only what the first screen needs (issue 18): the views later keys
open, the palette, YAML and the exec machinery load when first used. Not timed: a fresh
interpreter imports the app and the first section's screen, then lists what came with them."""

from __future__ import annotations

import json

from kstui.app import LATER_MODULES
from tests.fresh_python import fresh_python

HEAVY = (
    "kubernetes",
    "kstui.commands",
    "kstui.backends.describe",
    "kstui.backends.object_yaml",
    "kstui.backends.pod_exec",
    "kstui.backends.port_forward",
    "kstui.backends.tty_bridge",
    "kstui.screens.editing",
    "kstui.widgets.form",
    "kstui.screens.workspaces",
    "kstui.screens.apps",
    "kstui.screens.observe",
    # the writes of a resource list load on the first write, not with its first screen
    "kstui.screens.confirm",
    "kstui.screens.scale",
    "kstui.backends.write_outcome",
    "kstui.screens.plugin_spawn",
    # the config's endpoint parsers load when a config file has their sections
    "kstui.backends.devops_endpoint",
    "kstui.backends.prometheus_endpoint",
    # the subcommands' parsers are built only for a subcommand, with argparse (__main__.py)
    "kstui.credentials_command",
    "argparse",
    # the first list's prompt and footer come after its first frame (screens/resources.py)
    "kstui.widgets.prompt",
    "kstui.widgets.footer",
    "textual.widgets._footer",
    "orjson",  # and with it zoneinfo and sysconfig: cache_rows needs it for rare cells only
    "zoneinfo",
    "yaml",  # a plain kubeconfig is read without it (kubeconfig_text.py), a config file with it
    *LATER_MODULES,
)


def imported_at_start() -> set[str]:
    code = (
        "import json, sys\n"
        "import kstui.__main__, kstui.config, kstui.app, kstui.screens.resources\n"
        "kstui.__main__.parse_args(['--kubeconfig', '/tmp/k', '-A'])\n"
        "kstui.config.load_config(env={'XDG_CONFIG_HOME': '/nonexistent/kstui-test'})\n"
        "from kstui.screens.sections import SECTIONS\n"
        "import importlib; importlib.import_module(SECTIONS['resources'].screen_module())\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    printed = fresh_python(code)
    return set(json.loads(printed))


def test_the_start_path_leaves_later_screens_and_heavy_modules_unimported() -> None:
    loaded = imported_at_start()
    assert sorted(name for name in HEAVY if name in loaded) == []


def test_the_later_modules_still_import_and_their_keys_are_known() -> None:
    from kstui.app import binding_ids

    ids = binding_ids()  # imports every section's screens and LATER_MODULES
    assert "run.cancel" in ids  # CommandModal, in pod_operate (a later module)


def test_the_client_lists_without_yaml() -> None:
    """The first list's modules (the client, discovery, write read-back) load no yaml: a YAML
    body is rare, and write_outcome imports yaml only for one."""
    code = (
        "import json, sys\n"
        "import kstui.app, kstui.backends.kube, kstui.backends.discovery\n"
        "print(json.dumps('yaml' in sys.modules))\n"
    )
    printed = fresh_python(code)
    assert json.loads(printed) is False


def test_the_prompts_messages_are_plain_classes() -> None:
    """A dataclass costs ~0.5 ms to make; the prompt's records are plain classes, made with the
    first prompt (issue 18), and still carry their fields."""
    import dataclasses

    from kstui.widgets.prompt import Cycle, Prompt

    for cls in (Prompt.Entered, Prompt.Edited, Prompt.Cancelled, Cycle):
        assert not dataclasses.is_dataclass(cls), cls
    entered = Prompt.Entered(None, ":", "pods")  # type: ignore[arg-type]
    assert (entered.mode, entered.value, entered.control) == (":", "pods", None)
