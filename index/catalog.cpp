#include "index/catalog.h"
#include "common/civil_time.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_set>

#include <simdjson.h>
#include <zstd.h>

#include "index/display_fields.h"

namespace longtail::index {

// ------------------------------------------------------------------------------------------
// LineReader

namespace {
constexpr size_t kChunk = 1 << 20;
constexpr size_t kPad = 64;  // >= SIMDJSON_PADDING: bytes after a line must be readable
}  // namespace

struct LineReader::ZstdState {
  ZSTD_DStream* ds = nullptr;
  std::string in;
  size_t in_pos = 0, in_end = 0;
  bool raw_eof = false;
  size_t last_ret = 0;  // ZSTD_decompressStream's last answer: 0 when a frame just ended
  ~ZstdState() { ZSTD_freeDStream(ds); }
};

LineReader::LineReader(const std::string& path, size_t max_line) : path_(path), max_line_(max_line) {
  if (path == "-") {
    f_ = stdin;
  } else {
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_) throw UsageError(path + ": cannot open: " + std::strerror(errno));
    owns_ = true;
    struct stat st {};
    if (::fstat(fileno(f_), &st) == 0 && S_ISREG(st.st_mode)) total_bytes_ = uint64_t(st.st_size);
  }
  buf_.resize(std::max(max_line_, kChunk) + kChunk + kPad);
  // The first bytes say whether the input is zstd (its frame magic, 28 B5 2F FD); otherwise
  // they are the start of the text.
  char head[4];
  const size_t got = read_raw(head, sizeof head);
  static constexpr unsigned char kMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
  if (got == 4 && std::memcmp(head, kMagic, 4) == 0) {
    zs_ = new ZstdState;
    zs_->ds = ZSTD_createDStream();
    if (!zs_->ds) {
      delete zs_;
      if (owns_) std::fclose(f_);
      throw DataError(path + ": zstd: cannot allocate a decompression stream");
    }
    zs_->in.resize(ZSTD_DStreamInSize());
    std::memcpy(zs_->in.data(), head, 4);
    zs_->in_end = 4;
  } else {
    std::memcpy(buf_.data(), head, got);
    end_ = got;
    if (got < 4) eof_ = true;
  }
}

LineReader::~LineReader() {
  delete zs_;
  if (owns_ && f_) std::fclose(f_);
}

size_t LineReader::read_raw(char* dst, size_t n) {
  size_t got = 0;
  while (got < n) {
    const size_t r = std::fread(dst + got, 1, n - got, f_);
    if (r == 0) {
      if (std::ferror(f_)) throw DataError(path_ + ": read error: " + std::strerror(errno));
      break;
    }
    got += r;
  }
  bytes_read_ += got;
  return got;
}

bool LineReader::fill_zstd(size_t room) {
  ZstdState& z = *zs_;
  for (;;) {
    if (z.in_pos == z.in_end && !z.raw_eof) {
      z.in_end = read_raw(z.in.data(), z.in.size());
      z.in_pos = 0;
      if (z.in_end == 0) z.raw_eof = true;
    }
    if (z.in_pos == z.in_end && z.raw_eof) {
      // A stream cut inside a frame (a copy that did not finish) is an error, not a short file.
      if (z.last_ret != 0)
        throw DataError(path_ + ": zstd: the compressed input ends inside a frame (truncated file?)");
      eof_ = true;
      return false;
    }
    ZSTD_outBuffer out{buf_.data() + end_, room, 0};
    ZSTD_inBuffer in{z.in.data(), z.in_end, z.in_pos};
    const size_t ret = ZSTD_decompressStream(z.ds, &out, &in);
    if (ZSTD_isError(ret)) throw DataError(path_ + ": zstd: " + ZSTD_getErrorName(ret));
    z.in_pos = in.pos;
    z.last_ret = ret;
    if (out.pos > 0) {
      end_ += out.pos;
      return true;
    }
  }
}

bool LineReader::fill() {
  // Move the unread tail to the front, then read as much as fits.
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (eof_) return false;
  size_t room = buf_.size() - kPad - end_;
  if (room == 0) return false;
  if (zs_) return fill_zstd(room);
  size_t n = read_raw(buf_.data() + end_, room);
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += n;
  return true;
}

