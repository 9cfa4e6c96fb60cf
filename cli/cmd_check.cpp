#include <cstdio>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"

namespace longtail::cli {

void register_check(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "check", "Verify an index: CURRENT, manifest, lexicon, shops, every shard (Xapian's check), update batches");
  struct Args {
    std::string dir;
    ProgressFlags progress;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->dir);
  add_progress_flags(*cmd, a->progress);
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
    IndexCheck c;
    {
      ProgressLine line(a->progress);
      c = check_index(CheckOptions{a->dir, line.callback()});
    }
    if (a->json) {
      std::string out;
      json::Writer w(out);
      w.object().field("index", a->dir).field("ok", c.ok).field("generation", c.generation).key("checks").array();
      for (const auto& step : c.steps)
        w.object().field("status", step.status).field("subject", step.subject).field("message", step.message).end();
      w.end().field_strings("lines", c.lines).field_strings("problems", c.problems).end();
      print_json_line(std::move(out));
    } else {
      for (const auto& l : c.lines) std::printf("%s\n", l.c_str());
      std::printf("%s: %s\n", a->dir.c_str(), c.ok ? "index is sound" : "index is DAMAGED");
    }
    rc = c.ok ? 0 : 1;
  });
}

}  // namespace longtail::cli
