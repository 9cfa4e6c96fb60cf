#include "perf/bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include <longtail/longtail.h>

#include "common/json_writer.h"

namespace longtail::perf {

namespace {

using Clock = std::chrono::steady_clock;

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest sample with at least p of the samples at or below it.
  size_t rank = size_t(std::ceil(p * double(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

struct PhaseResult {
  std::vector<double> samples_ms;
  uint64_t results = 0, zero = 0;
  double seconds = 0;
};

PhaseResult run_phase(const std::vector<const EvalQuery*>& qs, const BenchOptions& o, const SearchFn& search) {
  struct PerThread {
    std::vector<double> samples;
    uint64_t results = 0, zero = 0;
  };
  std::vector<PerThread> per(size_t(o.threads));
  std::exception_ptr error;
  std::mutex error_mu;
  std::atomic<bool> failed{false};
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      try {
        std::vector<size_t> order(qs.size());
        std::iota(order.begin(), order.end(), size_t(0));
        std::mt19937_64 rng(o.seed + uint64_t(t));
        std::shuffle(order.begin(), order.end(), rng);
        auto& me = per[size_t(t)];
        me.samples.reserve(1 << 16);
        for (size_t i = 0; !failed.load(std::memory_order_relaxed); ++i) {
          const EvalQuery& q = *qs[order[i % order.size()]];
          auto a = Clock::now();
          if (a >= deadline) break;
          uint64_t n = search(q, t);  // the timed call; its hit count is checked below
          auto b = Clock::now();
          me.samples.push_back(std::chrono::duration<double, std::milli>(b - a).count());
          me.results += n;
          if (n == 0) ++me.zero;
        }
      } catch (...) {
        std::lock_guard lk(error_mu);
        if (!error) error = std::current_exception();
        failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  if (error) std::rethrow_exception(error);
  PhaseResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& p : per) {
    r.samples_ms.insert(r.samples_ms.end(), p.samples.begin(), p.samples.end());
    r.results += p.results;
    r.zero += p.zero;
  }
  return r;
}

}  // namespace

LatencyStats latency_stats(std::vector<double> samples_ms, double seconds) {
  LatencyStats s;
  s.queries = samples_ms.size();
  s.seconds = seconds;
  if (samples_ms.empty()) return s;
  std::sort(samples_ms.begin(), samples_ms.end());
  s.qps = seconds > 0 ? double(s.queries) / seconds : 0;
  s.p50_ms = percentile(samples_ms, 0.50);
  s.p95_ms = percentile(samples_ms, 0.95);
  s.p99_ms = percentile(samples_ms, 0.99);
  s.max_ms = samples_ms.back();
  s.mean_ms = std::accumulate(samples_ms.begin(), samples_ms.end(), 0.0) / double(samples_ms.size());
  return s;
}

BenchReport run_bench(const std::vector<EvalQuery>& queries, const BenchOptions& o, const SearchFn& search) {
  if (o.threads < 1 || o.threads > 256) throw UsageError("bench: --threads must be between 1 and 256");
  if (!(o.duration_s > 0) || o.duration_s > 86400) throw UsageError("bench: --duration must be > 0 seconds (at most a day)");
  if (o.warmup_passes < 0) throw UsageError("bench: --warmup must not be negative");
  if (queries.empty()) throw UsageError("bench: the query file has no queries");

  for (int p = 0; p < o.warmup_passes; ++p)
    for (const auto& q : queries) search(q, 0);

  BenchReport rep;
  rep.options = o;
  std::vector<double> all;
  double all_seconds = 0;
  uint64_t all_results = 0, all_zero = 0;
  for (int c = 0; c < kQueryClasses; ++c) {
    std::vector<const EvalQuery*> qs;
    for (const auto& q : queries)
      if (int(q.cls) == c) qs.push_back(&q);
    if (qs.empty()) continue;
    PhaseResult ph = run_phase(qs, o, search);
    all.insert(all.end(), ph.samples_ms.begin(), ph.samples_ms.end());
    all_seconds += ph.seconds;
    all_results += ph.results;
    all_zero += ph.zero;
    LatencyStats& s = rep.by_class[size_t(c)];
    s = latency_stats(std::move(ph.samples_ms), ph.seconds);
    s.results = ph.results;
    s.zero_result_queries = ph.zero;
  }
  rep.overall = latency_stats(std::move(all), all_seconds);
  rep.overall.results = all_results;
  rep.overall.zero_result_queries = all_zero;
  if (rep.overall.queries > 0 && all_results == 0)
    throw DataError("bench: " + std::to_string(rep.overall.queries) +
                    " timed queries returned no result at all: the index is empty or broken");
  return rep;
}

SearchFn longtail_search_fn(const Searcher& searcher, SearchRequest base) {
  return [&searcher, base](const EvalQuery& q, int) -> uint64_t {
    SearchRequest req = base;
    req.query = q.text;
    SearchResult r = searcher.search(req);
    uint64_t n = 0;
    for (const auto& h : r.hits) n += h.sku_id.empty() ? 0 : 1;  // a hit without an id is not a result
    return n;
  };
}

namespace {

void table_row(std::string& out, const char* name, const LatencyStats& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-8s %8llu %10llu %8llu %9.1f %8.3f %8.3f %8.3f %8.3f %9.3f\n", name,
                static_cast<unsigned long long>(s.queries), static_cast<unsigned long long>(s.results),
                static_cast<unsigned long long>(s.zero_result_queries), s.qps, s.p50_ms, s.p95_ms, s.p99_ms,
                s.mean_ms, s.max_ms);
  out += buf;
}

void stats_json(json::Writer& w, const LatencyStats& s) {
  w.object()
      .field("queries", s.queries)
      .field("results", s.results)
      .field("zero_result_queries", s.zero_result_queries)
      .field("seconds", s.seconds)
      .field("qps", s.qps)
      .field("p50_ms", s.p50_ms)
      .field("p95_ms", s.p95_ms)
      .field("p99_ms", s.p99_ms)
      .field("mean_ms", s.mean_ms)
      .field("max_ms", s.max_ms)
      .end();
}

}  // namespace

std::string bench_table(const BenchReport& r) {
  char head[200];
  std::snprintf(head, sizeof head, "threads %d, %.1f s per class, %d warm-up pass(es)\n", r.options.threads,
                r.options.duration_s, r.options.warmup_passes);
  std::string out = head;
  out += "class     queries    results zero-res       QPS   p50 ms   p95 ms   p99 ms  mean ms    max ms\n";
  for (int c = 0; c < kQueryClasses; ++c)
    if (r.by_class[size_t(c)].queries) table_row(out, query_class_name(QueryClass(c)), r.by_class[size_t(c)]);
  table_row(out, "overall", r.overall);
  return out;
}

std::string bench_json(const BenchReport& r) {
  std::string o;
  json::Writer w(o);
  w.object()
      .field("threads", r.options.threads)
      .field("duration_s", r.options.duration_s)
      .field("warmup_passes", r.options.warmup_passes)
      .key("overall");
  stats_json(w, r.overall);
  for (int c = 0; c < kQueryClasses; ++c) {
    w.key(query_class_name(QueryClass(c)));
    stats_json(w, r.by_class[size_t(c)]);
  }
  w.end();
  return o;
}

}  // namespace longtail::perf
