"""Logs, secrets, unreachable clusters and the command line's own messages."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import yaml

from kstui.screens.logs import LogsScreen
from kstui.screens.text_view import TextViewScreen
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded, move_to, wait_until


async def test_logs_follow_a_container(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "logs")
        screen = app.screen
        await wait_until(pilot, lambda: screen.line_count >= 10, "log lines")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LogsScreen), "back")


async def test_secret_values_are_masked_until_asked(make_app, kube, sandbox) -> None:
    await kube.create(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ui-secret"}},
    )
    value = "hunter2-very-secret"
    await kube.create(
        "/api/v1/namespaces/ui-secret/secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db"},
            "data": {"password": base64.b64encode(value.encode()).decode()},
        },
    )
    app = make_app(namespace="ui-secret", kind="secrets")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "db")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "yaml")
        encoded = base64.b64encode(value.encode()).decode()
        assert encoded not in app.screen.render_text(app.screen.revealed)
        assert "<hidden: 19 bytes>" in app.screen.render_text(False)
        await pilot.press("x")
        assert yaml.safe_load(app.screen.render_text(app.screen.revealed))["data"] == {
            "password": value
        }
        await pilot.press("escape", "d")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "describe")
        assert encoded not in app.screen.render_text(False)


async def test_unreachable_cluster_keeps_the_app_up(
    make_app, tmp_path: Path, sandbox: RunningSandbox
) -> None:
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    broken = tmp_path / "kubeconfig"
    broken.write_text(yaml.safe_dump(config))
    app = make_app(kubeconfig=broken)
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.screen.query_one("#context-bar")
        await wait_until(pilot, lambda: "cannot reach" in bar.problem, "unreachable shown")
        table = app.screen.query_one("#table")
        assert "check that the cluster is running" in table._empty_message


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kstui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("kstui 0.")


def test_bad_kubeconfig_is_one_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / "config"
    broken.write_text("apiVersion: v1\nclusters: [\n")
    result = run_cli("--kubeconfig", str(broken))
    assert result.returncode == 2
    assert str(broken) in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_cli("--kubeconfig", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert "nope" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_unknown_context_lists_the_known_ones(sandbox: RunningSandbox) -> None:
    result = run_cli("--kubeconfig", str(sandbox.kubeconfig), "--context", "hots")
    assert result.returncode == 2
    assert "host" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_is_reported_before_start(tmp_path: Path, sandbox: RunningSandbox) -> None:
    (tmp_path / "kstui").mkdir()
    (tmp_path / "kstui" / "config.yaml").write_text("keymap:\n  resource.delte: x\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = run_cli("--kubeconfig", str(sandbox.kubeconfig), env=env)
    assert result.returncode == 2
    assert "resource.delete" in result.stderr
    assert "Traceback" not in result.stderr
