// The one UTF-8 decoder of the project, on ICU's U8_NEXT (header-only: <unicode/utf8.h> is all
// macros, so every layer, from analyzers/ to perf/, can use it without linking anything new).
//
// Well-formed means RFC 3629 / Unicode 3.9 D92: no overlong forms, no surrogates, nothing above
// U+10FFFF, no cut sequence. A byte that starts no well-formed sequence decodes to U+FFFD and
// counts as ONE byte: the next call starts at the byte after it, so "\xE8\xA3" (a cut sequence)
// is two U+FFFD, as the JSON writer and the table printer show it. (U8_NEXT alone would consume
// a maximal subpart, "\xE8\xA3", as one error.)
#pragma once

#include <unicode/utf8.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace longtail::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

// The length (1 to 4) of the well-formed sequence starting at s[i], or 0 if none starts there.
inline size_t sequence_length(std::string_view s, size_t i) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data() + i);
  if (p[0] < 0x80) return 1;
  const int32_t length = static_cast<int32_t>(std::min<size_t>(s.size() - i, 4));
  int32_t j = 0;
  UChar32 c;
  U8_NEXT(p, j, length, c);
  return c < 0 ? 0 : static_cast<size_t>(j);
}

// Decodes the code point at s[i] (i < s.size()) and advances i past it; U+FFFD and one byte for
// a byte that starts no well-formed sequence.
inline char32_t next(std::string_view s, size_t& i) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data() + i);
  if (p[0] < 0x80) {
    ++i;
    return p[0];
  }
  const int32_t length = static_cast<int32_t>(std::min<size_t>(s.size() - i, 4));
  int32_t j = 0;
  UChar32 c;
  U8_NEXT(p, j, length, c);
  if (c < 0) {
    ++i;
    return kReplacement;
  }
  i += static_cast<size_t>(j);
  return static_cast<char32_t>(c);
}

// Appends the UTF-8 form of cp (a scalar value: not a surrogate, at most U+10FFFF).
inline void append(char32_t cp, std::string& out) {
  uint8_t buf[U8_MAX_LENGTH];
  int32_t n = 0;
  U8_APPEND_UNSAFE(buf, n, static_cast<UChar32>(cp));
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

// Code points in s (each byte of an ill-formed sequence counts as one).
inline size_t count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); next(s, i)) ++n;
  return n;
}

}  // namespace longtail::utf8
