#!/usr/bin/env bash
# The API benchmark of README: wrk at 64 connections on loopback against
#   (1) a bare axum handler (crates/server/examples/bare.rs: parse the 16-feature JSON, 3 probabilities),
#   (2) futbr serve POST /predict (the original contract), (3) futbr serve GET /v1/predict,
# each run in turn in one session (so the ratio to the bare handler is measured side by side),
# plus process start → /ready with a champion already in the lake (median of 11 starts).
# Needs: wrk (apt-get install wrk), python3, ../shared/data. Usage: scripts/bench-serve.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --locked -p futbr --bin futbr >/dev/null
cargo build --release --locked -p futbr-server --example bare >/dev/null
bin=target/release/futbr
bare=target/release/examples/bare
work=$(mktemp -d)
trap 'mapfile -t servers < <(jobs -p)
kill "${servers[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
RUST_LOG=warn $bin pipeline run --lake "$work/lake" \
  --bootstrap ../shared/data/campeonato-brasileiro-full.csv >/dev/null

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"form_gols_feitos_mandante":1.8,"form_gols_sofridos_mandante":1.0,"form_pontos_mandante":2.0,"form_gols_feitos_visitante":1.2,"form_gols_sofridos_visitante":1.4,"form_pontos_visitante":1.2,"eh_classico":1,"mandante_def":4,"mandante_mid":3,"mandante_att":3,"visitante_def":4,"visitante_mid":4,"visitante_att":2,"diff_def":0,"diff_mid":-1,"diff_att":1}'
LUA

run_wrk() { # name url [script]
  local out
  if [ -n "${3:-}" ]; then out=$(wrk -t2 -c64 -d"${secs}s" --latency -s "$3" "$2"); else out=$(wrk -t2 -c64 -d"${secs}s" --latency "$2"); fi
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
  printf '%-28s %12s req/s   p99 %8s   %s\n' "$1" "$rps" "$p99" "${errors:-no errors}"
  echo "$rps" >"$work/$1.rps"
}

$bare 127.0.0.1:18090 >/dev/null &
RUST_LOG=warn $bin serve --lake "$work/lake" --no-watch --addr 127.0.0.1:18091 >/dev/null &
for port in 18090 18091; do
  for _ in $(seq 1 100); do curl -s -o /dev/null "127.0.0.1:$port/ready" && break; sleep 0.1; done
done
sleep 1
echo "wrk -t2 -c64 -d${secs}s, $(nproc) cores, $(date -u +%F)"
run_wrk bare-handler "http://127.0.0.1:18090/predict" "$work/post.lua"
run_wrk serve-POST-predict "http://127.0.0.1:18091/predict" "$work/post.lua"
run_wrk serve-GET-v1-predict "http://127.0.0.1:18091/v1/predict?home=Flamengo&away=Palmeiras&date=2025-03-01"
run_wrk bare-handler-again "http://127.0.0.1:18090/predict" "$work/post.lua"
bare_rps=$(python3 -c "import sys; a=float(open('$work/bare-handler.rps').read()); b=float(open('$work/bare-handler-again.rps').read()); print((a+b)/2)")
for n in serve-POST-predict serve-GET-v1-predict; do
  f="$work/$n.rps"
  python3 -c "print(f'{\"$n\":<28} {float(open(\"$f\").read())/$bare_rps*100:5.1f}% of the bare handler (mean of its two runs)')"
done
mapfile -t servers < <(jobs -p)
kill "${servers[@]}" 2>/dev/null || true
wait 2>/dev/null || true

# Start → /ready with a champion in the lake.
python3 - "$bin" "$work/lake" <<'PY'
import http.client, statistics, subprocess, sys, time
bin_, lake = sys.argv[1], sys.argv[2]
times = []
for i in range(11):
    port = 18100 + i
    t0 = time.perf_counter()
    p = subprocess.Popen([bin_, "serve", "--lake", lake, "--no-watch", "--addr", f"127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"RUST_LOG": "warn"})
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/ready")
            if c.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.001)
    times.append((time.perf_counter() - t0) * 1000)
    p.terminate(); p.wait()
print(f"start → /ready (champion in the lake): median {statistics.median(times):.1f} ms, max {max(times):.1f} ms over {len(times)} starts")
PY
