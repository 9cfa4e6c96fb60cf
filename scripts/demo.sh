#!/usr/bin/env bash
# Command 1 of the README: install dependencies, build, generate a small synthetic catalog,
# index it, run example searches, then start the HTTP service on the index, show one curl request
# and its answer, and stop the service (it never outlives the script).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
lt="$root/build/cli/longtail"
work=${LONGTAIL_DEMO_DIR:-$root/build/demo}
mkdir -p "$work"
echo "== generating a synthetic catalog (20,000 SKUs, seed 42) in $work/catalog"
"$lt" gen --skus 20000 --seed 42 --out "$work/catalog" > "$work/gen.log"
echo "== building a 2-shard index in $work/index"
"$lt" build --catalog "$work/catalog/catalog.jsonl" --shops "$work/catalog/shops.jsonl" \
  --index "$work/index" --shards 2 --quiet
echo "== optimizing it for serving (best-prior order, tiers for broad queries, compacted)"
"$lt" optimize --index "$work/index"
# A few queries from the generator's labelled set (head, torso, tail), then two with filters.
mapfile -t queries < <(awk -F'\t' '$3=="head"{h++; if(h<=1)print $2} $3=="torso"{t++; if(t<=1)print $2} $3=="tail"{l++; if(l<=2)print $2}' "$work/catalog/queries.tsv")
for q in "${queries[@]}"; do
  echo; echo "== longtail search \"$q\""
  "$lt" search --index "$work/index" -n 5 "$q"
done
echo; echo "== longtail search 连衣裙 --price 50..200 -n 5"
"$lt" search --index "$work/index" --price 50..200 -n 5 连衣裙
echo; echo "== longtail search --json 手机壳 -n 2"
"$lt" search --index "$work/index" --json -n 2 手机壳

# The HTTP service (docs/http.md) on the same index: one request with curl, then stopped. Port 0
# (unless LONGTAIL_DEMO_PORT is set): a free one, read from the line the server prints.
port=${LONGTAIL_DEMO_PORT:-0}
echo; echo "== longtail serve --http 127.0.0.1:$port --index $work/index  (the HTTP/JSON API, docs/http.md)"
"$lt" serve --http "127.0.0.1:$port" --index "$work/index" > "$work/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null' EXIT
url=""
for _ in $(seq 300); do
  url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/serve.log")
  [ -n "$url" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { echo "the service did not start:"; cat "$work/serve.log"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the service did not listen within 30 s"; exit 1; }
echo "== curl '$url/search?q=%E8%BF%9E%E8%A1%A3%E8%A3%99&limit=2'   (q=连衣裙)"
curl -fsS "$url/search?q=%E8%BF%9E%E8%A1%A3%E8%A3%99&limit=2"
echo
echo "== stopping the service (pid $serve_pid); to keep one running:"
echo "   $lt serve --http 127.0.0.1:7700 --index $work/index      # Ctrl-C (SIGINT) or SIGTERM stops it"
