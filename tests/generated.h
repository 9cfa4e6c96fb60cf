#pragma once
// A small generated catalog (catalog.jsonl, shops.jsonl, queries, qrels, labels) for tests that
// need realistic data at a size a unit test can afford.

#include <cstdint>
#include <string>

#include "perf/generator.h"

namespace longtail::test {

inline perf::GeneratorSummary generate_small_catalog(const std::string& dir, uint64_t skus, uint64_t seed) {
  perf::GeneratorParams p;
  p.skus = skus;
  p.seed = seed;
  return perf::generate_catalog(p, dir);
}

}  // namespace longtail::test
