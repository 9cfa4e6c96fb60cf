// longtail_baseline: builds and measures the peer engines of perf/README.md with the same eval and
// bench code as `longtail eval` / `longtail bench`.
//
//   longtail_baseline xapian-build --catalog C --out DIR [--threads T]
//   longtail_baseline fts5-build   --catalog C --index LONGTAIL_INDEX --out FILE.db
//   longtail_baseline eval  --engine xapian|fts5 --db PATH [--index LONGTAIL_INDEX] --queries Q --qrels R [--run OUT] [--json]
//   longtail_baseline bench --engine xapian|fts5 --db PATH [--index LONGTAIL_INDEX] --queries Q [--threads T] [--duration S] [--json]
//
// Exit codes as `longtail`: 0 success, 1 data/environment error, 2 usage error.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include <longtail/longtail.h>

#include "perf/baselines/baselines.h"
#include "common/json_writer.h"

using namespace longtail;
using namespace longtail::perf;

namespace {

struct EngineArgs {
  std::string engine, db, index;
  double pop_weight = 0.5;
  void add(CLI::App& cmd) {
    cmd.add_option("--engine", engine, "xapian or fts5")->required()->check(CLI::IsMember({"xapian", "fts5"}));
    cmd.add_option("--db", db, "Xapian directory (xapian-build --out) or SQLite file (fts5-build --out)")->required();
    cmd.add_option("--index", index, "longtail index whose lexicon analyzes FTS5 queries (fts5 only)");
    cmd.add_option("--pop-weight", pop_weight, "FTS5: weight of ln(1+sales_30d) subtracted from bm25()")
        ->capture_default_str();
  }
  std::unique_ptr<baselines::Engine> open(int threads) const {
    if (engine == "xapian") return baselines::open_xapian(db, threads);
    if (index.empty()) throw UsageError("--engine fts5 needs --index (the longtail index whose terms it was fed)");
    return baselines::open_fts5(db, index, threads, pop_weight);
  }
};

void print_build(const char* engine, const baselines::BuildStats& s) {
  double secs = s.seconds + s.optimize_seconds;
  std::string o;
  json::Writer(o)
      .object()
      .field("engine", engine)
      .field("docs", s.docs)
      .field("seconds", s.seconds)
      .field("optimize_seconds", s.optimize_seconds)
      .field("docs_per_s", s.seconds > 0 ? double(s.docs) / s.seconds : 0)
      .field("docs_per_s_with_optimize", secs > 0 ? double(s.docs) / secs : 0)
      .end();
  std::printf("%s\n", o.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"longtail_baseline — plain Xapian and SQLite FTS5 peers for perf/README.md"};
  app.require_subcommand(1);

  std::string catalog, out, index_dir;
  int threads = 1;
  auto* xb = app.add_subcommand("xapian-build", "Index a catalog with plain Xapian (TermGenerator, CJK n-grams)");
  xb->add_option("--catalog", catalog, "catalog.jsonl")->required();
  xb->add_option("--out", out, "Output directory (shard-NNN databases)")->required();
  xb->add_option("--threads", threads, "Writer threads (one database each)")->capture_default_str();
  xb->callback([&] { print_build("xapian", baselines::xapian_build(catalog, out, threads)); });

  auto* fb = app.add_subcommand("fts5-build", "Index a catalog in SQLite FTS5 with longtail's terms");
  fb->add_option("--catalog", catalog, "catalog.jsonl")->required();
  fb->add_option("--index", index_dir, "longtail index (its lexicon segments the titles)")->required();
  fb->add_option("--out", out, "SQLite database file (replaced)")->required();
  fb->callback([&] { print_build("fts5", baselines::fts5_build(catalog, index_dir, out)); });

  EngineArgs ea, ba;
  std::string queries, qrels, run;
  bool as_json = false;
  auto* ev = app.add_subcommand("eval", "MRR@10, NDCG@10, recall@100, zero-result rate of a peer engine");
  ea.add(*ev);
  ev->add_option("--queries", queries, "queries.tsv")->required();
  ev->add_option("--qrels", qrels, "qrels.tsv")->required();
  ev->add_option("--run", run, "Write a TREC run file");
  ev->add_flag("--json", as_json, "Print JSON");
  ev->callback([&] {
    auto qs = read_queries(queries);
    auto rels = read_qrels(qrels);
    auto engine = ea.open(1);
    EvalReport r = evaluate(
        qs, rels, [&](const EvalQuery& q, uint32_t depth) { return engine->search_items(q.text, depth, 0); }, run,
        ea.engine);
    std::string o = as_json ? eval_json(r) + "\n" : eval_table(r);
    std::fwrite(o.data(), 1, o.size(), stdout);
  });

  BenchOptions bo;
  uint32_t limit = 10;
  auto* be = app.add_subcommand("bench", "Latency and QPS of a peer engine (same harness as longtail bench)");
  ba.add(*be);
  be->add_option("--queries", queries, "queries.tsv")->required();
  be->add_option("--threads", bo.threads, "Concurrent threads")->capture_default_str()->check(CLI::Range(1, 256));
  be->add_option("--duration", bo.duration_s, "Seconds per query class")->capture_default_str();
  be->add_option("--warmup", bo.warmup_passes, "Untimed passes first")->capture_default_str();
  be->add_option("--seed", bo.seed, "Query order seed")->capture_default_str();
  be->add_option("-n,--limit", limit, "Hits per query")->capture_default_str()->check(CLI::Range(1, 1000));
  be->add_flag("--json", as_json, "Print JSON");
  be->callback([&] {
    auto qs = read_queries(queries);
    auto engine = ba.open(bo.threads);
    BenchReport r = run_bench(qs, bo, [&](const EvalQuery& q, int t) -> uint64_t {
      return engine->search_items(q.text, limit, t).size();
    });
    std::string o;
    if (as_json) {
      json::Writer(o).object().field("engine", ba.engine).field("limit", limit).field_raw("bench", bench_json(r)).end();
      o += '\n';
    } else {
      o = "engine " + ba.engine + ", limit " + std::to_string(limit) + "\n" + bench_table(r);
    }
    std::fwrite(o.data(), 1, o.size(), stdout);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "longtail_baseline: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "longtail_baseline: %s\n", e.what());
    return 1;
  }
  return 0;
}
