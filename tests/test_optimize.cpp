// `longtail optimize` (longtail::optimize_index): shards rewritten in decreasing static-prior order
// with nested tiers of the best-prior listings, and broad queries answered from a tier
// (docs/ranking.md, "Broad queries").
#include <catch2/catch.hpp>

#include <chrono>

#include <atomic>
#include <mutex>
#include <thread>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <xapian.h>

#include <longtail/longtail.h>

#include "format/document.h"
#include "index/index_dir.h"
#include "format/layout.h"
#include "index/updater.h"
#include "perf/generator.h"
#include "tests/generated.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

// A generated catalog of `skus` SKUs built into `dir` with 2 shards.
void build_generated(const std::string& cat_dir, const std::string& dir, uint64_t skus) {
  test::generate_small_catalog(cat_dir, skus, 5);
  BuildOptions o;
  o.catalog_files = {cat_dir + "/catalog.jsonl"};
  o.shops_file = cat_dir + "/shops.jsonl";
  o.index_dir = dir;
  o.shards = 2;
  o.threads = 2;
  build_index(o);
}

// build_generated(), then optimize_index(); returns the options (for optimizing again).
OptimizeOptions build_optimized(const std::string& tmp, const std::string& dir, uint64_t skus) {
  build_generated(tmp + "/cat", dir, skus);
  OptimizeOptions o;
  o.index_dir = dir;
  optimize_index(o);
  return o;
}

// Every stored record of the index as its catalog line, by sku_id.
std::map<std::string, std::string> records(const std::string& dir) {
  std::string gen = index::live_generation(dir);
  auto m = index::read_manifest(gen);
  std::map<std::string, std::string> out;
  for (const auto& p : m.shard_paths) {
    Xapian::Database db((fs::path(gen) / p).string());
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
      index::SkuRecord r;
      REQUIRE(index::read_record(db.get_document(*it), r));
      out[r.sku_id] = index::record_json(r);
    }
  }
  return out;
}

std::string write_profile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

SearchResult search(const Searcher& s, const std::string& q, const std::string& profile = "") {
  SearchRequest req;
  req.query = q;
  req.limit = 20;
  req.profile = profile;
  return s.search(req);
}

std::vector<std::string> skus_of(const SearchResult& r) {
  std::vector<std::string> v;
  for (const auto& h : r.hits) v.push_back(h.sku_id);
  return v;
}

// The most frequent text term of shard 0 that is a query word (no prefix, 2+ characters).
std::string frequent_word(const std::string& dir) {
  std::string gen = index::live_generation(dir);
  auto m = index::read_manifest(gen);
  Xapian::Database db((fs::path(gen) / m.shard_paths[0]).string());
  std::string best;
  Xapian::doccount best_tf = 0;
  for (auto t = db.allterms_begin(); t != db.allterms_end(); ++t) {
    const std::string w = *t;
    if (w.empty() || (w[0] >= 'A' && w[0] <= 'Z') || w.size() < 6) continue;  // prefixed, or one Han character
    if (t.get_termfreq() > best_tf) best_tf = t.get_termfreq(), best = w;
  }
  return best;
}

}  // namespace

