#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "analyzers/lexicon_data.h"
#include "analyzers/lexicon_learner.h"
#include "analyzers/normalizer.h"
#include "common/utf8.h"

namespace longtail::analysis {

namespace {

// An n-gram of 1..6 Han characters (each < 2^18) packed in two words:
//   a = len << 61 | c0 << 36 | c1 << 18 | c2,  b = c3 << 36 | c4 << 18 | c5.
struct Key {
  uint64_t a = 0, b = 0;
  bool operator==(const Key& o) const { return a == o.a && b == o.b; }
};
constexpr size_t kMaxGram = 6;
constexpr char32_t kMaxChar = 0x40000;

Key make_key(const char32_t* c, size_t n) {
  Key k;
  k.a = static_cast<uint64_t>(n) << 61;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t v = c[i];
    if (i < 3) k.a |= v << (36 - 18 * i);
    else k.b |= v << (36 - 18 * (i - 3));
  }
  return k;
}

size_t key_len(const Key& k) { return static_cast<size_t>(k.a >> 61); }

char32_t key_char(const Key& k, size_t i) {
  const uint64_t w = i < 3 ? k.a : k.b;
  const size_t sh = 36 - 18 * (i % 3);
  return static_cast<char32_t>((w >> sh) & 0x3FFFF);
}

Key sub_key(const Key& k, size_t from, size_t n) {
  char32_t c[kMaxGram];
  for (size_t i = 0; i < n; ++i) c[i] = key_char(k, from + i);
  return make_key(c, n);
}

uint64_t key_hash(const Key& k) { return Lexicon::Data::mix(k.a ^ Lexicon::Data::mix(k.b + 0x9E3779B97F4A7C15ull)); }

struct KeyHash {
  size_t operator()(const Key& k) const { return static_cast<size_t>(key_hash(k)); }
};

struct Slot {
  Key key;             // key.a == 0: empty
  uint32_t count = 0;  // occurrences
  uint32_t lb = 0;     // occurrences at the start of a Han run (left boundary)
  uint32_t rb = 0;     // occurrences at the end of a Han run
};

std::string key_text(const Key& k) {
  std::string s;
  for (size_t i = 0; i < key_len(k); ++i) utf8::append(key_char(k, i), s);
  return s;
}


void trim(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
}

// Splits on any of the (UTF-8) separators.
std::vector<std::string> split_any(std::string_view s, std::initializer_list<std::string_view> seps) {
  std::vector<std::string> out;
  size_t start = 0, i = 0;
  while (i < s.size()) {
    size_t len = 0;
    for (auto sep : seps) {
      if (s.compare(i, sep.size(), sep) == 0) {
        len = sep.size();
        break;
      }
    }
    if (len == 0) {
      ++i;
      continue;
    }
    std::string_view part = s.substr(start, i - start);
    trim(part);
    if (!part.empty()) out.emplace_back(part);
    i += len;
    start = i;
  }
  std::string_view part = s.substr(start);
  trim(part);
  if (!part.empty()) out.emplace_back(part);
  return out;
}

}  // namespace

struct LexiconLearner::Impl {
  const Analyzer* base = nullptr;
  Options opt;
  std::vector<Slot> table;
  size_t used = 0;
  uint32_t pruned_upto = 0;
  uint64_t han_chars = 0;  // unigram total (exact, kept beside the table)
  size_t seen = 0, counted = 0;
  detail::NormalizedText nt;

  // Catalog words (normalized) -> (count, tag rank: brand 3, cat 2, attr 1).
  std::unordered_map<std::string, std::pair<uint32_t, int>> catalog;
  size_t catalog_cap = 0;  // prune when catalog grows past this (starts at max_catalog_words)
  // Domain adaptation: how often each base word is a piece of the titles' segmentation path.
  std::unordered_map<std::string, uint32_t> path_counts;
  uint64_t path_pieces = 0;
  std::vector<std::vector<std::string>> groups;
  std::unordered_set<std::string> group_keys;

