// Internal pieces of the index build shared with updates (index/updater.cpp) and tests.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <longtail/longtail.h>

#include "index/catalog.h"
#include "format/record.h"

namespace longtail::index {

// Collects rejected records: counts them, keeps the first 100, writes them to the rejects file
// (a "# FILE:LINE: field: reason" line followed by the raw line, so the file minus comments can
// be fixed and fed again), and with OnError::Fail throws a DataError naming file, line and field.
class RejectSink {
 public:
  RejectSink(OnError mode, const std::string& rejects_file);
  ~RejectSink();
  void reject(RecordError err, std::string_view raw_line);
  // False for a line not to parse: blank (skipped) or over the length limit (rejected).
  bool screen(const std::string& file, const LineReader::Line& line);
  uint64_t count() const { return count_; }
  std::vector<RecordError> take_errors() { return std::move(errors_); }

 private:
  OnError mode_;
  std::FILE* out_ = nullptr;
  uint64_t count_ = 0;
  std::vector<RecordError> errors_;
};

// Reads a shops file into a map (millions of shops fit; memory does not grow with SKUs).
std::unordered_map<std::string, ShopRecord> read_shops(const std::string& path, RejectSink& sink);
std::string shop_to_json(const ShopRecord& s);

// Stable shard routing: every SKU of one item_id goes to the same shard.
int shard_of(std::string_view item_id, int shards);

}  // namespace longtail::index