std::string_view LineReader::line_text(const char* start, size_t len) const {
  // CRLF line ends: the CR goes with the newline.
  if (len > 0 && start[len - 1] == '\r') --len;
  // A UTF-8 byte-order mark (as Windows editors write) starts the file, not the first record.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (line_no_ == 1 && std::string_view(start, len).substr(0, kBom.size()) == kBom) {
    start += kBom.size();
    len -= kBom.size();
  }
  return std::string_view(start, len);
}

bool LineReader::next(Line& out) {
  out = Line{};
  bool skipping = false;  // inside a line longer than max_line_
  for (;;) {
    const char* start = buf_.data() + pos_;
    const void* nl = std::memchr(start, '\n', end_ - pos_);
    if (nl) {
      size_t len = static_cast<const char*>(nl) - start;
      size_t consumed = len + 1;
      ++line_no_;
      out.number = line_no_;
      if (skipping || len > max_line_) {
        out.too_long = true;
      } else {
        out.text = line_text(start, len);
      }
      pos_ += consumed;
      return true;
    }
    // No newline in the buffer.
    if (end_ - pos_ > max_line_) {
      skipping = true;  // drop what we have, keep scanning for the end of this line
      pos_ = end_;
    }
    if (!fill()) {
      if (end_ > pos_ || skipping) {  // last line without a newline
        ++line_no_;
        out.number = line_no_;
        size_t len = end_ - pos_;
        if (skipping || len > max_line_) {
          out.too_long = true;
        } else {
          out.text = line_text(buf_.data() + pos_, len);
        }
        pos_ = end_;
        return true;
      }
      return false;
    }
  }
}

// ------------------------------------------------------------------------------------------
// Time

// One parser and formatter for the project (common/civil_time.h, std::chrono civil dates).
std::optional<int64_t> parse_iso_time(std::string_view s) { return civil::parse_iso_time(s); }

std::string format_iso_time(int64_t t) { return civil::format_iso_time(t); }

// ------------------------------------------------------------------------------------------
// RecordParser

using simdjson::dom::element;
using simdjson::dom::element_type;

struct RecordParser::Impl {
  simdjson::dom::parser parser;
  std::string padded;  // used when the caller's buffer is not padded
};

RecordParser::RecordParser() : impl_(std::make_unique<Impl>()) {}
RecordParser::~RecordParser() = default;

namespace {

struct Ctx {
  RecordError& err;
  bool fail(const char* field, std::string reason) {
    err.field = field;
    err.reason = std::move(reason);
    return false;
  }
};

bool get_string(Ctx& c, element v, const char* field, std::string& out, size_t max_bytes,
                bool allow_empty = true) {
  if (v.type() != element_type::STRING) return c.fail(field, "must be a string");
  std::string_view sv = v.get_string().value_unsafe();
  if (sv.size() > max_bytes)
    return c.fail(field, "longer than " + std::to_string(max_bytes) + " bytes (" +
                             std::to_string(sv.size()) + ")");
  // Trim ASCII whitespace; control characters are not allowed in identifiers and text.
  size_t b = 0, e = sv.size();
  while (b < e && (sv[b] == ' ' || sv[b] == '\t')) ++b;
  while (e > b && (sv[e - 1] == ' ' || sv[e - 1] == '\t')) --e;
  sv = sv.substr(b, e - b);
  for (char ch : sv)
    if (static_cast<unsigned char>(ch) < 0x20) return c.fail(field, "contains a control character");
  if (sv.empty() && !allow_empty) return c.fail(field, "must not be empty");
  out.assign(sv);
  return true;
}

bool get_number(Ctx& c, element v, const char* field, double& out) {
  switch (v.type()) {
    case element_type::INT64: out = double(v.get_int64().value_unsafe()); break;
    case element_type::UINT64: out = double(v.get_uint64().value_unsafe()); break;
    case element_type::DOUBLE: out = v.get_double().value_unsafe(); break;
    default: return c.fail(field, "must be a number");
  }
  if (!std::isfinite(out)) return c.fail(field, "must be a finite number");
  if (out < 0) return c.fail(field, "must not be negative");
  if (out > 1e12) return c.fail(field, "implausibly large (over 1e12)");
  return true;
}

bool get_count(Ctx& c, element v, const char* field, int64_t& out) {
  double d;
  if (!get_number(c, v, field, d)) return false;
  if (d != std::floor(d)) return c.fail(field, "must be a whole number");
  out = static_cast<int64_t>(d);
  return true;
}

bool parse_doc(simdjson::dom::parser& parser, std::string& padded, std::string_view line,
               Ctx& c, element& doc) {
  // LineReader leaves readable bytes after each line, but callers may pass any buffer: copy
  // into our own padded buffer (cheap next to parsing).
  padded.assign(line);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  auto r = parser.parse(padded.data(), line.size(), false);
  if (r.error()) {
    switch (r.error()) {
      case simdjson::UTF8_ERROR: return c.fail("utf8", "invalid UTF-8");
      case simdjson::DEPTH_ERROR: return c.fail("json", "nested too deeply");
      case simdjson::NUMBER_ERROR:
      case simdjson::NUMBER_OUT_OF_RANGE: return c.fail("json", "number out of range or not finite");
      case simdjson::EMPTY: return c.fail("json", "empty line");
      default: return c.fail("json", std::string("invalid JSON (") + simdjson::error_message(r.error()) + ")");
    }
  }
  doc = r.value_unsafe();
  if (doc.type() != element_type::OBJECT) return c.fail("json", "a record must be a JSON object");
  return true;
}

}  // namespace

