"""The user config: defaults, every validation error, env overrides, keymap checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kstui.backends.errors import KstuiError
from kstui.config import (
    DEFAULT_THEME,
    EXAMPLE_CONFIG,
    Config,
    ConfigError,
    RefreshSettings,
    config_path,
    load_config,
    normalize_keys,
    validate_keymap,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    return caught.value


# ---------------------------------------------------------------------------- defaults and paths


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.yaml", env={})
    assert config.default_context is None
    assert config.default_namespace is None
    assert dict(config.keymap) == {}
    assert dict(config.aliases) == {}
    assert config.theme == DEFAULT_THEME == "textual-dark"
    assert config.readonly is False
    assert config.readonly_contexts == frozenset()
    assert config.refresh == RefreshSettings(coalesce_ms=100, grace_seconds=30, page_size=500)
    assert config.no_color is False
    assert config.is_readonly("anything") is False


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing set yet\n")
    config = load_config(path, env={})
    assert config._replace(path=None) == Config()
    assert config.path == path


def test_config_path_follows_xdg_then_home(tmp_path: Path) -> None:
    assert (
        config_path({"XDG_CONFIG_HOME": str(tmp_path), "HOME": "/home/x"})
        == tmp_path / "kstui" / "config.yaml"
    )
    assert config_path({"HOME": "/home/x"}) == Path("/home/x/.config/kstui/config.yaml")
    # A relative XDG_CONFIG_HOME is invalid by the XDG spec and ignored.
    assert config_path({"XDG_CONFIG_HOME": "rel/dir", "HOME": "/home/x"}) == Path(
        "/home/x/.config/kstui/config.yaml"
    )


def test_load_config_reads_the_xdg_file_when_no_path_is_given(tmp_path: Path) -> None:
    (tmp_path / "kstui").mkdir()
    (tmp_path / "kstui" / "config.yaml").write_text("theme: nord\n")
    config = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert config.theme == "nord"
    assert config.path == tmp_path / "kstui" / "config.yaml"


def test_example_config_loads_and_says_what_it_shows(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, EXAMPLE_CONFIG), env={})
    assert dict(config.keymap) == {
        "table.cursor_down": "j,down",
        "table.cursor_up": "k,up",
        "resource.delete": "ctrl+d,delete",
    }
    assert dict(config.aliases) == {"pp": "pods -n payments", "dp": "deploy"}
    assert config.readonly_contexts == {"prod-*", "kubesphere-host"}
    assert config.other_identities == frozenset()  # the example opts nothing in
    assert config.refresh == RefreshSettings()
    # Every top-level key is documented in the example.
    assert set(yaml.safe_load(EXAMPLE_CONFIG)) == {
        name for name in Config._fields if name != "path"
    }


def test_full_config_is_read_into_frozen_values(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
default_context: kubesphere-host
default_namespace: payments
theme: nord
readonly: true
no_color: true
keymap:
  resource.delete: "ctrl+X"
  table.down: "j, Down"
  search.open: "/"
  help.show: "?"
aliases: {pp: "  pods -n payments  "}
refresh: {coalesce_ms: 250, grace_seconds: 7.5, page_size: 1000}
""",
        ),
        env={},
    )
    assert config.default_context == "kubesphere-host"
    assert config.default_namespace == "payments"
    assert config.theme == "nord"
    assert config.readonly
    assert config.no_color
    # Normalised the way Textual's set_keymap matches keys.
    assert dict(config.keymap) == {
        "resource.delete": "ctrl+x",
        "table.down": "j,down",
        "search.open": "slash",
        "help.show": "question_mark",
    }
    assert config.aliases["pp"] == "pods -n payments"
    assert config.refresh == RefreshSettings(coalesce_ms=250, grace_seconds=7.5, page_size=1000)
    with pytest.raises(AttributeError):  # frozen
        config.theme = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.keymap["x"] = "y"  # type: ignore[index]


# ---------------------------------------------------------------------------- readonly


def test_readonly_contexts_match_names_and_globs(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "readonly_contexts: [prod-*, kubesphere-host, '*-dr']\n"), env={}
    )
    assert config.is_readonly("prod-eu")
    assert config.is_readonly("prod-")
    assert config.is_readonly("kubesphere-host")
    assert config.is_readonly("payments-dr")
    assert not config.is_readonly("staging")
    assert not config.is_readonly("kubesphere-host-2")
    assert not config.is_readonly("PROD-eu")  # context names are case-sensitive


