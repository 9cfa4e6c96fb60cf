#include "analyzers/normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uniset.h>
#include <unicode/uscript.h>

#include <opencc/Config.hpp>
#include <opencc/Conversion.hpp>
#include <opencc/ConversionChain.hpp>
#include <opencc/Converter.hpp>
#include <opencc/Dict.hpp>
#include <opencc/DictEntry.hpp>
#include <opencc/DictGroup.hpp>
#include <opencc/Exception.hpp>
#include <opencc/Lexicon.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include "analyzers/analyzer.h"

#ifndef LONGTAIL_OPENCC_DIR
#define LONGTAIL_OPENCC_DIR "/usr/share/opencc"
#endif

namespace longtail::analysis::detail {

namespace {

constexpr uint32_t kIdentity = 0xFFu;
constexpr uint8_t kTraditional = 1;  // post_ bit: a Han run holding this character is traditional text
constexpr uint8_t kUnitStart = 2;    // post_ bit: may start a unit word after a number

// OpenCC's tw2sp chain without its Taiwan character-variant dictionaries (TWVariantsRev turns the
// standard simplified 抬 into 擡 and 么 into 幺, and 著 into 着 where simplified keeps 著): Taiwan
// phrases, then traditional->simplified phrases and characters. The files are Debian's
// libopencc-data (Apache-2.0).
constexpr const char* kOpenccConfig = R"({
  "name": "longtail: Taiwan phrases, then traditional to simplified",
  "segmentation": {"type": "mmseg", "dict": {"type": "ocd2", "file": "TSPhrases.ocd2"}},
  "conversion_chain": [
    {"dict": {"type": "group", "dicts": [{"type": "ocd2", "file": "TWPhrasesRev.ocd2"}]}},
    {"dict": {"type": "group", "dicts": [{"type": "ocd2", "file": "TSPhrases.ocd2"},
                                         {"type": "ocd2", "file": "TSCharacters.ocd2"}]}}
  ]
})";
constexpr std::array<const char*, 3> kOpenccFiles = {"TWPhrasesRev.ocd2", "TSPhrases.ocd2", "TSCharacters.ocd2"};

// Unit words and their canonical (Latin, lower-case) forms; longest first where one is a prefix
// of another. `alone`: the word is a unit wherever it stands (毫升, 英寸), so it is converted even
// without a number before it ("15.6 英寸" finds 15.6英寸 through its part inch); the others are
// units only directly after a number (米 is also rice, 千米 also "a thousand 米").
struct UnitWord {
  std::u32string_view zh;
  std::u32string_view latin;
  bool alone;
};
constexpr std::array<UnitWord, 19> kUnitWords = {{
    {U"毫升", U"ml", true}, {U"升", U"l", false},
    {U"毫克", U"mg", true}, {U"千克", U"kg", false}, {U"公斤", U"kg", true}, {U"克", U"g", false},
    {U"英寸", U"inch", true}, {U"英吋", U"inch", true}, {U"寸", U"inch", false}, {U"吋", U"inch", false},
    {U"毫米", U"mm", true}, {U"公厘", U"mm", true}, {U"厘米", U"cm", true}, {U"千米", U"km", false},
    {U"公里", U"km", true}, {U"米", U"m", false},
    {U"毫安时", U"mah", true}, {U"毫安", U"mah", true}, {U"千瓦", U"kw", false},
}};
// A unit word followed by one of these characters starts a longer word and stays: 克拉 (carat),
// 克隆, 米色/米白/米黄/米灰 (colours), 米饭/米线/米粉/米粒/米酒/米糊 (rice), 米奇, 米家, 米兰,
// 升级 (2021升级款), 升降, 升压, 升温, 升华.
struct UnitException {
  std::u32string_view unit_end;  // last character of the unit word
  std::u32string_view next;      // characters that must not follow it
};
constexpr std::array<UnitException, 3> kUnitExceptions = {{
    {U"克", U"拉隆"},
    {U"米", U"色白黄灰饭线粉粒酒糊奇家兰"},
    {U"升", U"级降压温华"},
}};

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

const Normalizer& Normalizer::instance() {
  static const Normalizer inst;  // C++ guarantees thread-safe one-time construction
  return inst;
}

// The conversion stages as dictionaries, applied with longest-prefix matching one after the
// other (what opencc::Conversion does), keeping track of which input code points each output
// code point came from. The dictionaries are immutable once loaded: matching is thread-safe.
struct Normalizer::Opencc {
  opencc::ConverterPtr converter;  // owns the dictionaries
  std::vector<opencc::DictPtr> stages;
};

std::string Normalizer::opencc_dir() {
  const char* env = std::getenv("LONGTAIL_OPENCC_DIR");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(LONGTAIL_OPENCC_DIR);
}