bool RecordParser::parse_sku(std::string_view line, SkuRecord& out, RecordError& err) {
  Ctx c{err};
  element doc;
  if (!parse_doc(impl_->parser, impl_->padded, line, c, doc)) return false;
  out = SkuRecord{};
  out.reviews_known = false;
  out.price_known = false;
  bool has_sku = false, has_title = false, has_item = false;
  std::unordered_set<std::string_view> seen;
  std::vector<size_t> extra;  // positions of the members kept as display fields
  size_t member = 0;
  simdjson::dom::object obj_key = doc.get_object().value_unsafe();
  for (auto [key, v] : obj_key) {
    const size_t at = member++;
    if (!seen.insert(key).second)
      return c.fail("json", "duplicate key \"" + std::string(key) + "\"");
    if (key == "sku_id") {
      if (!get_string(c, v, "sku_id", out.sku_id, kMaxIdBytes, false)) return false;
      has_sku = true;
    } else if (key == "item_id") {
      if (!get_string(c, v, "item_id", out.item_id, kMaxIdBytes, false)) return false;
      has_item = true;
    } else if (key == "shop_id") {
      if (!get_string(c, v, "shop_id", out.shop_id, kMaxIdBytes)) return false;
    } else if (key == "title") {
      if (!get_string(c, v, "title", out.title, kMaxTitleBytes, false)) return false;
      has_title = true;
    } else if (key == "category") {
      if (!get_string(c, v, "category", out.category, kMaxFieldBytes)) return false;
    } else if (key == "brand") {
      if (!get_string(c, v, "brand", out.brand, kMaxFieldBytes)) return false;
    } else if (key == "attrs") {
      if (v.type() != element_type::OBJECT) return c.fail("attrs", "must be an object of strings");
      simdjson::dom::object obj_ak = v.get_object().value_unsafe();
      std::unordered_set<std::string_view> seen_attrs;
      for (auto [ak, av] : obj_ak) {
        if (!seen_attrs.insert(ak).second)
          return c.fail("attrs", "duplicate attribute \"" + std::string(ak.substr(0, 64)) + "\"");
        if (out.attrs.size() >= kMaxAttrs)
          return c.fail("attrs", "more than " + std::to_string(kMaxAttrs) + " attributes");
        if (ak.empty() || ak.size() > kMaxFieldBytes || ak.find('=') != std::string_view::npos)
          return c.fail("attrs", "bad attribute name \"" + std::string(ak.substr(0, 64)) + "\"");
        std::string val;
        if (av.type() == element_type::INT64 || av.type() == element_type::UINT64 ||
            av.type() == element_type::DOUBLE) {
          val = simdjson::minify(av);
        } else {
          std::string fname = "attrs." + std::string(ak);
          if (av.type() != element_type::STRING) return c.fail("attrs", fname + " must be a string");
          if (!get_string(c, av, "attrs", val, kMaxFieldBytes)) return false;
        }
        out.attrs.emplace_back(std::string(ak), std::move(val));
      }
    } else if (key == "price") {
      if (v.type() == element_type::NULL_VALUE) continue;  // no price, as when the key is absent
      if (!get_number(c, v, "price", out.price)) return false;
      out.price_known = true;
    } else if (key == "shipping_fee") {
      if (!get_number(c, v, "shipping_fee", out.shipping_fee)) return false;
    } else if (key == "sales_30d") {
      if (!get_count(c, v, "sales_30d", out.sales_30d)) return false;
    } else if (key == "reviews") {
      if (!get_count(c, v, "reviews", out.reviews)) return false;
      out.reviews_known = true;
    } else if (key == "good_reviews") {
      if (!get_count(c, v, "good_reviews", out.good_reviews)) return false;
    } else if (key == "listed_at") {
      if (v.type() == element_type::STRING) {
        auto t = parse_iso_time(v.get_string().value_unsafe());
        if (!t) return c.fail("listed_at", "not an ISO date, ISO date-time or Unix seconds");
        out.listed_at = *t;
        if (out.listed_at < 0) return c.fail("listed_at", "before 1970");
      } else {
        if (!get_count(c, v, "listed_at", out.listed_at)) return false;
      }
      // One range for both forms, so a date written back as Unix seconds parses again.
      if (out.listed_at > 32503680000LL) return c.fail("listed_at", "after year 3000");
    } else if (key == "deleted") {
      if (v.type() != element_type::BOOL) return c.fail("deleted", "must be true or false");
      out.deleted = v.get_bool().value_unsafe();
    } else {
      extra.push_back(at);  // any other member: a display field
    }
  }
  if (!has_sku) return c.fail("sku_id", "missing (required)");
  if (!has_title && !out.deleted) return c.fail("title", "missing (required)");
  if (!has_item) out.item_id = out.sku_id;
  if (out.good_reviews > out.reviews) return c.fail("good_reviews", "exceeds reviews");
  size_t over = 0, bytes = 0;
  if (!out.deleted && !display_fields(line, extra, kMaxDisplayFieldsBytes, out.fields, over, bytes)) {
    std::string_view name;
    size_t k = 0;
    for (auto [key, v] : obj_key)
      if (k++ == extra[over]) name = key;
    // Named by the member that crosses the limit: "FILE:LINE: description: display fields ...".
    err.field.assign(name.substr(0, 64));
    err.reason = "display fields over " + std::to_string(kMaxDisplayFieldsBytes) + " bytes (16 KiB) per record (" +
                 std::to_string(bytes) + " bytes up to this one)";
    return false;
  }
  return true;
}

