#!/usr/bin/env bash
# Installs every Debian package longtail needs to build, test and benchmark.
# Idempotent: when everything is present it only checks and returns (about a second).
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config git
  libxapian-dev xapian-tools          # index, matching, remote backend (xapian-progsrv)
  zlib1g-dev                          # serving shards: stored fields compressed a block at a time
  libzstd-dev                         # catalogs read compressed (catalog.jsonl.zst): a 100M catalog is 39 GB raw
  libicu-dev                          # normalization, transliteration, script runs
  libopencc-dev                       # phrase-level traditional -> simplified (OpenCC, Apache-2.0; pulls libopencc-data)
  libjemalloc-dev                     # allocator linked into the CLI
  libcli11-dev                        # CLI parsing
  catch2                              # unit tests (v2)
  libsimdjson-dev                     # JSONL ingest
  libtomlplusplus-dev                 # ranking profiles
  libxxhash-dev                       # fingerprints, shard routing
  libbenchmark-dev                    # micro-benchmarks
  python3-jieba                       # base lexicon (jieba/dict.txt, MIT) + reference segmenter
  libgooglepinyin0-dev                # word-level pinyin readings (Google Pinyin's dictionary, Apache-2.0)
  libcpp-httplib-dev                  # the HTTP service, `longtail serve --http` (server/; pulls libssl-dev, libbrotli-dev)
  nlohmann-json3-dev                  # tests read the HTTP answers with it; perf/json_bench compares against it
  curl                                # the demo's request to the HTTP service (scripts/demo.sh)
  sqlite3 libsqlite3-dev              # FTS5 comparison in perf/
  clang libclang-rt-14-dev            # libFuzzer targets
  chromium                            # the search page's test: headless Chromium loads / (tests/page_chromium.sh)
  fonts-wqy-microhei                  # a CJK font, so the page's screenshots show the Chinese titles
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
