// Serving shards (docs/index-format.md, "Serving shards"): no termlist table, stored fields in a
// block store next to each shard. They must answer exactly as the updatable index they stand for,
// and refuse what they cannot do (updates, remote serving, optimizing again) with a clear error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include <longtail/longtail.h>

#include "index/index_dir.h"
#include "index/remote.h"
#include "format/stored.h"
#include "perf/generator.h"
#include "tests/generated.h"
#include "tests/search_cases.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

// Documents of varied length and content: empty ones, short ones, one larger than a block's
// usual inflate buffer, and text that repeats (as stored fields do) so the dictionary matters.
std::vector<std::string> sample_docs(size_t n) {
  std::mt19937 rng(7);
  std::vector<std::string> docs;
  for (size_t i = 0; i < n; ++i) {
    std::string d;
    if (i % 97 == 5) {
      docs.push_back("");
      continue;
    }
    const size_t words = 1 + rng() % (i == 300 ? 20000 : 40);
    for (size_t w = 0; w < words; ++w) d += "{\"sku_id\":\"s" + std::to_string(rng() % 100000) + "\",\"标题\":\"连衣裙\"}";
    d += std::to_string(i);  // every document differs
    docs.push_back(std::move(d));
  }
  return docs;
}

void write_store(const std::string& path, const std::vector<std::string>& docs, uint32_t block) {
  index::StoredWriter w(path, block);
  for (const auto& d : docs) w.add(d);
  CHECK(w.docs() == docs.size());
  w.finish();
}

std::string shard_dir(const std::string& index_dir, int k) {
  const std::string gen = index::live_generation(index_dir);
  return (fs::path(gen) / index::read_manifest(gen).shard_paths.at(size_t(k))).string();
}

// Same hits as check_same_results, and the same explanation terms for every hit.
void check_same_explained(const Searcher& a, const Searcher& b, const std::vector<std::string>& queries) {
  test::check_same_results(a, b, queries);
  for (const auto& q : queries) {
    SearchRequest req;
    req.query = q;
    req.limit = 20;
    req.explain = true;
    auto x = a.search(req), y = b.search(req);
    INFO("query: " << q);
    REQUIRE(x.hits.size() == y.hits.size());
    for (size_t i = 0; i < x.hits.size(); ++i) {
      CHECK(x.hits[i].title == y.hits[i].title);
      CHECK(x.hits[i].shop_id == y.hits[i].shop_id);
      REQUIRE(x.hits[i].explanation.has_value());
      REQUIRE(y.hits[i].explanation.has_value());
      CHECK(x.hits[i].explanation->matched_terms == y.hits[i].explanation->matched_terms);
      CHECK(x.hits[i].explanation->missing_terms == y.hits[i].explanation->missing_terms);
      const auto &px = x.hits[i].explanation->penalties, &py = y.hits[i].explanation->penalties;
      REQUIRE(px.size() == py.size());
      for (size_t k = 0; k < px.size(); ++k) CHECK(px[k].name + ": " + px[k].reason == py[k].name + ": " + py[k].reason);
    }
  }
}

}  // namespace

TEST_CASE("stored-fields store: every document reads back, across blocks and before the dictionary fills", "[serving]") {
  test::TempDir tmp;
  for (size_t n : {size_t(0), size_t(1), size_t(5), size_t(17), size_t(2500)}) {
    for (uint32_t block : {1u, 16u, 7u}) {
      const auto docs = sample_docs(n);
      const std::string path = tmp.path + "/s" + std::to_string(n) + "-" + std::to_string(block);
      write_store(path, docs, block);
      auto r = index::StoredReader::open(path);
      INFO(n << " documents, " << block << " a block");
      REQUIRE(r->docs() == n);
      for (size_t i = 0; i < n; ++i) REQUIRE(r->get(i + 1) == docs[i]);
      CHECK_THROWS_AS(r->get(0), DataError);
      CHECK_THROWS_AS(r->get(n + 1), DataError);
    }
  }
}

TEST_CASE("stored-fields store: a missing, truncated or damaged file is an error naming it", "[serving]") {
  test::TempDir tmp;
  const std::string path = tmp.path + "/store";
  const auto docs = sample_docs(400);
  write_store(path, docs, 16);
  const std::string good = test::read_file(path);

  CHECK_THROWS_WITH(index::StoredReader::open(tmp.path + "/nothing"), Catch::Contains(tmp.path + "/nothing"));

  std::ofstream(path, std::ios::binary | std::ios::trunc) << good.substr(0, good.size() - 5);
  CHECK_THROWS_WITH(index::StoredReader::open(path), Catch::Contains(path));

  // Zeroed bytes at the start of the first block (after the header and the dictionary): the
  // reader opens the file but reports the broken block when asked for one of its documents.
  std::string bad = good;
  const size_t dict_len = size_t(uint8_t(good[12])) | size_t(uint8_t(good[13])) << 8 | size_t(uint8_t(good[14])) << 16;
  for (size_t k = 16 + dict_len; k < 16 + dict_len + 64; ++k) bad[k] = '\0';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
  auto r = index::StoredReader::open(path);
  CHECK_THROWS_WITH(r->get(1), Catch::Contains(path) && Catch::Contains("damaged"));
  CHECK(r->get(docs.size()) == docs.back());  // other blocks still read
}

