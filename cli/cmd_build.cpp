#include <cstdio>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"

namespace longtail::cli {

void register_build(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand("build", "Build an index from a JSON Lines catalog (replaces DIR atomically)");
  struct Args {
    BuildOptions o;
    std::string on_error = "fail";
    ProgressFlags progress;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--catalog", a->o.catalog_files, "Catalog JSON Lines file(s), one SKU per line; zstd-compressed files (catalog.jsonl.zst) are read as they are")->required();
  cmd->add_option("--shops", a->o.shops_file, "Shops JSON Lines file (seller records)");
  add_index_option(*cmd, a->o.index_dir);
  cmd->add_option("--shards", a->o.shards, "Number of shards")->check(CLI::Range(1, 256));
  cmd->add_option("--threads", a->o.threads, "Writer threads (0 = one per core)")->check(CLI::Range(0, 256));
  cmd->add_option("--on-error", a->on_error, "fail: stop at the first bad record; skip: reject it and go on")
      ->check(CLI::IsMember({"fail", "skip"}));
  cmd->add_option("--rejects", a->o.rejects_file, "With --on-error skip: write rejected lines and reasons here");
  add_profile_option(*cmd, a->o.profile);  // its [build] table: signal constants
  cmd->add_flag("--no-learn", [a](int64_t) { a->o.learn_lexicon = false; }, "Do not add catalog words to the lexicon");
  cmd->add_option("--fail-after", a->o.fail_after_records, "Testing: fail after N records (the old index stays live)");
  cmd->add_option("--synonyms", a->o.synonyms_file,
                  "Synonym rules, one a line: \"土豆, 马铃薯\" (equivalent) or \"手提电脑 => 笔记本电脑\" (one-way); "
                  "stored with the index, applied at query time");
  cmd->add_flag("--no-brand-aliases", [a](int64_t) { a->o.brand_aliases = false; },
                "Do not learn brand names in both scripts (Nike/耐克) as query-time synonyms");
  cmd->add_flag("--serving", a->o.serving,
                "Serving shards: no termlist, stored fields in compressed blocks (smaller, faster to build; takes no update)");
  add_progress_flags(*cmd, a->progress);
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
    a->o.on_error = a->on_error == "skip" ? OnError::Skip : OnError::Fail;
    BuildSummary s;
    {
      ProgressLine line(a->progress);
      a->o.progress = line.callback();
      s = build_index(a->o);
    }
    if (a->json) {
      std::string o;
      json::Writer w(o);
      w.object()
          .field("index", a->o.index_dir)
          .field("accepted", s.accepted)
          .field("rejected", s.rejected)
          .field("items", s.items)
          .field("shops", s.shops)
          .field("shards", s.shards)
          .field("seconds", s.seconds)
          .field("scan_seconds", s.scan_seconds)
          .field("index_seconds", s.index_seconds)
          .field("spelling_seconds", s.spelling_seconds)
          .field("spelling_bytes", s.spelling_bytes)
          .key("errors");
      json_errors(w, s.errors);
      w.end();
      print_json_line(std::move(o));
    } else {
      for (const auto& e : s.errors) std::fprintf(stderr, "rejected: %s\n", e.to_string().c_str());
      if (s.rejected > s.errors.size())
        std::fprintf(stderr, "rejected: ... and %llu more\n", static_cast<unsigned long long>(s.rejected - s.errors.size()));
      std::printf("built %s: %llu SKUs accepted, %llu rejected, %llu items, %llu shops, %d shards in %.2fs (%.0f SKUs/s; "
                  "scan %.2fs, index %.2fs)\n",
                  a->o.index_dir.c_str(), static_cast<unsigned long long>(s.accepted),
                  static_cast<unsigned long long>(s.rejected), static_cast<unsigned long long>(s.items),
                  static_cast<unsigned long long>(s.shops), s.shards, s.seconds,
                  s.seconds > 0 ? double(s.accepted) / s.seconds : 0.0, s.scan_seconds, s.index_seconds);
    }
    rc = 0;
  });
}

}  // namespace longtail::cli
