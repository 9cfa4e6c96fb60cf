// The stored fields of a serving shard (docs/index-format.md, "Serving shards"): every
// document's stored-fields string, in document id order, compressed a block of documents at a
// time instead of one Xapian document-data tag (and one deflate call) per SKU.
//
//   "LTSTOR01"  u32 block_docs  u32 dict_len  dict            (header; little-endian)
//   block*      raw deflate, primed with dict, of: per document a varint length, then the bytes
//   u64 offsets[blocks + 1]                                    (block b: offsets[b] .. offsets[b+1])
//   u64 docs  u64 offsets_at  "LTSTOR01"                       (trailer)
//
// The dictionary is the first documents' data (up to 32 KiB, zlib's window), so a block of a
// few SKUs compresses like a long run of them and a read inflates one small block.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace longtail::index {

inline constexpr const char* kStoredFile = "longtail-stored.blk";  // inside the shard directory
inline constexpr uint32_t kStoredBlockDocs = 16;

// Writes a store; documents are added in document id order from 1. Not thread-safe.
// Throws DataError on I/O failure. finish() must be called; the destructor does not write.
class StoredWriter {
 public:
  explicit StoredWriter(std::string path, uint32_t block_docs = kStoredBlockDocs);
  ~StoredWriter();
  StoredWriter(const StoredWriter&) = delete;
  StoredWriter& operator=(const StoredWriter&) = delete;
  void add(std::string_view data);
  void finish();  // writes the rest, the offsets and the trailer, and closes the file
  uint64_t docs() const { return docs_; }

 private:
  void start();           // header, once the dictionary's documents are in
  void flush_block();
  std::string path_;
  uint32_t block_docs_;
  int fd_ = -1;
  bool started_ = false;
  uint64_t docs_ = 0, at_ = 0;
  std::vector<std::string> pending_;  // documents not yet in a block
  std::string dict_;
  std::vector<uint64_t> offsets_;
  std::string out_;  // compressed output not yet written
};

// Reads a store; get() is thread-safe (pread, one inflate per call).
class StoredReader {
 public:
  // Throws DataError naming the file if it is missing, truncated or not a store.
  static std::shared_ptr<const StoredReader> open(const std::string& path);
  ~StoredReader();
  uint64_t docs() const { return docs_; }
  // The data of document `did` (1-based). Throws DataError if out of range or damaged.
  std::string get(uint64_t did) const;

 private:
  StoredReader() = default;
  std::string path_;
  int fd_ = -1;
  uint32_t block_docs_ = 0;
  uint64_t docs_ = 0;
  std::string dict_;
  std::vector<uint64_t> offsets_;
};

}  // namespace longtail::index
