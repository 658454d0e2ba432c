#!/usr/bin/env bash
# Installs what building, testing and running the UPF needs on Debian 12,
# skipping whatever is already there. Safe to run repeatedly.
set -euo pipefail

PKGS=(dpdk dpdk-dev libdpdk-dev clang libclang-dev pkg-config libpcap-dev libnuma-dev
      python3-scapy python3-venv tshark iproute2 protobuf-compiler)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer no.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    else
        echo "setup: no Rust toolchain found; installing rustup's stable toolchain"
        command -v curl >/dev/null || { apt-get install -y -qq curl >/dev/null; }
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
fi
rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt 2>/dev/null || true

ver=$(pkg-config --modversion libdpdk)
echo "setup: DPDK $ver, $(cargo --version), $(tshark --version 2>/dev/null | head -1)"
