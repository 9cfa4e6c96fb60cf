// `longtail bench`: query latency percentiles and QPS per query class (perf/bench.h).
#include <cstdio>
#include <memory>
#include <string>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "perf/bench.h"

namespace longtail::cli {

void register_bench(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "bench", "Measure query latency (p50/p95/p99) and QPS per query class, with result counts checked");
  struct Args {
    std::string index, queries;
    perf::BenchOptions o;
    uint32_t limit = 10;
    bool json = false;
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
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
    auto queries = perf::read_queries(a->queries);
    Searcher searcher(a->index);
    SearchRequest base;
    base.limit = a->limit;
    perf::BenchReport r = perf::run_bench(queries, a->o, perf::longtail_search_fn(searcher, base));
    IndexInfo info = searcher.info();
    std::string out;
    if (a->json) {
      out = "{\"index\":" + json_str(a->index) + ",\"skus\":" + std::to_string(info.skus) + ",\"shards\":" +
            std::to_string(info.shards) + ",\"limit\":" + std::to_string(a->limit) + ",\"bench\":" + perf::bench_json(r) +
            "}\n";
    } else {
      char head[512];
      std::snprintf(head, sizeof head, "index %s: %llu SKUs, %d shard(s); %zu queries, limit %u\n", a->index.c_str(),
                    static_cast<unsigned long long>(info.skus), info.shards, queries.size(), a->limit);
      out = head + perf::bench_table(r);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    rc = 0;
  });
}

}  // namespace longtail::cli
