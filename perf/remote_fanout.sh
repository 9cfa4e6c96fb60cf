#!/usr/bin/env bash
# Fan-out latency of remote shards (issue 8): the same catalog built with 1, 2 and 4 shards, each
# searched locally and through `longtail serve` (one xapian-progsrv per connection) shard servers on 127.0.0.1
# attached with `longtail attach`, with `longtail bench`; prints p50/p95/p99 and QPS per
# configuration and the remote/local ratios. Fixed seeds: the same options give the same catalog,
# indexes and query order.
#
#   perf/remote_fanout.sh [--skus N] [--seed S] [--shards "1 2 4"] [--threads T] [--duration S]
#                         [--limit N] [--build-threads T] [--port-base P] [--work DIR] [--build DIR]
#                         [--skip-gen]
#
# Defaults: --skus 200000 --seed 1 --shards "1 2 4" --threads 1 (searching threads) --duration 3
# (seconds per query class per bench) --limit 10 --build-threads 2 --port-base 17400 (shard k of
# the K-shard index listens on P + 10*K + k) --work /work/tmp-perf/fanout-<skus>
# --build <repo>/build. Needs the `longtail` binary in --build. Writes the raw bench JSON to
# WORK/results/ and the table to WORK/results/fanout.md. Generated data stays under WORK: never
# commit it. Shard servers run in their own sessions and are stopped on exit (also on error or
# Ctrl-C).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SKUS=200000 SEED=1 SHARDS="1 2 4" THREADS=1 DURATION=3 LIMIT=10 BUILD_THREADS=2 PORT_BASE=17400
WORK="" BUILD="$REPO/build" SKIP_GEN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --skus) SKUS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    --build-threads) BUILD_THREADS=$2; shift 2 ;;
    --port-base) PORT_BASE=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --skip-gen) SKIP_GEN=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "remote_fanout.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
WORK=${WORK:-/work/tmp-perf/fanout-$SKUS}
LT="$BUILD/cli/longtail"
[ -x "$LT" ] || { echo "remote_fanout.sh: missing $LT (cmake --build $BUILD --target longtail_cli)" >&2; exit 2; }
command -v xapian-progsrv >/dev/null || { echo "remote_fanout.sh: xapian-progsrv not found (xapian-tools)" >&2; exit 2; }

CAT="$WORK/cat" RES="$WORK/results"
mkdir -p "$WORK" "$RES"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---- shard servers -------------------------------------------------------------------------
# `longtail serve` runs in a session of its own, so its pid is also its process group: stopping
# the group stops the connection-handling children (xapian-progsrv) too, and never touches this
# script's group. Its default --max-connections (64) is well above what a bench opens.
SERVER_PIDS=()
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVER_PIDS=()
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_server() {  # INDEX SHARD PORT
  if port_open "$3"; then echo "remote_fanout.sh: port $3 is in use (try --port-base)" >&2; exit 2; fi
  # Its stderr goes to a log: connections it refuses (--max-connections) or cannot serve are
  # reported there.
  "$LT" serve --index "$1" --shard "$2" --port "$3" --interface 127.0.0.1 2>> "$RES/serve-$(basename "$1")-$2.log" &
  local pid=$! i
  SERVER_PIDS+=("$pid")
  for i in $(seq 100); do
    port_open "$3" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "remote_fanout.sh: shard server $2 exited at start-up" >&2; exit 1; }
    sleep 0.1
  done
  echo "remote_fanout.sh: shard server $2 did not listen on port $3 within 10 s" >&2
  exit 1
}

{
  echo "{\"skus\":$SKUS,\"seed\":$SEED,\"shards\":\"$SHARDS\",\"threads\":$THREADS,\"duration_s\":$DURATION,\"limit\":$LIMIT,"
  echo "\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\",\"cores\":$(nproc),"
  echo "\"git\":\"$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)\",\"date\":\"$(date -u +%FT%TZ)\",\"load_at_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} > "$RES/machine.json"

# ---- catalog and indexes -------------------------------------------------------------------
if [ "$SKIP_GEN" = 0 ] || [ ! -s "$CAT/catalog.jsonl" ]; then
  log "gen $SKUS SKUs, seed $SEED"
  "$LT" gen --skus "$SKUS" --seed "$SEED" --out "$CAT" --quiet --json > "$RES/gen.json"
fi
for K in $SHARDS; do
  log "build $K shard(s), $BUILD_THREADS thread(s)"
  "$LT" build --catalog "$CAT/catalog.jsonl" --shops "$CAT/shops.jsonl" --index "$WORK/idx-$K" --shards "$K" \
    --threads "$BUILD_THREADS" --quiet > "$RES/build-$K.out"
done

# ---- benches: local, then the same shards served remotely ------------------------------------
bench() {  # INDEX OUT_JSON
  "$LT" bench --index "$1" --queries "$CAT/queries.tsv" --threads "$THREADS" --duration "$DURATION" \
    --limit "$LIMIT" --seed "$SEED" --json > "$2"
}
for K in $SHARDS; do
  log "bench local, $K shard(s)"
  bench "$WORK/idx-$K" "$RES/bench-local-$K.json"
  specs=()
  for ((k = 0; k < K; k++)); do
    port=$((PORT_BASE + 10 * K + k))
    start_server "$WORK/idx-$K" "$k" "$port"
    specs+=(--remote "$k=127.0.0.1:$port")
  done
  rm -rf "$WORK/client-$K"
  "$LT" attach --index "$WORK/idx-$K" --out "$WORK/client-$K" "${specs[@]}" > /dev/null
  log "bench remote, $K shard server(s)"
  bench "$WORK/client-$K" "$RES/bench-remote-$K.json"
  stop_servers
done

# ---- table ---------------------------------------------------------------------------------
python3 - "$RES" $SHARDS <<'EOF' | tee "$RES/fanout.md"
import json, sys
res, shards = sys.argv[1], sys.argv[2:]
m = json.load(open(f"{res}/machine.json"))
print(f"{m['skus']} SKUs (seed {m['seed']}), {m['threads']} searching thread(s), {m['duration_s']} s per query class, "
      f"top {m['limit']}; {m['cores']} cores ({m['cpu']}), load at start {m['load_at_start']}; git {m['git']}")
print()
print("| shards | where | p50 ms | p95 ms | p99 ms | QPS | remote/local p50 | p99 | QPS |")
print("|---|---|---|---|---|---|---|---|---|")
for k in shards:
    runs = {w: json.load(open(f"{res}/bench-{w}-{k}.json"))["bench"]["overall"] for w in ("local", "remote")}
    for w, o in runs.items():
        cells = [k, w, f"{o['p50_ms']:.2f}", f"{o['p95_ms']:.2f}", f"{o['p99_ms']:.2f}", f"{o['qps']:.1f}"]
        if w == "remote":
            loc = runs["local"]
            ratio = lambda a, b: f"{a / b:.2f}" if b > 0 else "-"
            cells += [ratio(o["p50_ms"], loc["p50_ms"]), ratio(o["p99_ms"], loc["p99_ms"]), ratio(o["qps"], loc["qps"])]
        else:
            cells += ["", "", ""]
        print("| " + " | ".join(cells) + " |")
EOF
