#!/usr/bin/env bash
# Installs every Debian 12 package sbi needs to build, test and run.
# Idempotent: when everything is present it only runs dpkg-query and exits in well under a second.
# Uses sudo when not root, and says what it installs before it does.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git
  # core libraries
  libeigen3-dev libhdf5-dev libfmt-dev libboost-dev nlohmann-json3-dev zlib1g-dev
  # command line
  libcli11-dev libyaml-cpp-dev
  # limit plots (PNG and PDF, headless): PLplot and its cairo driver
  libplplot-dev plplot-driver-cairo
  # expression strings for observables and cuts (sbi lhe --observable NAME=EXPR)
  libmuparser-dev
  # tests; clang builds the LHE reader's libFuzzer harness (test_lhe_fuzz)
  doctest-dev clang
  # Python module and its tests (Debian's /usr/bin/python3, not a pyenv build)
  python3 python3-dev pybind11-dev python3-numpy python3-pytest python3-h5py
  # pysbi.plotting (morphing maps, distributions, training and limit plots)
  python3-matplotlib
  # BLAS with OpenMP threads: LibTorch and Eigen-free GEMMs use it (reference BLAS is ~10x slower)
  libopenblas0-openmp
  # neural estimators: LibTorch (C++, CPU build) and PyTorch for the MadMiner-export checks
  libtorch-dev python3-torch
  # the example notebooks, executed headless by the tests (jupyter-nbconvert --execute)
  jupyter-nbconvert python3-ipykernel
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${#missing[@]} Debian package(s): ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
  echo "install-deps: using sudo"
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
