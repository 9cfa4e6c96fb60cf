#!/usr/bin/env bash
# The performance suite of perf/README.md, reproducible with fixed seeds: one catalog, then
# longtail, plain Xapian and SQLite FTS5 built, evaluated and benchmarked on it in the same run.
#
#   perf/run_suite.sh [--skus N] [--seed S] [--work DIR] [--build DIR] [--duration S] [--threads "1 2"]
#                     [--shards K] [--skip-gen] [--no-fts5] [--no-xapian] [--no-optimize]
#
# The longtail index built with the most threads is then put through `longtail optimize` (quality
# order, tiers, compaction: what a deployment serves; docs/deployment.md), and eval and bench run
# on it; --no-optimize measures the index as built instead. eval and bench open it as a server
# would, with stage-1 columns (docs/ranking.md, "Stage-1 columns").
# longtail is evaluated and benchmarked twice: full ranking, and BM25 only (profiles/bm25.toml,
# reported as engine "longtail_bm25").
# Defaults: --skus 1000000 --seed 1 --work /work/tmp-perf/suite-<skus> --build <repo>/build-perf
# --duration 10 (seconds per query class per bench) --threads "1 2" --shards 2.
# Needs the `longtail` and `longtail_baseline` binaries in --build (cmake --build --target
# longtail_cli longtail_baseline), /usr/bin/time and xapian-compact. Writes every raw result to
# WORK/results/ (JSON, `/usr/bin/time -v` logs) and a Markdown summary to WORK/results/summary.md
# (perf/suite_summary.py). Generated data stays under WORK: never commit it.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SKUS=1000000 SEED=1 WORK="" BUILD="$REPO/build-perf" DURATION=10 THREADS="1 2" SHARDS=2
SKIP_GEN=0 FTS5=1 XAPIAN=1 OPTIMIZE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --skus) SKUS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --shards) SHARDS=$2; shift 2 ;;
    --skip-gen) SKIP_GEN=1; shift ;;
    --no-fts5) FTS5=0; shift ;;
    --no-xapian) XAPIAN=0; shift ;;
    --no-optimize) OPTIMIZE=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run_suite.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
WORK=${WORK:-/work/tmp-perf/suite-$SKUS}
LT="$BUILD/cli/longtail"
BL="$BUILD/perf/longtail_baseline"
for b in "$LT" "$BL" /usr/bin/time; do [ -x "$b" ] || { echo "run_suite.sh: missing $b" >&2; exit 2; }; done
command -v xapian-compact >/dev/null || { echo "run_suite.sh: xapian-compact not found" >&2; exit 2; }

CAT="$WORK/cat" RES="$WORK/results"
mkdir -p "$WORK" "$RES"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
# Apparent bytes of the given paths (files or directories), summed.
bytes() { du -sb "$@" | awk '{s += $1} END {print s + 0}'; }

