#!/usr/bin/env bash
# HTTP overhead of the service (docs/http.md): the same queries on the same index, in process
# (`longtail bench --index`) and over HTTP (`longtail bench --url` against `longtail serve --http`
# with as many request threads as bench has client threads), in alternating order, ROUNDS times.
# Prints each run's overall QPS, p50 and p99 and the mean difference HTTP - in process.
#
# Usage: perf/http_bench.sh LONGTAIL INDEX QUERIES [THREADS] [DURATION] [ROUNDS] [NOW]
#   THREADS  client threads = server threads (default 2); DURATION seconds per query class
#   (default 5); ROUNDS (default 2); NOW for newness (default 2025-07-01, so that both paths rank alike)
set -euo pipefail
lt=$(realpath "$1")
index=$2
queries=$3
threads=${4:-2}
duration=${5:-5}
rounds=${6:-2}
now=${7:-2025-07-01}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# No warm-up pass: the server then counts exactly the timed calls (its mean compares with the
# client's); the first round warms the page cache for both.
common=(--queries "$queries" --threads "$threads" --duration "$duration" --warmup 0 --seed 7 --now "$now" --json)
for r in $(seq "$rounds"); do
  "$lt" bench --index "$index" "${common[@]}" > "$out/inproc.$r.json"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$lt" serve --http "127.0.0.1:$port" --index "$index" --threads "$threads" > "$out/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$port/health" > /dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$out/serve.log"; exit 1; }
    sleep 0.1
  done
  "$lt" bench --url "http://127.0.0.1:$port" "${common[@]}" > "$out/http.$r.json"
  curl -fs "http://127.0.0.1:$port/metrics" > "$out/metrics.$r.txt"
  kill "$server"
  wait "$server"
done
python3 - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
rows = {"inproc": [], "http": []}
for r in range(1, rounds + 1):
    for kind in rows:
        b = json.load(open(f"{out}/{kind}.{r}.json"))["bench"]["overall"]
        rows[kind].append(b)
        print(f"round {r} {kind:6}: qps {b['qps']:.1f}  p50 {b['p50_ms']:.3f} ms  p99 {b['p99_ms']:.3f} ms  "
              f"mean {b['mean_ms']:.3f} ms  ({b['queries']} queries)")
    m = {l.split()[0]: float(l.split()[1]) for l in open(f"{out}/metrics.{r}.txt")
         if l.startswith("longtail_reopen") or l.startswith("longtail_http_request_duration_seconds_")}
    n = m.get('longtail_http_request_duration_seconds_count{endpoint="search"}', 0)
    if n:
        # The server's own time per search (routing to answer: parsing, search, to_json) against
        # what the client saw for the same calls.
        server_ms = 1000 * m['longtail_http_request_duration_seconds_sum{endpoint="search"}'] / n
        b = rows["http"][-1]
        print(f"round {r} server-side mean {server_ms:.3f} ms over {int(n)} searches; client mean {b['mean_ms']:.3f} ms "
              f"over {b['queries']}: HTTP outside the handler {b['mean_ms'] - server_ms:+.3f} ms a request")
    if m.get("longtail_reopen_total"):
        print(f"round {r} reopens: {int(m['longtail_reopen_total'])}, mean "
              f"{1000 * m['longtail_reopen_seconds_total'] / m['longtail_reopen_total']:.4f} ms, "
              f"max {1000 * m['longtail_reopen_max_seconds']:.3f} ms")
mean = lambda kind, k: sum(b[k] for b in rows[kind]) / len(rows[kind])
print(f"mean over {rounds} rounds: in process p50 {mean('inproc', 'p50_ms'):.3f} ms p99 {mean('inproc', 'p99_ms'):.3f} ms "
      f"qps {mean('inproc', 'qps'):.1f}; HTTP p50 {mean('http', 'p50_ms'):.3f} ms p99 {mean('http', 'p99_ms'):.3f} ms "
      f"qps {mean('http', 'qps'):.1f}; overhead p50 {mean('http', 'p50_ms') - mean('inproc', 'p50_ms'):+.3f} ms, "
      f"p99 {mean('http', 'p99_ms') - mean('inproc', 'p99_ms'):+.3f} ms")
PY
