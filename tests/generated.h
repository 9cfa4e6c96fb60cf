#pragma once
// A small generated catalog (catalog.jsonl, shops.jsonl, queries, qrels, labels) for tests that
// need realistic data at a size a unit test can afford.

#include <cstdint>
#include <string>

#include <longtail/longtail.h>

#include "index/index_dir.h"
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

// generate_small_catalog() into `dir`/cat, built into `dir`/idx as one shard on one thread: the
// build's summary and the path of its shard.
struct SmallBuild {
  BuildSummary summary;
  std::string shard;
};
inline SmallBuild build_small_catalog(const std::string& dir, uint64_t skus, uint64_t seed) {
  generate_small_catalog(dir + "/cat", skus, seed);
  const BuildOptions o = generated_build_options(dir + "/cat", dir + "/idx", 1, 1);
  SmallBuild out;
  out.summary = build_index(o);
  out.shard = index::live_generation(o.index_dir) + "/shard-000";
  return out;
}

}  // namespace longtail::test
