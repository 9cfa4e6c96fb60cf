#include <cstdio>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"

namespace longtail::cli {

void register_optimize(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "optimize", "Rewrite every shard in decreasing static-prior order with tiers for broad queries, compacted; a new generation");
  struct Args {
    OptimizeOptions o;
    ProgressFlags progress;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->o.index_dir);
  cmd->add_option("--threads", a->o.threads, "Shards rewritten at once (0: one per core, at most one per shard)");
  cmd->add_flag("--serving", a->o.serving,
                "Write serving shards: no termlist, stored fields in compressed blocks (the index then takes no update)");
  add_progress_flags(*cmd, a->progress);
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
    OptimizeSummary s;
    {
      ProgressLine line(a->progress);
      a->o.progress = line.callback();
      s = optimize_index(a->o);
    }
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    if (a->json) {
      std::string o;
      json::Writer(o)
          .object()
          .field("index", a->o.index_dir)
          .field("shards", s.shards)
          .field("skus", s.skus)
          .field("bytes_before", s.bytes_before)
          .field("bytes_after", s.bytes_after)
          .field("seconds", s.seconds)
          .end();
      print_json_line(std::move(o));
    } else {
      std::printf("optimized %s: %llu SKUs in %d shard(s) put in decreasing prior order and compacted, "
                  "%.1f MB -> %.1f MB of shards, in %.2fs\n",
                  a->o.index_dir.c_str(), u(s.skus), s.shards, double(s.bytes_before) / 1e6, double(s.bytes_after) / 1e6,
                  s.seconds);
    }
    rc = 0;
  });
}

}  // namespace longtail::cli
