// longtail::analysis — text -> tokens for Chinese product text.
//
// Contract used by index/ and engine/ (keep these signatures stable):
//   * Analyzer is immutable after construction and safe to call from many threads.
//   * analyze(text, Mode::Index) gives the terms a title is indexed under;
//     analyze(text, Mode::Query) gives the terms of a user query. A query term must be found
//     among the index terms of any title that contains that word whole or as a sub-word.
//   * Mode::Plain gives a segmentation of the original text (surface forms, no normalization).
// This module depends on ICU and OpenCC only (never on Xapian).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace longtail::analysis {

// Raised for unreadable or corrupt lexicon files and ICU set-up failures (a data/environment
// problem, not a caller mistake).
class AnalysisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What each mode emits (analyzers/README.md has examples):
//   Plain  the segmentation path over the ORIGINAL text: dictionary words, whole Latin/number
//          tokens, punctuation as Other; whitespace dropped. Joined, the token texts are exactly
//          the input's non-whitespace characters.
//   Index  normalized terms, in position order: each path word (Word, HanGram for a single
//          character the lexicon lacks), every lexicon word found anywhere in the same chunk
//          (SubWord: 保护套 -> 保护, 护套; also words crossing path boundaries), parts of
//          Alnum/NumberUnit tokens (Part: iphone15 -> iphone, 15), and for each single-character
//          piece the Han bigrams it takes part in (HanGram). Punctuation is never a term.
//   Query  normalized terms of the path; a run of two or more single Han characters becomes
//          its bigrams (HanGram), a lone single character stays; Latin tokens stay whole.
// Matching rule (tested in tests/test_analyzer.cpp): a query term that is a lexicon word of two
// or more characters is an index term of every title containing those characters inside one
// chunk (whatever the title's own segmentation); a query bigram from an unknown run is an index
// term of every title where that run is unknown too; Latin/number terms match whole tokens and,
// through Part terms, the pieces of mixed tokens ("iphone 15" matches "iPhone15"). Single Han
// query characters (大, 女) are index terms only where the title's path leaves them single, so
// an engine should treat them as optional (score, not filter); informativeness() ranks them low.
// To relax a query token the index does not know whole (iphone15pro vs a title "iPhone15 Pro"),
// analyze that token in Index mode and use its Part terms.
enum class Mode : uint8_t { Plain, Index, Query };

enum class TokenKind : uint8_t {
  Word,        // dictionary word (Han) or whole Latin word
  SubWord,     // in-dictionary part of a longer word (index mode)
  HanGram,     // single character or bigram from a Han run the dictionary does not know
  Number,      // digits, possibly with a decimal point
  Alnum,       // mixed letters+digits kept whole: iphone15, adb98377, o-50csc
  NumberUnit,  // number + unit kept whole: 500ml, 1.5m, 64g, 320*400mm
  Part,        // a part of an Alnum/NumberUnit token also emitted as a term: iphone, 15
  Other,       // anything else kept (symbols in plain mode)
};

struct Token {
  std::string text;        // normalized term (Index/Query) or original surface (Plain)
  uint32_t position = 0;   // word position; sub-words and parts share their parent's position
  uint32_t start = 0;      // byte offset of the token in the ORIGINAL input
  uint32_t end = 0;        // one past the last byte, in the ORIGINAL input
  TokenKind kind = TokenKind::Word;
};

// The word list the segmenter uses: base dictionary (jieba) plus catalog-learned words.
// Immutable once built; share it between analyzers with shared_ptr.
class Lexicon {
 public:
  struct Entry {
    std::string word;      // normalized form
    uint32_t freq = 0;     // corpus frequency (jieba units)
    std::string tag;       // part of speech or a longtail tag: "brand", "attr", "cat", "learned"
  };

