#!/usr/bin/env bash
# Query correction (pinyin, typos, homophones; issue 23) at scale: its build cost and size, the
# latency of queries that find enough with and without it, and relevance of the same queries
# typed in pinyin (perf/README.md, "Pinyin, typos and homophones").
#
# usage: perf/correction_bench.sh GEN_DIR WORK_DIR [LONGTAIL]
#   GEN_DIR   a `longtail gen` output (catalog.jsonl, shops.jsonl, queries.tsv, qrels.tsv)
#   WORK_DIR  scratch space (two copies of the index)
# With correction off = a copy of the index without spelling.tsv (a Searcher then proposes
# nothing); "on" is another copy with it: a freshly built index and a `cp -r` copy of it differ in
# file layout by more than correction costs, so both sides are copies.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gen=$1
work=$2
lt=${3:-$root/build/cli/longtail}
now=2025-07-01
mkdir -p "$work"
cd "$work"
rm -rf built on off
/usr/bin/time -v "$lt" build -q --json --catalog "$gen/catalog.jsonl" --shops "$gen/shops.jsonl" --index built \
  --shards 2 --threads 2 > build.json 2> build.time
cat build.json
cp -r built on
cp -r built off
rm -rf built
rm off/gen-*/spelling.tsv
echo "spelling.tsv: $(stat -c %s on/gen-*/spelling.tsv) bytes; pinyin keys $(grep -c '^P' on/gen-*/spelling.tsv)," \
  "initials $(grep -c '^I' on/gen-*/spelling.tsv), Latin words $(grep -c '^L' on/gen-*/spelling.tsv); index $(du -sb on | cut -f1) bytes"
/usr/bin/python3 "$root/perf/pinyin_queries.py" "$root/build/analyzers/pinyin.tsv" "$gen/queries.tsv" > pinyin_queries.tsv
for round in 1 2 3 4; do
  if [ $((round % 2)) = 1 ]; then order="on off"; else order="off on"; fi
  for v in $order; do
    echo "== bench $v round $round"
    "$lt" bench --index $v --queries "$gen/queries.tsv" --threads 1 --duration 4 --seed 7 --now $now | grep overall
  done
done
for v in off on; do
  echo "== eval $v: queries as written"
  "$lt" eval --index $v --queries "$gen/queries.tsv" --qrels "$gen/qrels.tsv" --now $now | tail -1
  echo "== eval $v: the same queries in pinyin"
  "$lt" eval --index $v --queries pinyin_queries.tsv --qrels "$gen/qrels.tsv" --now $now | tail -1
  echo "== bench $v: pinyin queries"
  "$lt" bench --index $v --queries pinyin_queries.tsv --threads 1 --duration 4 --seed 7 --now $now | grep overall
done
