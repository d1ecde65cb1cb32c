"""The kubeconfig reader without PyYAML (kubeconfig_text.simple_load) returns exactly what
PyYAML's safe loader returns, types included, or NOT_SIMPLE: on kubeconfigs as kubectl, kind,
minikube, EKS and the sandbox write them, on tricky scalars, and on thousands of mutated texts
(seeded, so every run tries the same ones)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.kubeconfig_text import NOT_SIMPLE, simple_load
from tests.fresh_python import fresh_python

KUBECTL = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    server: https://127.0.0.1:6443
  name: kind-kind
- cluster:
    insecure-skip-tls-verify: true
    server: https://10.0.0.1:443
    proxy-url: socks5://localhost:1080
    tls-server-name: api.example.com
  name: dev
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
  name: kind-kind
- context:
    cluster: dev
    namespace: shop-prod
    user: eks
  name: dev
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURJ
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - us-east-1
      - eks
      - get-token
      - --cluster-name
      - prod
      command: aws
      env:
      - name: AWS_PROFILE
        value: prod
      interactiveMode: IfAvailable
      provideClusterInfo: false
"""

MINIKUBE = """apiVersion: v1
clusters:
- cluster:
    certificate-authority: /home/me/.minikube/ca.crt
    extensions:
    - extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
      name: cluster_info
    server: https://192.168.49.2:8443
  name: minikube
contexts:
- context:
    cluster: minikube
    namespace: default
    user: minikube
  name: minikube
current-context: minikube
kind: Config
preferences: {}
users:
- name: minikube
  user:
    client-certificate: /home/me/.minikube/profiles/minikube/client.crt
    client-key: /home/me/.minikube/profiles/minikube/client.key
"""

HAND_WRITTEN = """# written by hand
apiVersion: v1
kind: Config

clusters:
  - name: "lab"
    cluster:
      server: 'https://lab.example.com:6443'
      certificate-authority: ''
  # a comment between entries
  - name: lab2
    cluster:
        server: https://lab2:6443
users:
  - name: me
    user:
      token: 'it''s'
      username: admin
      password: "p@ss:word"
      exec:
        command: kubelogin
        args:
        -   get-token
        -
        - ~
        env: null
        interactiveMode: Never
contexts:
  - name: lab
    context:
      cluster: lab
      user: me
  - name: empty
    context:
current-context:
"""

TRICKY_VALUES = [
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "0",
    "7",
    "007",
    "0x1f",
    "0o17",
    "1_000",
    "1e3",
    "1.5",
    ".5",
    ".inf",
    "-.inf",
    ".NaN",
    "-1",
    "+1",
    "-x",
    "+x",
    "--x",
    "-",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "1:30",
    "190:20:30",
    "<<",
    "=",
    "a:b",
    "a: b",
    "a:",
    "a #b",
    "a#b",
    "'q'",
    "'it''s'",
    "'open",
    '"dq"',
    '"es\\tc"',
    '"a"b"',
    "{}",
    "[]",
    "{a: b}",
    "[a]",
    "&anchor x",
    "*alias",
    "!!str 5",
    "|",
    ">-",
    "%x",
    "@x",
    "`x`",
    "?",
    "? x",
    ":x",
    ",x",
    "#x",
    "x,y",
    "x]",
    "x{",
    "",
    "NULL",
    "TRUE",
    "Yes",
    "yes please",
    "http://h:1/p?q=1#frag",
    "LS0t==",
    "1a",
    "0b101",
]

CORPUS = [KUBECTL, MINIKUBE, HAND_WRITTEN, "", "\n", "# only a comment\n", "a: 1\n"]


def typed(value: Any) -> Any:
    """The value with every type spelled out: True == 1 and 1 == 1.0 must not pass."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def by_yaml(text: str) -> Any:
    try:
        return typed(yaml.load(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return "error"


def check(text: str) -> bool:
    """True when the fast reader took the text (and agreed with PyYAML)."""
    fast = simple_load(text)
    if fast is NOT_SIMPLE:
        return False
    assert typed(fast) == by_yaml(text), text
    return True


@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_kubeconfigs_as_tools_write_them_read_as_pyyaml_reads_them(text: str) -> None:
    assert check(text)  # all of them plain: no yaml needed


def test_kubeconfigs_dumped_by_pyyaml_are_plain() -> None:
    """The sandbox writes its kubeconfig with yaml.safe_dump (runtime.write_kubeconfig)."""
    for text in (KUBECTL, MINIKUBE, HAND_WRITTEN):
        document = yaml.safe_load(text)
        for dumped in (
            yaml.safe_dump(document, sort_keys=False),
            yaml.safe_dump(document, default_flow_style=False, indent=4),
        ):
            assert check(dumped)


@pytest.mark.parametrize("value", TRICKY_VALUES)
def test_tricky_scalars_read_as_pyyaml_reads_them_or_go_to_pyyaml(value: str) -> None:
    for text in (
        f"k: {value}\n",
        f"k:\n- {value}\n",
        f"k:\n  - {value}\n  - x\n",
        f"{value}: v\n",
        f"- {value}\n",
        f"k:\n  {value}\n",
        f"k: {value}\n  more\n",
    ):
        check(text)


def test_mutated_kubeconfigs_read_as_pyyaml_reads_them_or_go_to_pyyaml() -> None:
    rng = random.Random(18)
    pieces = [
        " ",
        "  ",
        "- ",
        ": ",
        ":",
        "#",
        " #",
        "'",
        '"',
        "\t",
        "-",
        "{}",
        "[]",
        "\\",
        "yes",
        "1",
        "0x",
        ".",
        "~",
        "&a ",
        "*a",
        "|",
        "\n",
        "\n  ",
        "\n- ",
        "é",
        "\r",
    ]
    taken = 0
    for _ in range(4000):
        lines = rng.choice([KUBECTL, MINIKUBE, HAND_WRITTEN]).split("\n")
        for _edit in range(rng.randint(1, 3)):
            at = rng.randrange(len(lines))
            line = lines[at]
            move = rng.randrange(5)
            if move == 0 and line:  # insert a piece
                cut = rng.randrange(len(line) + 1)
                lines[at] = line[:cut] + rng.choice(pieces) + line[cut:]
            elif move == 1:  # re-indent
                lines[at] = " " * rng.randrange(7) + line.lstrip(" ")
            elif move == 2:  # drop a line
                del lines[at]
            elif move == 3:  # duplicate a line
                lines.insert(at, line)
            elif line:  # drop a character
                cut = rng.randrange(len(line))
                lines[at] = line[:cut] + line[cut + 1 :]
        taken += check("\n".join(lines))
    assert taken > 400  # many mutations stay plain, so the comparison means something


def test_a_plain_kubeconfig_is_read_without_importing_yaml(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(KUBECTL)
    code = (
        "import sys, json\n"
        "from kstui.backends.kubeconfig import load_kubeconfig\n"
        f"config = load_kubeconfig({str(path)!r})\n"
        "print(json.dumps([config.current_context, 'yaml' in sys.modules]))\n"
    )
    printed = fresh_python(code, timeout=60)
    assert json.loads(printed) == ["kind-kind", False]


def test_a_kubeconfig_past_the_plain_subset_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(KUBECTL.replace("preferences: {}", "preferences: {colors: true}  # flow"))
    assert simple_load(path.read_text()) is NOT_SIMPLE
    assert load_kubeconfig(str(path)).current_context == "kind-kind"
