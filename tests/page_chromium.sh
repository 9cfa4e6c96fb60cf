#!/usr/bin/env bash
# The search page at / (server/page.html) in headless Chromium: builds a small index (the mini
# catalog and a SKU with display fields), starts `longtail serve --http` on a free loopback port,
# loads /?q=… (the page searches /search on load, from the query in its URL), and checks the DOM
# the page's script produced: the expected hit's sku and title, its display fields and image, a
# facet, the explain breakdown, a facet filter read from the URL; clicks facets, the explain toggle
# and Back (tests/page_interact.py); saves screenshots.
# Usage: page_chromium.sh LONGTAIL_CLI SOURCE_DIR WORK_DIR. Exit 77 (CTest: skipped) without chromium.
set -euo pipefail
CLI=$1 SRC=$2 WORK=$3

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "SKIP: chromium is not installed (Debian package chromium; scripts/install-deps.sh installs it)"
  exit 77
fi

rm -rf "$WORK"
mkdir -p "$WORK"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  exit 1
}

# A 1x1 PNG as a data: URL, so the image is shown without any network.
PNG='data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=='
cp "$SRC/tests/data/mini_catalog.jsonl" "$WORK/catalog.jsonl"
printf '%s\n' '{"sku_id":"lamp-7","item_id":"lamp","shop_id":"shop_a","title":"北欧 简约 台灯 护眼","category":"家居/灯具","brand":"光之屋","price":88,"shipping_fee":6,"sales_30d":30,"reviews":12,"good_reviews":12,"listed_at":"2024-05-01","image":"'"$PNG"'","promo":"满100减10 <b>not bold</b>","url":"https://shop.example/lamp-7"}' >> "$WORK/catalog.jsonl"
"$CLI" build -q --catalog "$WORK/catalog.jsonl" --shops "$SRC/tests/data/mini_shops.jsonl" --index "$WORK/idx" > "$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log"; fail "longtail build"; }

# Port 0: the server picks a free port and prints it ("listening on http://127.0.0.1:PORT ...").
"$CLI" serve --http 127.0.0.1:0 --index "$WORK/idx" > "$WORK/serve.out" 2> "$WORK/serve.err" &
server_pid=$!
base=""
for _ in $(seq 1 100); do
  base=$(sed -n 's|^listening on \(http://[^ ]*\).*|\1|p' "$WORK/serve.out" | head -n 1)
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$WORK/serve.err"; fail "longtail serve --http exited"; }
  sleep 0.1
done
[ -n "$base" ] || fail "longtail serve --http printed no address"
echo "server: $base"

# Headless, no sandbox (root in CI), every host name but 127.0.0.1 unresolvable: loopback only.
chrome() {
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" --user-data-dir="$WORK/chromium-profile" \
    --virtual-time-budget=10000 "$@" 2>> "$WORK/chromium.log"
}
# The page as served is static: the hits below can only come from its script.
curl_page=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' "$base/")
case "$curl_page" in *lamp-7*) fail "the page's HTML names a hit before searching" ;; esac

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
dump() {  # NAME URL: the DOM once the page's script has run, in $WORK/NAME.html
  chrome --dump-dom "$2" > "$WORK/$1.html" || fail "chromium --dump-dom $2"
}
expect() {  # NAME, then lines "TEXT|WHAT" on stdin: each TEXT must be in $WORK/NAME.html
  while IFS='|' read -r text what; do
    grep -qF -- "$text" "$WORK/$1.html" || fail "$what: no \"$text\" in $WORK/$1.html"
  done
}

# 1. A query in the URL, with explain: the hit, its fields, a facet, the breakdown.
dump lamp "$base/?q=$(enc 台灯)&explain=1"
expect lamp <<'END'
data-sku="lamp-7"|the expected hit
北欧 简约 台灯 护眼|the hit's title
¥94.00|the effective price (88 + 6 shipping)
shop_a|the shop
src="data:image/png;base64,|the image from fields.image
满100减10 &lt;b&gt;not bold&lt;/b&gt;|a display field, as text
href="https://shop.example/lamp-7"|fields.url as the title's link
data-facet="category" data-value="家居/灯具"|the category facet
data-facet="price"|the price facet
data-signal="text"|the explain breakdown's text signal
id="q" name="q" type="search"|the search box
value="台灯"|the search box showing the URL's query
END

# 2. Variants, and a facet filter read from the URL: category 女装/连衣裙 keeps the dresses only.
dump dress "$base/?q=$(enc 连衣裙)&category=$(enc 女装/连衣裙)"
expect dress <<'END'
data-sku="dress1-0"|the dress hit
class="variant matched shown"|the shown variant, matched
class="facet active"|the active category facet
category: 女装/连衣裙|the filter chip
END
if grep -qF 'data-sku="lamp-7"' "$WORK/dress.html"; then fail "the category filter let the lamp through"; fi

# 3. Clicked through as a shopper would (DevTools protocol on a pipe): a brand facet, its chip, a
# price band, the explain toggle, a typed query, Back.
python3 "$SRC/tests/page_interact.py" "$CHROMIUM" "$base" "$WORK" || fail "clicking through the page"

# 4. Screenshots: non-empty PNGs.
chrome --hide-scrollbars --window-size=1280,1400 --screenshot="$WORK/page.png" "$base/?q=$(enc 连衣裙)&explain=1" > /dev/null ||
  fail "chromium --screenshot"
chrome --hide-scrollbars --window-size=1280,900 --screenshot="$WORK/lamp.png" "$base/?q=$(enc 台灯)" > /dev/null ||
  fail "chromium --screenshot"
for png in "$WORK/page.png" "$WORK/lamp.png"; do
  [ -s "$png" ] || fail "no screenshot $png"
  [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"
  [ "$(stat -c %s "$png")" -gt 10000 ] || fail "$png is too small to show a page"
done
echo "ok: the page shows hits, variants, prices, shops, display fields, facets and explanations; screenshots in $WORK"
