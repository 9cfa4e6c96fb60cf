#include "analyzers/pinyin.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>

#include "analyzers/analyzer.h"
#include "common/utf8.h"

namespace longtail::analysis {

namespace {

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

std::shared_ptr<const Pinyin> Pinyin::parse(std::string_view text, const std::string& source) {
  auto p = std::make_shared<Pinyin>();
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const size_t t1 = line.find('\t');
    if (t1 == std::string_view::npos || t1 == 0)
      throw AnalysisError(source + ":" + std::to_string(line_no) + ": expected WORD<TAB>SYLLABLES");
    const size_t t2 = line.find('\t', t1 + 1);
    std::string word(line.substr(0, t1));
    std::string_view syl = line.substr(t1 + 1, t2 == std::string_view::npos ? std::string_view::npos : t2 - t1 - 1);
    double cost = 0;
    if (t2 != std::string_view::npos) {
      const std::string c(line.substr(t2 + 1));
      char* e = nullptr;
      cost = std::strtod(c.c_str(), &e);
      if (c.empty() || *e) throw AnalysisError(source + ":" + std::to_string(line_no) + ": bad cost \"" + c + "\"");
    }
    const auto parts = split_spaces(syl);
    const size_t chars = utf8::count(word);
    if (parts.empty() || parts.size() != chars)
      throw AnalysisError(source + ":" + std::to_string(line_no) + ": " + std::to_string(parts.size()) +
                          " syllables for " + std::to_string(chars) + " characters");
    for (const auto& s : parts) {
      for (char c : s)
        if (c < 'a' || c > 'z')
          throw AnalysisError(source + ":" + std::to_string(line_no) + ": syllable \"" + s + "\" is not lowercase a-z");
      p->syllables_.insert(s);
    }
    p->max_chars_ = std::max(p->max_chars_, chars);
    auto [it, fresh] = p->words_.try_emplace(std::move(word), Reading{std::string(syl), cost});
    if (!fresh && cost < it->second.cost) it->second = Reading{std::string(syl), cost};
  }
  if (p->words_.empty()) throw AnalysisError(source + ": no readings");
  return p;
}

std::shared_ptr<const Pinyin> Pinyin::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AnalysisError(path + ": cannot read the pinyin table");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::shared_ptr<const Pinyin> Pinyin::load_default() {
  static std::mutex mu;
  static std::weak_ptr<const Pinyin> cached;
  static std::string cached_path;
  const char* env = std::getenv("LONGTAIL_PINYIN");
  std::string path = (env && *env) ? env : "";
#ifdef LONGTAIL_PINYIN_TABLE
  if (path.empty()) path = LONGTAIL_PINYIN_TABLE;
#endif
  if (path.empty()) return nullptr;
  std::lock_guard<std::mutex> lock(mu);
  if (auto hit = cached.lock(); hit && cached_path == path) return hit;
  if (!std::ifstream(path).good()) return nullptr;
  auto p = load(path);
  cached = p;
  cached_path = path;
  return p;
}

std::vector<std::string> Pinyin::reading(std::string_view word) const {
  // Character boundaries.
  std::vector<size_t> at;
  for (size_t i = 0; i < word.size(); utf8::next(word, i)) at.push_back(i);
  const size_t n = at.size();
  at.push_back(word.size());
  if (n == 0) return {};
  // Fewest table words covering the word (longest words first on ties, left to right).
  constexpr size_t kNone = std::numeric_limits<size_t>::max();
  std::vector<size_t> best(n + 1, kNone), from(n + 1, 0);
  best[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    if (best[i] == kNone) continue;
    for (size_t len = std::min(max_chars_, n - i); len >= 1; --len) {
      if (best[i] + 1 >= best[i + len]) continue;
      if (words_.count(std::string(word.substr(at[i], at[i + len] - at[i])))) {
        best[i + len] = best[i] + 1;
        from[i + len] = i;
      }
    }
  }
  if (best[n] == kNone) return {};
  std::vector<std::string> out;
  std::vector<size_t> cuts;
  for (size_t j = n; j > 0; j = from[j]) cuts.push_back(j);
  size_t i = 0;
  for (auto c = cuts.rbegin(); c != cuts.rend(); ++c) {
    const auto& r = words_.at(std::string(word.substr(at[i], at[*c] - at[i])));
    for (auto& s : split_spaces(r.syllables)) out.push_back(std::move(s));
    i = *c;
  }
  return out;
}

std::string Pinyin::full_key(const std::vector<std::string>& syllables) {
  std::string k;
  for (const auto& s : syllables) k += s;
  return k;
}

std::string Pinyin::initials_key(const std::vector<std::string>& syllables) {
  std::string k;
  for (const auto& s : syllables)
    if (!s.empty()) k += s[0];
  return k;
}

bool Pinyin::is_pinyin(std::string_view s) const {
  if (s.empty()) return false;
  // ok[i]: s[0, i) splits into syllables (a syllable has at most 6 letters: zhuang, shuang).
  std::vector<bool> ok(s.size() + 1, false);
  ok[0] = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!ok[i]) continue;
    for (size_t len = 1; len <= 6 && i + len <= s.size(); ++len)
      if (is_syllable(s.substr(i, len))) ok[i + len] = true;
  }
  return ok[s.size()];
}

}  // namespace longtail::analysis
