#include "analyzers/normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uniset.h>
#include <unicode/uscript.h>

#include <memory>
#include <string_view>

#include "analyzers/analyzer.h"

namespace longtail::analysis::detail {

namespace {

constexpr uint32_t kIdentity = 0xFFu;

CharClass classify(char32_t c) {
  if (c >= '0' && c <= '9') return CharClass::Digit;
  if (u_isUWhiteSpace(static_cast<UChar32>(c)) || (c >= 0x1C && c <= 0x1F)) return CharClass::Space;
  if (c == 0x3007) return CharClass::Han;
  UErrorCode st = U_ZERO_ERROR;
  if (uscript_getScript(static_cast<UChar32>(c), &st) == USCRIPT_HAN && u_isalpha(static_cast<UChar32>(c)))
    return CharClass::Han;
  if (u_isalpha(static_cast<UChar32>(c))) return CharClass::Letter;
  // Combining marks inside words (accents) stay with the letters.
  int8_t gc = u_charType(static_cast<UChar32>(c));
  if (gc == U_NON_SPACING_MARK || gc == U_COMBINING_SPACING_MARK) return CharClass::Letter;
  return CharClass::Punct;
}

void to_u32(const icu::UnicodeString& s, std::u32string& out) {
  for (int32_t i = 0; i < s.length();) {
    UChar32 c = s.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
}

}  // namespace

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t decode_utf8(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int n;
  char32_t cp;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 1, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 2, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + static_cast<size_t>(n) >= s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k <= n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += static_cast<size_t>(n) + 1;
  return cp;
}

const Normalizer& Normalizer::instance() {
  static const Normalizer inst;  // C++ guarantees thread-safe one-time construction
  return inst;
}

Normalizer::Normalizer() : bmp_(0x10000, kIdentity << 24), bmp_class_(0x10000) {
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(st);
  if (U_FAILURE(st)) throw AnalysisError(std::string("ICU nfkc_cf unavailable: ") + u_errorName(st));
  std::unique_ptr<icu::Transliterator> t2s(
      icu::Transliterator::createInstance("Hant-Hans", UTRANS_FORWARD, st));
  if (U_FAILURE(st) || !t2s) throw AnalysisError(std::string("ICU Hant-Hans unavailable: ") + u_errorName(st));
  icu::UnicodeSet t2s_source;
  t2s->getSourceSet(t2s_source);

  std::u32string mapped;
  for (char32_t c = 0; c < 0x10000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) {
      bmp_[c] = (1u << 24) | static_cast<uint32_t>(pool_.size());
      pool_.push_back(0xFFFD);
      bmp_class_[c] = CharClass::Punct;
      continue;
    }
    mapped.clear();
    bool changed = false;
    if (nfkc_cf->isInert(static_cast<UChar32>(c))) {
      mapped.push_back(c);
    } else {
      icu::UnicodeString src(static_cast<UChar32>(c));
      icu::UnicodeString dst = nfkc_cf->normalize(src, st);
      if (U_FAILURE(st)) throw AnalysisError(std::string("ICU normalize failed: ") + u_errorName(st));
      to_u32(dst, mapped);
      changed = !(mapped.size() == 1 && mapped[0] == c);
    }
    // Traditional -> simplified, character by character, except characters that are standard
    // simplified characters themselves, which ICU's Hant-Hans maps by their traditional reading
    // (名著 would become 名着, 俱乐部 具乐部, 摔跤 摔交). Phrase-level conversion would tell them
    // apart; character by character, keeping them is right far more often.
    static constexpr std::u32string_view kSimplifiedToo = U"著俱姊藉跤阪瞭苎吒";
    std::u32string simplified;
    bool t2s_changed = false;
    for (char32_t m : mapped) {
      if (t2s_source.contains(static_cast<UChar32>(m)) && kSimplifiedToo.find(m) == std::u32string_view::npos) {
        icu::UnicodeString u(static_cast<UChar32>(m));
        t2s->transliterate(u);
        std::u32string tmp;
        to_u32(u, tmp);
        if (!(tmp.size() == 1 && tmp[0] == m)) t2s_changed = true;
        simplified += tmp;
      } else {
        simplified.push_back(m);
      }
    }
    if (t2s_changed) {
      mapped = simplified;
      changed = true;
    }
    if (changed) {
      bmp_[c] = (static_cast<uint32_t>(mapped.size()) << 24) | static_cast<uint32_t>(pool_.size());
      pool_ += mapped;
    }
    bmp_class_[c] = classify(c);
  }
}

CharClass Normalizer::char_class(char32_t cp) const {
  if (cp < 0x10000) return bmp_class_[cp];
  return classify(cp);
}

void Normalizer::map(char32_t cp, std::u32string& out) const {
  if (cp < 0x10000) {
    const uint32_t e = bmp_[cp];
    const uint32_t n = e >> 24;
    if (n == kIdentity) {
      out.push_back(cp);
    } else {
      out.append(pool_, e & 0xFFFFFF, n);
    }
    return;
  }
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(st);
  icu::UnicodeString dst = nfkc_cf->normalize(icu::UnicodeString(static_cast<UChar32>(cp)), st);
  if (U_FAILURE(st)) {
    out.push_back(cp);
    return;
  }
  to_u32(dst, out);
}

void Normalizer::normalize(std::string_view s, NormalizedText& out) const {
  out.clear();
  out.cps.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = i;
    const char32_t cp = decode_utf8(s, i);
    const size_t before = out.cps.size();
    map(cp, out.cps);
    for (size_t k = before; k < out.cps.size(); ++k) {
      out.src_begin.push_back(static_cast<uint32_t>(b));
      out.src_end.push_back(static_cast<uint32_t>(i));
      out.cls.push_back(char_class(out.cps[k]));
    }
  }
}

std::string Normalizer::normalize(std::string_view s) const {
  std::string out;
  normalize_into(s, out);
  return out;
}

void Normalizer::normalize_into(std::string_view s, std::string& out) const {
  out.clear();
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = i;
    const char32_t cp = decode_utf8(s, i);
    if (cp < 0x10000 && cp != 0xFFFD && (bmp_[cp] >> 24) == kIdentity) {
      out.append(s.data() + b, i - b);  // maps to itself (and was valid UTF-8)
      continue;
    }
    char32_t buf_inline[8];
    std::u32string tmp;
    if (cp < 0x10000) {
      const uint32_t e = bmp_[cp];
      const uint32_t n = e >> 24;
      for (uint32_t k = 0; k < n && k < 8; ++k) buf_inline[k] = pool_[(e & 0xFFFFFF) + k];
      if (n <= 8) {
        for (uint32_t k = 0; k < n; ++k) append_utf8(buf_inline[k], out);
        continue;
      }
    }
    map(cp, tmp);
    for (char32_t c : tmp) append_utf8(c, out);
  }
}

}  // namespace longtail::analysis::detail
