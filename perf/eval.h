// Effectiveness evaluation of a ranked run against graded qrels (`longtail eval`, and the
// baselines in perf/baselines/ through the same code, so every engine is scored alike).
//
// Judging is per item_id (variants collapse to one hit). A judged item is relevant when its grade
// is >= 1; grade 0 marks a judged non-relevant item (an abuser aimed at the query).
//
// Metrics of one query, from its ranked item list (duplicates of an item after its first
// appearance are ignored, as a collapsed result would never show them):
//   MRR@10      1 / rank of the first relevant item within ranks 1..10, else 0.
//   NDCG@10     DCG@10 / IDCG@10 with linear gain (the grade) and discount 1 / log2(rank + 1)
//               (trec_eval's ndcg_cut convention); IDCG from the query's judged grades sorted
//               in decreasing order.
//   recall@100  relevant items within ranks 1..100 divided by min(R, 100), R = relevant items
//               judged for the query. Plain recall (found / R) is meaningless for head queries
//               with thousands of relevant items (and the generator caps their qrels), so the
//               denominator is capped: 1.0 means "the first 100 ranks could not hold more".
//   zero result the engine returned no hit at all.
// Queries without any relevant judged item are left out of MRR, NDCG and recall (they count in
// the zero-result rate); `judged` says how many were scored.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <longtail/longtail.h>

#include "perf/qrels.h"

namespace longtail::perf {

// One ranked hit of a run: an item and the engine's score (only written to run files).
struct RankedItem {
  std::string item_id;
  double score = 0;
};

struct QueryMetrics {
  double rr10 = 0;       // reciprocal rank within 10
  double ndcg10 = 0;     // in [0, 1]
  double recall100 = 0;  // in [0, 1], capped denominator (above)
  bool zero_result = false;
  bool judged = false;   // the query has at least one relevant judged item
};

// Scores one query. `judgments` maps item_id -> grade for this query (may be empty).
QueryMetrics score_query(const std::vector<RankedItem>& ranked,
                         const std::unordered_map<std::string, int>& judgments);

struct MetricSummary {
  uint64_t queries = 0;       // queries run
  uint64_t judged = 0;        // queries with a relevant judged item (MRR/NDCG/recall averaged over these)
  uint64_t zero_results = 0;  // queries with no hit
  double mrr10 = 0, ndcg10 = 0, recall100 = 0;  // means over judged queries; 0 when judged == 0
  double zero_result_rate() const { return queries ? double(zero_results) / double(queries) : 0.0; }
};

struct EvalReport {
  MetricSummary overall;
  std::array<MetricSummary, kQueryClasses> by_class;  // indexed by QueryClass
  double seconds = 0;                                 // wall time of all searches
};

// Accumulates per-query metrics into a report. Not thread-safe.
class EvalAccumulator {
 public:
  void add(QueryClass cls, const QueryMetrics& m);
  EvalReport finish() const;  // means computed; `seconds` left at 0

 private:
  struct Sums {
    uint64_t queries = 0, judged = 0, zero = 0;
    double rr = 0, ndcg = 0, recall = 0;
  };
  static MetricSummary summarize(const Sums& s);
  Sums overall_;
  std::array<Sums, kQueryClasses> by_class_{};
};

// Ranks one query: up to `depth` hits, best first.
using RankFn = std::function<std::vector<RankedItem>(const EvalQuery& query, uint32_t depth)>;

// Runs every query through `rank` (depth 100, enough for recall@100) and scores it against
// `qrels`. If `run_file` is non-empty, writes a TREC run there: "qid Q0 item_id rank score TAG"
// (throws UsageError if it cannot be written). Queries run one at a time, in file order.
EvalReport evaluate(const std::vector<EvalQuery>& queries, const Qrels& qrels, const RankFn& rank,
                    const std::string& run_file = "", const std::string& run_tag = "longtail");

// longtail as a RankFn: `base` (filters, ranking switches) with query = the query text,
// offset 0, limit = depth and collapse on. `searcher` must outlive the returned function.
RankFn longtail_rank_fn(const Searcher& searcher, SearchRequest base);

// A TREC run file ("qid Q0 item_id rank score tag", whitespace-separated): qid -> items in
// increasing rank. Throws UsageError if it cannot be opened, DataError("FILE:LINE: ...") for a
// malformed line.
using Run = std::unordered_map<std::string, std::vector<RankedItem>>;
Run read_run(const std::string& path);
// A run as a RankFn (a query the run lacks gets no hit).
RankFn run_file_rank_fn(Run run);

// Human-readable table (one row per class and one overall) and JSON object:
// {"queries":N,"judged":J,"seconds":S,"overall":{...},"head":{...},"torso":{...},"tail":{...}}
// with each block {"queries","judged","mrr@10","ndcg@10","recall@100","zero_result_rate"}.
std::string eval_table(const EvalReport& r);
std::string eval_json(const EvalReport& r);

}  // namespace longtail::perf
