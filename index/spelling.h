// The catalog's own vocabulary for query-time pinyin and typo correction (docs/ranking.md,
// "Pinyin and typos"), written into each generation by build and optimize:
//
//   P<TAB>lianyiqun<TAB>连衣裙<TAB>DF     full pinyin of a catalog word (analyzers/pinyin.h)
//   I<TAB>lyq<TAB>连衣裙<TAB>DF           initials, for words of three or more syllables
//   L<TAB>iphone<TAB>DF                  a Latin catalog word of four or more letters
//
// DF is the word's document frequency when the file was written. Words come from the index's
// own text terms (unprefixed), so a correction always lands on a word some listing has.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "analyzers/pinyin.h"

namespace longtail::index {

inline constexpr const char* kSpellingFile = "spelling.tsv";

// Latin words shorter than this are not typo targets (nor corrected).
inline constexpr size_t kMinTypoLetters = 4;
// Edit distance allowed for a Latin word of `letters` letters: 1 from 4, 2 from 8, else 0.
inline int allowed_typo_distance(size_t letters) { return letters >= 8 ? 2 : letters >= kMinTypoLetters ? 1 : 0; }

// Optimal string alignment distance (Levenshtein plus adjacent transpositions: iphnoe -> iphone
// is 1), or `limit` + 1 once it is certainly above `limit`.
int edit_distance(std::string_view a, std::string_view b, int limit);

struct SpellingWord {
  std::string word;
  uint32_t df = 0;
};

struct SpellingCounts {
  uint64_t pinyin = 0, initials = 0, latin = 0, bytes = 0;
};

// Writes the vocabulary of `db`'s text terms to `path` (atomically). `pinyin` may be null (no
// table built in): then only Latin words are written.
SpellingCounts write_spelling(Xapian::Database& db, const analysis::Pinyin* pinyin, const std::string& path);

// Writes `gen_dir`/spelling.tsv from the generation's shards (`shard_paths`, relative to it),
// with the process's pinyin table (analysis::Pinyin::load_default()).
SpellingCounts write_generation_spelling(const std::string& gen_dir, const std::vector<std::string>& shard_paths);

class SpellingVocabulary {
 public:
  // Throws DataError naming file and line.
  static std::shared_ptr<const SpellingVocabulary> load(const std::string& path);
  static std::shared_ptr<const SpellingVocabulary> parse(std::string_view text, const std::string& source);

  // Catalog words read `key` in full pinyin / by initials, most frequent first.
  std::vector<SpellingWord> by_pinyin(std::string_view key) const;
  std::vector<SpellingWord> by_initials(std::string_view key) const;
  // Latin catalog words within allowed_typo_distance(word.size()) of `word` (not `word` itself)
  // that start with its first letter: nearest first, then most frequent.
  std::vector<SpellingWord> near_latin(std::string_view word) const;

 private:
  struct Keyed {
    std::string key;
    SpellingWord w;
  };
  static std::vector<SpellingWord> find(const std::vector<Keyed>& v, std::string_view key);
  std::vector<Keyed> pinyin_, initials_;        // sorted by key, then df descending
  std::vector<std::vector<SpellingWord>> latin_;  // by length
};

}  // namespace longtail::index
