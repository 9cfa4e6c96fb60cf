// Search test bodies run against several index configurations (1 shard, 4 shards, remote
// shards), as Xapian runs its api tests on every backend.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "tests/test_util.h"

namespace longtail::test {

// Queries over tests/data/mini_catalog.jsonl covering words, sub-words, mixed tokens, units.
inline const std::vector<std::string> kMiniQueries = {"连衣裙", "手机壳", "iphone15", "保温杯 500ml", "跑步鞋",
                                                      "钥匙包", "自然堂", "落地窗", "华为 保护套", "钥匙扣 创意"};

inline BuildSummary build_mini(const std::string& dir, int shards, int threads = 2) {
  BuildOptions o;
  o.catalog_files = {fixture("mini_catalog.jsonl")};
  o.shops_file = fixture("mini_shops.jsonl");
  o.index_dir = dir;
  o.shards = shards;
  o.threads = threads;
  return build_index(o);
}

inline std::vector<std::string> sku_ids(const SearchResult& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hits) out.push_back(h.sku_id);
  return out;
}

// The same requests give the same hits, in the same order, with the same scores.
// compare_variants: Xapian's collapse count is not carried back from remote shards (the remote
// match returns 0), so variant counts are compared only where both sides are local.
inline void check_same_results(const Searcher& expected, const Searcher& actual, bool compare_variants = true) {
  for (const auto& q : kMiniQueries) {
    for (bool collapse : {true, false}) {
      SearchRequest req;
      req.query = q;
      req.limit = 20;
      req.collapse = collapse;
      auto a = expected.search(req), b = actual.search(req);
      INFO("query: " << q << (collapse ? "" : " (no collapse)"));
      CHECK(sku_ids(a) == sku_ids(b));
      CHECK(a.total_estimated == b.total_estimated);
      for (size_t i = 0; i < a.hits.size() && i < b.hits.size(); ++i) {
        CHECK(a.hits[i].score == Approx(b.hits[i].score));
        if (compare_variants) CHECK(a.hits[i].variants == b.hits[i].variants);
      }
    }
  }
}

}  // namespace longtail::test
