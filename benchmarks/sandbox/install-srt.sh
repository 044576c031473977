#!/usr/bin/env bash
# Installs Anthropic's sandbox-runtime (`srt`, npm @anthropic-ai/sandbox-runtime) for the sandbox benchmark and the
# escape comparison. Benchmark only: ./test.sh does not need it.
#   benchmarks/sandbox/install-srt.sh [DIR]   (default: benchmarks/sandbox/.srt; prints the path of the srt binary)
# On Linux srt needs bubblewrap, socat and ripgrep (its README, "Platform-Specific Dependencies"): what is missing is
# installed with apt-get. The package is installed outside every directory a sandboxed command may write (the README's
# advice: a copy inside a writable tree can be rewritten by a sandboxed command and then run unsandboxed).
set -euo pipefail
version=0.0.83
dir=${1:-"$(cd "$(dirname "$0")" && pwd)/.srt"}

missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v socat >/dev/null || missing+=(socat)
command -v rg >/dev/null || missing+=(ripgrep)
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

bin="$dir/node_modules/.bin/srt"
if [ ! -x "$bin" ] || [ "$(node -p "require('$dir/node_modules/@anthropic-ai/sandbox-runtime/package.json').version" 2>/dev/null)" != "$version" ]; then
  echo "==> npm install @anthropic-ai/sandbox-runtime@$version into $dir" >&2
  mkdir -p "$dir"
  # srt 0.0.83 declares node >= 22.12 but runs on node 20 for what the benchmark uses (the CLI on Linux).
  npm install --prefix "$dir" --no-audit --no-fund --no-save --engine-strict=false "@anthropic-ai/sandbox-runtime@$version" >&2
fi
echo "$bin"
