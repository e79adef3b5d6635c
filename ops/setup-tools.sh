#!/usr/bin/env bash
# What the tests and local mode need beyond Python packages, installed once per machine:
# Debian's njs (the edge functions' engine) and chromium (browser tests), Java 17, and
# DynamoDB Local unpacked from the npm package that carries it.
set -euo pipefail
cd "$(dirname "$0")/.."

DDB_PACKAGE=amplify-dynamodb-simulator@2.9.30
TOOLS=.tools
missing=()
command -v njs >/dev/null || missing+=(njs)
command -v chromium >/dev/null || missing+=(chromium)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f "$TOOLS/dynamodb-local/DynamoDBLocal.jar" ]; then
  echo "unpacking DynamoDB Local from $DDB_PACKAGE"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$DDB_PACKAGE" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$TOOLS"
  rm -rf "$TOOLS/dynamodb-local"
  mv "$work/package/emulator" "$TOOLS/dynamodb-local"
  rm -rf "$work"
fi
touch "$TOOLS/.ok"
