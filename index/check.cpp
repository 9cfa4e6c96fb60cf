// longtail::check_index: verifies an index directory without changing it (`longtail check`).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <xapian.h>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "index/builder.h"
#include "index/index_dir.h"
#include "index/progress.h"
#include "index/signals.h"
#include "format/stored.h"
#include "index/updater.h"

namespace fs = std::filesystem;

namespace longtail {

using namespace longtail::index;

IndexCheck check_index(const std::string& index_dir) { return check_index(CheckOptions{index_dir, {}}); }

IndexCheck check_index(const CheckOptions& o) {
  const std::string& index_dir = o.index_dir;
  ProgressMeter meter(o.progress);
  IndexCheck c;
  // Each step: its status, what it checked, the message; also as the line "status: message".
  std::string subject;
  auto step = [&](const char* status, const std::string& m) {
    c.steps.push_back({status, subject, m});
    c.lines.push_back(status + (": " + m));
  };
  auto ok = [&](const std::string& m) { step("ok", m); };
  auto warn = [&](const std::string& m) { step("WARN", m); };
  auto fail = [&](const std::string& m) {
    c.ok = false;
    step("FAIL", m);
    c.problems.push_back(m);
  };

  std::string gen;
  subject = "CURRENT";
  try {
    gen = live_generation(index_dir);
    c.generation = fs::path(gen).filename().string();
    ok("CURRENT names " + c.generation);
  } catch (const Error& e) {
    fail(e.what());
    return c;
  }

  Manifest m;
  subject = "manifest";
  try {
    m = read_manifest(gen);
    ok("manifest.json: schema " + std::to_string(m.schema_version) + ", analyzer " + m.analyzer + ", " +
       std::to_string(m.shards) + " shards, " + std::to_string(m.skus) + " SKUs, " + std::to_string(m.items) +
       " items, update batch " + std::to_string(m.batch));
  } catch (const Error& e) {
    fail(e.what());
    return c;
  }
  try {
    check_compatible(m, index_dir);
  } catch (const IndexMismatchError& e) {
    fail(e.what());
  }

  subject = "lexicon";
  try {
    auto lexicon = analysis::Lexicon::load(gen + "/lexicon.bin");
    if (lexicon->checksum() != m.lexicon_checksum)
      fail(gen + "/lexicon.bin: checksum " + lexicon->checksum() + " does not match the manifest's " +
           m.lexicon_checksum);
    else
      ok("lexicon.bin: checksum matches the manifest");
  } catch (const std::exception& e) {
    fail(gen + "/lexicon.bin: " + e.what());
  }

  const bool journal = fs::exists(gen + "/" + kJournalFile);
  const bool writing = writer_running(index_dir);
  bool journal_damaged = false;
  if (journal && !writing) {
    subject = "journal";
    try {
      Journal j = read_journal(gen + "/" + kJournalFile);
      ok(std::string(kJournalFile) + ": batch " + std::to_string(j.batch) + ", " + std::to_string(j.lines.size()) +
         " records, readable");
    } catch (const DataError& e) {
      journal_damaged = true;
      fail(std::string(e.what()) + ": no update can complete it and updates and optimize refuse the index; "
           "`longtail update --index " + index_dir + " --discard-journal` removes it and reports what was lost");
    }
  }
  subject = "files";
  meter.phase("files", 0, "");
  if (m.files.empty()) {
    warn("manifest.json lists no file checksums (written before longtail kept them): only the lexicon's is verified; "
         "the next build or optimize adds them");
  } else {
    auto problems = verify_generation_files(gen, m);
    for (const auto& p : problems) {
      if (writing || journal)
        warn(p + (writing ? " (an update is running: it rewrites files before the manifest)"
                          : " (an interrupted update: the next `longtail update` completes it and rewrites the manifest)"));
      else
        fail(p + ": rebuild the index with `longtail build` (or restore this generation from a backup)");
    }
    if (problems.empty())
      ok(std::to_string(m.files.size()) + " files match the manifest's sizes and checksums");
  }

  if (fs::exists(gen + "/shops.jsonl")) {
    subject = "shops";
    try {
      RejectSink strict(OnError::Fail, "");
      auto shops = read_shops(gen + "/shops.jsonl", strict);
      if (shops.size() != m.shops)
        fail("shops.jsonl holds " + std::to_string(shops.size()) + " shops, the manifest says " + std::to_string(m.shops));
      else
        ok("shops.jsonl: " + std::to_string(shops.size()) + " shops");
    } catch (const Error& e) {
      fail(std::string("shops.jsonl: ") + e.what());
    }
  }
  if (fs::exists(gen + "/signals.json")) {
    subject = "signals";
    try {
      std::ifstream in(gen + "/signals.json", std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      SignalModel::from_json(ss.str());
      ok("signals.json parses");
    } catch (const Error& e) {
      fail(gen + "/" + e.what());
    }
  }

  subject = "generations";
  if (auto orphans = orphan_generations(index_dir); !orphans.empty()) {
    uint64_t bytes = 0;
    for (const auto& g : orphans) bytes += dir_bytes((fs::path(index_dir) / g).string());
    std::string names;
    for (const auto& g : orphans) names += (names.empty() ? "" : ", ") + g;
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MB", double(bytes) / 1e6);
    warn(std::to_string(orphans.size()) + " generation(s) neither live nor kept for readers (" + names + ", " + size +
         "): " +
         (writing ? "a writer is running, one may be its work in progress; the others are"
                  : "left by builds, optimizes or attaches that did not finish;") +
         " the next build, update or optimize removes them");
  }
  uint64_t docs = 0, items = 0;
  std::vector<uint64_t> batches;
  // Xapian's check reads every block of a shard: progress in shard bytes.
  auto local_path = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (fs::path(gen) / p).string(); };
  std::vector<uint64_t> shard_bytes(m.shard_paths.size(), 0);
  uint64_t all_bytes = 0;
  for (size_t k = 0; k < m.shard_paths.size(); ++k)
    if (m.shard_paths[k].rfind("tcp ", 0) != 0) all_bytes += shard_bytes[k] = dir_bytes(local_path(m.shard_paths[k]));
  meter.phase("shards", all_bytes, "bytes");
  for (size_t k = 0; k < m.shard_paths.size(); ++k) {
    const std::string& p = m.shard_paths[k];
    subject = "shard " + std::to_string(k);
    struct Advance {  // the shard's bytes count as done however its check ends
      ProgressMeter& meter;
      uint64_t bytes;
      ~Advance() { meter.add(bytes, 1); }
    } advance{meter, shard_bytes[k]};
    if (p.rfind("tcp ", 0) == 0) {
      warn("shard \"" + p + "\" is remote: check it where it is served");
      continue;
    }
    const std::string path = local_path(p);
    if (!fs::is_directory(path)) {
      fail("shard " + p + ": missing (" + path + ")");
      continue;
    }
    try {
      std::ostringstream out;
      size_t errors = Xapian::Database::check(path, 0, &out);
      Xapian::Database db(path, Xapian::DB_BACKEND_GLASS);
      const uint64_t b = shard_batch(db);
      batches.push_back(b);
      docs += shard_skus(db);  // one document per item: its variants are the SKUs
      items += db.get_doccount();
      if (errors) {
        std::string detail = out.str().substr(0, 500);
        fail("shard " + p + ": Xapian's check found " + std::to_string(errors) + " errors: " + detail);
      } else {
        ok("shard " + p + ": Xapian check passed, " + std::to_string(db.get_doccount()) + " documents, update batch " +
           std::to_string(b));
      }
      if (m.serving) {
        try {
          auto st = StoredReader::open(path + "/" + kStoredFile);
          if (st->docs() != db.get_lastdocid())
            fail("shard " + p + ": " + kStoredFile + " holds " + std::to_string(st->docs()) +
                 " documents' stored fields, the shard's last document id is " + std::to_string(db.get_lastdocid()));
          else if (st->docs() > 0) {
            st->get(1);
            st->get(st->docs());
            ok("shard " + p + ": " + kStoredFile + " holds the stored fields of all " + std::to_string(st->docs()) +
               " documents");
          }
        } catch (const Error& e) {
          fail("shard " + p + ": " + e.what());
        }
      }
    } catch (const Xapian::Error& e) {
      fail("shard " + p + ": " + e.get_description());
    } catch (const Error& e) {
      fail("shard " + p + ": " + e.what());
    }
  }
  meter.flush();
  if (!c.ok) return c;

  subject = "batches";
  const bool agree = std::adjacent_find(batches.begin(), batches.end(), std::not_equal_to<>()) == batches.end();
  if (!agree) {
    std::string list;
    for (auto b : batches) list += (list.empty() ? "" : ", ") + std::to_string(b);
    std::string msg = "shards are at different update batches (" + list + ")";
    if (writing)
      warn(msg + ": an update is running");
    else if (journal && !journal_damaged)
      fail(msg + ": an update was interrupted; the next `longtail update --index " + index_dir + "` completes it");
    else if (journal)
      fail(msg + ": an update was interrupted and its journal is damaged (above)");
    else
      fail(msg + " and no update journal is left: rebuild the index");
  } else if (journal && !journal_damaged) {
    warn(std::string(writing ? "an update is running" : "an interrupted update left its journal") +
         "; the next `longtail update` finishes it");
  } else if (!batches.empty() && batches.front() != m.batch) {
    fail("the shards are at update batch " + std::to_string(batches.front()) + ", the manifest says " +
         std::to_string(m.batch));
  } else {
    ok("all shards at update batch " + std::to_string(m.batch));
  }
  if (batches.size() == m.shard_paths.size() && !journal && !writing) {
    subject = "counts";
    if (docs != m.skus)
      fail("the shards hold " + std::to_string(docs) + " SKUs, the manifest says " + std::to_string(m.skus));
    else if (items != m.items)
      fail("the shards hold " + std::to_string(items) + " items, the manifest says " + std::to_string(m.items));
    else
      ok("SKU count matches the manifest");
  }
  return c;
}

}  // namespace longtail
