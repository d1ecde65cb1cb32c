"""A run's actions (API.md §3.4): stop, replay and input through the DevOps API (checked first:
a SelfSubjectAccessReview on services/proxy in the proxy mode, and said: "as anonymous"),
re-run with the same parameters and delete as PipelineRun writes. A KubeSphere login asked
for is asked once, then the action is sent again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from kstui.backends.devops_api import DevOpsApi, RunRef
from kstui.backends.devops_login import LoginNeeded
from kstui.screens.confirm import ConfirmModal
from kstui.screens.pipeline_views import PipelineView

if TYPE_CHECKING:
    from kstui.backends.pipeline_rows import RunRow
    from kstui.backends.pipelines_service import RunDetail


class RunActions(PipelineView):
    """RunScreen's actions: uses its run, detail and status line."""

    run: RunRow
    detail: RunDetail | None

    api_problem: str

    def _ref(self, what: str) -> RunRef | None:
        if self.api_problem:  # found while reading a log: say it now, ask nothing
            self.set_status(f"{what}: {self.api_problem}", alert=True)
            return None
        detail = self.detail
        if detail is None or detail.ref is None:
            self.set_status(f"{what}: the run has no Jenkins build number yet", alert=True)
            return None
        return detail.ref

    def _mode_line(self) -> str:
        context = self.run.context
        if context in self.service.endpoints:
            e = self.service.endpoints[context]
            return f"Sent to the DevOps API at {e.url} as {e.username}."
        return (
            "Sent through the kube-apiserver's service proxy: devops-apiserver sees the user "
            "anonymous and acts with Jenkins-admin rights."
        )

    def _confirm_then(self, question: str, detail: str, yes: str, act: Callable[[], Any]) -> None:
        def answered(ok: bool | None) -> None:
            if ok:
                act()

        self.app.push_screen(
            ConfirmModal(question, f"{detail}\n{self._mode_line()}", yes=yes), answered
        )

    def action_stop(self) -> None:
        ref = self._ref("ctrl+x stop")
        if ref is None:
            return
        if self.run.finished:
            self.set_status(f"ctrl+x stop: run #{ref.run} has already ended ({self.run.phase})")
            return
        self._confirm_then(
            f"Stop run #{ref.run} of {ref.pipeline}?",
            "Jenkins aborts the build (blocking up to 10 s).",
            "Stop",
            lambda: self._act(f"stop run #{ref.run}", lambda api: api.stop(ref)),
        )

    def action_replay(self) -> None:
        ref = self._ref("Y replay")
        if ref is None:
            return
        self._confirm_then(
            f"Replay run #{ref.run} of {ref.pipeline}?",
            "Jenkins replays the build with the same Jenkinsfile and parameters.",
            "Replay",
            lambda: self._act(f"replay run #{ref.run}", lambda api: api.replay(ref)),
        )

    def action_input(self) -> None:
        from kstui.screens.pipeline_forms import InputModal

        ref = self._ref("ctrl+g input")
        if ref is None or self.detail is None:
            return
        found = self.detail.graph.waiting_input()
        if found is None:
            self.set_status("ctrl+g input: this run is not waiting on an input step")
            return
        stage, step, ask = found
        step_id = step.id if step else ""

        def answered(choice: str | None) -> None:
            if choice in ("proceed", "abort"):
                abort = choice == "abort"
                word = "abort" if abort else (ask.ok or "proceed")
                self._act(
                    f"{word} input {ask.id!r} of run #{ref.run}",
                    lambda api: api.answer_input(ref, stage.id, step_id, ask.id, abort=abort),
                )

        self.app.push_screen(InputModal(ask, self._mode_line()), answered)

    @work(group="action", exit_on_error=False)
    async def _act(self, what: str, call: Callable[[DevOpsApi], Any]) -> None:
        try:
            said = await self.service.act(self.run.context, what, call)
        except LoginNeeded as error:
            self.ask_login(error, retry=lambda: self._act(what, call))
            return
        self.notify(said, title="DevOps API")
        self.poll()

    @work(group="action", exit_on_error=False)
    async def action_rerun(self) -> None:
        if self.detail is None:
            return
        made = await self.service.rerun(self.detail)
        name = (made.get("metadata") or {}).get("name", "")
        self.notify(f"created run {name} with the parameters of {self.run.name}", title="re-run")

    def action_delete(self) -> None:
        run = self.run
        if not run.finished:
            self.set_status(
                f"ctrl+d delete: run {run.name} is {run.phase}; KubeSphere deletes only "
                "finished runs (ctrl+x stops it)",
                alert=True,
            )
            return
        self._confirm_then(
            f"Delete run {run.name} (#{run.build})?",
            "The PipelineRun's finalizer also deletes the Jenkins build record.",
            "Delete",
            self._delete,
        )

    @work(group="action", exit_on_error=False)
    async def _delete(self) -> None:
        await self.service.delete_run(self.run)
        self.notify(f"deleted run {self.run.name}", title="done")
        self.app.pop_screen()

    def action_yaml(self) -> None:
        run = self.run
        self.env.open_yaml(run.context, "pipelineruns", run.namespace, run.name)

    def ask_login(self, error: LoginNeeded, retry: Callable[[], Any]) -> None:
        """The password for the configured ks-apiserver, asked once; then `retry`."""
        from kstui.screens.pipeline_forms import LoginForm

        login = self.service.login_for(self.run.context)

        def done(result: Any) -> None:
            if result is not None:
                retry()

        self.app.push_screen(LoginForm(login, error.title), done)