TEST_CASE("optimize puts each shard in decreasing prior order with nested tiers, and keeps every record", "[optimize]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_generated(tmp.path + "/cat", dir, 3000);
  const auto before = records(dir);
  const std::string word = frequent_word(dir);
  REQUIRE_FALSE(word.empty());
  const std::string everything = write_profile(tmp.path + "/all.toml", "[stage1]\ntier_matches = 0\n");
  std::vector<std::string> hits_before;
  {
    Searcher s(dir);
    hits_before = skus_of(search(s, word, everything));
    CHECK(search(s, word).searched_share == 1.0);  // not optimized: no tiers to search
  }

  OptimizeOptions o;
  o.index_dir = dir;
  OptimizeSummary sum = optimize_index(o);
  CHECK(sum.shards == 2);
  CHECK(sum.skus == 3000);
  CHECK(sum.bytes_after > 0);

  CHECK(records(dir) == before);
  const std::string gen = index::live_generation(dir);
  const auto m = index::read_manifest(gen);
  REQUIRE(m.ordered_docs.size() == 2);
  CHECK(m.ordered_docs[0] + m.ordered_docs[1] == m.items);  // one document per item (schema 3)
  REQUIRE(m.tier_shares.size() == 4);
  for (size_t k = 0; k < 2; ++k) {
    Xapian::Database db((fs::path(gen) / m.shard_paths[k]).string());
    REQUIRE(db.get_doccount() == m.ordered_docs[k]);
    CHECK(db.get_lastdocid() == db.get_doccount());  // ids 1..N, no gaps
    double prev = 2;
    for (Xapian::docid d = 1; d <= db.get_lastdocid(); ++d) {
      double prior = Xapian::sortable_unserialise(db.get_document(d).get_value(index::slot::kStaticPrior));
      CHECK(prior <= prev);
      prev = prior;
    }
    // Tier i: exactly the first ceil(share * N) documents.
    for (size_t i = 0; i < m.tier_shares.size(); ++i) {
      const std::string term = std::string(index::prefix::kTier) + std::to_string(i);
      const Xapian::doccount want = Xapian::doccount(std::ceil(m.tier_shares[i] * double(db.get_doccount())));
      CHECK(db.get_termfreq(term) == want);
      Xapian::docid expect = 1;
      for (auto it = db.postlist_begin(term); it != db.postlist_end(term); ++it) CHECK(*it == expect++);
    }
  }
  CHECK(check_index(dir).ok);

  // The order alone changes no ranking: with tiers off, the same hits in the same order.
  Searcher s(dir);
  CHECK(skus_of(search(s, word, everything)) == hits_before);

  // Optimizing again gives each document its tier terms once (old ones are replaced).
  optimize_index(o);
  const std::string gen2 = index::live_generation(dir);
  Xapian::Database db0((fs::path(gen2) / index::read_manifest(gen2).shard_paths[0]).string());
  CHECK(db0.get_termfreq(std::string(index::prefix::kTier) + "0") ==
        Xapian::doccount(std::ceil(m.tier_shares[0] * double(db0.get_doccount()))));
}

TEST_CASE("a broad query searches the smallest tier with enough matches, then the tier its yield points to, then everything", "[optimize][ranking]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_optimized(tmp.path, dir, 3000);
  const std::string word = frequent_word(dir);
  const std::string gen = index::live_generation(dir);
  const auto m = index::read_manifest(gen);
  Searcher s(dir);
  Xapian::Database shard0((fs::path(gen) / m.shard_paths[0]).string());
  const Xapian::doccount tf0 = shard0.get_termfreq(word);
  REQUIRE(tf0 > 100);

  // Low targets: a tier answers (the smallest that yields tier_candidates items), and every hit's
  // item has a listing inside it (the hit shown is the item's best variant for the query, which
  // may be outside).
  auto r = search(s, word, write_profile(tmp.path + "/t.toml", "[stage1]\ntier_matches = 2\ntier_candidates = 10\n"));
  REQUIRE(r.searched_share < 1.0);
  size_t level = 0;
  while (level < m.tier_shares.size() && m.tier_shares[level] != r.searched_share) ++level;
  REQUIRE(level < m.tier_shares.size());
  REQUIRE_FALSE(r.hits.empty());
  // The first tier tried is the smallest where the word's frequency times the share reaches
  // tier_matches (2). A tier that holds fewer items with the word than stage 1 wants
  // (tier_candidates 10, but at least the page: limit 20) is followed by the smallest larger tier
  // expected to hold 1.5 times that many, extrapolated from the items it did hold (the next
  // tier when it held none).
  Xapian::doccount tf = 0;
  for (const auto& p : m.shard_paths) tf += Xapian::Database((fs::path(gen) / p).string()).get_termfreq(word);
  size_t first = 0;
  while (double(tf) * m.tier_shares[first] < 2) ++first;
  auto items_in_tier = [&](size_t t) {
    std::set<std::string> items;
    const std::string term = std::string(index::prefix::kTier) + std::to_string(t);
    for (const auto& p : m.shard_paths) {
      Xapian::Database db((fs::path(gen) / p).string());
      Xapian::Enquire enq(db);
      enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, Xapian::Query(word), Xapian::Query(term)));
      auto ms = enq.get_mset(0, 100000);
      for (auto it = ms.begin(); it != ms.end(); ++it) items.insert(it.get_document().get_value(index::slot::kItemId));
    }
    return items.size();
  };
  CHECK(level >= first);
  if (level > first) {
    const size_t held = items_in_tier(first);
    CHECK(held < 20);
    size_t next = first + 1;
    while (held > 0 && next < m.tier_shares.size() && double(held) * m.tier_shares[next] / m.tier_shares[first] < 30) ++next;
    CHECK(level >= next);  // no smaller than the tier its yield points to
    if (level > next) CHECK(items_in_tier(next) < 20);
  }
  std::set<std::string> in_tier;
  for (const auto& p : m.shard_paths) {
    Xapian::Database db((fs::path(gen) / p).string());
    const std::string term = std::string(index::prefix::kTier) + std::to_string(level);
    for (auto it = db.postlist_begin(term); it != db.postlist_end(term); ++it) {
      index::SkuRecord rec;
      REQUIRE(index::read_record(db.get_document(*it), rec));
      in_tier.insert(rec.item_id);
    }
  }
  for (const auto& h : r.hits) CHECK(in_tier.count(h.item_id) == 1);

  // A target the tier cannot meet in candidates: the next tiers, then the whole index, which
  // then ranks exactly as with tiers off.
  auto all = search(s, word, write_profile(tmp.path + "/all.toml", "[stage1]\ntier_matches = 0\n"));
  CHECK(all.searched_share == 1.0);
  auto fallback = search(s, word, write_profile(tmp.path + "/f.toml", "[stage1]\ntier_matches = 2\ntier_candidates = 100000\n"));
  CHECK(fallback.searched_share == 1.0);
  CHECK(skus_of(fallback) == skus_of(all));

  // A rare word is never broad.
  CHECK(search(s, "钥匙包雨伞登山鞋", write_profile(tmp.path + "/t2.toml", "[stage1]\ntier_matches = 2\n")).searched_share == 1.0);
}