Normalizer::~Normalizer() = default;

Normalizer::Normalizer() : bmp_(0x10000, kIdentity << 24), bmp_class_(0x10000), post_(0x10000, 0) {
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(st);
  if (U_FAILURE(st)) throw AnalysisError(std::string("ICU nfkc_cf unavailable: ") + u_errorName(st));
  load_opencc();

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
    if (changed) {
      bmp_[c] = (static_cast<uint32_t>(mapped.size()) << 24) | static_cast<uint32_t>(pool_.size());
      pool_ += mapped;
    }
    bmp_class_[c] = classify(c);
  }
  for (const auto& u : kUnitWords) post_[u.zh[0]] |= kUnitStart;
}

void Normalizer::load_opencc() {
  namespace fs = std::filesystem;
  const std::string dir = opencc_dir();
  for (const char* f : kOpenccFiles) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(dir) / f, ec))
      throw AnalysisError("OpenCC dictionary " + (fs::path(dir) / f).string() +
                          " not found: install libopencc-data (scripts/install-deps.sh) or set LONGTAIL_OPENCC_DIR");
  }
  auto cc = std::make_unique<Opencc>();
  try {
    opencc::Config config;
    cc->converter = config.NewFromString(kOpenccConfig, dir + "/");
    for (const auto& conv : cc->converter->GetConversionChain()->GetConversions()) cc->stages.push_back(conv->GetDict());
    // Traditional markers: TSCharacters keys (the last dictionary of the last stage) whose first
    // simplified form is another character. That includes characters simplified text also uses
    // in a few words (乾 of 乾隆, 吒 of 哪吒, 薹 of 蒜薹): OpenCC's phrases keep those words.
    const auto group = std::dynamic_pointer_cast<opencc::DictGroup>(cc->stages.back());
    if (!group || group->GetDicts().empty()) throw AnalysisError("OpenCC: unexpected dictionary layout in " + dir);
    for (const auto& entry : *group->GetDicts().back()->GetLexicon()) {
      const std::string key = entry->Key();
      size_t i = 0;
      const char32_t k = utf8::next(key, i);
      if (i == key.size() && k < 0x10000 && entry->GetDefault() != key) post_[k] |= kTraditional;
    }
  } catch (const opencc::Exception& e) {
    throw AnalysisError("OpenCC dictionaries in " + dir + " unusable: " + e.what());
  }
  cc_ = std::move(cc);
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
  bool post = false;
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = i;
    const char32_t cp = utf8::next(s, i);
    const size_t before = out.cps.size();
    map(cp, out.cps);
    for (size_t k = before; k < out.cps.size(); ++k) {
      out.src_begin.push_back(static_cast<uint32_t>(b));
      out.src_end.push_back(static_cast<uint32_t>(i));
      out.cls.push_back(char_class(out.cps[k]));
      post |= triggers(out.cps[k]);
    }
  }
  if (post) convert_runs(out);
}

namespace {

// A code point between conversion stages and the input code points [b, e) it came from.
struct CcItem {
  char32_t cp;
  uint32_t b, e;
};

struct CcScratch {
  std::vector<CcItem> items, next;
  std::string utf8;
  std::vector<uint32_t> offs;  // byte offset of each item in utf8 (+ end)
  NormalizedText tmp;
};

CcScratch& cc_scratch() {
  thread_local CcScratch s;
  return s;
}

// One stage: longest-prefix matches of `dict` replace their keys by their first value; every
// code point of a replacement comes from the whole matched key.
void convert_stage(const opencc::Dict& dict, CcScratch& s) {
  s.utf8.clear();
  s.offs.clear();
  for (const auto& it : s.items) {
    s.offs.push_back(static_cast<uint32_t>(s.utf8.size()));
    utf8::append(it.cp, s.utf8);
  }
  s.offs.push_back(static_cast<uint32_t>(s.utf8.size()));
  s.next.clear();
  const size_t n = s.items.size();
  for (size_t k = 0; k < n;) {
    const auto m = dict.MatchPrefix(s.utf8.data() + s.offs[k], s.utf8.size() - s.offs[k]);
    if (m.IsNull()) {
      s.next.push_back(s.items[k++]);
      continue;
    }
    const size_t key_end = s.offs[k] + m.Get()->KeyLength();
    size_t q = k + 1;
    while (q < n && s.offs[q] < key_end) ++q;
    const std::string value = m.Get()->GetDefault();
    for (size_t i = 0; i < value.size();)
      s.next.push_back(CcItem{utf8::next(value, i), s.items[k].b, s.items[q - 1].e});
    k = q;
  }
  s.items.swap(s.next);
}

}  // namespace

