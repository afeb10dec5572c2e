#!/usr/bin/env bash
# The home page's weight and server-side time, as README reports them.
# Usage: scripts/measure-web.sh BASE_URL [REQUESTS]   (e.g. http://127.0.0.1:8080 200)
# Prints the bytes of the HTML answer (and of its CSS and JS), and the median / p95 of curl's
# time to the last byte over REQUESTS sequential requests on loopback: an upper bound on render time.
set -euo pipefail
base=${1:?base URL}
n=${2:-200}
for path in "/?home=flamengo&away=palmeiras" "/"; do
  size=$(curl -s -o /dev/null -w '%{size_download}' "$base$path")
  for _ in $(seq 1 "$n"); do curl -s -o /dev/null -w '%{time_total}\n' "$base$path"; done | sort -n |
    awk -v p="$path" -v s="$size" '{a[NR]=$1} END {printf "%-34s %6d bytes  median %.2f ms  p95 %.2f ms  (%d requests)\n", p, s, 1000*a[int(NR/2)+1], 1000*a[int(NR*0.95)], NR}'
done
css=$(curl -s -o /dev/null -w '%{size_download}' "$base/static/site.css")
js=$(curl -s -o /dev/null -w '%{size_download}' "$base/static/site.js")
echo "static/site.css $css bytes, static/site.js $js bytes (the home page loads only the CSS)"