  Slot* find(const Key& k) {
    const size_t mask = table.size() - 1;
    for (size_t i = key_hash(k) & mask;; i = (i + 1) & mask) {
      Slot& s = table[i];
      if (s.key.a == 0) return nullptr;
      if (s.key == k) return &s;
    }
  }
  const Slot* find(const Key& k) const { return const_cast<Impl*>(this)->find(k); }

  Slot& upsert(const Key& k) {
    const size_t mask = table.size() - 1;
    for (size_t i = key_hash(k) & mask;; i = (i + 1) & mask) {
      Slot& s = table[i];
      if (s.key == k) return s;
      if (s.key.a == 0) {
        s.key = k;
        ++used;
        return s;
      }
    }
  }

  // Drops the rarest n-grams until the table is at most half full (counts <= threshold go).
  void prune() {
    while (used * 2 > table.size()) {
      ++pruned_upto;
      std::vector<Slot> keep;
      keep.reserve(used);
      for (const Slot& s : table)
        if (s.key.a != 0 && s.count > pruned_upto) keep.push_back(s);
      std::fill(table.begin(), table.end(), Slot{});
      used = 0;
      for (const Slot& s : keep) upsert(s.key) = s;
    }
  }

  void count_run(const char32_t* c, size_t n) {
    han_chars += n;
    for (size_t i = 0; i < n; ++i) {
      const size_t maxn = std::min(opt.max_word_chars + 1, n - i);
      for (size_t len = 1; len <= maxn; ++len) {
        Slot& s = upsert(make_key(c + i, len));
        ++s.count;
        if (i == 0) ++s.lb;
        if (i + len == n) ++s.rb;
        if (used * 10 > table.size() * 7) prune();  // keep probing short: load <= 0.7
      }
    }
  }

  void add_catalog(std::string_view raw, int rank) {
    std::string w = base->normalize(raw);
    std::string_view v(w);
    trim(v);
    // Long values (descriptions stuffed into attributes) would become monolithic words.
    const size_t max_chars = rank == 3 ? opt.max_brand_chars : opt.max_catalog_word_chars;
    if (v.empty() || utf8::count(v) > max_chars) return;
    auto& e = catalog[std::string(v)];
    ++e.first;
    e.second = std::max(e.second, rank);
    if (catalog.size() > catalog_cap) prune_catalog();
  }

  // Bounded memory: drop the rarest attribute values and category names (never brands) until
  // the map is back to 3/4 of its cap. If brands alone fill it, the cap grows (brands are few
  // compared with attribute values in any real catalog).
  void prune_catalog() {
    for (uint32_t t = 1; catalog.size() * 4 > opt.max_catalog_words * 3; ++t) {
      size_t others = 0;
      for (auto it = catalog.begin(); it != catalog.end();) {
        const bool other = it->second.second < 3;
        others += other;
        it = (other && it->second.first <= t) ? catalog.erase(it) : std::next(it);
      }
      if (others == 0) break;
    }
    catalog_cap = std::max(opt.max_catalog_words, catalog.size() * 4 / 3);
  }

  // A frequency (jieba units) that makes the segmenter keep `word` whole against its own
  // split, and at least proportional to how often it occurs in the titles counted.
  uint32_t winning_freq(const std::string& word, uint64_t occurrences) const {
    const Lexicon& lex = base->lexicon();
    const double log_total = std::log(static_cast<double>(std::max<uint64_t>(lex.total_frequency(), 2)));
    double log_split = 0;
    for (const auto& t : detail::analyze_with(lex, word, Mode::Plain, false)) {
      const uint32_t f = lex.frequency(t.text);
      log_split += std::log(static_cast<double>(f > 0 ? f : 1)) - log_total;
    }
    // p(word) must beat the product of its pieces' probabilities; double it for margin.
    const double needed = std::exp(log_split + log_total) * 2.0 + 1.0;
    double scaled = 0;
    if (han_chars > 0) scaled = static_cast<double>(occurrences) * std::exp(log_total) / static_cast<double>(han_chars);
    const double f = std::max({needed, scaled, 1.0});
    return f >= 4.0e9 ? 4000000000u : static_cast<uint32_t>(f);
  }