void Normalizer::convert_runs(NormalizedText& out) const {
  CcScratch& s = cc_scratch();
  NormalizedText& t = s.tmp;
  t.clear();
  bool changed = false;
  auto push = [&](char32_t cp, uint32_t src_b, uint32_t src_e) {
    t.cps.push_back(cp);
    t.src_begin.push_back(src_b);
    t.src_end.push_back(src_e);
    t.cls.push_back(char_class(cp));
  };
  auto copy = [&](size_t i) {
    t.cps.push_back(out.cps[i]);
    t.src_begin.push_back(out.src_begin[i]);
    t.src_end.push_back(out.src_end[i]);
    t.cls.push_back(out.cls[i]);
  };
  // Step 2: Han runs holding a traditional character.
  const size_t n = out.cps.size();
  for (size_t i = 0; i < n;) {
    if (out.cls[i] != CharClass::Han) {
      copy(i++);
      continue;
    }
    size_t j = i;
    bool traditional = false;
    for (; j < n && out.cls[j] == CharClass::Han; ++j)
      traditional |= out.cps[j] < 0x10000 && (post_[out.cps[j]] & kTraditional) != 0;
    if (!traditional) {
      for (; i < j; ++i) copy(i);
      continue;
    }
    s.items.clear();
    for (size_t k = i; k < j; ++k) s.items.push_back(CcItem{out.cps[k], uint32_t(k), uint32_t(k + 1)});
    for (const auto& dict : cc_->stages) convert_stage(*dict, s);
    std::u32string folded;  // OpenCC may write Latin letters (隨身碟 -> U盘): normalize them too
    for (const auto& it : s.items) {
      folded.clear();
      map(it.cp, folded);
      for (char32_t c : folded) push(c, out.src_begin[it.b], out.src_end[it.e - 1]);
    }
    changed = true;
    i = j;
  }
  if (changed) std::swap(out, t);
  // Step 3: unit words directly after a digit.
  t.clear();
  changed = false;
  const size_t m = out.cps.size();
  const std::u32string_view cps(out.cps);
  for (size_t i = 0; i < m;) {
    const char32_t c = out.cps[i];
    const UnitWord* unit = nullptr;
    const CharClass before = i > 0 ? out.cls[i - 1] : CharClass::Space;
    if (before != CharClass::Letter && c < 0x10000 && (post_[c] & kUnitStart) != 0) {
      for (const auto& u : kUnitWords) {
        if (cps.substr(i, u.zh.size()) != u.zh) continue;
        const size_t e = i + u.zh.size();
        if (e < m && (out.cls[e] == CharClass::Letter || out.cls[e] == CharClass::Digit)) break;
        if (before != CharClass::Digit && !u.alone) break;
        const bool longer = e < m && std::any_of(kUnitExceptions.begin(), kUnitExceptions.end(), [&](const UnitException& x) {
                              return x.unit_end[0] == out.cps[e - 1] && x.next.find(out.cps[e]) != std::u32string_view::npos;
                            });
        if (!longer) unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      copy(i++);
      continue;
    }
    const size_t e = i + unit->zh.size();
    for (char32_t l : unit->latin) push(l, out.src_begin[i], out.src_end[e - 1]);
    changed = true;
    i = e;
  }
  if (changed) std::swap(out, t);
}

std::string Normalizer::normalize(std::string_view s) const {
  std::string out;
  normalize_into(s, out);
  return out;
}

void Normalizer::normalize_into(std::string_view s, std::string& out) const {
  out.clear();
  bool post = false;
  size_t i = 0;
  while (i < s.size()) {
    const size_t b = i;
    const char32_t cp = utf8::next(s, i);
    if (cp < 0x10000 && cp != 0xFFFD && (bmp_[cp] >> 24) == kIdentity) {
      out.append(s.data() + b, i - b);  // maps to itself (and was valid UTF-8)
      post |= post_[cp] != 0;
      continue;
    }
    char32_t buf_inline[8];
    std::u32string tmp;
    if (cp < 0x10000) {
      const uint32_t e = bmp_[cp];
      const uint32_t n = e >> 24;
      for (uint32_t k = 0; k < n && k < 8; ++k) buf_inline[k] = pool_[(e & 0xFFFFFF) + k];
      if (n <= 8) {
        for (uint32_t k = 0; k < n; ++k) {
          utf8::append(buf_inline[k], out);
          post |= triggers(buf_inline[k]);
        }
        continue;
      }
    }
    map(cp, tmp);
    for (char32_t c : tmp) {
      utf8::append(c, out);
      post |= triggers(c);
    }
  }
  if (!post) return;
  // Traditional text or a unit after a number: the whole pipeline, with offsets.
  thread_local NormalizedText full;
  normalize(s, full);
  out.clear();
  for (char32_t c : full.cps) utf8::append(c, out);
}

}  // namespace longtail::analysis::detail
