#include <cstdio>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "engine/report_json.h"

namespace longtail::cli {

namespace {

void print_discard(const std::string& dir, const JournalDiscard& d, bool json) {
  auto list = [](const std::vector<int>& v) {
    std::string o;
    for (int k : v) o += (o.empty() ? "" : ", ") + std::to_string(k);
    return o;
  };
  if (json) {
    std::string o;
    json::Writer w(o);
    auto ints = [&w](const std::vector<int>& v) {
      w.array();
      for (int k : v) w.value(k);
      w.end();
    };
    w.object()
        .field("index", dir)
        .field("found", d.found)
        .field("readable", d.readable)
        .field("damage", d.damage)
        .field("batch", d.batch)
        .field("kind", d.shops ? "shops" : "skus")
        .field("lines", d.lines)
        .field("bytes", d.bytes)
        .key("applied_shards");
    ints(d.applied_shards);
    w.key("missing_shards");
    ints(d.missing_shards);
    w.field_strings("ids", d.ids).field("batch_after", d.batch_after).end();
    print_json_line(std::move(o));
    return;
  }
  if (!d.found) {
    std::printf("%s: no update journal: nothing to discard\n", dir.c_str());
    return;
  }
  if (d.readable)
    std::printf("discarded the journal of update batch %llu (%llu %s records, %llu bytes; it was readable)\n",
                static_cast<unsigned long long>(d.batch), static_cast<unsigned long long>(d.lines),
                d.shops ? "shop" : "SKU", static_cast<unsigned long long>(d.bytes));
  else
    std::printf("discarded a damaged update journal (%llu bytes: %s)\n", static_cast<unsigned long long>(d.bytes),
                printable(d.damage).c_str());
  if (!d.missing_shards.empty())
    std::printf("lost: shard(s) %s had not committed the batch%s; %s\n", list(d.missing_shards).c_str(),
                d.applied_shards.empty() ? "" : (", shard(s) " + list(d.applied_shards) + " had").c_str(),
                d.readable ? "send its records again with `longtail update` (their ids follow, or use --json)"
                           : "its records cannot be read: send the delta of that update again with `longtail update`");
  else if (!d.applied_shards.empty() || d.readable)
    std::printf("lost: nothing, every shard had committed the batch\n");
  else
    std::printf("lost: unknown, all shards were at the same batch: if the update that was interrupted did not finish, "
                "send its delta again with `longtail update`\n");
  if (!d.missing_shards.empty() && d.readable)
    for (const auto& id : d.ids) std::printf("  %s\n", printable(id).c_str());
  std::printf("every shard and the manifest are at update batch %llu\n", static_cast<unsigned long long>(d.batch_after));
}

}  // namespace

void register_update(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "update", "Apply a delta (upserts by sku_id, {\"deleted\":true} removals) to an index in place, batch by batch");
  struct Args {
    UpdateOptions o;
    std::string on_error = "fail";
    ProgressFlags progress;
    bool json = false, discard = false;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->o.index_dir);
  cmd->add_option("--catalog", a->o.catalog_files, "Delta JSON Lines file(s): one SKU record or deletion per line (zstd-compressed files too)");
  cmd->add_option("--shops", a->o.shops_file, "Shop records to add or replace (JSON Lines)");
  cmd->add_option("--synonyms", a->o.synonyms_file,
                  "Replace the index's synonym rules with this file (no re-indexing: they apply at query time)");
  cmd->add_option("--on-error", a->on_error, "fail: stop at the first bad record before changing anything; skip: reject it and go on")
      ->check(CLI::IsMember({"fail", "skip"}));
  cmd->add_option("--rejects", a->o.rejects_file, "With --on-error skip: write rejected lines and reasons here");
  cmd->add_option("--batch-size", a->o.batch_size, "Records per atomic batch")->check(CLI::Range(1, 1000000));
  cmd->add_option("--threads", a->o.threads, "Worker threads for per-shard work (0: one per core, at most one per shard)");
  cmd->add_option("--fail-after-commits", a->o.fail_after_shard_commits,
                  "Testing: fail after N shard commits, as a crash between shards would");
  cmd->add_flag("--discard-journal", a->discard,
                 "Remove an update journal that update cannot complete (a damaged one) and report what was lost; "
                 "nothing else is applied")
      ->excludes("--catalog")
      ->excludes("--shops")
      ->excludes("--synonyms");
  add_progress_flags(*cmd, a->progress);
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
    if (a->discard) {
      print_discard(a->o.index_dir, discard_update_journal(a->o.index_dir), a->json);
      rc = 0;
      return;
    }
    if (a->o.catalog_files.empty() && a->o.shops_file.empty() && a->o.synonyms_file.empty())
      throw UsageError("update: give --catalog DELTA.jsonl, --shops FILE and/or --synonyms FILE");
    a->o.on_error = a->on_error == "skip" ? OnError::Skip : OnError::Fail;
    UpdateSummary s;
    {
      ProgressLine line(a->progress);
      a->o.progress = line.callback();
      s = update_index(a->o);
    }
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    if (a->json) {
      std::string o;
      json::Writer w(o);
      w.object().field("index", a->o.index_dir);
      engine::update_summary_members(w, s);
      w.key("errors");
      json_errors(w, s.errors);
      w.end();
      print_json_line(std::move(o));
    } else {
      for (const auto& e : s.errors) std::fprintf(stderr, "rejected: %s\n", e.to_string().c_str());
      if (s.rejected > s.errors.size()) std::fprintf(stderr, "rejected: ... and %llu more\n", u(s.rejected - s.errors.size()));
      if (s.repaired) std::printf("completed an interrupted update first\n");
      if (s.synonyms_replaced)
        std::printf("synonyms of %s replaced: %llu rules from %s (applied from the next search)\n", a->o.index_dir.c_str(),
                    u(s.synonym_rules), a->o.synonyms_file.c_str());
      if (s.synonyms_replaced && a->o.catalog_files.empty() && a->o.shops_file.empty()) {
        rc = 0;
        return;
      }
      std::printf("updated %s: %llu records (%llu added, %llu re-indexed, %llu values only, %llu unchanged, "
                  "%llu deleted, %llu deletions of absent SKUs), %llu shops changed (%llu SKUs re-valued), "
                  "%llu duplicate partners marked, %llu rejected, %llu batches in %.2fs; now %llu SKUs, %llu items\n",
                  a->o.index_dir.c_str(), u(s.records), u(s.added), u(s.reindexed), u(s.values_only), u(s.unchanged),
                  u(s.deleted), u(s.delete_missing), u(s.shops_changed), u(s.shop_skus), u(s.dup_partners), u(s.rejected),
                  u(s.batches), s.seconds, u(s.skus), u(s.items));
    }
    rc = 0;
  });
}

}  // namespace longtail::cli
