// `longtail bench`: query latency percentiles and QPS per query class (perf/bench.h), in process
// or, with --url, over the HTTP service (`longtail serve --http`, docs/http.md).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "perf/bench.h"
#include "server/client.h"

namespace longtail::cli {

namespace {

struct BenchArgs {
  std::string index, queries, profile, now, url, api_key;
  perf::BenchOptions o;
  uint32_t limit = 10;
  bool json = false;
  bool no_columns = false;
};

// The service's SKU and shard counts (GET /health), for the report's head line.
std::pair<uint64_t, int> health_counts(server::HttpClient& c) {
  auto h = c.get("/health");
  if (h.status != 200) throw DataError("GET /health: " + (h.status ? std::to_string(h.status) + " " + h.body : h.error));
  auto field = [&](const std::string& key) -> uint64_t {
    const size_t p = h.body.find("\"" + key + "\":");
    return p == std::string::npos ? 0 : std::strtoull(h.body.c_str() + p + key.size() + 3, nullptr, 10);
  };
  return {field("skus"), int(field("shards"))};
}

// `bench --url`: the same loop over GET /search, one keep-alive connection per thread. Each
// answer must be 200; its hits are counted in the JSON (`"rank":` opens each hit).
void bench_http(const BenchArgs& a, const std::vector<perf::EvalQuery>& queries) {
  if (!a.profile.empty()) throw UsageError("bench: --profile is the server's with --url (serve --http --profiles-dir)");
  std::vector<std::unique_ptr<server::HttpClient>> clients;
  for (int t = 0; t < a.o.threads; ++t) clients.push_back(std::make_unique<server::HttpClient>(a.url, a.api_key));
  std::string params = "&limit=" + std::to_string(a.limit);
  if (!a.now.empty()) params += "&now=" + std::to_string(parse_time_option(a.now, "--now"));
  auto timed = [&](const perf::EvalQuery& q, int t) -> uint64_t {
    auto r = clients[size_t(t)]->get("/search?q=" + server::url_encode(q.text) + params);
    if (r.status != 200)
      throw DataError("GET /search \"" + q.text + "\": " + (r.status ? std::to_string(r.status) + " " + r.body : r.error));
    uint64_t n = 0;
    for (size_t p = r.body.find("{\"rank\":"); p != std::string::npos; p = r.body.find("{\"rank\":", p + 1)) ++n;
    return n;
  };
  perf::BenchReport r = perf::run_bench(queries, a.o, timed);
  auto [skus, shards] = health_counts(*clients[0]);
  std::string out;
  if (a.json) {
    out = "{\"url\":" + json::quote(a.url) + ",\"skus\":" + std::to_string(skus) + ",\"shards\":" + std::to_string(shards) +
          ",\"limit\":" + std::to_string(a.limit) + ",\"bench\":" + perf::bench_json(r) + "}\n";
  } else {
    char head[512];
    std::snprintf(head, sizeof head, "%s: %llu SKUs, %d shard(s); %zu queries, limit %u, over HTTP\n", a.url.c_str(),
                  static_cast<unsigned long long>(skus), shards, queries.size(), a.limit);
    out = head + perf::bench_table(r);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

void register_bench(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "bench", "Measure query latency (p50/p95/p99) and QPS per query class, with result counts checked");
  auto a = std::make_shared<BenchArgs>();
  auto* index = add_index_option(*cmd, a->index, false);
  auto* url = cmd->add_option("--url", a->url,
                              "Search over HTTP: http://HOST:PORT of `longtail serve --http` (GET /search, one keep-alive "
                              "connection per thread) instead of opening --index")
                  ->excludes(index);
  cmd->add_option("--api-key", a->api_key, "With --url: the server's key (X-API-Key)")->needs(url);
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
    if (a->index.empty() && a->url.empty()) throw UsageError("bench: give --index (in process) or --url (over HTTP)");
    auto queries = perf::read_queries(a->queries);
    if (!a->url.empty()) {
      bench_http(*a, queries);
      rc = 0;
      return;
    }
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
