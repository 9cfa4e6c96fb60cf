// `longtail eval`: effectiveness of the engine on a labelled query set (perf/eval.h).
#include <cstdio>
#include <memory>
#include <string>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "perf/eval.h"

namespace longtail::cli {

void register_eval(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "eval", "Score the engine on labelled queries: MRR@10, NDCG@10, recall@100, zero-result rate, per query class");
  struct Args {
    std::string index, queries, qrels, run, score_run, profile, now;
    bool json = false;
    bool no_columns = false;
  };
  auto a = std::make_shared<Args>();
  auto* index_opt = add_index_option(*cmd, a->index, false);
  cmd->add_option("--queries", a->queries, "queries.tsv: qid<TAB>query[<TAB>head|torso|tail] (without a class: by length, head <= 4 characters, torso <= 8)")->required();
  cmd->add_option("--qrels", a->qrels, "TREC qrels: qid 0 item_id grade (judged per item_id)")->required();
  cmd->add_option("--run", a->run, "Also write a TREC run file: qid Q0 item_id rank score longtail");
  cmd->add_option("--score-run", a->score_run,
                  "Score this TREC run file (qid Q0 item_id rank score tag; another engine's, or an earlier "
                  "--run) instead of searching an index")
      ->excludes(index_opt);
  add_profile_option(*cmd, a->profile);
  add_now_option(*cmd, a->now);
  add_json_flag(*cmd, a->json);
  add_no_columns_flag(*cmd, a->no_columns);
  cmd->callback([a, &rc] {
    auto queries = perf::read_queries(a->queries);
    auto qrels = perf::read_qrels(a->qrels);
    perf::EvalReport r;
    if (!a->score_run.empty()) {
      r = perf::evaluate(queries, qrels, perf::run_file_rank_fn(perf::read_run(a->score_run)));
    } else {
      if (a->index.empty()) throw UsageError("eval: --index or --score-run is required");
      SearcherOptions so;
      so.stage1_columns = !a->no_columns;
      Searcher searcher(a->index, so);
      SearchRequest base;
      base.profile = a->profile;
      if (!a->now.empty()) base.now = parse_time_option(a->now, "--now");
      r = perf::evaluate(queries, qrels, perf::longtail_rank_fn(searcher, base), a->run);
    }
    std::string out = a->json ? perf::eval_json(r) + "\n" : perf::eval_table(r);
    std::fwrite(out.data(), 1, out.size(), stdout);
    rc = 0;
  });
}

}  // namespace longtail::cli
