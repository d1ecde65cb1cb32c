"""What seed_devops.py seeds: DevOps projects, pipelines (spec, build plan, parameters) and runs
(when, by whom, and what was done to them), and the Jenkins metadata mirrored onto pipelines."""

from __future__ import annotations

from typing import Any

from kstui.sandbox.jenkins import Build, View

DELIVERY = "shop-deliveryk5v2q"
ML = "ml-cicdq4t8w"
REGISTRY = "registry.acme.example/shop"
WEB_BRANCHES = ("main", "develop", "feature/checkout-v2")

PROJECTS = (
    (DELIVERY, "acme-retail", "alice", "Shop delivery"),
    (ML, "beta-labs", "bob", "ML pipelines"),
)

MEMBERS = {
    DELIVERY: (("alice", "admin"), ("carol", "viewer")),
    ML: (("bob", "admin"), ("alice", "viewer")),
}
"""Who may do what in each DevOps project: alice triggers in hers, only looks in beta-labs'."""

_CART_PARAMS: list[dict[str, str]] = [
    {"name": "IMAGE_TAG", "type": "string", "default_value": "latest", "description": "Image tag"},
    {
        "name": "DEPLOY_ENV",
        "type": "choice",
        "default_value": "dev\nstaging\nprod",
        "description": "Where to deploy",
    },
    {"name": "RUN_E2E", "type": "boolean", "default_value": "true", "description": "Run e2e"},
]
_CART_PLAN: list[dict[str, Any]] = [
    {"name": "Checkout", "steps": [{"checkout": "https://git.acme.example/shop/cart.git"}]},
    {
        "name": "Test",
        "stages": [
            {"name": "unit", "steps": [{"sh": "go test ./...", "units": 6, "lines": 40}]},
            {"name": "lint", "steps": [{"sh": "golangci-lint run", "units": 3}]},
            {
                "name": "integration",
                "steps": [{"sh": "make integration-test", "units": 900, "lines": 9000}],
            },
            {"name": "security-scan", "steps": [{"sh": "trivy fs --exit-code 0 .", "units": 4}]},
        ],
    },
    {"name": "Build Image", "steps": [{"sh": f"docker build -t {REGISTRY}/cart:$IMAGE_TAG ."}]},
    {"name": "Push Image", "steps": [{"sh": f"docker push {REGISTRY}/cart:$IMAGE_TAG"}]},
    {"name": "Deploy", "steps": [{"sh": "kubectl -n shop-$DEPLOY_ENV apply -f deploy/"}]},
]
_PAYMENTS_PLAN: list[dict[str, Any]] = [
    {"name": "Checkout", "steps": [{"checkout": "https://git.acme.example/shop/payments.git"}]},
    {"name": "Build", "steps": [{"sh": "./gradlew assemble", "units": 5, "lines": 30}]},
    {"name": "Integration Test", "steps": [{"sh": "make test", "units": 6, "fail": True}]},
    {"name": "Publish Report", "steps": [{"sh": "make report", "units": 1}]},
]
_MIGRATE_PLAN: list[dict[str, Any]] = [
    {"name": "Backup", "steps": [{"sh": "pg_dump -Fc shop > /backup/shop.dump", "units": 3}]},
    {"name": "Plan Migration", "steps": [{"sh": "migrate -path db/ plan", "units": 2}]},
    {
        "name": "Approve",
        "input": {
            "id": "Apply-migration",
            "message": "Apply 3 migrations to the production database?",
            "ok": "Apply",
            "submitter": "bob,carol",
        },
    },
    {"name": "Migrate", "steps": [{"sh": "migrate -path db/ up", "units": 4}]},
]
_WEB_PLAN: list[dict[str, Any]] = [
    {"name": "Checkout", "steps": [{"checkout": "https://git.acme.example/shop/web.git"}]},
    {"name": "Build", "steps": [{"sh": "npm ci && npm run build", "units": 5, "lines": 25}]},
    {"name": "Test", "steps": [{"sh": "npm test", "units": 5}]},
    {"name": "Deploy Preview", "steps": [{"sh": "kubectl apply -f preview/", "units": 3}]},
]
_TRAIN_PLAN: list[dict[str, Any]] = [
    {"name": "Fetch Data", "steps": [{"sh": "dvc pull", "units": 4}]},
    {
        "name": "Train",
        "steps": [{"sh": "python train.py --epochs $EPOCHS", "units": 8, "lines": 60}],
    },
    {"name": "Evaluate", "steps": [{"sh": "python evaluate.py", "units": 3}]},
]


def _plain(name: str, description: str, params: list[dict[str, str]]) -> dict[str, Any]:
    pipeline: dict[str, Any] = {
        "name": name,
        "description": description,
        "disable_concurrent": False,
        "discarder": {"days_to_keep": "7", "num_to_keep": "20"},
        "jenkinsfile": "// edited in the sandbox's plan annotation",
    }
    if params:
        pipeline["parameters"] = params
    return {"type": "pipeline", "pipeline": pipeline}


_WEB_SPEC: dict[str, Any] = {
    "type": "multi-branch-pipeline",
    "multi_branch_pipeline": {
        "name": "web-app",
        "description": "Storefront web app, every branch",
        "source_type": "git",
        "script_path": "Jenkinsfile",
        "git_source": {
            "url": "https://git.acme.example/shop/web.git",
            "credential_id": "git-readonly",
            "discover_branches": True,
        },
    },
}

