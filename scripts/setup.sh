#!/usr/bin/env bash
# Installs latentkit's build and run dependencies from Debian's packages.
# Idempotent: when everything is present it only checks (a second or two).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libtorch-dev            # LibTorch 1.13 (C++ API) and its CMake config
  libopenblas0-pthread    # a fast BLAS; Debian's default libblas3 is the slow reference one
  libdnnl-dev             # oneDNN's headers: AVX-512 matrix products for the fused training steps
  dataset-fashion-mnist   # the default dataset, under /usr/share/datasets/fashion-mnist
  zlib1g-dev              # gzip-compressed IDX files
  libcli11-dev            # command-line parsing
  nlohmann-json3-dev      # configs, metrics.jsonl
  libstb-dev              # PNG writing, text in pictures (stb_truetype)
  fonts-dejavu-core       # DejaVu Sans for the text in pictures (a built-in font if absent)
  libgloo-dev             # Gloo headers for c10d's ProcessGroupGloo (distributed training)
  libcpp-httplib-dev pkg-config  # HTTP for latentkit serve (its defines come through pkg-config)
  chromium chromium-driver python3-selenium  # the browser test of latentkit serve's page
  libgtest-dev            # tests
  clang libclang-rt-14-dev  # make fuzz: libFuzzer with AddressSanitizer and UBSan
  python3-torch python3-numpy  # the PyTorch reference in tests and bench/
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libtorch links libblas.so.3; make sure the alternative points at OpenBLAS, not the reference BLAS.
alt=libblas.so.3-x86_64-linux-gnu
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if [[ -e "$openblas" ]] && [[ "$(readlink -f /etc/alternatives/$alt 2>/dev/null)" != "$openblas" ]]; then
  echo "setup: selecting OpenBLAS for $alt"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO update-alternatives --set "$alt" "$openblas"
fi
