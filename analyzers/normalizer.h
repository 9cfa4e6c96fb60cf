// Normalization shared by index and query analysis (internal to analyzers/).
//
// Three steps, all deterministic functions of the text:
//   1. Per code point: NFKC + case fold (ICU "nfkc_cf", which also folds full-width forms to
//      half-width). Computed once per process for the Basic Multilingual Plane and kept in a
//      table, so this step needs no ICU call and no lock; supplementary code points go through
//      ICU's (thread-safe) Normalizer2 directly.
//   2. Traditional -> simplified Chinese at the phrase level with OpenCC's dictionaries
//      (Debian's libopencc-data): Taiwan phrases first (TWPhrasesRev: 記憶體 -> 内存, 軟體 -> 软件,
//      滑鼠 -> 鼠标), then OpenCC's traditional->simplified phrases and characters (TSPhrases,
//      TSCharacters: 頭髮 -> 头发, 乾燥 -> 干燥 but 乾隆 stays). This is OpenCC's tw2sp chain
//      without its Taiwan character-variant step (which turns simplified 抬 into 擡 and 么 into 幺).
//      Only a run of Han characters that holds at least one traditional character (a TSCharacters
//      key whose simplified form is another character: 電, 機, 體, also 乾 whose phrases keep 乾隆)
//      is converted, so simplified text pays one table look-up per character and is not changed:
//      simplified 程序 and 文件 stay (Taiwan 程序 -> 进程 applies only inside traditional text), and
//      so do 滑鼠 alone (no traditional character: 無線滑鼠 -> 无线鼠标), 名著 and 著作. A converted phrase may change length (記憶體 -> 内存): each of its
//      output code points maps back to the source bytes of the whole phrase.
//   3. Units: a unit word written in Chinese directly after a digit becomes the Latin unit (the
//      canonical form, which the tokenizer keeps with the number as one NumberUnit token):
//      500毫升 -> 500ml, 1.5升 -> 1.5l, 5公斤/5千克 -> 5kg, 500克 -> 500g, 65英寸/65寸 -> 65inch,
//      1.8米 -> 1.8m, 30厘米 -> 30cm, 20000毫安 -> 20000mah. Latin units are only case-folded
//      (mL -> ml, 1.5L -> 1.5l). Words that are units wherever they stand (毫升, 公斤, 英寸, 厘米,
//      毫米, 公里, 毫安) are converted without a number too, unless glued to a letter or digit
//      ("15.6 英寸" -> "15.6 inch", which finds 15.6英寸 through the part inch); single-character
//      units (升, 克, 米, 寸) and 千克/千米 only directly after a digit (米 is also rice). 斤 (500 g)
//      stays as written. A unit word followed by a letter or a digit stays, and so does one that
//      starts a longer word (2克拉 carat, 3米色 beige, 2021升级 upgrade).
// Deviation from whole-string NFKC, by design: mapping is per code point, so a base letter
// followed by a separate combining mark is not recomposed (product text almost never has them).
// Not quite idempotent, by design: converted output that still holds a character marking
// traditional text (乾 of 乾隆) is converted again when normalized a second time, so a Taiwan
// phrase key written in simplified characters beside it (乾隆程式 -> 乾隆程序 -> 乾隆进程) can
// change. Titles and queries are normalized once from their original bytes; words the learner
// finds are normalized again by Lexicon::extend, where such a rare word would come out different.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"  // utf8::next / utf8::append, the one UTF-8 decoder

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
  // Throws AnalysisError if ICU data or OpenCC's dictionaries are missing.
  static const Normalizer& instance();
  ~Normalizer();

  // Where OpenCC's dictionaries are read from: $LONGTAIL_OPENCC_DIR if set, else the data
  // directory of the OpenCC found at build time (LONGTAIL_OPENCC_DIR, /usr/share/opencc).
  static std::string opencc_dir();

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
  // Steps 2 and 3 (see the top of this file) on per-code-point normalized text; `out` is
  // rewritten only when something changes.
  void convert_runs(NormalizedText& out) const;
  void load_opencc();
  bool triggers(char32_t cp) const { return cp < 0x10000 && post_[cp] != 0; }

  // BMP table: entry = (count << 24) | offset into pool_; count 0xFF means "maps to itself".
  std::vector<uint32_t> bmp_;
  std::u32string pool_;
  std::vector<CharClass> bmp_class_;
  // Per normalized BMP code point: kTraditional (marks a Han run as traditional text) and/or
  // kUnitStart (may start a unit word after a number).
  std::vector<uint8_t> post_;
  struct Opencc;
  std::unique_ptr<const Opencc> cc_;
};

}  // namespace longtail::analysis::detail