def test_other_identities_are_opted_in_by_name_or_glob(tmp_path: Path) -> None:
    assert not Config().allows_other_identity("member")  # nothing by default
    config = load_config(write(tmp_path, "other_identities: [member, 'admin-*']\n"), env={})
    assert config.other_identities == {"member", "admin-*"}
    assert config.allows_other_identity("member")
    assert config.allows_other_identity("admin-eu")
    assert not config.allows_other_identity("member-2")
    assert not config.allows_other_identity("host")


def test_global_readonly_covers_every_context(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "readonly: true\n"), env={})
    assert config.is_readonly("dev")
    assert config.is_readonly("prod")


# ---------------------------------------------------------------------------- environment


def test_no_color_env_any_non_empty_value(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    assert load_config(missing, env={"NO_COLOR": "1"}).no_color
    assert load_config(missing, env={"NO_COLOR": "0"}).no_color  # no-color.org: any value
    assert not load_config(missing, env={"NO_COLOR": ""}).no_color


def test_kstui_readonly_env(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    assert load_config(missing, env={"KSTUI_READONLY": "1"}).is_readonly("dev")
    assert load_config(missing, env={"KSTUI_READONLY": "true"}).readonly
    assert not load_config(missing, env={"KSTUI_READONLY": "0"}).readonly
    # The environment can add read-only protection, never take the file's away.
    path = write(tmp_path, "readonly: true\n")
    assert load_config(path, env={"KSTUI_READONLY": "0"}).readonly
    with pytest.raises(ConfigError) as caught:
        load_config(missing, env={"KSTUI_READONLY": "maybe"})
    assert "KSTUI_READONLY" in str(caught.value)
    assert "1, true" in str(caught.value)


# ---------------------------------------------------------------------------- errors


def test_config_error_is_a_kstui_error_with_title_detail_hint(tmp_path: Path) -> None:
    error = error_for(tmp_path, "theme: 3\n")
    assert isinstance(error, KstuiError)
    assert error.key_path == "theme"
    assert str(tmp_path / "config.yaml") in error.title
    assert error.detail.startswith("Allowed:")
    assert str(tmp_path / "config.yaml") in error.hint


@pytest.mark.parametrize(
    ("text", "key_path", "problem", "allowed"),
    [
        ("thme: nord\n", "thme", "did you mean 'theme'", "one of default_context"),
        ("colour: red\n", "colour", "unknown key 'colour'", "no_color"),
        (
            "refresh: {coalesce: 5}\n",
            "refresh.coalesce",
            "did you mean 'coalesce_ms'",
            "coalesce_ms, grace_seconds, page_size",
        ),
        ("refresh: 5\n", "refresh", "is an integer", "a mapping"),
        ("refresh: {coalesce_ms: 0}\n", "refresh.coalesce_ms", "is 0", "a whole number above 0"),
        ("refresh: {page_size: -10}\n", "refresh.page_size", "is -10", "a whole number above 0"),
        ("logs: {buffer_lines: 0}\n", "logs.buffer_lines", "is 0", "a whole number above 0"),
        ("logs: {buffer: 10}\n", "logs.buffer", "unknown key 'buffer'", "buffer_lines"),
        ("logs: {buffer_lines: many}\n", "logs.buffer_lines", "is a string", "a whole number"),
        (
            "refresh: {grace_seconds: -1.5}\n",
            "refresh.grace_seconds",
            "is -1.5",
            "a number above 0",
        ),
        (
            "refresh: {coalesce_ms: 2.5}\n",
            "refresh.coalesce_ms",
            "is a number",
            "a whole number above 0",
        ),
        (
            "refresh: {page_size: true}\n",
            "refresh.page_size",
            "is a boolean",
            "a whole number above 0",
        ),
        (
            "refresh: {grace_seconds: soon}\n",
            "refresh.grace_seconds",
            "is a string",
            "a number above 0",
        ),
        ("readonly: 'yes please'\n", "readonly", "is a string", "true or false"),
        ("no_color: 1\n", "no_color", "is an integer", "true or false"),
        ("theme: [a]\n", "theme", "is a list", "a Textual theme name"),
        ("theme: 'dark mode'\n", "theme", "'dark mode'", "a Textual theme name"),
        ("default_context: 5\n", "default_context", "is an integer", "a non-empty string"),
        ("default_namespace: '  '\n", "default_namespace", "blank", "a non-empty string"),
        ("readonly_contexts: prod-*\n", "readonly_contexts", "is a string", "a list of context"),
        (
            "readonly_contexts: [prod, 7]\n",
            "readonly_contexts[1]",
            "is an integer",
            "glob patterns",
        ),
        ("other_identities: member\n", "other_identities", "is a string", "a list of context"),
        ("other_identities: allow\n", "other_identities", "is a string", "glob patterns"),
        (
            "other_identities: [member, '']\n",
            "other_identities[1]",
            "is a string ('')",
            "glob patterns",
        ),
        (
            "other_identity: [member]\n",
            "other_identity",
            "did you mean 'other_identities'",
            "other_identities",
        ),
        ("keymap: [a]\n", "keymap", "is a list", "a mapping"),
        (
            "keymap: {resource.delete: 5}\n",
            "keymap.resource.delete",
            "is an integer",
            "comma-separated keys",
        ),
        (
            "keymap: {resource.delete: ctrl+}\n",
            "keymap.resource.delete",
            "'ctrl+' is not a key",
            "ctrl+",
        ),
        (
            "keymap: {table.down: 'j,,down'}\n",
            "keymap.table.down",
            "'' is not a key name",
            "comma-separated keys",
        ),
        (
            "keymap: {table.down: 'j,downn'}\n",
            "keymap.table.down",
            "'downn' is not a key name",
            "pageup",
        ),
        ("keymap: {resource.delete: 'cmd+x'}\n", "keymap.resource.delete", "'cmd+x'", "ctrl+"),
        (
            "keymap: {resource.delete: 'ctrl+ctrl+x'}\n",
            "keymap.resource.delete",
            "'ctrl+ctrl+x'",
            "ctrl+",
        ),
        ("aliases: {pp: ''}\n", "aliases.pp", "is a string", "a non-empty command"),
        ("aliases: {'p p': pods}\n", "aliases.p p", "is not a word", "a letter followed by"),
        ("aliases: {pp: [pods]}\n", "aliases.pp", "is a list", "a non-empty command"),
        ("- theme\n", "", "the top level is a list", "a mapping of settings"),
    ],
)
def test_each_validation_error_names_file_key_problem_and_allowed(
    tmp_path: Path, text: str, key_path: str, problem: str, allowed: str
) -> None:
    error = error_for(tmp_path, text)
    message = str(error)
    assert str(tmp_path / "config.yaml") in message
    assert error.key_path == key_path
    if key_path:
        assert f": {key_path}: " in message
    assert problem in message
    assert allowed in error.allowed
    assert allowed in message


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, "theme: nord\nkeymap:\n  a: [unclosed\nrefresh: {}\n")
    assert "invalid YAML at line 4" in str(error)
    assert str(tmp_path / "config.yaml") in str(error)
    error = error_for(tmp_path, "theme: nord\n\tbad: tab\n")
    assert "invalid YAML at line 2" in str(error)


def test_duplicate_keys_are_refused_with_their_line(tmp_path: Path) -> None:
    error = error_for(tmp_path, "theme: nord\nreadonly: false\nreadonly: true\n")
    assert "duplicate key 'readonly'" in str(error)
    assert "line 3" in str(error)


def test_a_directory_instead_of_a_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, env={})
    assert "cannot be read" in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"theme: \xff\xfe\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert "UTF-8" in str(caught.value)


