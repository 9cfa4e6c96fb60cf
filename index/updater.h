// Live updates of an index in place (longtail::update_index; protocol in docs/index-format.md,
// "Updates").
//
// An update applies a delta (JSON Lines: upserts by sku_id, {"sku_id":…,"deleted":true}
// removals) and optionally a shops delta to the live generation's shards, in batches. Each batch
// is one Xapian transaction per shard, every shard included, and carries a batch id that each
// shard stores in its metadata. A batch is first written to a journal in the generation; a crash
// between shard commits is completed (redone) from the journal by the next update, which is
// idempotent because every operation is an upsert or a delete by unique term. Readers
// (engine/snapshot.h) only use a set of shard revisions that agree on the batch id, so they see
// the index before or after a batch, never half of it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <xapian.h>

namespace longtail::index {

// Shard metadata keys written by updates.
inline constexpr const char* kMetaBatch = "longtail.batch";  // id of the last batch applied; absent = 0
inline constexpr const char* kMetaItems = "longtail.items";  // distinct item_ids in the shard; absent = not counted yet
inline constexpr const char* kMetaSkus = "longtail.skus";    // SKUs (variants) in the shard; absent = not counted yet

// The journal of the batch being applied, inside the generation directory. Present only between
// the start of a batch and the end of its last step; its first line is a header
// {"batch":N,"kind":"skus"|"shops","records":M}, then M validated input lines.
inline constexpr const char* kJournalFile = "update.journal";

// A journal as read back: its header's batch id and kind, and its input lines (not parsed yet).
struct Journal {
  uint64_t batch = 0;
  bool shops = false;  // "kind":"shops"; else "skus"
  std::vector<std::string> lines;
};
// Reads the journal at `path`. Throws DataError naming it if it is damaged.
Journal read_journal(const std::string& path);

// Prints of the items updates added or re-titled (index/dedup.h UpdatedPrints), in the generation.
inline constexpr const char* kUpdatedPrintsFile = "integrity-prints-update.bin";

// The batch id stored in a shard (0 if it never saw an update). Throws DataError if damaged.
uint64_t shard_batch(const Xapian::Database& shard);
// Distinct items of a shard: its kMetaItems metadata, or counted once (indexes fresh from a build).
uint64_t shard_items(const Xapian::Database& shard);
// SKUs of a shard (one document per item holds its variants): its kMetaSkus metadata, or counted
// once (its Q terms).
uint64_t shard_skus(const Xapian::Database& shard);

}  // namespace longtail::index