  // An n-gram of 2..max_chars characters seen at least min_count times, with the counts of its
  // neighbours (for boundary entropy) and, when crossing is set, of the occurrences a base word
  // of two or more characters crosses its left / right edge.
  struct Acc {
    Key key;
    uint32_t count, lb, rb;
    double rs = 0, rx = 0, ls = 0, lx = 0;  // neighbour count sums and sum of c*ln(c)
    double lcross = 0, rcross = 0;  // occurrences a base word crosses the left / right edge of
  };
  std::vector<Acc> candidates(uint32_t min_count, size_t max_chars, bool crossing) const {
    const Lexicon& lex = base->lexicon();
    std::vector<Acc> cands;
    std::unordered_map<Key, size_t, KeyHash> index;
    for (const Slot& s : table) {
      const size_t n = key_len(s.key);
      if (s.key.a == 0 || n < 2 || n > max_chars || s.count < min_count) continue;
      index.emplace(s.key, cands.size());
      cands.push_back(Acc{s.key, s.count, s.lb, s.rb});
    }
    for (const Slot& s : table) {
      const size_t n = key_len(s.key);
      if (s.key.a == 0 || n < 3) continue;
      const double c = s.count;
      // A lexicon word of two or more characters made of the neighbour and part of the candidate
      // (风衣 in 风|衣外套, 女装 in 牛仔裤女|装): the candidate crosses a word boundary there.
      auto is_base_word = [&](size_t from, size_t len) {
        return lex.frequency(key_text(sub_key(s.key, from, len))) > 0;
      };
      // s = x + w: a prefix of s of 2..n-1 characters (x and a head of w) is a word.
      auto left_crossed = [&] {
        for (size_t k = 2; k < n; ++k)
          if (is_base_word(0, k)) return true;
        return false;
      };
      // s = w + y: a suffix of s of 2..n-1 characters (a tail of w and y) is a word.
      auto right_crossed = [&] {
        for (size_t k = 1; k + 2 <= n; ++k)
          if (is_base_word(k, n - k)) return true;
        return false;
      };
      if (auto it = index.find(sub_key(s.key, 0, n - 1)); it != index.end()) {
        cands[it->second].rs += c;
        cands[it->second].rx += c * std::log(c);
        if (crossing && right_crossed()) cands[it->second].rcross += c;
      }
      if (auto it = index.find(sub_key(s.key, 1, n - 1)); it != index.end()) {
        cands[it->second].ls += c;
        cands[it->second].lx += c * std::log(c);
        if (crossing && left_crossed()) cands[it->second].lcross += c;
      }
    }
    return cands;
  }

  // Boundary entropy (nats) from neighbour counts; each run-boundary occurrence counts as a
  // distinct neighbour.
  static double entropy(double sum, double x, uint32_t boundary) {
    const double total = sum + boundary;
    return total > 0 ? std::log(total) - x / total : 0.0;
  }

  // PMI of the weakest split w = a|b; stops early below floor; -1e9 when a part was pruned.
  double weakest_pmi(const Acc& a, double floor) const {
    const double n_chars = static_cast<double>(std::max<uint64_t>(han_chars, 1));
    const size_t n = key_len(a.key);
    double pmi = 1e9;
    for (size_t k = 1; k < n && pmi >= floor; ++k) {
      const Slot* l = find(sub_key(a.key, 0, k));
      const Slot* r = find(sub_key(a.key, k, n - k));
      if (!l || !r) return -1e9;  // a part was pruned: too little evidence
      pmi = std::min(pmi, std::log(a.count * n_chars / (static_cast<double>(l->count) * r->count)));
    }
    return pmi;
  }

