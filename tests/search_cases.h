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

// "sku1 2/3 [sku1* 红色/M, sku2* 红色/L, sku3 蓝色/M]": a hit's SKU, its matching and listed
// variants (matched ones starred) with their attribute values.
inline std::string describe_variants(const Hit& h) {
  std::string o = h.sku_id + " " + std::to_string(h.variants) + "/" + std::to_string(h.variant_list.size()) + " [";
  for (size_t i = 0; i < h.variant_list.size(); ++i) {
    const auto& v = h.variant_list[i];
    o += (i ? ", " : "") + v.sku_id + (v.matched ? "*" : "");
    for (size_t k = 0; k < v.attrs.size(); ++k) o += (k ? "/" : " ") + v.attrs[k].second;
  }
  return o + "]";
}

// The same requests give the same hits, in the same order, with the same scores and the same
// variants (counted and listed by one page-level match, so remote shards agree with local ones).
inline void check_same_results(const Searcher& expected, const Searcher& actual,
                               const std::vector<std::string>& queries = kMiniQueries) {
  for (const auto& q : queries) {
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
        CHECK(describe_variants(a.hits[i]) == describe_variants(b.hits[i]));
      }
    }
  }
}

}  // namespace longtail::test