TEST_CASE("after optimize, updates keep tiers of re-indexed listings, add new ones after the ordered range, and optimize refuses a pending update", "[optimize][update]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  const OptimizeOptions o = build_optimized(tmp.path, dir, 1500);
  std::string gen = index::live_generation(dir);
  auto m = index::read_manifest(gen);

  // The best listing of shard 0 (document 1, in every tier), re-titled; and a new SKU.
  index::SkuRecord top;
  {
    Xapian::Database db((fs::path(gen) / m.shard_paths[0]).string());
    REQUIRE(index::read_record(db.get_document(1), top));
  }
  index::SkuRecord retitled = top;
  retitled.title += " 新标题词";
  index::SkuRecord added = top;
  added.sku_id = "brand-new-sku";
  added.item_id = "brand-new-item";
  {
    std::ofstream f(tmp.path + "/delta.jsonl");
    f << index::record_json(retitled) << "\n" << index::record_json(added) << "\n";
  }
  UpdateOptions u;
  u.index_dir = dir;
  u.catalog_files = {tmp.path + "/delta.jsonl"};
  auto us = update_index(u);
  CHECK(us.reindexed == 1);
  CHECK(us.added == 1);

  gen = index::live_generation(dir);
  CHECK(index::read_manifest(gen).ordered_docs == m.ordered_docs);  // kept by updates
  for (const auto& p : m.shard_paths) {
    Xapian::Database db((fs::path(gen) / p).string());
    auto has_tier0 = [&](const std::string& sku) {
      const Xapian::docid did = *db.postlist_begin("Q" + sku);
      auto it = db.postlist_begin("XT0");
      it.skip_to(did);
      return it != db.postlist_end("XT0") && *it == did;
    };
    if (db.get_termfreq("Q" + top.sku_id)) CHECK(has_tier0(top.sku_id));
    if (db.get_termfreq("Q" + added.sku_id)) {
      CHECK_FALSE(has_tier0(added.sku_id));
      CHECK(*db.postlist_begin("Q" + added.sku_id) > m.ordered_docs[size_t(&p - &m.shard_paths[0])]);
    }
  }
  CHECK(check_index(dir).ok);

  // An interrupted update (its journal present) must be completed before optimizing.
  std::ofstream(fs::path(gen) / index::kJournalFile) << "{\"batch\":9,\"kind\":\"skus\",\"records\":0}\n";
  CHECK_THROWS_AS(optimize_index(o), UsageError);
}

