#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its seed corpus.
# The corpus is copied so a run never changes the tree; crashes land in the
# test's working directory (crash-*), and the test fails.
#   run.sh TARGET SEED_DIR SECONDS
set -euo pipefail
target=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
if [ -d "$seeds" ]; then cp -r "$seeds"/. "$work/corpus/"; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1"
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$PWD/" -print_final_stats=1 "$work/corpus"
