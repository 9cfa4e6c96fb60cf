#!/usr/bin/env bash
# Relevance on real shoppers' queries (issue 20; docs/ranking.md, "Real queries").
#
# Builds a longtail index of ../shared/data/relevance/mcpr_dev/catalog.jsonl (35,284 real titles)
# and scores its 125 real Taobao queries (one human-judged target each) with `longtail eval`:
#   default   the built-in profile (profiles/default.toml)
#   bm25      profiles/bm25.toml: BM25 over longtail's terms, every term required
#   jieba     jieba cut_for_search + BM25, OR of the terms (perf/jieba_bm25.py; python3-jieba)
#   PROFILE   each profile file given as an argument
# Prints one line per ranking: MRR@10, recall@100 and empty results over all queries, and the
# per-class rows of `longtail eval`. Skips (exit 0, with a message) when the data is absent.
#
# usage: perf/real_eval.sh [--data DIR] [--longtail BIN] [--keep DIR] [PROFILE.toml ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/../shared/data/relevance/mcpr_dev"
lt="$root/build/cli/longtail"
keep=""
profiles=()
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    --longtail) lt=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) profiles+=("$1"); shift ;;
  esac
done
if [ ! -f "$data/catalog.jsonl" ] || [ ! -f "$data/queries.tsv" ] || [ ! -f "$data/qrels.tsv" ]; then
  echo "real_eval: skipped: $data/{catalog.jsonl,queries.tsv,qrels.tsv} not found (real data is not in the repository)"
  exit 0
fi
[ -x "$lt" ] || { echo "real_eval: $lt not found: build first (bash scripts/build.sh)" >&2; exit 2; }
work=${keep:-$(mktemp -d)}
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
if [ ! -f "$work/index/CURRENT" ]; then
  "$lt" build --catalog "$data/catalog.jsonl" --index "$work/index" -q > /dev/null
fi

row() {  # name, eval table output
  local name=$1 table=$2
  printf '%s\n' "$table" | awk -v n="$name" '$1 == "overall" { printf "%-28s MRR@10 %s  recall@100 %s  zero-result %s (of %s)\n", n, $4, $6, $7, $2 }'
}
declare -A tables
run_profile() {  # name, profile file or ""
  local args=()
  [ -n "$2" ] && args=(--profile "$2")
  tables[$1]=$("$lt" eval --index "$work/index" --queries "$data/queries.tsv" --qrels "$data/qrels.tsv" \
    --run "$work/$(basename "$1").run" "${args[@]}")
}
run_profile default ""
run_profile bm25 "$root/profiles/bm25.toml"
names=(default bm25)
for p in "${profiles[@]}"; do run_profile "$p" "$p"; names+=("$p"); done
if /usr/bin/python3 -c 'import jieba' 2> /dev/null; then
  /usr/bin/python3 "$root/perf/jieba_bm25.py" "$data/catalog.jsonl" "$data/queries.tsv" "$work/jieba.run"
  tables[jieba]=$("$lt" eval --score-run "$work/jieba.run" --queries "$data/queries.tsv" --qrels "$data/qrels.tsv")
  names+=(jieba)
else
  echo "real_eval: python3-jieba not installed: no jieba row"
fi
echo "mcpr_dev: $(wc -l < "$data/queries.tsv") queries, $(wc -l < "$data/catalog.jsonl") listings; $("$lt" --version 2>/dev/null || echo longtail)"
for n in "${names[@]}"; do row "$n" "${tables[$n]}"; done
for n in "${names[@]}"; do printf '\n== %s\n%s\n' "$n" "${tables[$n]}"; done