PIPELINES: tuple[
    tuple[str, str, dict[str, Any], list[dict[str, Any]], list[dict[str, str]], str], ...
]
PIPELINES = (
    # namespace, name, spec, plan, parameters, creator
    (DELIVERY, "cart-ci", _plain("cart-ci", "Cart service CI", _CART_PARAMS), _CART_PLAN,
     _CART_PARAMS, "alice"),
    (DELIVERY, "payments-nightly", _plain("payments-nightly", "Nightly payments tests", []),
     _PAYMENTS_PLAN, [], "alice"),
    (DELIVERY, "db-migrate", _plain("db-migrate", "Gated database migration", []), _MIGRATE_PLAN,
     [], "alice"),
    (DELIVERY, "web-app", _WEB_SPEC, _WEB_PLAN, [], "alice"),
    (ML, "model-train", _plain("model-train", "Train the recommender",
     [{"name": "EPOCHS", "type": "string", "default_value": "20", "description": "Epochs"}]),
     _TRAIN_PLAN, [], "bob"),
)  # fmt: skip


def _values(**values: str) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in values.items()]


_CART = _values(IMAGE_TAG="2.4.0", DEPLOY_ENV="staging", RUN_E2E="true")
RUNS: tuple[tuple[str, str, str, list[dict[str, str]], str, float, tuple[str, float] | None], ...]
RUNS = (
    # namespace, pipeline, branch, parameters, creator, started (units ago), (action, at unit)
    (DELIVERY, "cart-ci", "", _values(IMAGE_TAG="2.3.9", DEPLOY_ENV="dev", RUN_E2E="true"),
     "alice", 86_400, None),
    (DELIVERY, "cart-ci", "", _values(IMAGE_TAG="2.4.0-rc1", DEPLOY_ENV="staging",
     RUN_E2E="false"), "carol", 40_000, ("stop", 40)),
    (DELIVERY, "cart-ci", "", _CART, "alice", 60, None),
    (DELIVERY, "payments-nightly", "", [], "alice", 172_800, None),
    (DELIVERY, "payments-nightly", "", [], "alice", 86_400, None),
    (DELIVERY, "db-migrate", "", [], "alice", 300, None),
    (DELIVERY, "web-app", "main", [], "alice", 7_200, None),
    (DELIVERY, "web-app", "develop", [], "carol", 3_600, None),
    (DELIVERY, "web-app", "feature/checkout-v2", [], "alice", 6, None),
    (ML, "model-train", "", _values(EPOCHS="20"), "bob", 3_600, None),
)  # fmt: skip


# ------------------------------------------------------------------ Jenkins metadata


def _parameter(spec: dict[str, str]) -> dict[str, Any]:
    """A Pipeline spec parameter as Jenkins describes its definition."""
    kind = spec.get("type", "string")
    default = spec.get("default_value", "")
    out: dict[str, Any] = {"name": spec["name"], "description": spec.get("description", "")}
    if kind == "choice":
        choices = default.split("\n")
        out.update(type="ChoiceParameterDefinition", choices=choices)
        value: Any = choices[0]
    elif kind == "boolean":
        out["type"] = "BooleanParameterDefinition"
        value = default.lower() == "true"
    else:
        out["type"] = {
            "text": "TextParameterDefinition",
            "password": "PasswordParameterDefinition",
        }.get(kind, "StringParameterDefinition")
        value = default
    out["defaultParameterValue"] = {"name": spec["name"], "value": value}
    return out


def _weather(views: list[View]) -> int:
    finished = [v for v in views if v.finished][-5:]
    if not finished:
        return 100
    good = sum(1 for v in finished if v.status["result"] == "SUCCESS")
    return round(good * 100 / len(finished) / 20) * 20


def _latest(build: Build, view: View) -> dict[str, Any]:
    status = view.status
    keep = ("id", "result", "state", "startTime", "endTime", "durationInMillis", "causes")
    return {"name": str(build.number), "pipeline": status["pipeline"]} | {
        k: status[k] for k in keep if k in status
    }


def jenkins_metadata(
    pipeline: dict[str, Any], builds: list[tuple[Build, View]]
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    spec = pipeline["spec"]
    name = pipeline["metadata"]["name"]
    views = [v for _, v in builds]
    estimated = builds[0][0].estimated() if builds else 0.0
    meta: dict[str, Any] = {
        "name": name,
        "fullName": f"{pipeline['metadata']['namespace']}/{name}",
        "weatherScore": _weather(views),
        "estimatedDurationInMillis": int(estimated * 1000),
        "disabled": False,
    }
    if spec["type"] != "multi-branch-pipeline":
        meta["parameters"] = [_parameter(p) for p in spec["pipeline"].get("parameters") or []]
        if builds:
            meta["latestRun"] = _latest(*builds[-1])
        return meta, None
    branches = []
    for branch in WEB_BRANCHES:
        mine = [(b, v) for b, v in builds if b.job.endswith(f"/{branch}")]
        entry: dict[str, Any] = {
            "name": branch.replace("/", "%2F"),
            "rawName": branch,
            "weatherScore": _weather([v for _, v in mine]),
            "disabled": False,
            "latestRun": _latest(*mine[-1]) if mine else None,
            "branch": {"url": _WEB_SPEC["multi_branch_pipeline"]["git_source"]["url"],
                       "isPrimary": branch == "main"},
            "pullRequest": None,
            "parameters": [],
        }  # fmt: skip
        branches.append(entry)
    meta.update(
        numberOfPipelines=len(branches),
        numberOfFolders=0,
        pipelineFolderNames=[],
        totalNumberOfBranches=len(branches),
        numberOfFailingBranches=sum(
            1 for b in branches if (b["latestRun"] or {}).get("result") == "FAILURE"
        ),
        numberOfSuccessfulBranches=sum(
            1 for b in branches if (b["latestRun"] or {}).get("result") == "SUCCESS"
        ),
        branchNames=list(WEB_BRANCHES),
        scmSource={"id": "git", "apiUrl": None},
        scriptPath="Jenkinsfile",
    )
    return meta, branches
