// perf/eval.h and perf/bench.h: metric arithmetic on tiny hand-made runs and qrels (values worked
// out by hand below), the bench harness's result check, and `longtail eval` / `longtail bench` end
// to end on a tiny generated catalog.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include <longtail/longtail.h>

#include "perf/bench.h"
#include "perf/eval.h"
#include "tests/test_util.h"

using namespace longtail;
using namespace longtail::perf;

namespace {

std::vector<RankedItem> run_of(std::initializer_list<const char*> ids) {
  std::vector<RankedItem> out;
  double score = 10;
  for (const char* id : ids) out.push_back(RankedItem{id, score--});
  return out;
}

const std::unordered_map<std::string, int> kJudged = {{"A", 3}, {"B", 2}, {"C", 1}, {"D", 0}};

}  // namespace

TEST_CASE("eval: MRR@10, NDCG@10 and recall@100 of one query match hand-computed values", "[eval]") {
  // Ranked X, B, D, A. Relevant: A(3), B(2), C(1); D is judged 0 (not relevant), X unjudged.
  //   RR    = 1/2 (B at rank 2)
  //   DCG   = 2/log2(3) + 3/log2(5)           = 1.2618595 + 1.2920297 = 2.5538892
  //   IDCG  = 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.2618595 + 0.5  = 4.7618595
  //   NDCG  = 2.5538892 / 4.7618595           = 0.5363218
  //   recall@100 = 2 found (A, B) / min(3, 100) = 0.6666667
  QueryMetrics m = score_query(run_of({"X", "B", "D", "A"}), kJudged);
  CHECK(m.judged);
  CHECK_FALSE(m.zero_result);
  CHECK(m.rr10 == Approx(0.5));
  CHECK(m.ndcg10 == Approx(0.5363218).epsilon(1e-6));
  CHECK(m.recall100 == Approx(2.0 / 3.0));
}

TEST_CASE("eval: a perfect ranking scores 1 and repeated items count once", "[eval]") {
  // A, B, C in grade order: DCG = IDCG, RR = 1, all 3 relevant found.
  QueryMetrics perfect = score_query(run_of({"A", "B", "C"}), kJudged);
  CHECK(perfect.rr10 == Approx(1.0));
  CHECK(perfect.ndcg10 == Approx(1.0));
  CHECK(perfect.recall100 == Approx(1.0));
  // A, A, B: the second A is skipped, so B is at rank 2 (not 3):
  //   DCG = 3 + 2/log2(3) = 4.2618595; NDCG = 4.2618595 / 4.7618595 = 0.8949990; recall 2/3.
  QueryMetrics dup = score_query(run_of({"A", "A", "B"}), kJudged);
  CHECK(dup.ndcg10 == Approx(0.8949990).epsilon(1e-6));
  CHECK(dup.recall100 == Approx(2.0 / 3.0));
}

TEST_CASE("eval: only ranks 1..10 count for MRR and NDCG, 1..100 for recall", "[eval]") {
  // C (grade 1) at rank 11 and nothing relevant above: RR 0, NDCG 0, recall 1/3.
  std::vector<RankedItem> ranked;
  for (int i = 0; i < 10; ++i) ranked.push_back(RankedItem{"x" + std::to_string(i), 0});
  ranked.push_back(RankedItem{"C", 0});
  QueryMetrics m = score_query(ranked, kJudged);
  CHECK(m.rr10 == 0);
  CHECK(m.ndcg10 == 0);
  CHECK(m.recall100 == Approx(1.0 / 3.0));
  // 150 relevant items, grade 1 each; a run returning r0..r119 finds 100 within rank 100:
  // recall = 100 / min(150, 100) = 1.
  std::unordered_map<std::string, int> many;
  std::vector<RankedItem> deep;
  for (int i = 0; i < 150; ++i) many["r" + std::to_string(i)] = 1;
  for (int i = 0; i < 120; ++i) deep.push_back(RankedItem{"r" + std::to_string(i), 0});
  CHECK(score_query(deep, many).recall100 == Approx(1.0));
}

TEST_CASE("eval: no hits is a zero result, a query without relevant judgments is not scored", "[eval]") {
  QueryMetrics none = score_query({}, kJudged);
  CHECK(none.zero_result);
  CHECK(none.judged);
  CHECK(none.rr10 == 0);
  CHECK(none.ndcg10 == 0);
  QueryMetrics unjudged = score_query(run_of({"D"}), {{"D", 0}});
  CHECK_FALSE(unjudged.judged);
  CHECK_FALSE(unjudged.zero_result);
}

