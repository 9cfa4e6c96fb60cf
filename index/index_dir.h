// The on-disk index directory:
//
//   DIR/CURRENT          one line: the name of the live generation ("gen-...")
//   DIR/LOCK             flock()ed by a builder or updater (one writer at a time)
//   DIR/gen-*/manifest.json, lexicon.bin, shops.jsonl, shard-000/ ... (Xapian glass databases)
//
// A build writes a new generation and then replaces CURRENT with rename(2), so a reader sees
// either the old or the new generation, and a build killed at any moment leaves the old one live.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <longtail/longtail.h>

namespace longtail::index {

struct Manifest {
  std::string format = "longtail-index";
  int schema_version = 0;
  std::string analyzer;           // "longtail-zh/1"
  std::string lexicon_checksum;
  int shards = 0;
  // One entry per shard: a path relative to the generation directory ("shard-000"), or a
  // remote shard "tcp HOST PORT" served by `longtail serve`.
  std::vector<std::string> shard_paths;
  uint64_t skus = 0, items = 0, shops = 0, rejected = 0;
  std::string built_at;           // ISO 8601 UTC
  // Updates (index/updater.h): the id of the last update batch completed on every shard (0 = none)
  // and when it was applied (ISO 8601 UTC, empty if never). Optional in the file.
  uint64_t batch = 0;
  std::string updated_at;
  // Set by `longtail optimize` (index/optimize.h): per shard, how many documents from docid 1 on
  // are in decreasing static-prior order (slot 9 as it was then). Empty: not ordered. Optional
  // in the file.
  std::vector<uint64_t> ordered_docs;
  // Also set by optimize: tier level i (term prefix::kTier + "i") holds the best-prior
  // tier_shares[i] of each shard's documents; increasing, nested. Empty: no tiers.
  std::vector<double> tier_shares;
  // Serving shards (docs/index-format.md, "Serving shards"): no termlist table, no Xapian
  // document data; each shard's stored fields are in its kStoredFile (index/stored.h). Such an
  // index answers searches but takes no updates (Xapian 1.4 replaces and deletes documents
  // through the termlist). Optional in the file; false when absent.
  bool serving = false;
  // Identity (issue 25): a random id given by the build and kept by optimize, update and attach.
  // Every shard carries "<index_id>:<k>" in its user metadata (kShardIdentityKey); a reader
  // refuses a shard whose identity is not this index's shard k (a foreign index's shard, two
  // shards swapped). Empty in manifests written before: no check.
  std::string index_id;
  std::string to_json() const;
};

// The user-metadata key of a shard's identity: "<Manifest::index_id>:<shard number>".
inline constexpr const char* kShardIdentityKey = "longtail.shard";
// A fresh random index id (16 hex digits).
std::string new_index_id();

// Reads DIR/CURRENT and returns the absolute path of the live generation.
// Throws UsageError if DIR is not a longtail index, DataError if CURRENT is damaged.
std::string live_generation(const std::string& index_dir);

Manifest read_manifest(const std::string& generation_dir);   // throws DataError
void write_manifest(const std::string& generation_dir, const Manifest& m);

// Checks schema and analyzer identity; throws IndexMismatchError with a clear message.
void check_compatible(const Manifest& m, const std::string& index_dir);

// Makes DIR (or checks that it is empty or already an index) and takes its write lock.
// Throws UsageError if DIR holds something else, DataError if another writer holds the lock.
class WriterLock {
 public:
  explicit WriterLock(const std::string& index_dir);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  int fd_ = -1;
};

// True if the process that holds (or last held) DIR's writer lock is still running: the lock
// file holds the writer's pid. False when no writer ever wrote it or that process is gone (a
// crashed writer). Used by readers to decide whether an unfinished update batch is in progress.
bool writer_running(const std::string& index_dir);

// A fresh, unique generation directory name inside DIR (not yet created).
std::string new_generation_name();

// Makes `generation` (a name inside DIR) live: fsyncs, replaces CURRENT atomically, then removes
// every other generation directory except the one CURRENT named before (kept until the next
// publish, so a reader that read CURRENT just before the swap can still open it). Requires the
// WriterLock.
void publish_generation(const std::string& index_dir, const std::string& generation);

// Copies every regular file of generation directory `from` into `to` except manifest.json
// (lexicon, shops, model statistics): for a new generation made from an existing one, whose
// manifest and shards the caller writes.
void copy_generation_files(const std::string& from, const std::string& to);

// True when `a` and `b` name the same file or directory (an existing one: by device and inode),
// or the same path once made absolute and normal (when either does not exist yet).
bool same_path(const std::string& a, const std::string& b);
// True when `inner` is `outer` or lies inside it (paths made absolute and normal, symlinks of
// existing parts resolved).
bool path_within(const std::string& inner, const std::string& outer);
// The checks a command makes before it touches anything, so that no command overwrites its own
// inputs: a rejects file is given only with OnError::Skip and is none of the `inputs`. Throws
// UsageError naming the option.
void check_rejects_file(const std::string& rejects_file, OnError mode, const std::vector<std::string>& inputs);

// Writes a whole file atomically (temp file + fsync + rename).
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace longtail::index
