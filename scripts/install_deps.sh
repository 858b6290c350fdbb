#!/usr/bin/env bash
# Installs the Debian packages kvbench needs, only those missing.
#   scripts/install_deps.sh            build and run
#   scripts/install_deps.sh --test     also what the tests need (clang for the fuzzers, zstd,
#                                      Google Benchmark's compare.py,
#                                      Open MPI for the MPI test)
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config
  libtbb-dev libabsl-dev libbenchmark-dev libboost-program-options-dev
  libsimdjson-dev nlohmann-json3-dev libgtest-dev libgmock-dev libzstd-dev zlib1g-dev
  python3-pandas python3-matplotlib python3-scipy)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(clang libclang-rt-14-dev zstd libopenmpi-dev openmpi-bin chromium python3-pytest
    libbenchmark-tools)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install_deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install_deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
