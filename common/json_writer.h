// The one JSON writer of the project: every JSON text longtail writes (CLI --json reports,
// search results, index manifests and reports, perf tools' outputs) goes through it.
//
// Header-only and dependent on nothing of the project but common/utf8.h, so analyzers/, index/,
// engine/, cli/ and perf/ all use it without a new arrow. Chosen over nlohmann-json by measurement
// (perf/README.md, "JSON writer": longtail_json_bench) and because nlohmann's
// output differs where tests fix ours (it replaces an ill-formed sequence by one U+FFFD, not one
// per byte, and leaves DEL unescaped).
//
//   Strings  always valid UTF-8: a byte that starts no well-formed sequence becomes U+FFFD (one
//            per byte, utf8::sequence_length); " \ and controls (U+0000-U+001F, U+007F) escaped.
//   Numbers  the shortest text that reads back as the same double (std::to_chars), integers
//            exactly; NaN and infinities (not JSON) become null.
//   Money    rounded to the cent first (json::cents): 199.9 + 8.1 prints 208.
//
//   std::string out;
//   json::Writer w(out);
//   w.object().field("query", q).key("hits").array();
//   for (...) w.object().field("rank", r).end();
//   w.end().end();
#pragma once

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/utf8.h"

namespace longtail::json {

// Appends s as a JSON string literal.
inline void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  size_t run = 0;  // start of the pending run of bytes copied as they are
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = utf8::sequence_length(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      out.append(s.data() + run, i - run);
      out += "\xEF\xBF\xBD";
      run = ++i;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F) {
      ++i;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, 6);
      }
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// Appends v: the shortest round-trip text, or null when it is not finite.
inline void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

template <class Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
inline void append_number(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Money: v rounded to the cent (NaN stays NaN and prints null).
inline double cents(double v) { return std::isfinite(v) ? std::round(v * 100.0) / 100.0 : v; }

// The JSON literal of s / v as a std::string.
inline std::string quote(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}
inline std::string number(double v) {
  std::string out;
  append_number(out, v);
  return out;
}

// A streaming writer with automatic commas. It appends to a caller's string (which may already
// hold text: a JSON Lines buffer, say); depth is at most 64. Compact by default; with indent > 0
// the members of the outer `break_depth` levels go one per line (files people read: manifests),
// deeper containers stay on their line with ", " and ": ".
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  Writer(std::string& out, int indent, int break_depth = 2) : out_(out), indent_(indent), break_depth_(break_depth) {}

  Writer& object() { return open('{'); }
  Writer& array() { return open('['); }
  // Closes the innermost open object or array.
  Writer& end() {
    assert(depth_ > 0 && !after_key_);
    --depth_;
    const bool empty = first_ & (uint64_t(1) << depth_);
    if (indent_ && !empty && depth_ < break_depth_) newline(depth_);
    out_ += closers_[depth_];
    return *this;
  }

  Writer& key(std::string_view k) {
    assert(depth_ > 0 && closers_[depth_ - 1] == '}' && !after_key_);
    comma();
    append_string(out_, k);
    out_ += indent_ ? ": " : ":";
    after_key_ = true;
    return *this;
  }

  Writer& value(std::string_view s) {
    comma();
    append_string(out_, s);
    return *this;
  }
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(const std::string& s) { return value(std::string_view(s)); }
  Writer& value(bool b) {
    comma();
    out_ += b ? "true" : "false";
    return *this;
  }
  Writer& value(double v) {
    comma();
    append_number(out_, v);
    return *this;
  }
  Writer& value(float v) { return value(static_cast<double>(v)); }
  template <class Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  Writer& value(Int v) {
    comma();
    append_number(out_, v);
    return *this;
  }
  Writer& value(std::nullptr_t) { return null(); }
  Writer& null() {
    comma();
    out_ += "null";
    return *this;
  }
  // A value already written as JSON text (a nested document kept as a string).
  Writer& raw(std::string_view json) {
    comma();
    out_ += json;
    return *this;
  }
  // Members already written as JSON text (an object's text without its braces: "a":1,"b":[2]),
  // spliced into the open object: a record's display fields as the catalog line had them.
  Writer& members_raw(std::string_view members) {
    assert(depth_ > 0 && closers_[depth_ - 1] == '}' && !after_key_);
    return members.empty() ? *this : raw(members);
  }
  // Money, to the cent.
  Writer& money(double v) { return value(cents(v)); }
  template <class Range>
  Writer& strings(const Range& r) {
    array();
    for (const auto& s : r) value(std::string_view(s));
    return end();
  }

  // key(k).value(v) and friends.
  template <class T>
  Writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  Writer& field_null(std::string_view k) { return key(k).null(); }
  Writer& field_raw(std::string_view k, std::string_view json) { return key(k).raw(json); }
  Writer& field_money(std::string_view k, double v) { return key(k).money(v); }
  template <class Range>
  Writer& field_strings(std::string_view k, const Range& r) {
    key(k);
    return strings(r);
  }

  int depth() const { return depth_; }
  std::string& out() { return out_; }

 private:
  Writer& open(char c) {
    comma();
    assert(depth_ < 64);
    closers_[depth_] = c == '{' ? '}' : ']';
    first_ |= uint64_t(1) << depth_;
    ++depth_;
    out_ += c;
    return *this;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ == 0) return;
    const uint64_t bit = uint64_t(1) << (depth_ - 1);
    const bool first = first_ & bit;
    if (first) first_ &= ~bit;
    else out_ += ',';
    if (!indent_) return;
    if (depth_ <= break_depth_) newline(depth_);
    else if (!first) out_ += ' ';
  }
  void newline(int level) {
    out_ += '\n';
    out_.append(static_cast<size_t>(level * indent_), ' ');
  }

  std::string& out_;
  uint64_t first_ = 0;  // bit d: nothing written yet in the container at depth d
  int depth_ = 0;
  bool after_key_ = false;
  int indent_ = 0, break_depth_ = 0;
  char closers_[64];
};

}  // namespace longtail::json