  uint64_t title_count(const std::string& word) const {
    char32_t c[kMaxGram];
    size_t n = 0;
    size_t i = 0;
    while (i < word.size()) {
      const char32_t cp = utf8::next(word, i);
      if (n == kMaxGram || cp >= kMaxChar) return 0;
      c[n++] = cp;
    }
    if (n == 0) return 0;
    const Slot* s = find(make_key(c, n));
    return s ? s->count : 0;
  }
};

LexiconLearner::LexiconLearner(const Analyzer& base) : LexiconLearner(base, Options{}) {}

LexiconLearner::LexiconLearner(const Analyzer& base, Options options) : impl_(std::make_unique<Impl>()) {
  if (options.max_word_chars < 2 || options.max_word_chars + 1 > kMaxGram)
    throw std::invalid_argument("LexiconLearner: max_word_chars must be 2..5");
  if (options.max_join_chars < 2 || options.max_join_chars > 3)
    throw std::invalid_argument("LexiconLearner: max_join_chars must be 2..3 (plain mode joins runs of up to three)");
  if (options.table_bits < 10 || options.table_bits > 30)
    throw std::invalid_argument("LexiconLearner: table_bits must be 10..30");
  impl_->base = &base;
  impl_->opt = options;
  impl_->catalog_cap = options.max_catalog_words;
  impl_->table.assign(size_t{1} << options.table_bits, Slot{});
}

LexiconLearner::~LexiconLearner() = default;
LexiconLearner::LexiconLearner(LexiconLearner&&) noexcept = default;
LexiconLearner& LexiconLearner::operator=(LexiconLearner&&) noexcept = default;

std::vector<std::string> LexiconLearner::split_brand(std::string_view brand) {
  return split_any(brand, {"/", "／", "|", "(", ")", "（", "）", "【", "】"});
}

void LexiconLearner::add_brand(std::string_view brand) {
  std::vector<std::string> group;
  for (const auto& alias : split_brand(brand)) {
    std::string w = impl_->base->normalize(alias);
    std::string_view v(w);
    trim(v);
    if (v.empty() || std::find(group.begin(), group.end(), v) != group.end()) continue;
    group.emplace_back(v);
    impl_->add_catalog(v, 3);
  }
  if (group.empty()) return;
  // One group per set of aliases, whatever their order ("CHANDO/自然堂" = "自然堂(CHANDO)").
  std::vector<std::string> sorted = group;
  std::sort(sorted.begin(), sorted.end());
  std::string key;
  for (const auto& g : sorted) key += g + '\x1f';
  if (impl_->group_keys.insert(key).second) impl_->groups.push_back(std::move(group));
}

void LexiconLearner::add_attribute_value(std::string_view value) {
  for (const auto& v : split_any(value, {"/", ",", "，", ";", "；", "|", "、"})) impl_->add_catalog(v, 1);
}

void LexiconLearner::add_category(std::string_view name) {
  for (const auto& v : split_any(name, {"/", ">", "＞", "|", ",", "，"})) impl_->add_catalog(v, 2);
}

void LexiconLearner::add_title(std::string_view title) {
  ++impl_->seen;
  if (impl_->counted >= impl_->opt.max_titles) return;
  ++impl_->counted;
  const auto& norm = detail::Normalizer::instance();
  if (impl_->opt.adapt_weight > 0) {
    const Lexicon& lex = impl_->base->lexicon();
    for (const auto& tok : detail::analyze_with(lex, title, Mode::Plain, false)) {
      const std::string w = norm.normalize(tok.text);
      if (w.empty() || static_cast<unsigned char>(w[0]) < 0x80) continue;  // Latin, digits
      ++impl_->path_pieces;
      // Words of two or more characters: a single-character piece is as often the residue of
      // a word the lexicon lacks (水|靴, 鼻|膜) as a word, and counting it would favour splits.
      if (utf8::count(w) >= 2 && lex.frequency(w) > 0) ++impl_->path_counts[w];
    }
  }
  norm.normalize(title, impl_->nt);
  const auto& t = impl_->nt;
  size_t i = 0;
  while (i < t.cps.size()) {
    if (t.cls[i] != detail::CharClass::Han || t.cps[i] >= kMaxChar) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < t.cps.size() && t.cls[j] == detail::CharClass::Han && t.cps[j] < kMaxChar) ++j;
    impl_->count_run(t.cps.data() + i, j - i);
    i = j;
  }
}

