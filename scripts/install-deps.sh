#!/usr/bin/env bash
# Installs the Debian packages UniMQ needs to build, test and benchmark, when missing.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  libasio-dev libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libcpp-httplib-dev libssl-dev libgtest-dev librocksdb-dev
  python3 python3-pytest python3-paho-mqtt python3-websocket mosquitto mosquitto-clients
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The Debian mosquitto package starts a system broker on 1883; UniMQ wants that port.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl stop mosquitto || true
  systemctl disable mosquitto >/dev/null 2>&1 || true
fi
