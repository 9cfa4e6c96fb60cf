#!/usr/bin/env bash
# Command 1 of the README: install dependencies, build, generate a small synthetic catalog,
# index it and run example searches.
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
