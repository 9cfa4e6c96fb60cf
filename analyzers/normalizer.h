// Per-code-point normalization shared by index and query analysis (internal to analyzers/).
//
// Each input code point maps to zero or more output code points:
//   NFKC + case fold (ICU "nfkc_cf", which also folds full-width forms to half-width), then
//   traditional -> simplified Chinese (ICU transliterator "Hant-Hans") for the Han characters
//   the transliterator changes.
// The mapping is computed once per process for the Basic Multilingual Plane and kept in a table,
// so normalize() needs no ICU call and no lock on the hot path; supplementary code points go
// through ICU's (thread-safe) Normalizer2 directly.
// Deviation from whole-string NFKC, by design: mapping is per code point, so a base letter
// followed by a separate combining mark is not recomposed (product text almost never has them),
// and multi-character traditional->simplified phrase rules are not applied (single characters are).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace longtail::analysis::detail {

// Character classes of NORMALIZED code points, as the tokenizer sees them.
enum class CharClass : uint8_t {
  Space,   // Unicode White_Space (after normalization)
  Han,     // Han script (and U+3007 IDEOGRAPHIC NUMBER ZERO)
  Letter,  // any other alphabetic character (Latin, Greek, Cyrillic, kana, hangul, ...)
  Digit,   // ASCII 0-9 (NFKC already folds full-width digits)
  Punct,   // everything else: punctuation, symbols, controls
};

// Normalized text with a map back to the original bytes: code point i of the normalized text
// came from original bytes [src_begin[i], src_end[i]).
struct NormalizedText {
  std::u32string cps;
  std::vector<uint32_t> src_begin;
  std::vector<uint32_t> src_end;
  std::vector<CharClass> cls;
  void clear() {
    cps.clear();
    src_begin.clear();
    src_end.clear();
    cls.clear();
  }
};

class Normalizer {
 public:
  // The process-wide instance, built on first use (about 20-60 ms). Thread-safe.
  // Throws AnalysisError if ICU data is missing.
  static const Normalizer& instance();

  // Decodes UTF-8 (invalid bytes become U+FFFD, one per byte) and normalizes.
  void normalize(std::string_view utf8, NormalizedText& out) const;
  // Normalized UTF-8 of a whole string (no offsets).
  std::string normalize(std::string_view utf8) const;
  // Same, into a caller-owned buffer (cleared first); no allocation once it has grown.
  void normalize_into(std::string_view utf8, std::string& out) const;

  CharClass char_class(char32_t cp) const;

 private:
  Normalizer();
  void map(char32_t cp, std::u32string& out) const;

  // BMP table: entry = (count << 24) | offset into pool_; count 0xFF means "maps to itself".
  std::vector<uint32_t> bmp_;
  std::u32string pool_;
  std::vector<CharClass> bmp_class_;
};

// UTF-8 helpers (no validation on encode; decode replaces malformed bytes by U+FFFD).
void append_utf8(char32_t cp, std::string& out);
// Decodes one code point at s[i]; advances i by the bytes consumed (at least 1).
char32_t decode_utf8(std::string_view s, size_t& i);

}  // namespace longtail::analysis::detail