TEST_CASE("eval: the accumulator averages per class and overall over judged queries", "[eval]") {
  EvalAccumulator acc;
  acc.add(QueryClass::Head, score_query(run_of({"A", "B", "C"}), kJudged));       // RR 1
  acc.add(QueryClass::Head, score_query(run_of({"X", "B", "D", "A"}), kJudged));  // RR 1/2
  acc.add(QueryClass::Tail, score_query({}, kJudged));                            // zero result, RR 0
  acc.add(QueryClass::Tail, score_query(run_of({"D"}), {{"D", 0}}));              // not judged
  EvalReport r = acc.finish();
  // head: MRR (1 + 0.5) / 2 = 0.75; NDCG (1 + 0.5363218) / 2 = 0.7681609.
  CHECK(r.by_class[size_t(QueryClass::Head)].queries == 2);
  CHECK(r.by_class[size_t(QueryClass::Head)].mrr10 == Approx(0.75));
  CHECK(r.by_class[size_t(QueryClass::Head)].ndcg10 == Approx(0.7681609).epsilon(1e-6));
  // tail: 2 queries, 1 judged (RR 0), 1 zero result of 2 -> rate 0.5.
  CHECK(r.by_class[size_t(QueryClass::Tail)].judged == 1);
  CHECK(r.by_class[size_t(QueryClass::Tail)].zero_result_rate() == Approx(0.5));
  // overall: 4 queries, 3 judged; MRR (1 + 0.5 + 0) / 3 = 0.5; zero rate 1/4.
  CHECK(r.overall.queries == 4);
  CHECK(r.overall.judged == 3);
  CHECK(r.overall.mrr10 == Approx(0.5));
  CHECK(r.overall.zero_result_rate() == Approx(0.25));
  CHECK(r.by_class[size_t(QueryClass::Torso)].queries == 0);
}

TEST_CASE("eval: evaluate() writes a TREC run file with one line per distinct item", "[eval]") {
  longtail::test::TempDir tmp;
  std::vector<EvalQuery> qs = {{"q1", "a", QueryClass::Head}, {"q2", "b", QueryClass::Tail}};
  Qrels qrels = {{"q1", kJudged}};
  std::string run = tmp.path + "/run.txt";
  EvalReport r = evaluate(
      qs, qrels,
      [](const EvalQuery& q, uint32_t depth) {
        CHECK(depth == 100);
        return q.qid == "q1" ? run_of({"B", "B", "A"}) : std::vector<RankedItem>{};
      },
      run, "test");
  std::ifstream in(run);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "q1 Q0 B 1 10.000000 test\nq1 Q0 A 2 8.000000 test\n");
  CHECK(r.overall.queries == 2);
  CHECK(r.overall.judged == 1);  // q2 has no qrels
  CHECK(r.overall.zero_results == 1);
  CHECK(eval_json(r).find("\"mrr@10\":1,") != std::string::npos);
}

TEST_CASE("bench: latency percentiles are nearest-rank over the samples", "[bench]") {
  std::vector<double> ms;
  for (int i = 100; i >= 1; --i) ms.push_back(i);  // 1..100 ms, unsorted
  LatencyStats s = latency_stats(ms, 2.0);
  CHECK(s.queries == 100);
  CHECK(s.qps == Approx(50.0));
  CHECK(s.p50_ms == 50);
  CHECK(s.p95_ms == 95);
  CHECK(s.p99_ms == 99);
  CHECK(s.max_ms == 100);
  CHECK(s.mean_ms == Approx(50.5));
}

