// category_misrepresentation and hotword_stuffing: what the title's words say about its category
// (docs/integrity.md, "category_misrepresentation", "hotword_stuffing"); one pass over the words
// gives both.
#include "index/integrity_model.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace longtail::index {

void IntegrityModel::Impl::detect_category_words(TitleContext& x, TitleVerdict& v) const {
  const SkuRecord& r = x.r;
  const LeafStats* ls = x.ls;
  const auto& toks = x.toks;
  const uint32_t listed_top = ls && !r.category.empty() ? ls->top : UINT32_MAX;
  // The listed top category's statistics are the evidence: a small one gives no verdicts.
  const bool category_stats = listed_top != UINT32_MAX && double(tops[listed_top].items) >= t.category_min_items;
  // The listing's own words depend on its category and brand only: kept per thread (a few
  // thousand pairs, for this model; listings of one category and brand come together).
  thread_local uint64_t own_model = 0;
  thread_local std::unordered_map<std::string, OwnWords> own_cache;
  if (own_model != instance_id || own_cache.size() > 4096) {
    own_cache.clear();
    own_model = instance_id;
  }
  auto [own_it, fresh] = own_cache.try_emplace(r.category + '\x1f' + r.brand);
  OwnWords& own = own_it->second;
  if (fresh) {
    for (size_t p = 0; p < r.category.size();) {
      size_t e = std::min(r.category.find('/', p), r.category.size());
      const std::string level = r.category.substr(p, e - p);
      p = e + 1;
      if (level.empty()) continue;
      own.phrases.push_back(canonical(an(), level));
      for (const auto& tk : an().analyze(level, analysis::Mode::Query)) own.words.insert(tk.text);
    }
    for (const auto& alias : x.own_aliases) {
      own.phrases.push_back(alias);
      for (const auto& tk : an().analyze(alias, analysis::Mode::Query)) own.words.insert(tk.text);
    }
  }
  // A word written together with one of the listing's own words (蓝牙 in 蓝牙耳机 under 耳机)
  // modifies the listing's product.
  auto glued_to_own = [&](uint32_t i) {
    for (uint32_t j = 0; j < toks.size(); ++j)
      if (j != i && (toks[j].end == toks[i].start || toks[j].start == toks[i].end) && own.contains(toks[j].text))
        return true;
    return false;
  };
  // A word inside a longer word of the title (蓝牙 in 蓝牙耳机) modifies that word: the longer
  // word is judged instead.
  auto inside_longer = [&](uint32_t i) {
    for (uint32_t j = 0; j < toks.size(); ++j)
      if (j != i && toks[j].kind == TokenKind::Word && toks[j].start <= toks[i].start && toks[j].end >= toks[i].end &&
          toks[j].end - toks[j].start > toks[i].end - toks[i].start)
        return true;
    return false;
  };
  std::vector<double> evidence(tops.size(), 0.0);
  double total_evidence = 0;
  int evidence_terms = 0;
  std::vector<uint32_t> offcat;  // token indices
  std::unordered_map<std::string_view, std::vector<uint32_t>> occurrences;
  std::unordered_set<uint64_t> seen;
  std::vector<double> top_counts;
  for (uint32_t i = 0; i < toks.size(); ++i) {
    const Token& tk = toks[i];
    if (!stat_kind(tk.kind)) continue;
    if (tk.kind == TokenKind::Word && utf8_chars(tk.text) >= 2) occurrences[tk.text].push_back(i);
    uint64_t h = term_hash(tk.text);
    if (!seen.insert(h).second) continue;
    double n = df.get(h);
    if (n < t.term_min_items || tops.empty()) continue;
    if (promo_words().count(tk.text) || utf8_chars(tk.text) < 2) continue;
    bool in_brand = false;
    for (const auto& m : x.others) in_brand |= tk.start >= m.start && tk.end <= m.end;
    double idf = std::log(double(items) / n);
    // P(c | t) under a uniform prior over categories: n(t,c)/N_c normalized over c, so large
    // categories do not attract every title.
    // The term's item count per top category, looked up once (the table is large: each
    // look-up is a cache miss, and every frequent title word needs all of them).
    top_counts.resize(tops.size());
    if (const uint32_t* row = top_counts_of(h))
      for (uint32_t top = 0; top < tops.size(); ++top) top_counts[top] = row[top];
    else
      for (uint32_t top = 0; top < tops.size(); ++top) top_counts[top] = pairs.get(top_key(h, top));
    double norm = 0, home = 0, focus = 0;
    for (uint32_t top = 0; top < tops.size(); ++top) {
      double f = tops[top].items ? top_counts[top] / double(tops[top].items) : 0;
      norm += f;
      focus = std::max(focus, f);
      home = std::max(home, top_counts[top] / n);
    }
    // Only words that point somewhere are evidence: words spread over many categories (官方,
    // 升级款, 便携) would otherwise dilute a title's shares towards every category.
    if (norm > 0 && focus / norm >= t.miscat_min_focus) {
      for (uint32_t top = 0; top < tops.size(); ++top) {
        double f = tops[top].items ? top_counts[top] / double(tops[top].items) : 0;
        evidence[top] += idf * f / norm;
        total_evidence += idf * f / norm;
      }
      ++evidence_terms;
    }
    // Unrelated: a word at home in another top category (a product word there), rare in the
    // listed one. Generic words spread over many categories (百搭, 新款) are never unrelated.
    if (category_stats && !in_brand && top_counts[listed_top] / n < t.offcat_max_affinity &&
        home >= t.offcat_min_home && !own.contains(tk.text) && !inside_longer(i) && !glued_to_own(i))
      offcat.push_back(i);
  }
  bool miscat = false;
  if (category_stats && total_evidence > 0 && evidence_terms >= 2) {
    uint32_t best = 0;
    for (uint32_t top = 1; top < tops.size(); ++top)
      if (evidence[top] > evidence[best]) best = top;
    double best_share = evidence[best] / total_evidence, listed_share = evidence[listed_top] / total_evidence;
    if (best != listed_top && double(tops[best].items) >= t.category_min_items && best_share >= t.miscat_min_elsewhere &&
        listed_share <= t.miscat_max_listed) {
      miscat = true;
      IntegrityReason reason;
      reason.name = "category_misrepresentation";
      reason.score = best_share;
      reason.penalty = 1 - (1 - t.miscat_penalty) * std::clamp((best_share - listed_share), 0.0, 1.0);
      reason.explanation = "title words point to " + tops[best].name + " (" + fmt(100 * best_share, "%.0f") +
                           "% of the evidence), listed under " + r.category + " (" + fmt(100 * listed_share, "%.0f") + "%)";
      v.reasons.push_back(std::move(reason));
    }
  }
  double repeats = 0;
  std::string repeated_words;
  for (const auto& [w, occ] : occurrences) {
    // A compatibility title lists the models it fits ("适用 小米9 小米10 小米11"): names of
    // brands repeat there honestly.
    if (x.compat_title && aliases.count(canonical(an(), w))) continue;
    // A later occurrence counts when it stands alone (the first may end a compound).
    // An occurrence followed by a model code or name (小米6X, 小米note3, oppo reno) lists
    // models, as a case or a charger names every phone it fits.
    auto lists_model = [&](uint32_t i) {
      for (uint32_t j = i + 1; j < toks.size(); ++j) {
        if (toks[j].start < toks[i].end) continue;  // overlapping sub-words
        std::string_view gap = std::string_view(r.title).substr(toks[i].end, toks[j].start - toks[i].end);
        if (gap.size() > 1) return false;
        const std::string& x = toks[j].text;
        return std::any_of(x.begin(), x.end(), [](char ch) { return is_digit(ch); }) || is_latin(x);
      }
      return false;
    };
    size_t counted = 0;
    for (size_t k = 1; k < occ.size(); ++k)
      if (standalone(r.title, toks[occ[k]]) && !lists_model(occ[k])) ++counted;
    // A word said twice is common in honest titles that end with the variant's name ("… 小米Air
    // 13.3 英寸 保护套 烟棕色 小米Air 13.3"): it counts beside unrelated words, or from its third
    // occurrence on ("先科 先科 先科 …").
    if (counted == 0 || (offcat.empty() && counted < 2)) continue;
    for (size_t k = 1; k < occ.size(); ++k)
      if (standalone(r.title, toks[occ[k]]) && !lists_model(occ[k])) v.repeated.emplace_back(toks[occ[k]].start, toks[occ[k]].end);
    repeats += double(counted);
    if (!repeated_words.empty()) repeated_words += ", ";
    repeated_words += std::string(w) + " x" + std::to_string(counted + 1);
  }
  if (!miscat) {
    double score = double(offcat.size()) + 0.5 * repeats;
    if (score >= t.hotword_min_score) {
      IntegrityReason reason;
      reason.name = "hotword_stuffing";
      reason.score = score;
      reason.penalty = 1 - (1 - t.hotword_penalty) * std::min(1.0, score / (2 * t.hotword_min_score));
      std::string words;
      for (uint32_t i : offcat) {
        if (!words.empty()) words += ", ";
        words += toks[i].text;
        v.stuffed.emplace_back(toks[i].start, toks[i].end);
      }
      reason.explanation.clear();
      if (!offcat.empty())
        reason.explanation = "words unrelated to " + (listed_top < tops.size() ? tops[listed_top].name : r.category) +
                             ": " + words;
      if (repeats > 0)
        reason.explanation += (reason.explanation.empty() ? "" : "; ") + std::string("repeated: ") + repeated_words;
      v.reasons.push_back(std::move(reason));
    }
  }
  if (v.reasons.empty() || v.reasons.back().name != "hotword_stuffing") v.repeated.clear();

}

}  // namespace longtail::index
