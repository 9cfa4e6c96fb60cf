#include "index/lexicon_build.h"

#include <algorithm>

namespace longtail::index {

std::vector<std::string> brand_aliases(const std::string& brand) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= brand.size()) {
    size_t end = brand.find_first_of("/|", pos);
    if (end == std::string::npos) end = brand.size();
    std::string a = brand.substr(pos, end - pos);
    while (!a.empty() && a.front() == ' ') a.erase(a.begin());
    while (!a.empty() && a.back() == ' ') a.pop_back();
    if (!a.empty()) out.push_back(std::move(a));
    pos = end + 1;
  }
  return out;
}

void CatalogVocabulary::add(std::unordered_map<std::string, uint64_t>& m, const std::string& w) {
  if (w.empty() || w.size() > 48) return;
  auto it = m.find(w);
  if (it != m.end()) {
    ++it->second;
    return;
  }
  if (m.size() >= kMaxCandidates) {
    // Prune candidates seen once: bounded memory, frequent words survive.
    for (auto i = m.begin(); i != m.end();) i = i->second <= 1 ? m.erase(i) : std::next(i);
    if (m.size() >= kMaxCandidates) return;
  }
  m.emplace(w, 1);
}

void CatalogVocabulary::observe(const SkuRecord& r) {
  if (!r.brand.empty()) {
    add(brand_full_, r.brand);
    for (const auto& a : brand_aliases(r.brand)) add(brands_, a);
  }
  for (const auto& [k, v] : r.attrs) add(attrs_, v);
  for (const auto& level : category_levels(r.category)) {
    size_t slash = level.rfind('/');
    add(categories_, slash == std::string::npos ? level : level.substr(slash + 1));
  }
}

std::vector<std::vector<std::string>> CatalogVocabulary::brand_groups() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& [full, n] : brand_full_) {
    auto aliases = brand_aliases(full);
    if (aliases.size() > 1) out.push_back(std::move(aliases));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::shared_ptr<const analysis::Lexicon> CatalogVocabulary::extend(const analysis::Lexicon& base) const {
  // Normalize with an analyzer over the base lexicon (normalization does not depend on words).
  struct NoDelete {
    void operator()(const analysis::Lexicon*) const {}
  };
  analysis::Analyzer norm(std::shared_ptr<const analysis::Lexicon>(&base, NoDelete{}));
  std::vector<analysis::Lexicon::Entry> extra;
  auto emit = [&](const std::unordered_map<std::string, uint64_t>& m, const char* tag, uint32_t floor) {
    for (const auto& [w, n] : m) {
      std::string nw = norm.normalize(w);
      nw.erase(std::remove(nw.begin(), nw.end(), ' '), nw.end());
      if (nw.empty()) continue;
      uint32_t freq = uint32_t(std::min<uint64_t>(uint64_t(floor) + n, 200000));
      extra.push_back({std::move(nw), freq, tag});
    }
  };
  // Brands are strong words; attribute values and categories moderately so.
  emit(brands_, "brand", 5000);
  emit(attrs_, "attr", 1000);
  emit(categories_, "cat", 2000);
  std::sort(extra.begin(), extra.end(), [](const auto& a, const auto& b) { return a.word < b.word; });
  return analysis::Lexicon::extend(base, extra);
}

}  // namespace longtail::index