{
  echo "{\"skus\":$SKUS,\"seed\":$SEED,\"duration_s\":$DURATION,\"threads\":\"$THREADS\",\"shards\":$SHARDS,"
  echo "\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\",\"cores\":$(nproc),"
  echo "\"mem_gb\":$(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo),"
  echo "\"git\":\"$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)\",\"date\":\"$(date -u +%FT%TZ)\",\"load_at_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} > "$RES/machine.json"

# ---- catalog -------------------------------------------------------------------------------
if [ "$SKIP_GEN" = 0 ] || [ ! -s "$CAT/catalog.jsonl" ]; then
  log "gen $SKUS SKUs, seed $SEED"
  "$LT" gen --skus "$SKUS" --seed "$SEED" --out "$CAT" --quiet --json > "$RES/gen.json"
fi
Q="$CAT/queries.tsv" R="$CAT/qrels.tsv"

# ---- index builds --------------------------------------------------------------------------
compact_shards() {  # SRC_DIR DST_DIR: xapian-compact every shard-* of SRC into DST
  rm -rf "$2"; mkdir -p "$2"
  for s in "$1"/shard-*; do xapian-compact "$s" "$2/$(basename "$s")" > /dev/null; done
}
for T in $THREADS; do
  IDX="$WORK/idx-t$T"
  log "longtail build, $T thread(s), $SHARDS shards"
  /usr/bin/time -v -o "$RES/build-longtail-t$T.time" \
    "$LT" build --catalog "$CAT/catalog.jsonl" --shops "$CAT/shops.jsonl" --index "$IDX" \
    --shards "$SHARDS" --threads "$T" > "$RES/build-longtail-t$T.out" 2>&1
  GEN="$IDX/$(cat "$IDX/CURRENT")"
  compact_shards "$GEN" "$WORK/idx-t$T-compact"
  echo "{\"generation_bytes\":$(bytes "$GEN"),\"shard_bytes\":$(bytes "$GEN"/shard-*),\"compact_shard_bytes\":$(bytes "$WORK/idx-t$T-compact"/shard-*)}" \
    > "$RES/size-longtail-t$T.json"
  if [ "$XAPIAN" = 1 ]; then
    log "plain Xapian build, $T thread(s)"
    rm -rf "$WORK/xapian-t$T"
    /usr/bin/time -v -o "$RES/build-xapian-t$T.time" \
      "$BL" xapian-build --catalog "$CAT/catalog.jsonl" --out "$WORK/xapian-t$T" --threads "$T" > "$RES/build-xapian-t$T.json"
    compact_shards "$WORK/xapian-t$T" "$WORK/xapian-t$T-compact"
    echo "{\"shard_bytes\":$(bytes "$WORK/xapian-t$T"/shard-*),\"compact_shard_bytes\":$(bytes "$WORK/xapian-t$T-compact"/shard-*)}" \
      > "$RES/size-xapian-t$T.json"
  fi
done
# Queries run on the index built with the most threads (same documents whatever the thread count).
LAST_T=${THREADS##* }
IDX="$WORK/idx-t$LAST_T" XDB="$WORK/xapian-t$LAST_T"
if [ "$OPTIMIZE" = 1 ]; then
  log "longtail optimize ($LAST_T-thread index)"
  /usr/bin/time -v -o "$RES/optimize-longtail.time" \
    "$LT" optimize --index "$IDX" --threads "$LAST_T" --json > "$RES/optimize-longtail.json"
fi
if [ "$FTS5" = 1 ]; then
  log "FTS5 build (one writer)"
  /usr/bin/time -v -o "$RES/build-fts5.time" \
    "$BL" fts5-build --catalog "$CAT/catalog.jsonl" --index "$IDX" --out "$WORK/fts5.db" > "$RES/build-fts5.json"
  echo "{\"db_bytes\":$(bytes "$WORK/fts5.db")}" > "$RES/size-fts5.json"
fi

# ---- effectiveness -------------------------------------------------------------------------
log "eval"
"$LT" eval --index "$IDX" --queries "$Q" --qrels "$R" --run "$RES/run-longtail.txt" --json > "$RES/eval-longtail.json"
# The same index ranked by BM25 alone (profiles/bm25.toml): what the full ranking costs and adds.
"$LT" eval --index "$IDX" --queries "$Q" --qrels "$R" --profile "$REPO/profiles/bm25.toml" --json > "$RES/eval-longtail_bm25.json"
[ "$XAPIAN" = 1 ] && "$BL" eval --engine xapian --db "$XDB" --queries "$Q" --qrels "$R" --run "$RES/run-xapian.txt" --json > "$RES/eval-xapian.json"
[ "$FTS5" = 1 ] && "$BL" eval --engine fts5 --db "$WORK/fts5.db" --index "$IDX" --queries "$Q" --qrels "$R" --run "$RES/run-fts5.txt" --json > "$RES/eval-fts5.json"

# ---- latency: engines interleaved per thread count, same queries, same harness ---------------
for T in $THREADS; do
  log "bench longtail, $T thread(s)"
  "$LT" bench --index "$IDX" --queries "$Q" --threads "$T" --duration "$DURATION" --json > "$RES/bench-longtail-t$T.json"
  log "bench longtail, BM25 only, $T thread(s)"
  "$LT" bench --index "$IDX" --queries "$Q" --threads "$T" --duration "$DURATION" --profile "$REPO/profiles/bm25.toml" \
    --json > "$RES/bench-longtail_bm25-t$T.json"
  if [ "$XAPIAN" = 1 ]; then
    log "bench plain Xapian, $T thread(s)"
    "$BL" bench --engine xapian --db "$XDB" --queries "$Q" --threads "$T" --duration "$DURATION" --json > "$RES/bench-xapian-t$T.json"
  fi
  if [ "$FTS5" = 1 ]; then
    log "bench FTS5, $T thread(s)"
    "$BL" bench --engine fts5 --db "$WORK/fts5.db" --index "$IDX" --queries "$Q" --threads "$T" --duration "$DURATION" --json > "$RES/bench-fts5-t$T.json"
  fi
done

python3 "$REPO/perf/suite_summary.py" "$RES" > "$RES/summary.md"
log "done: $RES/summary.md"
cat "$RES/summary.md"
