// The on-disk index directory:
//
//   DIR/CURRENT          one line: the name of the live generation ("gen-...")
//   DIR/PREVIOUS         the generation CURRENT named before (kept for readers until the next publish)
//   DIR/LOCK             locked (an open-file-description lock) by a builder or updater (one writer at a time)
//   DIR/gen-*/manifest.json, lexicon.bin, shops.jsonl, shard-000/ ... (Xapian glass databases)
//
// A build writes a new generation and then replaces CURRENT with rename(2), so a reader sees
// either the old or the new generation, and a build killed at any moment leaves the old one live.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "common/json_writer.h"

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
  // document data; each shard's stored fields are in its kStoredFile (format/stored.h). Such an
  // index answers searches but takes no updates (Xapian 1.4 replaces and deletes documents
  // through the termlist). Optional in the file; false when absent.
  bool serving = false;
  // Identity (issue 25): a random id given by the build and kept by optimize, update and attach.
  // Every shard carries "<index_id>:<k>" in its user metadata (kShardIdentityKey); a reader
  // refuses a shard whose identity is not this index's shard k (a foreign index's shard, two
  // shards swapped). Empty in manifests written before: no check.
  std::string index_id;
  // Every file of the generation but the manifest itself, the update journal and the Xapian
  // shards (which Xapian's own check verifies): path relative to the generation -> size and
  // XXH3-64 checksum. Filled by write_manifest from the files as they are; `longtail check`
  // and `longtail optimize` verify them (verify_generation_files). Empty in manifests written
  // before (issue 25): only the lexicon's own checksum is verified then.
  struct FileSum {
    uint64_t bytes = 0;
    std::string xxh3;  // 16 hex digits
    bool operator==(const FileSum&) const = default;
  };
  std::map<std::string, FileSum> files;
  std::string to_json() const;              // indented, one member per line, for manifest.json
  void write_json(json::Writer& w) const;   // the same fields, in the writer's layout (inspect --json)
};

// The size and checksum of one file (throws DataError if it cannot be read).
Manifest::FileSum file_sum(const std::string& path);
// The files of a generation that the manifest lists (see Manifest::files), relative paths.
std::vector<std::string> generation_files(const std::string& generation_dir, const Manifest& m);
// What is wrong with the files of a generation against its manifest's list: one line per
// missing, resized or damaged file (empty: all sound, or the manifest lists none).
std::vector<std::string> verify_generation_files(const std::string& generation_dir, const Manifest& m);

// The user-metadata key of a shard's identity: "<Manifest::index_id>:<shard number>".
inline constexpr const char* kShardIdentityKey = "longtail.shard";
// A fresh random index id (16 hex digits).
std::string new_index_id();

// Reads DIR/CURRENT and returns the absolute path of the live generation.
// Throws UsageError if DIR is not a longtail index, DataError if CURRENT is damaged.
std::string live_generation(const std::string& index_dir);

Manifest read_manifest(const std::string& generation_dir);   // throws DataError
// The manifest in `text`, read from `path` (named in the DataError when it is damaged).
Manifest parse_manifest(const std::string& text, const std::string& path);
// Writes m with Manifest::files computed from the generation's files as they are now: write the
// manifest after every other file of the generation.
void write_manifest(const std::string& generation_dir, const Manifest& m);

// Checks schema and analyzer identity; throws IndexMismatchError with a clear message.
void check_compatible(const Manifest& m, const std::string& index_dir);

// Makes DIR (or checks that it is empty or already an index) and takes its write lock.
// Throws UsageError if DIR holds something else, DataError if another writer holds the lock.
// Once it holds the lock it removes orphan generations (a crashed writer's leftovers).
class WriterLock {
 public:
  explicit WriterLock(const std::string& index_dir);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  int fd_ = -1;
};

// True while a writer holds DIR's lock (tested without taking it). A crashed writer's lock ended
// with its process, whatever became of its PID. Used by readers to decide whether an unfinished
// update batch is in progress.
bool writer_running(const std::string& index_dir);

// DIR/PREVIOUS: the generation CURRENT named before the last publish, kept until the next one
// for readers that read CURRENT just before the swap.
inline constexpr const char* kPreviousFile = "PREVIOUS";

// Generation directories of DIR that are neither live (CURRENT) nor kept for readers (PREVIOUS):
// left by builds, optimizes or attaches that crashed or failed before publishing, or the work in
// progress of a running writer. Sorted names.
std::vector<std::string> orphan_generations(const std::string& index_dir);
// Removes them. Requires the WriterLock (so that no writer is making one); WriterLock takes it
// and then calls this, so the next writer cleans up after a crashed one.
void remove_orphan_generations(const std::string& index_dir);

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

// Bytes of the regular files under `dir` (0 if it cannot be read).
uint64_t dir_bytes(const std::string& dir);

}  // namespace longtail::index
