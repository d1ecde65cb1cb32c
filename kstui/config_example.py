"""A commented example config.yaml: every key, with its default (a test checks its binding ids)."""

EXAMPLE_CONFIG = """\
# kstui config: ~/.config/kstui/config.yaml (or $XDG_CONFIG_HOME/kstui/config.yaml).
# Every key is optional; a missing file means the defaults shown here.

# Context and namespace to open at start (default: the kubeconfig's current ones).
default_context: null
default_namespace: null

# Colour theme: any Textual theme name.
theme: textual-dark

# Refuse all writes everywhere (also: KSTUI_READONLY=1), or only on some contexts.
readonly: false
readonly_contexts:
  - prod-*          # glob patterns work
  - kubesphere-host

# Workspaces spans clusters through the kubeconfig's other contexts, but only those that log
# in as the same user as the current context (asked of each API server). To also act through
# contexts of another user, list them (names or globs, e.g. [member]); what they serve shows
# in warning colour as "member (as admin)".
other_identities: []

# Remap keys by binding id. Several keys are separated by commas.
# Keys: letters, digits, enter, escape, tab, space, up, down, pageup, f1..f24, slash,
# question_mark..., with ctrl+, shift+ or alt+ in front.
keymap:
  table.cursor_down: j,down
  table.cursor_up: k,up
  resource.delete: ctrl+d,delete

# Command aliases for the command bar.
aliases:
  pp: pods -n payments
  dp: deploy

# Live refresh: repaint at most every coalesce_ms; keep idle watches grace_seconds;
# list page_size objects per request.
refresh:
  coalesce_ms: 100
  grace_seconds: 30
  page_size: 500

# Log views keep the newest buffer_lines lines; older ones are dropped and counted on screen.
logs:
  buffer_lines: 5000

# `s` on a pod or container opens a shell: these are tried in turn until the image has one.
shells: [bash, sh]
# Prometheus history comes through each cluster's kube-apiserver service proxy (no
# credentials needed). To use another Prometheus for a context, name its URL here; its bearer
# token or basic-auth password lives in the OS keyring, stored with
# `kstui credentials set-prometheus CONTEXT` (never in this file):
#   prod-eu:
#     url: https://prometheus.example.com
#     auth: bearer            # none | bearer | basic (then username: ...)
#     keyring_entry: prod-eu  # default: the context's name
prometheus: {}

# The DevOps API (Pipelines section, key 4) per context: by default the kube-apiserver's
# service proxy to devops-apiserver, where it acts as anonymous with Jenkins-admin rights
# (every action says so). A ks-apiserver URL instead logs you in to KubeSphere: the password
# is asked once, only the refresh token is kept (OS keyring), renewed before it expires.
#   prod-eu:
#     ks_apiserver: https://ks.example.com
#     username: alice
#     client_id: kubesphere       # KubeSphere's built-in OAuth client (the default)
#     client_secret: kubesphere
devops: {}

# Plugins: your own commands on a key, on the selected row of the kinds listed (kind names as
# kubectl takes them, `containers` for a pod's container rows, or `all`). The command is a
# list of arguments and no shell reads it: $CONTEXT, $CLUSTER, $NAMESPACE, $NAME, $CONTAINER
# (asked for on a pod row), $KIND, $COL-<column> (the row's cell, e.g. $COL-STATUS) are
# replaced inside their argument, whatever the values hold ($$ is a literal $). KUBECONFIG
# is set to the files kstui read. background: true shows the output in a pane with the exit
# code; otherwise the terminal is the command's until it ends. confirm: true asks first.
# Read-only mode disables plugins unless safe: true. Keys kstui already has there are refused.
plugins:
  debug:
    key: shift+d
    description: an ephemeral debug container
    kinds: [pods, containers]
    command: [kubectl, --context, $CONTEXT, -n, $NAMESPACE, debug, -it, $NAME,
              --image=busybox, --target=$CONTAINER]
    confirm: true
  images:
    key: ctrl+t
    kinds: [deployments, statefulsets, daemonsets]
    command: [kubectl, --context, $CONTEXT, -n, $NAMESPACE, get, $KIND, $NAME,
              -o, "jsonpath={.spec.template.spec.containers[*].image}"]
    background: true
    safe: true
# The Traffic section's guard: raising the weight of a version whose 5xx ratio is worse than
# the other version's by more than error_margin percentage points, or whose p95 latency is
# slower by more than latency_margin percent, stops and needs an explicit override (each one
# is recorded in $XDG_STATE_HOME/kstui/traffic-journal.jsonl). window: 5m, 15m, 1h or 6h.
traffic:
  error_margin: 1.0
  latency_margin: 20.0
  window: 15m

# Plain output without colours (also: NO_COLOR set to anything).
no_color: false
"""
