// Word-level pinyin readings, for query-time pinyin input and homophone typos (issue 23).
//
// The table is Google Pinyin's system dictionary (65k words and characters with their readings,
// Apache-2.0, from Debian's libgooglepinyin0), dumped to text at build time by
// longtail_pinyin_compile. Readings are per WORD, so polyphones read as in the word: 长城
// chang cheng, 银行 yin hang, 会计 kuai ji, 重庆 chong qing. A word the table lacks (a
// catalog-learned compound) is read as its longest table words, left to right, and a character
// alone by its most frequent reading (行 xing, 长 chang). ü is written v, as pinyin keyboards do
// (绿 lv, 女装 nv zhuang).
// Depends on nothing but the standard library; thread-safe after construction.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace longtail::analysis {

class Pinyin {
 public:
  // The table built with longtail (or $LONGTAIL_PINYIN when set), loaded once per process.
  // Null when no table is there: pinyin features are then off, nothing fails.
  // Throws AnalysisError when the file is there but unreadable or not a table.
  static std::shared_ptr<const Pinyin> load_default();
  // Throws AnalysisError naming the file and line.
  static std::shared_ptr<const Pinyin> load(const std::string& path);
  // From the table's text (WORD<TAB>SYLLABLES[<TAB>COST] lines, # comments); `source` names it.
  static std::shared_ptr<const Pinyin> parse(std::string_view text, const std::string& source);

  // Syllables of a NORMALIZED Han word ("连衣裙" -> lian yi qun); empty when a character has no
  // reading (not Han, or outside the table).
  std::vector<std::string> reading(std::string_view word) const;
  // "lianyiqun" and "lyq" for a reading (lian yi qun).
  static std::string full_key(const std::vector<std::string>& syllables);
  static std::string initials_key(const std::vector<std::string>& syllables);

  bool is_syllable(std::string_view s) const { return syllables_.count(std::string(s)) != 0; }
  // True when lowercase ASCII `s` is a sequence of one or more syllables (xian, xi'an, lianyiqun).
  bool is_pinyin(std::string_view s) const;
  size_t words() const { return words_.size(); }

 private:
  struct Reading {
    std::string syllables;  // space-separated
    double cost = 0;
  };
  std::unordered_map<std::string, Reading> words_;  // the most frequent reading of each word
  std::unordered_set<std::string> syllables_;
  size_t max_chars_ = 1;
};

}  // namespace longtail::analysis
