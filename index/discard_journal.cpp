// longtail::discard_update_journal: the way out of an update journal that cannot be completed
// (`longtail update --index DIR --discard-journal`).
//
// A journal is written before a batch touches any shard and removed after its last step; a crash
// in between leaves it for the next update to complete. When it cannot be (the journal is damaged:
// a torn write, a disk error, a hand edit), every update and optimize refuses the index. Discarding
// it makes the shards agree on the batch numbering again (the lagging ones are marked at the
// latest batch, so later batches follow), records that in the manifest, and only then removes the
// journal, so that a crash in the middle leaves a journal to discard again. The report names what
// was lost: the batch, which shards had committed it and which had not, and the records it held
// when they can still be read, to be sent again with `longtail update` (upserts and deletions are
// idempotent).
#include <algorithm>
#include <chrono>
#include <filesystem>

#include <simdjson.h>
#include <xapian.h>

#include <longtail/longtail.h>

#include "index/catalog.h"
#include "index/index_dir.h"
#include "index/updater.h"

namespace fs = std::filesystem;

namespace longtail {

using namespace longtail::index;

JournalDiscard discard_update_journal(const std::string& index_dir) {
  live_generation(index_dir);  // UsageError if this is not an index (before the lock makes files)
  WriterLock lock(index_dir);
  const std::string gen = live_generation(index_dir);
  Manifest m = read_manifest(gen);
  JournalDiscard d;
  const std::string jpath = gen + "/" + kJournalFile;
  std::error_code ec;
  if (!fs::exists(jpath, ec)) {
    d.batch_after = m.batch;
    return d;
  }
  d.found = true;
  d.bytes = fs::file_size(jpath, ec);
  try {
    Journal j = read_journal(jpath);
    d.readable = true;
    d.batch = j.batch;
    d.lines = j.lines.size();
    d.shops = j.shops;
    simdjson::dom::parser parser;
    const char* key = j.shops ? "shop_id" : "sku_id";
    for (const auto& line : j.lines) {
      simdjson::dom::element e;
      std::string_view id;
      if (!parser.parse(line).get(e) && !e[key].get(id)) d.ids.emplace_back(id);
    }
  } catch (const DataError& e) {
    d.damage = e.what();
  }

  try {
    std::vector<Xapian::WritableDatabase> dbs;
    std::vector<uint64_t> batches;
    for (const auto& p : m.shard_paths) {
      if (p.rfind("tcp ", 0) == 0 || fs::path(p).is_absolute())
        throw UsageError(index_dir + ": shard \"" + p + "\" belongs to another index (remote or attached); discard "
                         "the journal of that index instead");
      dbs.emplace_back((fs::path(gen) / p).string(), Xapian::DB_OPEN | Xapian::DB_BACKEND_GLASS);
      batches.push_back(shard_batch(dbs.back()));
    }
    const uint64_t hi = *std::max_element(batches.begin(), batches.end());
    const uint64_t lo = *std::min_element(batches.begin(), batches.end());
    for (size_t k = 0; k < batches.size(); ++k) {
      // With the journal's batch id known, a shard at it committed the batch; without it, the
      // shards ahead of the others did (when all agree, none can be told apart).
      const bool applied = d.readable ? batches[k] == d.batch : (hi != lo && batches[k] == hi);
      (applied ? d.applied_shards : d.missing_shards).push_back(int(k));
    }
    if (!d.readable && hi == lo) d.missing_shards.clear();  // unknown: all agree
    for (size_t k = 0; k < dbs.size(); ++k) {
      if (batches[k] == hi) continue;
      dbs[k].set_metadata(kMetaBatch, std::to_string(hi));
      dbs[k].commit();
    }
    d.batch_after = std::max(m.batch, hi);
    // The counts as the shards hold them now (the committed shards include the batch).
    m.skus = m.items = 0;
    for (auto& db : dbs) {
      m.skus += shard_skus(db);
      m.items += shard_items(db);
    }
  } catch (const Xapian::Error& e) {
    throw DataError(index_dir + ": cannot mark the shards at one batch: " + e.get_description() +
                    " (the journal is kept)");
  }
  m.batch = d.batch_after;
  m.updated_at = format_iso_time(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  write_manifest(gen, m);
  if (!fs::remove(jpath, ec) && ec) throw DataError(jpath + ": cannot remove: " + ec.message());
  return d;
}

}  // namespace longtail
