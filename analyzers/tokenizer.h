// Script runs: splits normalized text into units (internal to analyzers/).
//
// A unit is one Han character, one Latin/number token (letters and digits with in-word joiners:
// 1.5, o-50csc, 320*400, at&t) or one punctuation/symbol character. Adjacent Han and Latin units
// with nothing between them form a chunk, the span the dictionary segmenter works on (so
// dictionary words such as t恤 can cross scripts); spaces and punctuation end chunks.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "analyzers/analyzer.h"
#include "analyzers/normalizer.h"

namespace longtail::analysis::detail {

enum class UnitKind : uint8_t { Han, Latin, Punct };

struct Part {
  uint32_t b, e;  // code-point range in the normalized text
};

struct Unit {
  uint32_t b = 0, e = 0;  // code-point range in the normalized text
  UnitKind kind = UnitKind::Han;
  TokenKind latin_kind = TokenKind::Word;  // for Latin units: Word, Number, Alnum or NumberUnit
  uint32_t parts_begin = 0, parts_end = 0;  // index range into Tokenized::parts (Latin units)
  uint32_t chunk = 0;                       // chunk id; Punct units get their own chunk id
};

struct Tokenized {
  std::vector<Unit> units;
  std::vector<Part> parts;  // parts of Latin units, only when a unit has two or more
  void clear() {
    units.clear();
    parts.clear();
  }
};

// Fills `out` from normalized text. Spaces are dropped; punctuation units are kept only when
// keep_punct is true (plain mode).
void tokenize(const NormalizedText& text, bool keep_punct, Tokenized& out);

// True if `unit` (lower-case ASCII) is a measurement unit that makes "<number><unit>" one
// NumberUnit token: ml, g, kg, m, mm, mah, gb, ...
bool is_measure_unit(std::u32string_view unit);

}  // namespace longtail::analysis::detail