bool RecordParser::parse_shop(std::string_view line, ShopRecord& out, RecordError& err) {
  Ctx c{err};
  element doc;
  if (!parse_doc(impl_->parser, impl_->padded, line, c, doc)) return false;
  out = ShopRecord{};
  bool has_id = false;
  std::unordered_set<std::string_view> seen;
  simdjson::dom::object obj_key = doc.get_object().value_unsafe();
  for (auto [key, v] : obj_key) {
    if (!seen.insert(key).second) return c.fail("json", "duplicate key \"" + std::string(key) + "\"");
    if (key == "shop_id") {
      if (!get_string(c, v, "shop_id", out.shop_id, kMaxIdBytes, false)) return false;
      has_id = true;
    } else if (key == "name") {
      if (!get_string(c, v, "name", out.name, kMaxFieldBytes)) return false;
    } else if (key == "dsr") {
      if (v.type() != element_type::OBJECT) return c.fail("dsr", "must be an object");
      simdjson::dom::object obj_dk = v.get_object().value_unsafe();
      for (auto [dk, dv] : obj_dk) {
        double* slot = dk == "description" ? &out.dsr_description
                       : dk == "service"   ? &out.dsr_service
                       : dk == "shipping"  ? &out.dsr_shipping
                       : dk == "delivery"  ? &out.dsr_delivery
                                           : nullptr;
        if (!slot) continue;
        std::string fname = "dsr." + std::string(dk);
        if (!get_number(c, dv, "dsr", *slot)) return c.fail("dsr", fname + " " + err.reason);
        if (*slot != 0 && (*slot < 1 || *slot > 5)) return c.fail("dsr", fname + " must be between 1 and 5");
      }
    } else if (key == "ratings_6m") {
      if (!get_count(c, v, "ratings_6m", out.ratings_6m)) return false;
    } else if (key == "violations") {
      if (!get_count(c, v, "violations", out.violations)) return false;
    } else if (key == "blocked") {
      if (v.type() != element_type::BOOL) return c.fail("blocked", "must be true or false");
      out.blocked = v.get_bool().value_unsafe();
    }
  }
  if (!has_id) return c.fail("shop_id", "missing (required)");
  return true;
}

}  // namespace longtail::index
