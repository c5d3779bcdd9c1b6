#!/usr/bin/env bash
# Installs the Debian packages UniMQ needs to build, test and benchmark, when missing.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  libasio-dev libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libcpp-httplib-dev libssl-dev libgtest-dev librocksdb-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libisal-dev librdkafka-dev librabbitmq-dev
  python3 python3-pytest python3-paho-mqtt python3-websocket mosquitto mosquitto-clients
  kcat python3-confluent-kafka python3-kafka python3-pika amqp-tools rabbitmq-server
  iperf3 fio
)
# Node.js clients (kafkajs, amqplib) for the integration tests; npm comes with nodejs on
# Debian only as a separate package.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
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
# The Debian rabbitmq-server package starts a system node on 5672; UniMQ wants that port too
# (the AMQP benchmark starts its own node on free ports).
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
  systemctl stop rabbitmq-server || true
  systemctl disable rabbitmq-server >/dev/null 2>&1 || true
fi
# Test clients from the npm registry, pinned by package-lock.json.
NODE_DIR="$(dirname "$0")/../tests/integration/node"
if [ ! -d "$NODE_DIR/node_modules" ] || [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules" ]; then
  (cd "$NODE_DIR" && npm ci --silent --no-audit --no-fund) && touch "$NODE_DIR/node_modules"
fi
# The Debian mosquitto package starts a system broker on 1883; UniMQ wants that port.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl stop mosquitto || true
  systemctl disable mosquitto >/dev/null 2>&1 || true
fi
