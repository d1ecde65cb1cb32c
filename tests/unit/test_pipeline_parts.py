"""Pipelines' pure parts: the stage graph from Blue Ocean JSON, the Jenkins → phase mapping,
the trigger form's parameters and checks, the exact PipelineRun bodies, and progressive log
offsets."""

from __future__ import annotations

import json

import pytest

from kstui.backends.devops_logs import FAST, SLOW, ProgressiveLog
from kstui.backends.pipeline_bodies import (
    Parameter,
    branches_of,
    check_values,
    parameters_of,
    pipelinerun_body,
    rerun_values,
)
from kstui.backends.pipeline_graph import (
    State,
    format_duration,
    jenkins_phase,
    parse_stages,
    parse_time,
    state_of,
)

T0 = parse_time("2025-05-12T09:00:00Z") or 0.0

# A real-shaped Blue Ocean node list: a stage, a parallel group of three branches (one
# running, one finished, one queued), then a stage not started yet.
PARALLEL = [
    {
        "id": "6",
        "displayName": "Checkout",
        "type": "STAGE",
        "state": "FINISHED",
        "result": "SUCCESS",
        "startTime": "2025-05-12T09:00:00.000+0000",
        "durationInMillis": 6120,
        "edges": [{"id": "11", "type": "STAGE"}],
        "steps": [
            {
                "id": "7",
                "displayName": "Check out from version control",
                "displayDescription": "https://git.acme.example/shop/storefront.git",
                "type": "STEP",
                "state": "FINISHED",
                "result": "SUCCESS",
                "durationInMillis": 5980,
            }
        ],
    },
    {
        "id": "11",
        "displayName": "Tests",
        "type": "STAGE",
        "state": "RUNNING",
        "result": "UNKNOWN",
        "startTime": "2025-05-12T09:00:07Z",
        "edges": [{"id": "15", "type": "PARALLEL"}, {"id": "16", "type": "PARALLEL"}],
    },
    {
        "id": "15",
        "displayName": "unit",
        "type": "PARALLEL",
        "state": "RUNNING",
        "result": "UNKNOWN",
        "startTime": "2025-05-12T09:00:07Z",
        "durationInMillis": 1000,
        "firstParent": "11",
        "edges": [{"id": "30", "type": "STAGE"}],
        "steps": [
            {
                "id": "20",
                "displayName": "Shell Script",
                "displayDescription": "make unit",
                "state": "RUNNING",
                "result": "UNKNOWN",
                "startTime": "2025-05-12T09:00:08Z",
            }
        ],
    },
    {
        "id": "16",
        "displayName": "lint",
        "type": "PARALLEL",
        "state": "FINISHED",
        "result": "FAILURE",
        "startTime": "2025-05-12T09:00:07Z",
        "durationInMillis": 12000,
        "firstParent": "11",
        "steps": [],
    },
    {
        "id": "17",
        "displayName": "e2e",
        "type": "PARALLEL",
        "state": "QUEUED",
        "causeOfBlockage": "Waiting for next available executor",
        "firstParent": "11",
    },
    {"id": "30", "displayName": "Push", "type": "STAGE", "steps": []},
]


def test_a_parallel_group_folds_into_one_row_of_branches_side_by_side() -> None:
    graph = parse_stages(json.dumps(PARALLEL), now=T0 + 67)
    assert [g.name for g in graph.groups] == ["Checkout", "Tests", "Push"]
    tests = graph.groups[1]
    assert tests.parallel
    assert [(s.name, s.state) for s in tests.stages] == [
        ("unit", State.RUNNING),
        ("lint", State.FAILURE),
        ("e2e", State.QUEUED),
    ]
    assert tests.stages[2].blocked == "Waiting for next available executor"
    assert not graph.groups[0].parallel
    assert graph.stages_by_id["16"].duration_ms == 12000


def test_stages_not_started_yet_are_kept_with_their_shape() -> None:
    graph = parse_stages(PARALLEL, now=T0 + 67)
    push = graph.groups[2].stages[0]
    assert (push.name, push.state, push.duration_ms) == ("Push", State.NOT_STARTED, None)
    assert not push.state.finished


def test_a_running_stage_counts_its_time_and_names_its_running_step() -> None:
    graph = parse_stages(PARALLEL, now=T0 + 67)
    unit = graph.stages_by_id["15"]
    assert unit.duration_ms == 60_000  # started 09:00:07, now 09:01:07
    assert unit.running_step is not None
    assert unit.running_step.label == "make unit"
    assert graph.stages_by_id["6"].duration_ms == 6120
    assert [s.name for s in graph.running] == ["unit"]
    assert graph.first_failed() is graph.stages_by_id["16"]


