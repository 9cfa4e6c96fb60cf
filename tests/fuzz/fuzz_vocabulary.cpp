// libFuzzer target: the query-vocabulary files on arbitrary text: synonym rules
// (index/synonyms.h parse_synonyms: UsageError naming the source), the spelling vocabulary
// (index/spelling.h: DataError naming the source) and the pinyin table (analyzers/pinyin.h:
// AnalysisError naming the source). What parses is then queried with pieces of the input: a
// crash, a hang or any other exception is a finding.
#include <cstdint>
#include <string>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "analyzers/pinyin.h"
#include "index/spelling.h"
#include "index/synonyms.h"
#include "tests/fuzz/fuzz_util.h"

using namespace longtail;

namespace {
constexpr const char* kSource = "fuzz.txt";
bool names_source(const std::exception& e) { return std::string(e.what()).find(kSource) != std::string::npos; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const analysis::Analyzer analyzer(analysis::Lexicon::load_default());
  const std::string_view text = fuzz::as_text(data, size);
  const std::string probe(text.substr(0, 24));
  try {
    const auto set = index::parse_synonyms(text, kSource, analyzer);
    for (size_t i = 0; i < set.rules.size(); ++i) fuzz::require(!set.describe(i).empty());
  } catch (const UsageError& e) {
    fuzz::require(names_source(e));
  }
  try {
    const auto v = index::SpellingVocabulary::parse(text, kSource);
    for (const auto& w : v->near_latin(probe)) fuzz::require(w.word != probe);
    (void)v->by_pinyin(probe);
    (void)v->by_initials(probe);
  } catch (const DataError& e) {
    fuzz::require(names_source(e));
  }
  try {
    const auto p = analysis::Pinyin::parse(text, kSource);
    for (const auto& s : p->reading(probe)) fuzz::require(p->is_syllable(s));
    (void)p->is_pinyin(probe);
  } catch (const analysis::AnalysisError& e) {
    fuzz::require(names_source(e));
  }
  fuzz::require(index::edit_distance(probe, text.substr(text.size() / 2, 24), 2) <= 3);
  return 0;
}
