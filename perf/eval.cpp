#include "perf/eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include <longtail/longtail.h>

#include "common/json_writer.h"

namespace longtail::perf {

QueryMetrics score_query(const std::vector<RankedItem>& ranked,
                         const std::unordered_map<std::string, int>& judgments) {
  QueryMetrics m;
  m.zero_result = ranked.empty();
  std::vector<int> ideal;
  for (const auto& [item, grade] : judgments)
    if (grade > 0) ideal.push_back(grade);
  if (ideal.empty()) return m;
  m.judged = true;
  std::sort(ideal.begin(), ideal.end(), std::greater<int>());
  double idcg = 0;
  for (size_t i = 0; i < ideal.size() && i < 10; ++i) idcg += ideal[i] / std::log2(double(i) + 2.0);

  std::unordered_set<std::string_view> seen;
  double dcg = 0;
  uint64_t found100 = 0;
  size_t rank = 0;  // 1-based rank among distinct items
  for (const auto& hit : ranked) {
    if (!seen.insert(hit.item_id).second) continue;
    ++rank;
    if (rank > 100) break;
    auto it = judgments.find(hit.item_id);
    int grade = it == judgments.end() ? 0 : it->second;
    if (grade <= 0) continue;
    ++found100;
    if (rank <= 10) {
      if (m.rr10 == 0) m.rr10 = 1.0 / double(rank);
      dcg += grade / std::log2(double(rank) + 1.0);
    }
  }
  m.ndcg10 = dcg / idcg;
  m.recall100 = double(found100) / double(std::min<size_t>(ideal.size(), 100));
  return m;
}

void EvalAccumulator::add(QueryClass cls, const QueryMetrics& m) {
  for (Sums* s : {&overall_, &by_class_[size_t(cls)]}) {
    ++s->queries;
    if (m.zero_result) ++s->zero;
    if (!m.judged) continue;
    ++s->judged;
    s->rr += m.rr10;
    s->ndcg += m.ndcg10;
    s->recall += m.recall100;
  }
}

MetricSummary EvalAccumulator::summarize(const Sums& s) {
  MetricSummary m;
  m.queries = s.queries;
  m.judged = s.judged;
  m.zero_results = s.zero;
  if (s.judged) {
    m.mrr10 = s.rr / double(s.judged);
    m.ndcg10 = s.ndcg / double(s.judged);
    m.recall100 = s.recall / double(s.judged);
  }
  return m;
}

EvalReport EvalAccumulator::finish() const {
  EvalReport r;
  r.overall = summarize(overall_);
  for (size_t c = 0; c < by_class_.size(); ++c) r.by_class[c] = summarize(by_class_[c]);
  return r;
}

EvalReport evaluate(const std::vector<EvalQuery>& queries, const Qrels& qrels, const RankFn& rank,
                    const std::string& run_file, const std::string& run_tag) {
  std::FILE* run = nullptr;
  if (!run_file.empty()) {
    run = std::fopen(run_file.c_str(), "wb");
    if (!run) throw UsageError(run_file + ": cannot write run file: " + std::strerror(errno));
  }
  struct Closer {
    std::FILE* f;
    ~Closer() {
      if (f) std::fclose(f);
    }
  } closer{run};
  static const std::unordered_map<std::string, int> kNone;
  EvalAccumulator acc;
  double seconds = 0;
  for (const auto& q : queries) {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<RankedItem> ranked = rank(q, 100);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto it = qrels.find(q.qid);
    acc.add(q.cls, score_query(ranked, it == qrels.end() ? kNone : it->second));
    if (run) {
      std::unordered_set<std::string_view> seen;
      size_t r = 0;
      for (const auto& h : ranked) {
        if (!seen.insert(h.item_id).second) continue;
        std::fprintf(run, "%s Q0 %s %zu %.6f %s\n", q.qid.c_str(), h.item_id.c_str(), ++r, h.score, run_tag.c_str());
      }
    }
  }
  if (run && std::fflush(run) != 0) throw DataError(run_file + ": write failed: " + std::strerror(errno));
  EvalReport r = acc.finish();
  r.seconds = seconds;
  return r;
}

RankFn longtail_rank_fn(const Searcher& searcher, SearchRequest base) {
  return [&searcher, base](const EvalQuery& q, uint32_t depth) {
    SearchRequest req = base;
    req.query = q.text;
    req.offset = 0;
    req.limit = depth;
    req.collapse = true;
    std::vector<RankedItem> out;
    for (auto& h : searcher.search(req).hits) out.push_back(RankedItem{std::move(h.item_id), h.score});
    return out;
  };
}

namespace {

void table_row(std::string& out, const char* name, const MetricSummary& m) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "%-8s %7llu %7llu %8.4f %8.4f %10.4f %9.1f%%\n", name,
                static_cast<unsigned long long>(m.queries), static_cast<unsigned long long>(m.judged), m.mrr10,
                m.ndcg10, m.recall100, 100.0 * m.zero_result_rate());
  out += buf;
}

void summary_json(json::Writer& w, const MetricSummary& m) {
  w.object()
      .field("queries", m.queries)
      .field("judged", m.judged)
      .field("mrr@10", m.mrr10)
      .field("ndcg@10", m.ndcg10)
      .field("recall@100", m.recall100)
      .field("zero_result_rate", m.zero_result_rate())
      .end();
}

}  // namespace

std::string eval_table(const EvalReport& r) {
  std::string out = "class    queries  judged   MRR@10  NDCG@10  recall@100  zero-res\n";
  for (int c = 0; c < kQueryClasses; ++c)
    if (r.by_class[size_t(c)].queries) table_row(out, query_class_name(QueryClass(c)), r.by_class[size_t(c)]);
  table_row(out, "overall", r.overall);
  return out;
}

std::string eval_json(const EvalReport& r) {
  std::string o;
  json::Writer w(o);
  w.object().field("queries", r.overall.queries).field("judged", r.overall.judged).field("seconds", r.seconds).key("overall");
  summary_json(w, r.overall);
  for (int c = 0; c < kQueryClasses; ++c) {
    w.key(query_class_name(QueryClass(c)));
    summary_json(w, r.by_class[size_t(c)]);
  }
  w.end();
  return o;
}

}  // namespace longtail::perf
