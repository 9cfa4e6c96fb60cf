#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer, and a short libFuzzer run.
# One clang build (LONGTAIL_SANITIZE=ON, LONGTAIL_FUZZ=ON) into ./build-sanitize (or
# $LONGTAIL_SANITIZE_BUILD_DIR) serves both. CI runs it after scripts/test.sh.
#
#   FUZZ_SECONDS   seconds for every fuzz target (default: each target's own, in fuzz_plan below;
#                  0 skips fuzzing)
#
# Left out under sanitizers (they run in the plain build): the installed-package example (it
# builds a second project) and the 100 MB-line memory bound (ASan's allocator changes the RSS
# being measured).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LONGTAIL_SANITIZE_BUILD_DIR:-$root/build-sanitize}
fuzz_seconds=${FUZZ_SECONDS:-}
bash "$root/scripts/install-deps.sh"
mkdir -p "$build"
# -O1: sanitizer builds are for finding bugs; it halves compile time against -O3.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DLONGTAIL_SANITIZE=ON -DLONGTAIL_FUZZ=ON > "$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target longtail_cli longtail_tests fuzz_record_parser fuzz_analyzer fuzz_query \
  fuzz_journal fuzz_manifest fuzz_lexicon fuzz_integrity fuzz_profile fuzz_preferences fuzz_vocabulary

# new_delete_type_mismatch=0: libxapian 1.4.22's own Database::check() deletes an object through
# a base of another size (reported inside libxapian.so for every check, e.g. `longtail check`);
# that code is not ours and not instrumented, so the report cannot be fixed here.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:new_delete_type_mismatch=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j "$(nproc)" -E 'install_package_example|100 MB line'

# Seconds per target: about how long new coverage (cov: in -print_final_stats=1, and ft:) keeps
# coming from the seed corpus on a 2-core machine with a build beside it, measured twice: from
# the first seeds (2 min each) and from the merged corpus now in tests/fuzz/corpus (1 min each).
#   record_parser, analyzer, query   30  (unchanged)
#   journal       30  ~30 execs/s (each opens a LineReader); cov 667 at 30 s, 693 at 113 s from the
#                     first seeds; from the merged corpus cov stops at 6 s
#   manifest      60  ~7k execs/s; cov 481 at 30 s, 497 at 115 s; second run +27, the last at 53 s
#   lexicon       90  ~60 execs/s (a lexicon is loaded and segmented with); cov 1341 at 30 s,
#                     1386 at 77 s; second run +35, the last at 56 s
#   integrity     90  ~85 execs/s (six files written, a model loaded, 20 records scored); cov 2827
#                     at 30 s, 2857 at 119 s; second run +34, the last at 27 s
#   profile       60  ~1.5k execs/s; cov 450 at 30 s, 480 at 71 s, flat to 120 s; second run +4
#   preferences   20  ~7.5k execs/s; cov 313 at 22 s, 315 at 82 s; second run none
#   vocabulary    30  synonyms, spelling vocabulary and pinyin table parsers (session 12); its
#                     coverage over time is not measured yet
# 7.3 minutes in all (1.5 before these targets), on top of ~14 minutes of build and tests: well
# inside the stage's 45-minute bound. Coverage still creeps up after these times (ft: more than
# cov:); a finding there is for a longer run by hand, e.g. FUZZ_SECONDS=600.
fuzz_plan="record_parser:30 analyzer:30 query:30 journal:30 manifest:60 lexicon:90 integrity:90 profile:60 preferences:20 vocabulary:30"
if [ "${fuzz_seconds:-1}" != 0 ]; then
  mkdir -p fuzz-work fuzz-artifacts
  for entry in $fuzz_plan; do
    t=${entry%%:*}
    seconds=${fuzz_seconds:-${entry#*:}}
    mkdir -p "fuzz-work/$t"
    echo "fuzz_$t: ${seconds}s"
    # Findings are written to fuzz-artifacts/; add each to tests/fuzz/regressions/<target>/ with
    # its fix (CTest replays that folder).
    ./tests/fuzz/fuzz_$t -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="fuzz-artifacts/$t-" "fuzz-work/$t" "$root/tests/fuzz/corpus/$t" 2>&1 | tail -n 15
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzz_$t found a crash: see $build/fuzz-artifacts/"; exit 1; }
  done
fi
