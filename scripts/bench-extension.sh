#!/usr/bin/env bash
# Extension speed and size, measured in one run:
#   - popup open → certificate list rendered from the worker's cache, vs a
#     bare go-app page (bench.BenchmarkPopup/warm; target popup/bare ≤ 1.15),
#     with where the time went: the WASM's download+compile+instantiate and
#     the Go program up to the list (wasm-ms, go-ms)
#   - the first open after install (BenchmarkPopup/first-open)
#   - the first open after a browser restart, the list from the worker's
#     storage cache (BenchmarkPopup/restart)
#   - app.wasm and bare.wasm sizes, raw and gzip -9
#
#   scripts/bench-extension.sh [N] [M]   N warm page pairs (default 60),
#                                        M pairs with a browser start each
#                                        (first-open, restart; default 20)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
n="${1:-60}"
m="${2:-20}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bash scripts/build-extension.sh "$out/ext" >/dev/null 2>&1
for w in app bare; do
  f="$out/ext/web/$w.wasm"
  printf '%-10s raw %9d bytes   gzip -9 %9d bytes\n' "$w.wasm" "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
done
go test -run '^$' -bench 'BenchmarkPopup/warm' -benchtime "${n}x" ./bench/ | tee "$out/bench.txt"
go test -run '^$' -bench 'BenchmarkPopup/(first-open|restart)' -benchtime "${m}x" ./bench/ | tee -a "$out/bench.txt"
awk '/BenchmarkPopup\/(warm|first-open|restart)/ {
       split($1, name, "/"); sub(/-[0-9]+$/, "", name[2])
       for (i = 1; i <= NF; i++) {
         if ($i == "popup/bare") r[name[2]] = $(i-1)
         if ($i == "popup/bare-paired") p[name[2]] = $(i-1)
         if (name[2] == "warm" && $i ~ /^(popup|bare)-(wasm|go)-ms$/) ph[$i] = $(i-1)
       }
     }
     END { if (!("warm" in r) || !("restart" in r)) { print "no popup/bare ratio" > "/dev/stderr"; exit 1 }
           printf "popup (cached list, warm worker) / bare go-app page: %s (target <= 1.15); pair by pair: %s\n", r["warm"], p["warm"]
           printf "  WASM fetch+compile+instantiate: popup %s ms, bare %s ms; Go start to ready: popup %s ms, bare %s ms\n", ph["popup-wasm-ms"], ph["bare-wasm-ms"], ph["popup-go-ms"], ph["bare-go-ms"]
           printf "popup after a browser restart (list from storage) / bare, same restart: %s\n", r["restart"]
           if ("first-open" in r) printf "popup first open after install / bare: %s\n", r["first-open"] }' "$out/bench.txt"