TEST_CASE("readers never fail while optimize swaps generations: the previous generation stays until the next swap", "[optimize][faults]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  OptimizeOptions o = build_optimized(tmp.path, dir, 2000);
  std::atomic<bool> done{false};
  std::atomic<int> searches{0}, failures{0};
  std::string first_error;
  std::mutex mu;
  auto note = [&](const std::string& what) {
    ++failures;
    std::lock_guard lk(mu);
    if (first_error.empty()) first_error = what;
  };
  std::thread reader([&] {
    Searcher kept(dir);  // one long-lived searcher that follows the swaps, fresh ones beside it
    SearchRequest req;
    req.query = "连衣裙";
    while (!done) {
      const char* step = "a new Searcher";
      try {
        Searcher fresh(dir);
        step = "its search";
        fresh.search(req);
        step = "reopen()";
        kept.reopen();
        step = "the reopened Searcher's search";
        kept.search(req);
        searches += 2;
      } catch (const std::exception& e) {
        note(std::string(step) + ": " + e.what());
      }
    }
  });
  // The promise: a reader that opens within the time between two swaps never fails (each swap
  // removes the generation before the previous one). Optimizing this small index takes about as
  // long as opening a Searcher, so swaps are spaced three opens apart, and go on until the
  // reader has searched across several of them.
  const auto t0 = std::chrono::steady_clock::now();
  { Searcher timing(dir); }
  const auto open_time = std::chrono::steady_clock::now() - t0;
  for (int i = 0; i < 6 || (searches < 12 && i < 60); ++i) {
    const auto start = std::chrono::steady_clock::now();
    optimize_index(o);
    std::this_thread::sleep_until(start + 3 * open_time);
  }
  done = true;
  reader.join();
  INFO(first_error);
  CHECK(failures == 0);
  CHECK(searches > 0);
  // The live generation and the one before it, nothing older.
  int generations = 0;
  for (const auto& e : fs::directory_iterator(dir)) generations += e.path().filename().string().rfind("gen-", 0) == 0;
  CHECK(generations == 2);
}

TEST_CASE("optimize refuses a generation whose files do not match the manifest, and publishes nothing", "[optimize][faults]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.shops_file = test::fixture("mini_shops.jsonl");
  o.index_dir = dir;
  build_index(o);
  const std::string gen = index::live_generation(dir);
  // Before: the truncated lexicon was copied into a new generation and published, exit 0.
  fs::resize_file(gen + "/lexicon.bin", fs::file_size(gen + "/lexicon.bin") / 3);
  OptimizeOptions oo;
  oo.index_dir = dir;
  CHECK_THROWS_AS(optimize_index(oo), DataError);
  CHECK_THROWS_WITH(optimize_index(oo), Catch::Contains("lexicon.bin") && Catch::Contains("truncated") &&
                                            Catch::Contains("optimize publishes nothing"));
  CHECK(index::live_generation(dir) == gen);
  CHECK(index::orphan_generations(dir).empty());  // its own partial generation removed
}

TEST_CASE("a Searcher whose generation two swaps removed follows the live one at its next query", "[optimize][faults]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  OptimizeOptions o = build_optimized(tmp.path, dir, 2000);
  SearchRequest req;
  std::ifstream queries(tmp.path + "/cat/queries.tsv");  // "1\t<query>\t<class>": the generator's first query
  std::string id, cls;
  std::getline(queries, id, '\t');
  std::getline(queries, req.query, '\t');
  const auto before = Searcher(dir).search(req);
  REQUIRE(!before.hits.empty());
  Searcher s(dir);  // no query yet: no snapshot in its pool, its first query opens one
  const std::string gen = index::live_generation(dir);
  optimize_index(o);
  optimize_index(o);  // removes `gen`
  REQUIRE_FALSE(fs::exists(gen));
  CHECK(s.search(req).hits.size() == before.hits.size());
  CHECK(s.info().path == dir);
}