std::vector<LexiconLearner::Discovered> LexiconLearner::discover() const {
  const Impl& m = *impl_;
  const Lexicon& lex = m.base->lexicon();
  std::vector<Impl::Acc> cands = m.candidates(m.opt.min_count, m.opt.max_word_chars, m.opt.max_crossed < 1.0);
  std::vector<Discovered> passed;
  for (const Impl::Acc& a : cands) {
    const double hl = Impl::entropy(a.ls, a.lx, a.lb);
    const double hr = Impl::entropy(a.rs, a.rx, a.rb);
    if (hl < m.opt.min_entropy || hr < m.opt.min_entropy) continue;
    if (std::max(a.lcross, a.rcross) >= m.opt.max_crossed * a.count) continue;
    const double pmi = m.weakest_pmi(a, m.opt.min_pmi);
    if (pmi < m.opt.min_pmi) continue;
    std::string word = key_text(a.key);
    if (lex.frequency(word) > 0) continue;
    // Skip compounds of known words of two or more characters (女装连衣裙): the segmenter
    // already covers them; keep candidates whose base segmentation leaves single characters.
    bool has_single = false;
    for (const auto& t : detail::analyze_with(lex, word, Mode::Plain, false)) has_single |= utf8::count(t.text) == 1;
    if (!has_single) continue;
    passed.push_back(Discovered{std::move(word), a.count, pmi, hl, hr});
  }
  // Shortest first; drop candidates that are sequences of known or already accepted words of
  // two or more characters (新款+咔咔鱼, 全包+防摔): keep the parts, not their glue.
  std::sort(passed.begin(), passed.end(), [](const Discovered& x, const Discovered& y) {
    return x.word.size() != y.word.size() ? x.word.size() < y.word.size() : x.word < y.word;
  });
  std::unordered_set<std::string> accepted;
  std::vector<Discovered> out;
  for (auto& d : passed) {
    std::vector<size_t> cuts;  // byte offsets of code-point boundaries
    for (size_t i = 0; i <= d.word.size(); ++i)
      if (i == d.word.size() || (static_cast<unsigned char>(d.word[i]) & 0xC0) != 0x80) cuts.push_back(i);
    const size_t n = cuts.size() - 1;
    std::vector<bool> can(n + 1, false);
    can[0] = true;
    for (size_t i = 2; i <= n; ++i) {
      for (size_t j = 0; j + 2 <= i && !can[i]; ++j) {
        if (!can[j] || (j == 0 && i == n)) continue;
        const std::string part = d.word.substr(cuts[j], cuts[i] - cuts[j]);
        can[i] = accepted.count(part) > 0 || lex.frequency(part) > 0;
      }
    }
    if (can[n]) continue;
    accepted.insert(d.word);
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const Discovered& x, const Discovered& y) {
    return x.count != y.count ? x.count > y.count : x.word < y.word;
  });
  if (out.size() > m.opt.max_new_words) out.resize(m.opt.max_new_words);
  return out;
}

