#!/usr/bin/env bash
# Put kubectl into the kit's venv (VENV/bin/kubectl) when none is on PATH: the notebooks' `!kubectl` cells
# and the lab's `lab.kubectl(...)` use it. The kit itself never needs kubectl; lessons show it because learners
# will type it against real clusters. Pinned to the kind node's Kubernetes minor, checked against its sha256.
set -u
venv="${1:-.venv}"
version="${KUBECTL_VERSION:-v1.32.4}"

if command -v kubectl >/dev/null 2>&1; then
  echo "kubectl: $(command -v kubectl) present"
  exit 0
fi
if [ -x "$venv/bin/kubectl" ]; then
  echo "kubectl: $venv/bin/kubectl present"
  exit 0
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "kubectl: unsupported OS $(uname -s); install kubectl yourself (https://kubernetes.io/docs/tasks/tools/)"; exit 0 ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "kubectl: unsupported CPU $(uname -m); install kubectl yourself (https://kubernetes.io/docs/tasks/tools/)"; exit 0 ;;
esac

url="https://dl.k8s.io/release/$version/bin/$os/$arch/kubectl"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! curl -fsSL --retry 3 -o "$tmp/kubectl" "$url" || ! curl -fsSL --retry 3 -o "$tmp/kubectl.sha256" "$url.sha256"; then
  echo "kubectl: could not download $url (offline?). The notebooks' \`!kubectl\` cells need it:"
  echo "  install kubectl $version (https://kubernetes.io/docs/tasks/tools/) or re-run 'make setup' when online"
  exit 0
fi
if ! echo "$(cat "$tmp/kubectl.sha256")  $tmp/kubectl" | sha256sum --check --status; then
  echo "kubectl: the download of $url does not match its published sha256; not installed. Re-run 'make setup'."
  exit 1
fi
install -m 0755 "$tmp/kubectl" "$venv/bin/kubectl"
echo "kubectl: $version installed in $venv/bin"