# ---------------------------------------------------------------------------- keymap


def test_key_normalisation() -> None:
    assert normalize_keys("j, Down ,PageUp") == "j,down,pageup"
    assert normalize_keys("G") == "G"  # shift+g arrives as "G": case matters alone
    assert normalize_keys("Ctrl+Shift+Up") == "ctrl+shift+up"
    assert (
        normalize_keys("ctrl+/,:,?,f12,space,escape")
        == "ctrl+slash,colon,question_mark,f12,space,escape"
    )
    assert normalize_keys("alt+1,shift+tab,delete,enter") == "alt+1,shift+tab,delete,enter"
    assert normalize_keys("f25") is None
    assert normalize_keys("enterr") is None
    assert normalize_keys("") is None


def test_validate_keymap_accepts_known_ids() -> None:
    validate_keymap({"resource.delete": "ctrl+d,delete"}, ["resource.delete", "table.down"])
    validate_keymap({}, [])


def test_validate_keymap_suggests_the_closest_ids(tmp_path: Path) -> None:
    known = ["resource.delete", "resource.describe", "resource.edit", "table.down", "app.quit"]
    with pytest.raises(ConfigError) as caught:
        validate_keymap(
            {"table.down": "j", "resource.delet": "ctrl+x"},
            iter(known),
            source=tmp_path / "config.yaml",
        )
    error = caught.value
    assert error.key_path == "keymap.resource.delet"
    assert "unknown binding id 'resource.delet'" in str(error)
    assert "did you mean 'resource.delete'" in str(error)
    assert str(tmp_path / "config.yaml") in str(error)
    assert "app.quit" in error.allowed  # the whole list of what exists


