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
      std::string out = "{\"index\":" + json_str(a->dir) + ",\"ok\":" + (c.ok ? "true" : "false") +
                        ",\"generation\":" + json_str(c.generation) + ",\"checks\":[";
      for (size_t i = 0; i < c.steps.size(); ++i)
        out += (i ? ",{\"status\":" : "{\"status\":") + json_str(c.steps[i].status) + ",\"subject\":" +
               json_str(c.steps[i].subject) + ",\"message\":" + json_str(c.steps[i].message) + "}";
      out += "],\"lines\":[";
      for (size_t i = 0; i < c.lines.size(); ++i) out += (i ? "," : "") + json_str(c.lines[i]);
      out += "],\"problems\":[";
      for (size_t i = 0; i < c.problems.size(); ++i) out += (i ? "," : "") + json_str(c.problems[i]);
      out += "]}";
      std::printf("%s\n", out.c_str());
    } else {
      for (const auto& l : c.lines) std::printf("%s\n", l.c_str());
      std::printf("%s: %s\n", a->dir.c_str(), c.ok ? "index is sound" : "index is DAMAGED");
    }
    rc = c.ok ? 0 : 1;
  });
}

}  // namespace longtail::cli