def test_an_input_step_is_found_with_its_submitter() -> None:
    stages = [
        {"id": "9", "displayName": "Build", "state": "FINISHED", "result": "SUCCESS"},
        {
            "id": "31",
            "displayName": "Approve",
            "state": "PAUSED",
            "result": "UNKNOWN",
            "steps": [
                {
                    "id": "32",
                    "displayName": "Wait for interactive input",
                    "state": "PAUSED",
                    "input": {
                        "id": "Approve-prod",
                        "message": "Deploy?",
                        "ok": "Deploy",
                        "submitter": "alice",
                    },
                }
            ],
        },
    ]
    found = parse_stages(stages, now=T0).waiting_input()
    assert found is not None
    stage, step, ask = found
    assert (stage.id, step.id if step else None, ask.id, ask.submitter, ask.ok) == (
        "31",
        "32",
        "Approve-prod",
        "alice",
        "Deploy",
    )


@pytest.mark.parametrize("raw", ["", None, "[", '{"a": 1}'])
def test_empty_or_broken_stage_data(raw: object) -> None:
    graph = parse_stages(raw, now=T0)
    assert graph.groups == ()
    assert bool(graph.problem) == (raw in ("[", '{"a": 1}'))


@pytest.mark.parametrize(
    ("state", "result", "phase"),
    [
        ("QUEUED", "", "Running"),
        ("RUNNING", "UNKNOWN", "Running"),
        ("PAUSED", "UNKNOWN", "Pending"),
        ("SKIPPED", "", "Succeeded"),
        ("NOT_BUILT", "", "Unknown"),
        ("FINISHED", "SUCCESS", "Succeeded"),
        ("FINISHED", "UNSTABLE", "Failed"),
        ("FINISHED", "FAILURE", "Failed"),
        ("FINISHED", "ABORTED", "Failed"),
        ("FINISHED", "NOT_BUILT", "Unknown"),
        ("FINISHED", "UNKNOWN", "Unknown"),
    ],
)
def test_jenkins_to_phase(state: str, result: str, phase: str) -> None:
    assert jenkins_phase(state, result) == phase


def test_state_of_folds_state_and_result() -> None:
    assert state_of(None, None) is State.NOT_STARTED
    assert state_of("FINISHED", "UNSTABLE") is State.UNSTABLE
    assert state_of("SKIPPED", "NOT_BUILT") is State.SKIPPED
    assert format_duration(254312) == "4m14s"
    assert format_duration(850) == "850ms"
    assert format_duration(3_720_000) == "1h02m"


# ---------------------------------------------------------------------------- trigger bodies

PIPELINE = {
    "apiVersion": "devops.kubesphere.io/v1alpha3",
    "kind": "Pipeline",
    "metadata": {
        "name": "storefront-build",
        "namespace": "shop-cicdr7x2k",
        "uid": "6b1f9a4e-0000-4000-8000-000000000001",
        "annotations": {
            "pipeline.devops.kubesphere.io/jenkins-metadata": json.dumps(
                {
                    "parameters": [
                        {
                            "name": "IMAGE_TAG",
                            "type": "StringParameterDefinition",
                            "defaultParameterValue": {"name": "IMAGE_TAG", "value": "latest"},
                        },
                        {
                            "name": "ENV",
                            "type": "ChoiceParameterDefinition",
                            "choices": ["staging", "prod"],
                            "defaultParameterValue": {"value": "staging"},
                        },
                        {
                            "name": "PUSH",
                            "type": "BooleanParameterDefinition",
                            "defaultParameterValue": {"value": True},
                        },
                    ]
                }
            )
        },
    },
    "spec": {
        "type": "pipeline",
        "pipeline": {
            "name": "storefront-build",
            "jenkinsfile": "pipeline { }",
            "parameters": [{"name": "IMAGE_TAG", "type": "string", "default_value": "latest"}],
        },
    },
}


def test_parameters_come_from_jenkins_metadata_with_types_and_choices() -> None:
    assert parameters_of(PIPELINE) == [
        Parameter("IMAGE_TAG", "string", "latest"),
        Parameter("ENV", "choice", "staging", "", ("staging", "prod")),
        Parameter("PUSH", "boolean", "true"),
    ]


def test_parameters_fall_back_to_the_spec_before_the_first_sync() -> None:
    bare = {
        "metadata": {},
        "spec": {
            "pipeline": {
                "parameters": [
                    {"name": "TAG", "type": "string", "default_value": "v1"},
                    {"name": "WHERE", "type": "choice", "default_value": "eu\nus"},
                ]
            }
        },
    }
    assert parameters_of(bare) == [
        Parameter("TAG", "string", "v1"),
        Parameter("WHERE", "choice", "eu", "", ("eu", "us")),
    ]


def test_the_form_checks_types_and_choices() -> None:
    params = parameters_of(PIPELINE)
    assert check_values(params, {"IMAGE_TAG": "1.8.3", "ENV": "prod", "PUSH": "false"}) == {}
    assert check_values(params, {"ENV": "qa", "PUSH": "yes", "NOPE": "1"}) == {
        "ENV": "ENV is one of staging, prod",
        "PUSH": "PUSH is true or false, not 'yes'",
        "NOPE": "NOPE is not a parameter of this pipeline",
    }
    assert check_values(params, {"IMAGE_TAG": "a\nb"}) == {"IMAGE_TAG": "IMAGE_TAG is one line"}


