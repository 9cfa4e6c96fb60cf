#include "index/spelling.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "index/index_dir.h"
#include "longtail/longtail.h"

namespace longtail::index {

namespace {

bool latin_word(std::string_view t) {
  if (t.size() < kMinTypoLetters) return false;
  for (char c : t)
    if (c < 'a' || c > 'z') return false;
  return true;
}

// Han terms of at most this many characters get readings (longer ones are never typed whole).
constexpr size_t kMaxReadingChars = 8;

}  // namespace

int edit_distance(std::string_view a, std::string_view b, int limit) {
  const size_t n = a.size(), m = b.size();
  if (size_t(std::abs(int(n) - int(m))) > size_t(limit)) return limit + 1;
  // Three rows of the optimal-string-alignment table.
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = int(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = int(i);
    int row_min = cur[0];
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, prev2[j - 2] + 1);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[m], limit + 1);
}

SpellingCounts write_spelling(Xapian::Database& db, const analysis::Pinyin* pinyin, const std::string& path) {
  SpellingCounts c;
  std::string out = "# longtail spelling vocabulary 1: P/I<TAB>KEY<TAB>WORD<TAB>DF, L<TAB>WORD<TAB>DF (index/spelling.h)\n";
  // Latin words: unprefixed terms starting a-z (prefixes are upper case).
  {
    auto it = db.allterms_begin();
    it.skip_to("a");
    for (; it != db.allterms_end(); ++it) {
      const std::string t = *it;
      if (static_cast<unsigned char>(t[0]) > 'z') break;
      if (!latin_word(t)) continue;
      out += "L\t" + t + "\t" + std::to_string(it.get_termfreq()) + "\n";
      ++c.latin;
    }
  }
  if (pinyin) {
    // Han words: UTF-8 lead bytes E3 (U+3400, extension A) to E9 (up to U+9FFF).
    auto it = db.allterms_begin();
    it.skip_to("\xE3\x90\x80");
    for (; it != db.allterms_end(); ++it) {
      const std::string t = *it;
      if (static_cast<unsigned char>(t[0]) > 0xE9) break;
      if (t.size() > 3 * kMaxReadingChars) continue;
      const auto r = pinyin->reading(t);
      if (r.empty()) continue;
      const std::string df = std::to_string(it.get_termfreq());
      out += "P\t" + analysis::Pinyin::full_key(r) + "\t" + t + "\t" + df + "\n";
      ++c.pinyin;
      if (r.size() >= 3) {
        out += "I\t" + analysis::Pinyin::initials_key(r) + "\t" + t + "\t" + df + "\n";
        ++c.initials;
      }
    }
  }
  c.bytes = out.size();
  write_file_atomic(path, out);
  return c;
}

SpellingCounts write_generation_spelling(const std::string& gen_dir, const std::vector<std::string>& shard_paths) {
  Xapian::Database all;
  for (const auto& s : shard_paths) all.add_database(Xapian::Database(gen_dir + "/" + s));
  const auto pinyin = analysis::Pinyin::load_default();
  return write_spelling(all, pinyin.get(), gen_dir + "/" + kSpellingFile);
}

std::shared_ptr<const SpellingVocabulary> SpellingVocabulary::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot read the spelling vocabulary");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

std::shared_ptr<const SpellingVocabulary> SpellingVocabulary::parse(std::string_view text, const std::string& source) {
  auto v = std::make_shared<SpellingVocabulary>();
  size_t pos = 0, line_no = 0;
  std::vector<std::string_view> f;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    f.clear();
    for (size_t i = 0;;) {
      const size_t j = line.find('\t', i);
      f.push_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
      if (j == std::string_view::npos) break;
      i = j + 1;
    }
    auto bad = [&](const std::string& why) { return DataError(source + ":" + std::to_string(line_no) + ": " + why); };
    auto parse_df = [&](std::string_view s) {
      const std::string d(s);
      char* e = nullptr;
      const unsigned long long x = std::strtoull(d.c_str(), &e, 10);
      if (d.empty() || *e || x > 0xFFFFFFFFull) throw bad("bad document frequency \"" + d + "\"");
      return uint32_t(x);
    };
    if ((f[0] == "P" || f[0] == "I") && f.size() == 4 && !f[1].empty() && !f[2].empty()) {
      (f[0] == "P" ? v->pinyin_ : v->initials_).push_back({std::string(f[1]), {std::string(f[2]), parse_df(f[3])}});
    } else if (f[0] == "L" && f.size() == 3 && !f[1].empty()) {
      const size_t n = f[1].size();
      if (v->latin_.size() <= n) v->latin_.resize(n + 1);
      v->latin_[n].push_back({std::string(f[1]), parse_df(f[2])});
    } else {
      throw bad("expected P|I<TAB>KEY<TAB>WORD<TAB>DF or L<TAB>WORD<TAB>DF");
    }
  }
  for (auto* keyed : {&v->pinyin_, &v->initials_})
    std::sort(keyed->begin(), keyed->end(), [](const Keyed& a, const Keyed& b) {
      return a.key != b.key ? a.key < b.key : a.w.df != b.w.df ? a.w.df > b.w.df : a.w.word < b.w.word;
    });
  return v;
}

std::vector<SpellingWord> SpellingVocabulary::find(const std::vector<Keyed>& v, std::string_view key) {
  auto lo = std::lower_bound(v.begin(), v.end(), key, [](const Keyed& k, std::string_view x) { return k.key < x; });
  std::vector<SpellingWord> out;
  for (; lo != v.end() && lo->key == key; ++lo) out.push_back(lo->w);
  return out;
}

std::vector<SpellingWord> SpellingVocabulary::by_pinyin(std::string_view key) const { return find(pinyin_, key); }
std::vector<SpellingWord> SpellingVocabulary::by_initials(std::string_view key) const { return find(initials_, key); }

std::vector<SpellingWord> SpellingVocabulary::near_latin(std::string_view word) const {
  const int limit = allowed_typo_distance(word.size());
  std::vector<std::pair<int, SpellingWord>> found;
  if (limit == 0) return {};
  const size_t lo = word.size() > size_t(limit) ? word.size() - size_t(limit) : 0;
  for (size_t n = std::max(lo, kMinTypoLetters); n <= word.size() + size_t(limit) && n < latin_.size(); ++n)
    for (const auto& w : latin_[n]) {
      // Same first letter (as Lucene's DirectSpellChecker, minPrefix 1): a first letter is
      // rarely the one mistyped, and short words one edit from another are many.
      if (w.word == word || w.word[0] != word[0]) continue;
      // The edit must be allowed for both words: a 4-letter catalog word is 1 edit from a 5-letter query.
      const int d = edit_distance(word, w.word, std::min(limit, allowed_typo_distance(w.word.size())));
      if (d <= std::min(limit, allowed_typo_distance(w.word.size()))) found.push_back({d, w});
    }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.df != b.second.df ? a.second.df > b.second.df : a.second.word < b.second.word;
  });
  std::vector<SpellingWord> out;
  for (auto& [d, w] : found) out.push_back(std::move(w));
  return out;
}

}  // namespace longtail::index
