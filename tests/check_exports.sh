#!/bin/sh
# Usage: check_exports.sh LIBLONGTAIL_SO
# Fails if the shared library's dynamic symbol table holds internal symbols (anything in a
# lowercase namespace under longtail::, such as longtail::index::, longtail::engine::,
# longtail::analysis::, or Searcher's private Impl), or lacks the public API. Exits 77 (CTest:
# skipped) when nm or c++filt is not installed.
lib=$1
for tool in nm c++filt; do
  command -v "$tool" >/dev/null 2>&1 || { echo "skipped: $tool not found"; exit 77; }
done
symbols=$(nm -D --defined-only "$lib" | c++filt) || { echo "nm -D failed on $lib"; exit 1; }
echo "$(printf '%s\n' "$symbols" | grep -c 'longtail::') exported symbols name longtail::"
internal=$(printf '%s\n' "$symbols" | grep -E 'longtail::[a-z_]+::|longtail::Searcher::Impl')
if [ -n "$internal" ]; then
  echo "$lib exports internal symbols ($(printf '%s\n' "$internal" | wc -l)):"
  printf '%s\n' "$internal" | head -50
  exit 1
fi
# Not vacuous: a function the anchor list once missed, and an error type's typeinfo.
for public in 'longtail::check_index(' 'typeinfo for longtail::UsageError'; do
  printf '%s\n' "$symbols" | grep -qF "$public" || { echo "$lib does not export $public"; exit 1; }
done
echo "ok: only the public API is exported"
