#pragma once
// A small generated catalog (catalog.jsonl, shops.jsonl, queries, qrels, labels) for tests that
// need realistic data at a size a unit test can afford.

#include <cstdint>
#include <string>

#include <longtail/longtail.h>

#include "perf/generator.h"

namespace longtail::test {

inline perf::GeneratorSummary generate_small_catalog(const std::string& dir, uint64_t skus, uint64_t seed) {
  perf::GeneratorParams p;
  p.skus = skus;
  p.seed = seed;
  return perf::generate_catalog(p, dir);
}

// Build options for the catalog generate_small_catalog() wrote into `cat_dir`.
inline BuildOptions generated_build_options(const std::string& cat_dir, const std::string& index_dir, int shards,
                                            int threads) {
  BuildOptions o;
  o.catalog_files = {cat_dir + "/catalog.jsonl"};
  o.shops_file = cat_dir + "/shops.jsonl";
  o.index_dir = index_dir;
  o.shards = shards;
  o.threads = threads;
  return o;
}

}  // namespace longtail::test
