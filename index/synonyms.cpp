#include "index/synonyms.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <longtail/longtail.h>

#include "common/utf8.h"
#include "format/document.h"

namespace longtail::index {

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// Splits at ',' and the full-width '，' (a Chinese keyboard's comma).
std::vector<std::string> split_sides(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == ',') {
      out.push_back(trim(cur));
      cur.clear();
      ++i;
    } else if (s.substr(i, 3) == "\xEF\xBC\x8C") {
      out.push_back(trim(cur));
      cur.clear();
      i += 3;
    } else {
      cur += s[i++];
    }
  }
  out.push_back(trim(cur));
  return out;
}

}  // namespace

std::string SynonymSet::describe(size_t rule) const {
  const auto& r = rules.at(rule);
  return r.file + ":" + std::to_string(r.line) + ": " + r.text;
}

SynonymSet parse_synonyms(std::string_view text, const std::string& source, const analysis::Analyzer& analyzer) {
  SynonymSet set;
  size_t line_no = 0;
  size_t at = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") at = 3;  // a byte-order mark
  while (at <= text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view raw = text.substr(at, nl - at);
    at = nl + 1;
    ++line_no;
    auto bad = [&](const std::string& why) { return UsageError(source + ":" + std::to_string(line_no) + ": " + why); };
    if (raw.size() > kMaxSynonymLineBytes) throw bad("longer than " + std::to_string(kMaxSynonymLineBytes) + " bytes");
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') {
      if (nl == text.size()) break;
      continue;
    }
    for (size_t i = 0; i < line.size();) {
      const size_t n = utf8::sequence_length(line, i);
      if (n == 0) throw bad("not UTF-8");
      i += n;
    }
    SynonymRule rule;
    rule.file = source;
    rule.line = line_no;
    rule.text = line;
    const size_t arrow = line.find("=>");
    if (arrow != std::string::npos && line.find("=>", arrow + 2) != std::string::npos) throw bad("more than one \"=>\"");
    rule.one_way = arrow != std::string::npos;
    auto analyze_sides = [&](std::string_view part, const char* where) {
      std::vector<std::vector<std::string>> sides;
      for (const auto& side : split_sides(part)) {
        if (side.empty()) throw bad(std::string("an empty side") + where + " (two commas, or a comma at an end)");
        std::vector<std::string> terms;
        for (auto& t : analyzer.analyze(side, analysis::Mode::Query)) {
          if (t.kind == analysis::TokenKind::Other || t.kind == analysis::TokenKind::Part ||
              t.kind == analysis::TokenKind::SubWord || t.text.empty())
            continue;
          if (std::find(terms.begin(), terms.end(), t.text) == terms.end()) terms.push_back(std::move(t.text));
        }
        if (terms.empty()) throw bad("\"" + side + "\" has no word to match (only punctuation or spaces)");
        if (terms.size() > kMaxSideTerms)
          throw bad("\"" + side + "\" is " + std::to_string(terms.size()) + " terms; a side has at most " +
                    std::to_string(kMaxSideTerms));
        sides.push_back(std::move(terms));
      }
      return sides;
    };
    if (rule.one_way) {
      rule.from = analyze_sides(std::string_view(line).substr(0, arrow), " left of \"=>\"");
      rule.to = analyze_sides(std::string_view(line).substr(arrow + 2), " right of \"=>\"");
      for (size_t i = 0; i < rule.from.size(); ++i)
        if (rule.from[i].size() > 1)
          throw bad("the left side \"" + split_sides(std::string_view(line).substr(0, arrow))[i] +
                    "\" is several terms; a side that triggers a rule must be one term (as the analyzer splits it)");
    } else {
      rule.from = analyze_sides(line, "");
      if (rule.from.size() < 2) throw bad("one side only: write \"a, b\" (equivalent) or \"a => b\" (one-way)");
    }
    if (set.rules.size() >= kMaxRules) throw bad("more than " + std::to_string(kMaxRules) + " rules");
    const size_t id = set.rules.size();
    auto add = [&](const std::string& term, const std::vector<std::string>& alt) {
      if (alt.size() == 1 && alt[0] == term) return;
      auto& list = set.expansions[term];
      for (const auto& a : list)
        if (a.terms == alt) return;
      list.push_back({alt, id});
    };
    if (rule.one_way) {
      for (const auto& f : rule.from)
        for (const auto& t : rule.to) add(f[0], t);
    } else {
      for (const auto& f : rule.from) {
        if (f.size() != 1) continue;  // several terms: found by the others, never a trigger
        for (const auto& t : rule.from) add(f[0], t);
      }
    }
    set.rules.push_back(std::move(rule));
    if (nl == text.size()) break;
  }
  return set;
}

void merge_synonyms(SynonymSet& into, SynonymSet&& more) {
  const size_t offset = into.rules.size();
  for (auto& [term, alts] : more.expansions) {
    auto& list = into.expansions[term];
    for (auto& a : alts) {
      if (std::any_of(list.begin(), list.end(), [&](const SynonymAlternative& b) { return b.terms == a.terms; })) continue;
      a.rule += offset;
      list.push_back(std::move(a));
    }
  }
  for (auto& r : more.rules) into.rules.push_back(std::move(r));
}

std::string read_synonyms_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot read the synonyms file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace longtail::index