def test_the_exact_pipelinerun_of_a_trigger() -> None:
    body = pipelinerun_body(
        PIPELINE, {"PUSH": "false", "IMAGE_TAG": "1.8.3", "ENV": "prod"}, creator="alice"
    )
    assert body == {
        "apiVersion": "devops.kubesphere.io/v1alpha3",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": "storefront-build-",
            "namespace": "shop-cicdr7x2k",
            "labels": {"devops.kubesphere.io/pipeline": "storefront-build"},
            "annotations": {"devops.kubesphere.io/creator": "alice"},
            "ownerReferences": [
                {
                    "apiVersion": "devops.kubesphere.io/v1alpha3",
                    "kind": "Pipeline",
                    "name": "storefront-build",
                    "uid": "6b1f9a4e-0000-4000-8000-000000000001",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "pipelineRef": {
                "kind": "Pipeline",
                "name": "storefront-build",
                "namespace": "shop-cicdr7x2k",
            },
            "pipelineSpec": PIPELINE["spec"],
            "parameters": [
                {"name": "IMAGE_TAG", "value": "1.8.3"},
                {"name": "ENV", "value": "prod"},
                {"name": "PUSH", "value": "false"},
            ],
        },
    }
    assert body["spec"]["pipelineSpec"] is not PIPELINE["spec"]  # a copy, not shared


def test_a_multi_branch_trigger_names_its_branch_in_scm() -> None:
    multi = {
        "metadata": {
            "name": "api-release",
            "namespace": "shop-cicdr7x2k",
            "uid": "u-2",
            "annotations": {
                "pipeline.devops.kubesphere.io/jenkins-metadata": '{"branchNames":["main"]}',
                "pipeline.devops.kubesphere.io/jenkins-branches": json.dumps(
                    [{"name": "main"}, {"name": "release-1.4"}]
                ),
            },
        },
        "spec": {"type": "multi-branch-pipeline", "multi_branch_pipeline": {"name": "api"}},
    }
    assert branches_of(multi) == ["main", "release-1.4"]
    with pytest.raises(ValueError, match="branch is needed"):
        pipelinerun_body(multi, {}, creator="alice")
    body = pipelinerun_body(multi, {}, creator="alice", branch="release-1.4")
    assert body["spec"]["scm"] == {"refName": "release-1.4", "refType": "branch"}
    assert "parameters" not in body["spec"]
    assert body["spec"]["pipelineSpec"]["type"] == "multi-branch-pipeline"


def test_a_rerun_takes_the_runs_parameters_and_branch() -> None:
    run = {
        "spec": {
            "parameters": [{"name": "IMAGE_TAG", "value": "1.8.3"}],
            "scm": {"refName": "main", "refType": "branch"},
        }
    }
    assert rerun_values(run) == ({"IMAGE_TAG": "1.8.3"}, "main")


# ---------------------------------------------------------------------------- progressive logs


def test_progressive_offsets_follow_x_text_size_and_join_split_lines() -> None:
    log = ProgressiveLog()
    assert log.params() == {"start": "0"}
    assert log.feed("+ make test\nok 1\nok", {"X-Text-Size": "19", "X-More-Data": "true"}) == [
        "+ make test",
        "ok 1",
    ]
    assert (log.start, log.more, log.done, log.wait()) == (19, True, False, FAST)
    assert log.params() == {"start": "19"}
    assert log.feed(" 2\n", {"x-text-size": "22", "x-more-data": "true"}) == ["ok 2"]
    # A quiet running step: the same offset comes back, the wait grows to SLOW.
    waits = []
    for _ in range(6):
        assert log.feed("", {"X-Text-Size": "22", "X-More-Data": "true"}) == []
        waits.append(log.wait())
    assert waits[0] > FAST
    assert waits[-1] == SLOW
    assert waits == sorted(waits)
    # The step ends: the unended last line is given, and the log is done.
    assert log.feed("Finished: FAILURE", {"X-Text-Size": "39", "X-More-Data": "false"}) == [
        "Finished: FAILURE"
    ]
    assert log.done
    assert log.start == 39


def test_a_log_shorter_than_the_offset_is_read_again_from_zero() -> None:
    log = ProgressiveLog(start=500)
    assert log.feed("", {"X-Text-Size": "20", "X-More-Data": "true"}) == []
    assert (log.start, log.restarted) == (0, 1)


def test_without_x_text_size_the_offset_counts_the_bytes() -> None:
    log = ProgressiveLog()
    log.feed("héllo\n", {"X-More-Data": "false"})
    assert log.start == len("héllo\n".encode())
    assert log.done


def test_a_hostile_parameter_name_is_no_markup_in_the_form() -> None:
    from kstui.screens.pipeline_forms import parameter_field

    field = parameter_field(Parameter("[bold red]X[/]\x1b[2J", "string", ""))
    assert field.label == "·bold·red·X·····"
    assert "[" not in field.label
    assert "\x1b" not in field.label