TEST_CASE("build --serving answers as the updatable build: hits, scores, variants, explanations", "[serving]") {
  test::TempDir tmp;
  const std::string plain = tmp.path + "/plain", serving = tmp.path + "/serving";
  test::build_mini(plain, 2);
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.shops_file = test::fixture("mini_shops.jsonl");
  o.index_dir = serving;
  o.shards = 2;
  o.threads = 2;
  o.serving = true;
  build_index(o);

  for (int k = 0; k < 2; ++k) {
    CHECK(fs::exists(shard_dir(serving, k) + "/" + index::kStoredFile));
    CHECK_FALSE(fs::exists(shard_dir(serving, k) + "/termlist.glass"));
    CHECK(fs::exists(shard_dir(plain, k) + "/termlist.glass"));
  }
  CHECK(index::read_manifest(index::live_generation(serving)).serving);
  CHECK_FALSE(index::read_manifest(index::live_generation(plain)).serving);
  check_same_explained(Searcher(plain), Searcher(serving), test::kMiniQueries);

  IndexCheck c = check_index(serving);
  CHECK(c.ok);

  SECTION("updates are refused with a message saying why and what to do") {
    const std::string delta = tmp.path + "/delta.jsonl";
    std::ofstream(delta) << "{\"sku_id\":\"nope\",\"deleted\":true}\n";
    UpdateOptions u;
    u.index_dir = serving;
    u.catalog_files = {delta};
    CHECK_THROWS_WITH(update_index(u), Catch::Contains("serving shards") && Catch::Contains("--serving"));
    check_same_explained(Searcher(plain), Searcher(serving), {"连衣裙"});  // nothing changed
  }
  SECTION("remote serving is refused") {
    CHECK_THROWS_AS(index::attach_remote_shards(serving, tmp.path + "/client", {{0, {"127.0.0.1", 1}}}), UsageError);
  }
  SECTION("check names a shard whose stored fields are short of its documents") {
    const std::string store = shard_dir(serving, 1) + "/" + index::kStoredFile;
    const std::string bytes = test::read_file(store);
    std::ofstream(store, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
    IndexCheck bad = check_index(serving);
    CHECK_FALSE(bad.ok);
    REQUIRE_FALSE(bad.problems.empty());
    CHECK_THAT(bad.problems.front(), Catch::Contains("shard-001") && Catch::Contains(index::kStoredFile));
  }
}

TEST_CASE("optimize --serving answers as optimize, is smaller, and cannot be optimized again", "[serving][optimize]") {
  test::TempDir tmp;
  test::generate_small_catalog(tmp.path + "/cat", 3000, 11);
  BuildOptions b = test::generated_build_options(tmp.path + "/cat", tmp.path + "/a", 2, 2);
  build_index(b);
  b.index_dir = tmp.path + "/b";
  build_index(b);

  OptimizeOptions oa;
  oa.index_dir = tmp.path + "/a";
  const OptimizeSummary sa = optimize_index(oa);
  OptimizeOptions ob = oa;
  ob.index_dir = tmp.path + "/b";
  ob.serving = true;
  const OptimizeSummary sb = optimize_index(ob);
  CHECK(sb.skus == sa.skus);
  // What serving saves: the termlist table, and the stored fields in dictionary-primed blocks
  // instead of the docdata table (one deflate per document). With one document per item
  // (schema 3) the postlist table -- postings and the value streams, variant table included,
  // the same in both -- is most of a shard, so the saving is a smaller share than with one
  // document per SKU (under 3/4 then). On this catalog (3,000 SKUs, 671 items, 2 shards):
  // optimized 1,573,065 bytes = postlist 1,073,152 + termlist 270,336 + docdata 229,376;
  // serving 1,231,337 = postlist 1,073,152 + stored 158,012 (78%; both + the version files). The stored fields are
  // about 880 KB raw, 11x smaller in blocks; larger blocks (up to 128 documents) gain under 2%,
  // so the block size stays. The property held here: a serving shard saves at least its whole
  // termlist, i.e. its stored-fields file is no larger than the docdata table it replaces.
  uint64_t termlist = 0, docdata = 0, stored = 0;
  for (int k = 0; k < 2; ++k) {
    for (const auto& e : fs::directory_iterator(shard_dir(oa.index_dir, k))) {
      if (e.path().filename() == "termlist.glass") termlist += e.file_size();
      if (e.path().filename() == "docdata.glass") docdata += e.file_size();
    }
    const fs::path sd = shard_dir(ob.index_dir, k);
    CHECK_FALSE(fs::exists(sd / "termlist.glass"));
    CHECK_FALSE(fs::exists(sd / "docdata.glass"));
    stored += fs::file_size(sd / index::kStoredFile);
  }
  CHECK(termlist > 0);
  CHECK(stored <= docdata);
  CHECK(sb.bytes_after + termlist <= sa.bytes_after);
  CHECK(check_index(ob.index_dir).ok);

  // Queries from the generator's own set: head, torso and tail.
  std::vector<std::string> queries;
  std::ifstream qf(tmp.path + "/cat/queries.tsv");
  for (std::string line; std::getline(qf, line) && queries.size() < 40;) {
    const auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    queries.push_back(line.substr(t1 + 1, t2 - t1 - 1));
  }
  REQUIRE(queries.size() == 40);
  check_same_explained(Searcher(oa.index_dir), Searcher(ob.index_dir), queries);
  CHECK_THROWS_AS(optimize_index(ob), UsageError);
}
