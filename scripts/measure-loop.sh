#!/usr/bin/env bash
# Measures the loop on this machine (release build):
#  1. latency: a file landing in raw/ → the new champion readable, with `futbr watch` running;
#  2. how a whole pipeline run grows with the number of matches (synthetic histories).
# Usage: scripts/measure-loop.sh [path to shared/data]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
cargo build --release --quiet
bin=$PWD/target/release/futbr
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

champion() { sed -n 's/.*"version": "\(v[^"]*\)".*/\1/p' "$work/lake/models/champion.json" 2>/dev/null || true; }

echo "== latency: file in raw/ -> new champion (watch --interval 0.5 --debounce 0.2)"
for i in 1 2 3 4 5; do
  rm -rf "$work/lake"
  "$bin" -q watch --lake "$work/lake" --bootstrap "$data/dados_producao_inicial.csv" --interval 0.5 --debounce 0.2 &
  pid=$!
  until [ -n "$(champion)" ]; do sleep 0.05; done
  v1=$(champion)
  start=$(date +%s.%N)
  cp "$data/novas_rodadas_simuladas.csv" "$work/lake/raw/"
  until [ "$(champion)" != "$v1" ]; do sleep 0.01; done
  end=$(date +%s.%N)
  echo "run $i: $(echo "$end - $start" | bc) s"
  kill $pid; wait $pid 2>/dev/null || true
done

echo "== pipeline run vs matches (synthetic, elo)"
for n in 125000 250000 500000 1000000; do
  rm -rf "$work/big"
  "$bin" synth --matches $n --out "$work/s.csv" >/dev/null
  "$bin" -q ingest --lake "$work/big" "$work/s.csv" >/dev/null
  /usr/bin/time -f "$n matches: %e s wall, %M KB peak" "$bin" -q pipeline run --lake "$work/big" >/dev/null
done
