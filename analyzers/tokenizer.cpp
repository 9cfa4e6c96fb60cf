#include "analyzers/tokenizer.h"

#include <algorithm>
#include <array>

namespace longtail::analysis::detail {

namespace {

bool alnum(CharClass c) { return c == CharClass::Letter || c == CharClass::Digit; }

// Whether the joiner cp at position j (between j-1 and j+1) stays inside a Latin token.
bool joins(char32_t cp, CharClass before, CharClass after) {
  switch (cp) {
    case U'.':
    case U'*':
    case U'\u00D7':  // ×
      return before == CharClass::Digit && after == CharClass::Digit;
    case U'-':
    case U'_':
      return alnum(before) && alnum(after);
    case U'&':
    case U'\'':
      return before == CharClass::Letter && after == CharClass::Letter;
    default:
      return false;
  }
}

bool is_dim_sep(const NormalizedText& t, const Part& p) {
  return p.e == p.b + 1 && t.cps[p.b] == U'x';
}

// Splits a Latin token into parts (letter runs and numbers with decimal points), classifies it.
TokenKind classify_latin(const NormalizedText& t, uint32_t b, uint32_t e, std::vector<Part>& parts) {
  const size_t first = parts.size();
  uint32_t i = b;
  while (i < e) {
    if (!alnum(t.cls[i])) {
      ++i;
      continue;
    }
    uint32_t j = i + 1;
    if (t.cls[i] == CharClass::Digit) {
      while (j < e && (t.cls[j] == CharClass::Digit ||
                       (t.cps[j] == U'.' && j + 1 < e && t.cls[j + 1] == CharClass::Digit)))
        ++j;
    } else {
      while (j < e && t.cls[j] == CharClass::Letter) ++j;
    }
    parts.push_back(Part{i, j});
    i = j;
  }
  const size_t n = parts.size() - first;
  if (n <= 1) {
    const bool digits = n == 1 && t.cls[parts[first].b] == CharClass::Digit;
    parts.resize(first);
    return digits ? TokenKind::Number : TokenKind::Word;
  }
  // NUM ((x|*|×) NUM)* UNIT?  -> NumberUnit when there is a unit or at least two numbers.
  size_t k = first;
  size_t numbers = 0;
  bool ok = t.cls[parts[k].b] == CharClass::Digit;
  bool unit = false;
  while (ok && k < parts.size()) {
    if (t.cls[parts[k].b] != CharClass::Digit) {
      ok = false;
      break;
    }
    ++numbers;
    ++k;
    if (k == parts.size()) break;
    const Part& sep = parts[k];
    const bool explicit_sep = sep.b > parts[k - 1].e;  // '*' or '×' between the numbers
    if (explicit_sep && t.cls[sep.b] == CharClass::Digit) continue;
    if (is_dim_sep(t, sep) && k + 1 < parts.size() && t.cls[parts[k + 1].b] == CharClass::Digit) {
      ++k;
      continue;
    }
    if (k + 1 == parts.size() && t.cls[sep.b] == CharClass::Letter && sep.b == parts[k - 1].e &&
        is_measure_unit(std::u32string_view(t.cps).substr(sep.b, sep.e - sep.b))) {
      unit = true;
      ++k;
      break;
    }
    ok = false;
  }
  const bool number_unit = ok && k == parts.size() && (unit || numbers >= 2);
  // Drop the dimension separator "x" from the parts: it is not a useful term.
  if (number_unit) {
    parts.erase(std::remove_if(parts.begin() + static_cast<std::ptrdiff_t>(first), parts.end(),
                               [&](const Part& p) { return is_dim_sep(t, p); }),
                parts.end());
    return TokenKind::NumberUnit;
  }
  return TokenKind::Alnum;
}

}  // namespace

bool is_measure_unit(std::u32string_view u) {
  static constexpr std::array<std::u32string_view, 44> kUnits = {
      U"ml", U"l", U"g", U"kg", U"mg", U"t", U"m", U"cm", U"mm", U"km", U"um", U"nm", U"dm",
      U"w", U"kw", U"v", U"kv", U"a", U"ma", U"mah", U"wh", U"kwh", U"hz", U"khz", U"mhz",
      U"ghz", U"b", U"kb", U"mb", U"gb", U"tb", U"k", U"p", U"inch", U"in", U"ft", U"oz",
      U"lb", U"cc", U"db", U"pcs", U"pc", U"s", U"ms"};
  return std::find(kUnits.begin(), kUnits.end(), u) != kUnits.end();
}

void tokenize(const NormalizedText& t, bool keep_punct, Tokenized& out) {
  out.clear();
  const auto n = static_cast<uint32_t>(t.cps.size());
  uint32_t chunk = 0;
  bool chunk_open = false;  // the previous unit was Han/Latin and directly adjacent
  uint32_t i = 0;
  while (i < n) {
    const CharClass c = t.cls[i];
    if (c == CharClass::Space) {
      chunk_open = false;
      ++i;
      continue;
    }
    Unit u;
    u.b = i;
    if (c == CharClass::Han) {
      u.kind = UnitKind::Han;
      u.e = i + 1;
    } else if (alnum(c)) {
      uint32_t j = i + 1;
      for (;;) {
        while (j < n && alnum(t.cls[j])) ++j;
        if (j + 1 < n && joins(t.cps[j], t.cls[j - 1], t.cls[j + 1])) {
          ++j;
          continue;
        }
        break;
      }
      u.kind = UnitKind::Latin;
      u.e = j;
      u.parts_begin = static_cast<uint32_t>(out.parts.size());
      u.latin_kind = classify_latin(t, u.b, u.e, out.parts);
      u.parts_end = static_cast<uint32_t>(out.parts.size());
    } else {
      u.kind = UnitKind::Punct;
      u.e = i + 1;
    }
    i = u.e;
    if (u.kind == UnitKind::Punct) {
      chunk_open = false;
      if (keep_punct) {
        u.chunk = ++chunk;
        out.units.push_back(u);
      }
      continue;
    }
    if (!chunk_open) ++chunk;
    chunk_open = true;
    u.chunk = chunk;
    out.units.push_back(u);
  }
}

}  // namespace longtail::analysis::detail
