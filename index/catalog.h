// Streaming JSON Lines input: a line reader with line numbers and a bounded line length, and
// the validating record parsers for SKUs and shops. One malformed record is expected in a big
// catalog: parse errors are values (a RecordError naming file, line and field), not exceptions.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <longtail/longtail.h>

#include "format/record.h"

namespace longtail::index {

// Reads a file line by line with a fixed buffer. Lines longer than max_line are reported as
// too long (their bytes are skipped, not buffered). Handles a last line without newline, CRLF
// line ends (the CR is not part of the text) and a UTF-8 byte-order mark at the start of the
// file (not part of line 1's text). Every JSON Lines input (catalogs, shops, update files) is
// read through it. Not thread-safe.
class LineReader {
 public:
  // Throws UsageError if the file cannot be opened. "-" reads standard input. Input that starts
  // with zstd's frame magic (a file written by `zstd`, any name) is decompressed as it is read;
  // line numbers count the decompressed lines.
  explicit LineReader(const std::string& path, size_t max_line = kMaxLineBytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  struct Line {
    std::string_view text;   // without the newline; valid until the next call
    uint64_t number = 0;     // 1-based
    bool too_long = false;   // text is empty then
  };
  // Returns false at end of input. Throws DataError on a read error.
  bool next(Line& out);

  // Bytes of the input read so far and its size (compressed bytes for a zstd input).
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t total_bytes() const { return total_bytes_; }  // 0 if unknown (pipe)
  bool compressed() const { return zs_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  bool fill();
  size_t read_raw(char* dst, size_t n);  // fread, counting bytes_read_; throws on a read error
  bool fill_zstd(size_t room);
  std::string_view line_text(const char* start, size_t len) const;  // without CR and BOM
  std::string path_;
  std::FILE* f_ = nullptr;
  bool owns_ = false;
  size_t max_line_;
  std::string buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t line_no_ = 0, bytes_read_ = 0, total_bytes_ = 0;
  std::string long_line_;
  // zstd input: the compressed bytes read and not yet decompressed are in_[in_pos_, in_end_).
  struct ZstdState;
  ZstdState* zs_ = nullptr;
};

// Validating parsers. Reusable across lines (they keep a simdjson parser); not thread-safe:
// use one per thread.
class RecordParser {
 public:
  RecordParser();
  ~RecordParser();
  // On failure returns false and fills err.field / err.reason (err.file/line are the caller's).
  bool parse_sku(std::string_view line, SkuRecord& out, RecordError& err);
  bool parse_shop(std::string_view line, ShopRecord& out, RecordError& err);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses "2024-03-01", "2024-03-01T12:30:00", "2024-03-01 12:30:00Z", "...+08:00" to Unix seconds.
std::optional<int64_t> parse_iso_time(std::string_view s);
// Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
std::string format_iso_time(int64_t unix_seconds);

}  // namespace longtail::index
