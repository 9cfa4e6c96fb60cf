// `longtail bench`: query latency percentiles and QPS per query class (perf/bench.h).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "perf/bench.h"

namespace longtail::cli {

void register_bench(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "bench", "Measure query latency (p50/p95/p99) and QPS per query class, with result counts checked");
  struct Args {
    std::string index, queries, profile, now;
    perf::BenchOptions o;
    uint32_t limit = 10;
    bool json = false;
    bool no_columns = false;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->index);
  cmd->add_option("--queries", a->queries, "queries.tsv: qid<TAB>query<TAB>head|torso|tail")->required();
  cmd->add_option("--threads", a->o.threads, "Concurrent searching threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--duration", a->o.duration_s, "Seconds of timed searching per query class")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  cmd->add_option("--warmup", a->o.warmup_passes, "Untimed passes over all queries first")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", a->o.seed, "Seed of each thread's query order")->capture_default_str();
  cmd->add_option("-n,--limit", a->limit, "Hits per query")->capture_default_str()->check(CLI::Range(1, 1000));
  add_profile_option(*cmd, a->profile);
  add_now_option(*cmd, a->now);
  add_json_flag(*cmd, a->json);
  add_no_columns_flag(*cmd, a->no_columns);
  cmd->callback([a, &rc] {
    auto queries = perf::read_queries(a->queries);
    SearcherOptions so;
    so.stage1_columns = !a->no_columns;
    Searcher searcher(a->index, so);
    SearchRequest base;
    base.limit = a->limit;
    base.profile = a->profile;
    if (!a->now.empty()) base.now = parse_time_option(a->now, "--now");
    // Each call also records the engine's own stage timings (ranking stage 1 in Xapian, stage 2
    // re-ranking; docs/ranking.md), per thread so that no lock is taken in the timed loop.
    std::vector<std::vector<double>> stage1(size_t(a->o.threads)), stage2(size_t(a->o.threads));
    auto timed = [&searcher, base, &stage1, &stage2](const perf::EvalQuery& q, int t) -> uint64_t {
      SearchRequest req = base;
      req.query = q.text;
      SearchResult res = searcher.search(req);
      stage1[size_t(t)].push_back(res.stage1_ms);
      stage2[size_t(t)].push_back(res.stage2_ms);
      uint64_t n = 0;
      for (const auto& h : res.hits) n += h.sku_id.empty() ? 0 : 1;
      return n;
    };
    perf::BenchReport r = perf::run_bench(queries, a->o, timed);
    auto stage_stats = [&](const std::vector<std::vector<double>>& per) {
      std::vector<double> all;
      for (const auto& v : per) all.insert(all.end(), v.begin(), v.end());
      return perf::latency_stats(std::move(all), r.overall.seconds);
    };
    const perf::LatencyStats st1 = stage_stats(stage1), st2 = stage_stats(stage2);
    auto stage_json = [](const perf::LatencyStats& l) {
      return "{\"mean_ms\":" + json::number(l.mean_ms) + ",\"p50_ms\":" + json::number(l.p50_ms) + ",\"p95_ms\":" +
             json::number(l.p95_ms) + ",\"p99_ms\":" + json::number(l.p99_ms) + "}";
    };
    IndexInfo info = searcher.info();
    std::string out;
    if (a->json) {
      out = "{\"index\":" + json::quote(a->index) + ",\"skus\":" + std::to_string(info.skus) + ",\"shards\":" +
            std::to_string(info.shards) + ",\"limit\":" + std::to_string(a->limit) + ",\"bench\":" + perf::bench_json(r) +
            ",\"stage1_columns\":" + (a->no_columns ? "false" : "true") + ",\"stage1\":" + stage_json(st1) + ",\"stage2\":" + stage_json(st2) + "}\n";
    } else {
      char head[512];
      std::snprintf(head, sizeof head, "index %s: %llu SKUs, %d shard(s); %zu queries, limit %u\n", a->index.c_str(),
                    static_cast<unsigned long long>(info.skus), info.shards, queries.size(), a->limit);
      out = head + perf::bench_table(r);
      char stages[320];
      std::snprintf(stages, sizeof stages,
                    "ranking stages, all calls incl. warm-up (ms): stage 1 mean %.3f p50 %.3f p95 %.3f p99 %.3f; "
                    "stage 2 mean %.3f p50 %.3f p95 %.3f p99 %.3f\n",
                    st1.mean_ms, st1.p50_ms, st1.p95_ms, st1.p99_ms, st2.mean_ms, st2.p50_ms, st2.p95_ms, st2.p99_ms);
      out += stages;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    rc = 0;
  });
}

}  // namespace longtail::cli
