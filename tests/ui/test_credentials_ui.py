"""What the header and the list say about credentials while they load: the exec plugin being
waited for, and a plain http server that gets none."""

from __future__ import annotations

from pathlib import Path

from kstui.widgets.context_bar import ContextBar
from tests.backends.test_credential_trust import hanging_plugin
from tests.backends.test_kubeconfig import Fresh, single, tls_cluster
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded, table, wait_until


async def test_the_list_names_the_exec_plugin_it_waits_for(
    make_app, sandbox: RunningSandbox, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    command, pids, release = hanging_plugin(tmp_path)
    kubeconfig = single(
        tmp_path / "kubeconfig",
        tls_cluster(sandbox),
        {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": str(command),
                "interactiveMode": "IfAvailable",
            }
        },
    )
    app = make_app("only", "payments", kubeconfig=kubeconfig)
    waiting = f'waiting for exec plugin {command} (user "u")…'
    async with app.run_test(size=(120, 30)) as pilot:
        assert table(pilot)._empty_message == waiting
        await wait_until(pilot, pids.exists, "the plugin to start", timeout=30)
        await pilot.pause(0.3)  # the UI keeps running while the plugin does
        assert table(pilot)._empty_message == waiting
        release.write_text(sandbox.token())
        rows = await loaded(pilot)
        assert rows.row_count
        await wait_until(pilot, lambda: app.screen.query_one(ContextBar).user == "admin", "whoami")


async def test_the_header_says_a_plain_http_server_gets_no_credentials(
    make_app, fresh_sandbox: Fresh
) -> None:  # type: ignore[no-untyped-def]
    running = fresh_sandbox(tls=False, pods=0, kubesphere=False)
    app = make_app("tenant", "default", kubeconfig=running.kubeconfig)
    async with app.run_test(size=(140, 30)) as pilot:
        bar = app.screen.query_one(ContextBar)
        await wait_until(
            pilot,
            lambda: bar.user == "system:admin (http: credentials not sent)",
            "the identity and the notice",
        )