def test_validate_keymap_without_any_close_id() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_keymap({"zzz": "x"}, ["table.down"])
    assert "did you mean" not in str(caught.value)
    assert "one of table.down" in str(caught.value)


def test_example_config_names_real_binding_ids() -> None:
    from kstui.app import binding_ids
    from kstui.config import EXAMPLE_CONFIG, validate_keymap

    loaded = yaml.safe_load(EXAMPLE_CONFIG)
    validate_keymap(loaded["keymap"], binding_ids())


def test_logs_buffer_lines_is_read(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("logs: {buffer_lines: 250}\n")
    assert load_config(tmp_path / "config.yaml").logs.buffer_lines == 250
    assert Config().logs.buffer_lines == 5000


def test_a_prometheus_url_per_context_names_only_its_keyring_entry(tmp_path: Path) -> None:
    from kstui.backends.prometheus_endpoint import PrometheusEndpoint

    config = load_config(
        write(
            tmp_path,
            """
prometheus:
  prod-eu:
    url: https://prometheus.example.com
    auth: basic
    username: ops
    keyring_entry: eu-prom
""",
        ),
        env={},
    )
    assert dict(config.prometheus) == {
        "prod-eu": PrometheusEndpoint(
            "https://prometheus.example.com", "basic", "ops", "eu-prom", "", True
        )
    }


@pytest.mark.parametrize(
    ("entry", "key_path", "problem"),
    [
        ("{url: ftp://x}", "prometheus.c.url", "is 'ftp://x'"),
        ("{url: 'https://u:p@x'}", "prometheus.c.url", "carries credentials"),
        ("{url: 'https://x', auth: token}", "prometheus.c.auth", "is 'token'"),
        ("{url: 'https://x', auth: basic}", "prometheus.c.username", "is missing"),
        ("{url: 'https://x', password: s}", "prometheus.c.password", "unknown key"),
    ],
)
def test_a_bad_prometheus_entry_says_where(
    tmp_path: Path, entry: str, key_path: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, f"prometheus:\n  c: {entry}\n"), env={})
    assert caught.value.key_path == key_path
    assert caught.value.problem == problem


def test_shells_are_a_list_of_one_word_programs(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "theme: nord\n"), env={}).shells == ("bash", "sh")
    config = load_config(write(tmp_path, "shells: [/bin/zsh, sh]\n"), env={})
    assert config.shells == ("/bin/zsh", "sh")
    for text, where in (("shells: bash\n", "shells"), ("shells: [bash -l]\n", "shells[0]")):
        with pytest.raises(ConfigError) as caught:
            load_config(write(tmp_path, text), env={})
        assert caught.value.key_path == where


def test_traffic_guard_margins_are_read_and_checked(tmp_path: Path) -> None:
    from kstui.backends.traffic_guard import GuardSettings

    config = load_config(
        write(tmp_path, "traffic:\n  error_margin: 2.5\n  latency_margin: 10\n  window: 1h\n"),
        env={},
    )
    assert config.traffic == GuardSettings(2.5, 10.0, "1h")
    assert load_config(write(tmp_path, "{}\n"), env={}).traffic == GuardSettings()
    with pytest.raises(ConfigError, match=r"traffic\.error_margin"):
        load_config(write(tmp_path, "traffic:\n  error_margin: -1\n"), env={})
    with pytest.raises(ConfigError, match=r"traffic\.window"):
        load_config(write(tmp_path, "traffic:\n  window: 2d\n"), env={})
    with pytest.raises(ConfigError, match=r"traffic\.margin"):
        load_config(write(tmp_path, "traffic:\n  margin: 1\n"), env={})
