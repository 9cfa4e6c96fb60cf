// Relevance on real shoppers' queries (issue 20; docs/ranking.md, "Real queries"): the default
// profile on ../shared/data/relevance/mcpr_dev (125 real Taobao queries, one judged listing each,
// over 35,284 real titles) must keep the figures it reached, so they cannot slide back. Skips with
// a message when the shared data is absent (it is never copied into the repository).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

#include <longtail/longtail.h>

#include "perf/eval.h"
#include "perf/qrels.h"
#include "tests/shared_data.h"
#include "tests/test_util.h"

using namespace longtail;

TEST_CASE("real queries: the default profile keeps MRR@10, recall@100 and empty results on mcpr_dev", "[real][eval]") {
  std::ifstream probe;
  std::string why;
  if (!test::open_shared_data("relevance/mcpr_dev/catalog.jsonl", probe, why)) {
    WARN(why);
    return;
  }
  const std::string dir = std::string(std::getenv("LONGTAIL_SHARED_DATA")) + "/relevance/mcpr_dev";
  test::TempDir tmp;
  BuildOptions o;
  o.catalog_files = {dir + "/catalog.jsonl"};
  o.index_dir = tmp.path + "/idx";
  o.shards = 1;
  o.threads = 2;
  build_index(o);
  Searcher s(o.index_dir);
  const auto queries = perf::read_queries(dir + "/queries.tsv");
  const auto qrels = perf::read_qrels(dir + "/qrels.tsv");
  REQUIRE(queries.size() == 125);
  const perf::EvalReport r = perf::evaluate(queries, qrels, perf::longtail_rank_fn(s, SearchRequest{}));
  INFO(perf::eval_table(r));
  // Measured 0.7408 / 0.9040 / 1 (perf/real_eval.sh); the aims are 0.72, 0.90 and one.
  CHECK(r.overall.mrr10 >= 0.72);
  CHECK(r.overall.recall100 >= 0.90);
  CHECK(r.overall.zero_results <= 1);
  // BM25 alone over the same terms stays below: what the matching rules add.
  SearchRequest bm25;
  bm25.profile = std::string(LONGTAIL_SOURCE_DIR) + "/profiles/bm25.toml";
  const perf::EvalReport b = perf::evaluate(queries, qrels, perf::longtail_rank_fn(s, bm25));
  CHECK(b.overall.mrr10 < r.overall.mrr10);
}

TEST_CASE("eval reads two-column query files and scores run files", "[eval]") {
  test::TempDir tmp;
  {
    std::ofstream q(tmp.path + "/q.tsv"), rel(tmp.path + "/qrels.tsv"), run(tmp.path + "/run.txt");
    q << "1\t连衣裙\n2\t碎花连衣裙红色\n3\t碎花雪纺连衣裙红色长款\n";
    rel << "1 0 a 1\n2 0 b 1\n3 0 c 1\n";
    run << "1 Q0 x 1 2.0 t\n1 Q0 a 2 1.0 t\n2 Q0 b 1 3.0 t\n";
  }
  const auto queries = perf::read_queries(tmp.path + "/q.tsv");
  REQUIRE(queries.size() == 3);
  CHECK(queries[0].cls == perf::QueryClass::Head);   // 3 characters
  CHECK(queries[1].cls == perf::QueryClass::Torso);  // 7
  CHECK(queries[2].cls == perf::QueryClass::Tail);   // 11
  const auto r = perf::evaluate(queries, perf::read_qrels(tmp.path + "/qrels.tsv"),
                                perf::run_file_rank_fn(perf::read_run(tmp.path + "/run.txt")));
  CHECK(r.overall.mrr10 == Approx((0.5 + 1.0 + 0.0) / 3));
  CHECK(r.overall.zero_results == 1);  // query 3 is not in the run
  {
    std::ofstream bad(tmp.path + "/bad.txt");
    bad << "1 Q0 a one 1.0 t\n";
  }
  CHECK_THROWS_WITH(perf::read_run(tmp.path + "/bad.txt"), Catch::Contains("bad.txt:1"));
}
