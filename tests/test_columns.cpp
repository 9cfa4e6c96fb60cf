// Stage-1 columns (engine/columns.h, SearcherOptions::stage1_columns): the static prior and the
// relevance tie-break read from memory instead of the index give exactly the hits of the values
// on this catalog (at 10M one query differs, docs/ranking.md "Stage-1 columns"), are really what
// stage 1 uses, follow update batches, and stay off for remote shards.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <xapian.h>

#include <longtail/longtail.h>

#include "engine/columns.h"
#include "engine/index_state.h"
#include "engine/profile.h"
#include "engine/search.h"
#include "engine/snapshot.h"
#include "format/document.h"
#include "index/index_dir.h"
#include "perf/generator.h"
#include "tests/generated.h"
#include "perf/qrels.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  test::TempDir tmp;
  std::string dir = tmp.path + "/idx";
  std::vector<perf::EvalQuery> queries;
  Fixture() {
    test::generate_small_catalog(tmp.path + "/cat", 3000, 11);
    queries = perf::read_queries(tmp.path + "/cat/queries.tsv");
    BuildOptions o;
    o.catalog_files = {tmp.path + "/cat/catalog.jsonl"};
    o.shops_file = tmp.path + "/cat/shops.jsonl";
    o.index_dir = dir;
    o.shards = 2;
    o.threads = 2;
    build_index(o);
  }
};

SearchRequest request(const std::string& q, bool explain = false) {
  SearchRequest r;
  r.query = q;
  r.limit = 20;
  r.explain = explain;
  r.now = 1750000000;
  return r;
}

// Every hit of every query, with its score: what the two paths must agree on.
std::string all_hits(const Searcher& s, const std::vector<perf::EvalQuery>& queries, bool columns) {
  std::string out;
  for (const auto& q : queries) {
    SearchResult r = s.search(request(q.text));
    CHECK(r.stage1_columns == columns);
    out += q.qid + ":";
    for (const auto& h : r.hits) out += " " + h.sku_id + "=" + std::to_string(h.score);
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("stage-1 columns give the hits of the stored values, as built, optimized and after an update", "[columns][ranking]") {
  Fixture f;
  REQUIRE(f.queries.size() >= 100);
  SearcherOptions on;
  on.stage1_columns = true;
  {
    Searcher plain(f.dir), cols(f.dir, on);
    const std::string want = all_hits(plain, f.queries, false);
    CHECK(want.find("=") != std::string::npos);
    CHECK(all_hits(cols, f.queries, true) == want);
  }

  // Optimized: broad queries run on tiers, document ids are in prior order.
  OptimizeOptions oo;
  oo.index_dir = f.dir;
  optimize_index(oo);
  Searcher plain(f.dir), cols(f.dir, on);
  CHECK(all_hits(cols, f.queries, true) == all_hits(plain, f.queries, false));

  // A values-only update moves priors: the Searcher with columns reads them again for the new
  // batch, and still agrees with one that reads the values.
  {
    std::ifstream in(f.tmp.path + "/cat/catalog.jsonl");
    std::ofstream delta(f.tmp.path + "/delta.jsonl");
    std::string line;
    for (int i = 0; std::getline(in, line); ++i) {
      if (i % 7) continue;
      const size_t at = line.find("\"sales_30d\":");
      REQUIRE(at != std::string::npos);
      delta << line.substr(0, at) << "\"sales_30d\":" << (i * 37 % 5000) << line.substr(line.find_first_of(",}", at + 12))
            << "\n";
    }
  }
  UpdateOptions u;
  u.index_dir = f.dir;
  u.catalog_files = {f.tmp.path + "/delta.jsonl"};
  const UpdateSummary us = update_index(u);
  REQUIRE(us.values_only > 100);
  cols.reopen();
  Searcher fresh(f.dir);
  CHECK(all_hits(cols, f.queries, true) == all_hits(fresh, f.queries, false));
}

TEST_CASE("stage 1 takes the prior and the tie-break from the columns", "[columns]") {
  Fixture f;
  auto state = engine::open_index_state(f.dir);
  auto snap = engine::open_snapshot(*state);
  auto cols = engine::load_stage1_columns(state, *snap);
  REQUIRE(cols);
  REQUIRE(cols->matches(*state, *snap));
  REQUIRE(cols->shards.size() == 2);

  // A document's column entries are its sku_id and its slot-9 value. (That the tie-break is the
  // sku_id of the right shard is what the identical hits of the case above show: ties between
  // variants of one item are common.)
  Xapian::doccount checked = 0;
  for (Xapian::docid did = 1; did <= 40; ++did) {
    Xapian::Document doc = snap->db.get_document(did);
    index::SkuRecord r;
    REQUIRE(index::read_record(doc, r));
    const auto& shard = cols->shards[(did - 1) % 2];
    CHECK(shard.sku((did - 1) / 2 + 1) == r.sku_id);
    CHECK(shard.prior[(did - 1) / 2 + 1] == Xapian::sortable_unserialise(doc.get_value(9)));
    ++checked;
  }
  CHECK(checked == 40);

  // Columns whose priors are all 0: every stage-1 weight drops by prior_weight times the
  // listing's prior, so the match really reads the columns.
  auto zero = std::make_shared<engine::Stage1Columns>(*cols);
  for (auto& s : zero->shards)
    for (auto& p : s.prior)
      if (!std::isnan(p)) p = 0;
  const SearchRequest req = request(f.queries.front().text, true);
  SearchResult a = engine::run_search(*state, snap->db, req, *engine::default_profile(), cols);
  SearchResult b = engine::run_search(*state, snap->db, req, *engine::default_profile(), zero);
  REQUIRE(!a.hits.empty());
  CHECK(a.stage1_columns);
  double best_a = 0, best_b = 0;
  for (const auto& h : a.hits) best_a = std::max(best_a, h.explanation->stage1_weight);
  for (const auto& h : b.hits) best_b = std::max(best_b, h.explanation->stage1_weight);
  CHECK(best_b < best_a);

  // A commit to a shard makes the columns stale: they no longer describe the snapshot.
  {
    Xapian::WritableDatabase w((fs::path(state->generation_dir) / state->manifest.shard_paths[0]).string());
    w.set_metadata("longtail-test", "x");
    w.commit();
  }
  engine::sync_snapshot(*state, *snap);
  CHECK_FALSE(cols->matches(*state, *snap));
  auto again = engine::load_stage1_columns(state, *snap);
  REQUIRE(again);
  CHECK(again->matches(*state, *snap));
}

TEST_CASE("an index with a remote shard gets no stage-1 columns", "[columns][remote]") {
  engine::IndexState st;
  st.manifest.shard_paths = {"shard-0", "tcp 127.0.0.1 1"};
  engine::ShardSnapshot snap;  // not opened: remote shards are refused before any read
  CHECK(engine::load_stage1_columns(std::make_shared<engine::IndexState>(st), snap) == nullptr);
}
