// Synonyms: rules a search team writes, stored with the index and applied at query time
// (docs/ranking.md, "Synonyms"). One rule a line, in the format of Solr, Elasticsearch and
// Typesense synonym files:
//
//   土豆, 马铃薯, 洋芋            equivalent: a query word of any side also finds the others
//   手提电脑 => 笔记本电脑         one-way: the left side also finds the right, not the reverse
//   # a comment                   blank lines and comments are skipped
//
// Each side is analyzed by the index's own analyzer (query mode), so a rule matches the terms
// a query produces. A side of one term triggers its rule; a side of several terms (耐克 跑鞋)
// is found by the others as all of its terms, and does not itself trigger (no phrase matching).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analyzers/analyzer.h"

namespace longtail::index {

// The rules file inside a generation (copied from `--synonyms FILE` as given).
inline constexpr const char* kSynonymsFile = "synonyms.txt";
// Brand aliases across scripts learned by the build (IntegrityModel::brand_alias_groups), in the
// same format ("nike, 耐克"): applied after the team's rules.
inline constexpr const char* kBrandAliasesFile = "brand-aliases.txt";

struct SynonymRule {
  std::string file;         // the source it came from ("synonyms.txt", "brand-aliases.txt")
  size_t line = 0;          // 1-based line in the file
  std::string text;         // the line as written (trimmed)
  bool one_way = false;
  // Sides as terms: equivalent rules have every side in `from`; one-way ones the left sides in
  // `from` and the right ones in `to`.
  std::vector<std::vector<std::string>> from, to;
};

// One thing a query term can also be found by: all of `terms` (one term, or several together),
// by rule `rule` (an index into SynonymSet::rules).
struct SynonymAlternative {
  std::vector<std::string> terms;
  size_t rule = 0;
};

struct SynonymSet {
  std::vector<SynonymRule> rules;
  // Query term -> what else finds it, in rule order, without repeats.
  std::unordered_map<std::string, std::vector<SynonymAlternative>> expansions;
  bool empty() const { return rules.empty(); }
  // "synonyms.txt:3: 土豆, 马铃薯, 洋芋"
  std::string describe(size_t rule) const;
};

// Parses a rules file. Throws UsageError "SOURCE:LINE: reason" for a bad line: a rule with one
// side, an empty side, a side that analyzes to no term (only punctuation or stop words), more
// than one "=>", a one-way rule whose left side has several terms, a side of more than
// kMaxSideTerms terms, more than kMaxRules rules, a line longer than kMaxSynonymLineBytes.
SynonymSet parse_synonyms(std::string_view text, const std::string& source, const analysis::Analyzer& analyzer);
inline constexpr size_t kMaxSideTerms = 4;
inline constexpr size_t kMaxRules = 100000;
inline constexpr size_t kMaxSynonymLineBytes = 4096;

// Adds `more`'s rules after `into`'s (rule ids shift; an alternative already there is kept once).
void merge_synonyms(SynonymSet& into, SynonymSet&& more);

// The text of FILE (UsageError naming it if it cannot be read).
std::string read_synonyms_text(const std::string& path);

}  // namespace longtail::index
