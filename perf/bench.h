// Latency/throughput harness behind `longtail bench` and the baseline engines in perf/baselines/
// (the same loop times every engine, so their figures compare).
//
// The run: an untimed warm-up (every query `warmup_passes` times, one thread), then one timed
// phase per query class present (head, torso, tail, in that order), each `duration_s` seconds on
// `threads` threads. Every thread cycles through the class's queries in its own shuffled order
// (seeded: seed + thread), timing each call with steady_clock. A phase ends when its time is up
// and each thread finished the query it was running.
//
// Per class: latency percentiles (nearest rank) over all its timed calls, and QPS = calls / wall
// time of the phase. Overall: all calls of all phases; QPS = all calls / the phases' total wall
// time (so each class weighs by the time it ran, equal by default).
//
// A broken index must not look fast: the search function returns how many hits it produced, the
// timed loop sums them, and run_bench throws DataError if the total over all timed calls is 0.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "perf/qrels.h"

namespace longtail::perf {

struct BenchOptions {
  int threads = 1;           // Default 1. Range 1..256.
  double duration_s = 10;    // Seconds per class phase. Default 10. Must be > 0.
  int warmup_passes = 1;     // Untimed passes over all queries before timing. Default 1. >= 0.
  uint64_t seed = 1;         // Shuffle seed (thread t uses seed + t).
};

// Runs one query on thread `thread` (0-based) and returns the number of hits it returned.
// Called concurrently from `threads` threads; must be thread-safe.
using SearchFn = std::function<uint64_t(const EvalQuery& query, int thread)>;

struct LatencyStats {
  uint64_t queries = 0;              // timed calls
  uint64_t results = 0;              // hits returned by the timed calls, summed
  uint64_t zero_result_queries = 0;  // timed calls that returned no hit
  double seconds = 0;                // wall time of the phase(s)
  double qps = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;
};

struct BenchReport {
  BenchOptions options;
  LatencyStats overall;
  std::array<LatencyStats, kQueryClasses> by_class;  // indexed by QueryClass; queries == 0 if absent
};

// Throws UsageError for bad options or an empty query list, DataError when no timed call
// returned a hit; rethrows the first exception a search call threw.
BenchReport run_bench(const std::vector<EvalQuery>& queries, const BenchOptions& options, const SearchFn& search);

// longtail as a SearchFn: `base` (limit, filters, ranking switches) with query = the query text.
// Counts the hits of each call; `searcher` must outlive the returned function.
SearchFn longtail_search_fn(const Searcher& searcher, SearchRequest base);

// Latency statistics of a set of samples (milliseconds) over `seconds` of wall time.
LatencyStats latency_stats(std::vector<double> samples_ms, double seconds);

// Human-readable table and JSON object:
// {"threads","duration_s","warmup_passes","overall":{...},"head":{...},"torso":{...},"tail":{...}}
// each block {"queries","results","zero_result_queries","seconds","qps","p50_ms","p95_ms",
// "p99_ms","mean_ms","max_ms"}.
std::string bench_table(const BenchReport& r);
std::string bench_json(const BenchReport& r);

}  // namespace longtail::perf