TEST_CASE("bench: runs a phase per class on every thread and refuses a run without results", "[bench]") {
  std::vector<EvalQuery> qs = {{"1", "a", QueryClass::Head}, {"2", "b", QueryClass::Tail}, {"3", "c", QueryClass::Tail}};
  BenchOptions o;
  o.threads = 2;
  o.duration_s = 0.05;
  std::atomic<int> max_thread{0};
  BenchReport r = run_bench(qs, o, [&](const EvalQuery& q, int t) -> uint64_t {
    if (t > max_thread) max_thread = t;
    return q.cls == QueryClass::Head ? 3 : 0;
  });
  CHECK(max_thread == 1);
  CHECK(r.by_class[size_t(QueryClass::Head)].queries > 0);
  CHECK(r.by_class[size_t(QueryClass::Head)].results == 3 * r.by_class[size_t(QueryClass::Head)].queries);
  CHECK(r.by_class[size_t(QueryClass::Tail)].zero_result_queries == r.by_class[size_t(QueryClass::Tail)].queries);
  CHECK(r.by_class[size_t(QueryClass::Torso)].queries == 0);
  CHECK(r.overall.queries == r.by_class[0].queries + r.by_class[2].queries);
  // Every call returning nothing: a broken index must not look fast.
  CHECK_THROWS_AS(run_bench(qs, o, [](const EvalQuery&, int) -> uint64_t { return 0; }), DataError);
  o.threads = 0;
  CHECK_THROWS_AS(run_bench(qs, o, [](const EvalQuery&, int) -> uint64_t { return 1; }), UsageError);
}

TEST_CASE("eval/bench CLI: longtail eval and bench on a tiny generated catalog", "[eval][cli]") {
  longtail::test::TempDir tmp;
  const std::string cat = tmp.path + "/cat", idx = tmp.path + "/idx";
  REQUIRE(longtail::test::run_cli("gen --skus 1500 --seed 7 --queries 30 --quiet --out '" + cat + "' >/dev/null").status == 0);
  REQUIRE(longtail::test::run_cli("build --catalog '" + cat + "/catalog.jsonl' --shops '" + cat + "/shops.jsonl' --index '" +
                                  idx + "' --shards 2 >/dev/null 2>&1")
              .status == 0);
  const std::string q = " --queries '" + cat + "/queries.tsv'";
  auto ev = longtail::test::run_cli("eval --index '" + idx + "'" + q + " --qrels '" + cat + "/qrels.tsv' --run '" +
                                    tmp.path + "/run.txt' --json");
  REQUIRE(ev.status == 0);
  for (const char* field : {"\"overall\":", "\"head\":", "\"torso\":", "\"tail\":", "\"mrr@10\":", "\"ndcg@10\":",
                            "\"recall@100\":", "\"zero_result_rate\":"})
    CHECK(ev.out.find(field) != std::string::npos);
  // The generator guarantees a grade-3 item for every query: longtail finds some of them.
  CHECK(ev.out.find("\"mrr@10\":0,") == std::string::npos);
  CHECK(std::filesystem::file_size(tmp.path + "/run.txt") > 0);

  auto be = longtail::test::run_cli("bench --index '" + idx + "'" + q + " --threads 2 --duration 0.1 --json");
  REQUIRE(be.status == 0);
  CHECK(be.out.find("\"skus\":1500") != std::string::npos);
  CHECK(be.out.find("\"p99_ms\":") != std::string::npos);
  CHECK(be.out.find("\"results\":0,") == std::string::npos);
  // The engine's own stage timings come with the bench report.
  CHECK(be.out.find("\"stage1\":{\"mean_ms\":") != std::string::npos);
  CHECK(be.out.find("\"stage2\":{\"mean_ms\":") != std::string::npos);
  // A missing query file is a usage error (exit 2).
  CHECK(longtail::test::run_cli("bench --index '" + idx + "' --queries /nonexistent 2>/dev/null").status == 2);

  // --profile and --now reach the searcher: BM25 alone (no relaxation, no signals) ranks
  // differently from the default profile on the same queries, and a bad --now is refused.
  const std::string bm25 = std::string(LONGTAIL_SOURCE_DIR) + "/profiles/bm25.toml";
  auto ev_bm25 = longtail::test::run_cli("eval --index '" + idx + "'" + q + " --qrels '" + cat + "/qrels.tsv' --run '" +
                                         tmp.path + "/run-bm25.txt' --json --now 2025-07-01 --profile '" + bm25 + "'");
  REQUIRE(ev_bm25.status == 0);
  CHECK(longtail::test::read_file(tmp.path + "/run-bm25.txt") != longtail::test::read_file(tmp.path + "/run.txt"));
  CHECK(longtail::test::run_cli("eval --index '" + idx + "'" + q + " --qrels '" + cat +
                                "/qrels.tsv' --now yesterday 2>/dev/null")
            .status == 2);
  CHECK(longtail::test::run_cli("bench --index '" + idx + "'" + q + " --duration 0.05 --profile /nonexistent.toml 2>/dev/null")
            .status == 2);
}