  // The jieba base dictionary found at build time (LONGTAIL_JIEBA_DICT) or at the path in the
  // LONGTAIL_DICT environment variable. Throws AnalysisError if it cannot be read.
  static std::shared_ptr<const Lexicon> load_default();
  // Load order: $LONGTAIL_DICT if set (text, or a file written by save()); else the binary
  // form of the jieba dictionary compiled at build time (LONGTAIL_JIEBA_LEX, ~50 ms to load);
  // else the text dictionary LONGTAIL_JIEBA_DICT (~110 ms to parse). Thread-safe; returns the
  // same shared instance while any caller still holds it.
  // A lexicon file written by save() (for example the one stored in an index directory).
  static std::shared_ptr<const Lexicon> load(const std::string& path);
  // A word-frequency text file in jieba's format: one "word [freq [tag]]" a line, UTF-8;
  // words are normalized like analyzed text. Throws AnalysisError on I/O or format errors.
  static std::shared_ptr<const Lexicon> load_text(const std::string& path);
  // A copy of `base` with extra entries added (existing words keep the larger frequency).
  static std::shared_ptr<const Lexicon> extend(const Lexicon& base, const std::vector<Entry>& extra);

  void save(const std::string& path) const;  // throws AnalysisError on I/O failure
  // Stable digest of the content: "xxh3:" and 16 hex digits of XXH3-64 (indexes record it in
  // their manifest). Indexes of longtail before the prefix recorded a bare hand-written 64-bit
  // digest: check_compatible (index/index_dir.h) tells those apart and asks for a rebuild.
  static constexpr std::string_view kChecksumPrefix = "xxh3:";
  std::string checksum() const;
  size_t size() const;  // number of words

  // Look-ups by NORMALIZED word (Analyzer::normalize). frequency() is 0 and tag() empty when
  // the word is not in the lexicon (prefixes of words are not words).
  uint32_t frequency(std::string_view normalized_word) const;
  std::string tag(std::string_view normalized_word) const;
  uint64_t total_frequency() const;  // sum of all word frequencies
  // For one Han character (3 UTF-8 bytes): how much it is a word ending among the lexicon's words
  // of two or more characters, in [0, 1] (器 0.97, 袋 0.91, 女 0.47, 小 0.10); 0 for anything else.
  double ending_share(std::string_view normalized_char) const;
  std::vector<Entry> entries() const;  // all words, in insertion order (copy; O(size))

  // Implementation detail, public so the segmenter can reach it without friendship.
  struct Data;
  explicit Lexicon(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  const Data& data() const { return *d_; }

 private:
  std::shared_ptr<const Data> d_;
};

// A Han character that ends at least this share of the lexicon's words it starts or ends
// (Lexicon::ending_share) is a head noun: index mode adds it for each word it ends (帆布鞋 -> 鞋),
// and a query may use it alone as a product word (鞋, 壶, 裙; not 大, 女, 新).
inline constexpr double kHeadCharShare = 0.6;

class Analyzer {
 public:
  static constexpr const char* kName = "longtail-zh";
  // Bump whenever index-mode output changes; an index built by another version is refused
  // (index/index_dir.cpp check_compatible). 2: head characters. 3: phrase-level traditional ->
  // simplified (OpenCC) and units after numbers in one canonical Latin form (500毫升 -> 500ml).
  static constexpr int kVersion = 3;

  explicit Analyzer(std::shared_ptr<const Lexicon> lexicon);
  ~Analyzer();
  Analyzer(Analyzer&&) noexcept;
  Analyzer& operator=(Analyzer&&) noexcept;

  // Thread-safe. Never throws on any input bytes (invalid UTF-8 is replaced, not rejected).
  std::vector<Token> analyze(std::string_view text, Mode mode) const;
  // The normalization index and query share: NFKC, case fold, width fold, traditional->simplified
  // by phrase (OpenCC), Chinese units after a number in Latin (500毫升 -> 500ml).
  std::string normalize(std::string_view text) const;

  const Lexicon& lexicon() const;

  // How specific a NORMALIZED term is, in (0, 1]: ln(total/freq) / ln(total) from the lexicon
  // frequency; 1 for terms the lexicon does not know (model numbers, rare words). Single-character
  // modifiers score low (大 0.34, 女 0.43), product words high (落地窗 0.80). The jieba frequencies
  // come from general text, so marketplace boilerplate is not yet recognised (新款 0.75).
  float informativeness(std::string_view term) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace longtail::analysis