std::vector<LexiconLearner::Discovered> LexiconLearner::joins() const {
  const Impl& m = *impl_;
  std::vector<Discovered> out;
  if (m.opt.max_join_words == 0) return out;
  const Lexicon& lex = m.base->lexicon();
  for (const Impl::Acc& a : m.candidates(m.opt.join_min_count, m.opt.max_join_chars, m.opt.join_max_crossed < 1.0)) {
    const double hl = Impl::entropy(a.ls, a.lx, a.lb);
    const double hr = Impl::entropy(a.rs, a.rx, a.rb);
    if (hl < m.opt.join_min_entropy || hr < m.opt.join_min_entropy) continue;
    if (std::max(a.lcross, a.rcross) >= m.opt.join_max_crossed * a.count) continue;  // glue: 控器 of 遥控|器
    const double pmi = m.weakest_pmi(a, m.opt.join_min_pmi);
    if (pmi < m.opt.join_min_pmi) continue;
    std::string word = key_text(a.key);
    if (lex.frequency(word) > 0) continue;
    out.push_back(Discovered{std::move(word), a.count, pmi, hl, hr});
  }
  std::sort(out.begin(), out.end(), [](const Discovered& x, const Discovered& y) {
    return x.count != y.count ? x.count > y.count : x.word < y.word;
  });
  if (out.size() > m.opt.max_join_words) out.resize(m.opt.max_join_words);
  return out;
}

std::vector<Lexicon::Entry> LexiconLearner::entries() const {
  const Impl& m = *impl_;
  const Lexicon& lex = m.base->lexicon();
  std::vector<Lexicon::Entry> out;
  std::unordered_set<std::string> done;
  static constexpr const char* kTags[] = {"learned", "attr", "cat", "brand"};
  std::vector<std::pair<std::string, std::pair<uint32_t, int>>> cat(m.catalog.begin(), m.catalog.end());
  std::sort(cat.begin(), cat.end());
  for (const auto& [word, info] : cat) {
    if (lex.frequency(word) > 0 || utf8::count(word) < 2 || word.find(' ') != std::string::npos) continue;
    const uint64_t occurrences = std::max<uint64_t>(m.title_count(word), info.first);
    out.push_back(Lexicon::Entry{word, m.winning_freq(word, occurrences), kTags[info.second]});
    done.insert(word);
  }
  for (auto& d : discover()) {
    if (!done.insert(d.word).second) continue;
    const uint32_t f = m.winning_freq(d.word, d.count);
    out.push_back(Lexicon::Entry{std::move(d.word), f, "learned"});
  }
  // Join entries (frequency 0: they are not words and leave the DAG's probabilities alone).
  for (auto& j : joins()) {
    if (done.count(j.word)) continue;
    out.push_back(Lexicon::Entry{std::move(j.word), 0, Lexicon::Data::kJoinTag});
  }
  // Base words the titles use often get the frequency of a mixture of the base distribution
  // and the titles' (盒子, 饼干, 童鞋 gain on 首饰盒|子, 曲奇饼|干, 女童|鞋); their tags stay.
  if (m.opt.adapt_weight > 0 && m.path_pieces > 0) {
    std::vector<std::pair<std::string, uint32_t>> used(m.path_counts.begin(), m.path_counts.end());
    std::sort(used.begin(), used.end());
    const double scale = m.opt.adapt_weight * static_cast<double>(lex.total_frequency()) / static_cast<double>(m.path_pieces);
    for (const auto& [word, c] : used) {
      if (c < m.opt.min_count) continue;
      const double f = static_cast<double>(lex.frequency(word)) + scale * c;
      out.push_back(Lexicon::Entry{word, f >= 4.0e9 ? 4000000000u : static_cast<uint32_t>(f), lex.tag(word)});
    }
  }
  return out;
}

std::vector<std::vector<std::string>> LexiconLearner::brand_groups() const { return impl_->groups; }
size_t LexiconLearner::titles_seen() const { return impl_->seen; }
size_t LexiconLearner::titles_used() const { return impl_->counted; }
uint32_t LexiconLearner::prune_threshold() const { return impl_->pruned_upto; }

}  // namespace longtail::analysis
