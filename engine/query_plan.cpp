#include "engine/query_plan.h"

#include <algorithm>
#include <numeric>
#include <unordered_set>

#include "common/utf8.h"

namespace longtail::engine {

using analysis::Mode;
using analysis::TokenKind;

const char* term_role_name(TermRole r) {
  switch (r) {
    case TermRole::Product: return "product";
    case TermRole::Brand: return "brand";
    case TermRole::Model: return "model";
    case TermRole::Word: return "word";
    case TermRole::Spec: return "spec";
    case TermRole::Modifier: return "modifier";
    case TermRole::Soft: return "soft";
  }
  return "word";
}

namespace {

constexpr size_t kMaxTermBytes = 240;

// Function words: particles, prepositions, conjunctions, modal particles, interjections,
// onomatopoeia (jieba tags u*, p, c, y, e, o), plus a few words the tags miss and English ones.
// jieba's tags come from general text: a word of two or more characters tagged onomatopoeia or
// interjection is kept (乒乓 is tagged "o"), as is any word the catalog itself taught the lexicon.
bool is_stop(const std::string& text, const std::string& tag) {
  static const std::unordered_set<std::string> kWords = {
      "的", "了", "和", "与", "及", "或", "在", "是", "有", "也", "都", "就", "着", "吧", "呢", "吗", "啊",
      "呀", "哦", "之", "其", "而", "并", "把", "被", "给", "等", "么", "嘛", "这", "那", "我", "你", "他",
      "她", "它", "们", "个", "the", "a", "an", "of", "and", "or", "for", "with", "to", "in", "on", "at", "by"};
  if (kWords.count(text)) return true;
  if (tag.empty()) return false;
  char c = tag[0];
  if (tag == "attr" || tag == "brand" || tag == "cat" || tag == "learned") return false;
  if ((c == 'o' || c == 'e') && text.size() > 3) return false;
  return c == 'u' || c == 'p' || c == 'c' || c == 'y' || c == 'e' || c == 'o';
}

bool is_noun_tag(const std::string& tag) {
  return tag == "n" || tag == "nz" || tag == "ng" || tag == "vn" || tag == "cat";
}

bool is_modifier_tag(const std::string& tag) {
  if (tag == "attr") return true;
  static const std::unordered_set<std::string> kTags = {"a", "ad", "an", "ag", "b", "d", "z", "m", "q",
                                                         "f", "t", "s", "r", "v", "vd", "l", "i", "mq"};
  return kTags.count(tag) > 0;
}


bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Colour words ("酒红色", "米白色") are attribute values whatever jieba tags them.
bool is_colour(const std::string& s) { return utf8::count(s) >= 2 && ends_with(s, "色"); }

bool single_han(const std::string& s, TokenKind kind) {
  return utf8::count(s) == 1 && static_cast<unsigned char>(s[0]) >= 0xE0 &&
         (kind == TokenKind::Word || kind == TokenKind::HanGram);
}

// UTF-8 characters of s.
std::vector<std::string> chars_of(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

QueryPlan plan_query(const analysis::Analyzer& analyzer, const std::string& query, uint32_t max_terms,
                     uint32_t max_parts) {
  QueryPlan plan;
  const auto& lex = analyzer.lexicon();
  std::unordered_set<std::string> seen;
  std::vector<std::string> tags;
  for (auto& t : analyzer.analyze(query, Mode::Query)) {
    if (t.kind == TokenKind::Other || t.text.empty() || t.text.size() > kMaxTermBytes) continue;
    if (!seen.insert(t.text).second) continue;
    std::string tag = lex.tag(t.text);
    if (is_stop(t.text, tag)) {
      plan.stop_words.push_back(t.text);
      continue;
    }
    PlannedTerm pt;
    pt.text = std::move(t.text);
    pt.informativeness = analyzer.informativeness(pt.text);
    pt.alnum = t.kind == TokenKind::Alnum || t.kind == TokenKind::NumberUnit;
    // A lone character that mostly ends words is a head noun (壶 of 水壶, 裙 of 连衣裙): it counts
    // and can be the product word; other lone characters (大 0.17, 女 0.47, 新) are soft.
    if (single_han(pt.text, t.kind) && lex.ending_share(pt.text) < analysis::kHeadCharShare) pt.role = TermRole::Soft;
    else if (tag == "brand") pt.role = TermRole::Brand;
    else if (t.kind == TokenKind::Alnum) pt.role = TermRole::Model;
    else if (t.kind == TokenKind::Number || t.kind == TokenKind::NumberUnit || t.kind == TokenKind::Part)
      pt.role = TermRole::Spec;
    else if (is_colour(pt.text) || is_modifier_tag(tag)) pt.role = TermRole::Modifier;
    else pt.role = TermRole::Word;
    tags.push_back(tag);
    plan.terms.push_back(std::move(pt));
  }

  // A query of single characters only ("女 包"): they are all the user gave, so they count.
  if (std::none_of(plan.terms.begin(), plan.terms.end(), [](const PlannedTerm& t) { return t.role != TermRole::Soft; }))
    for (auto& t : plan.terms) t.role = TermRole::Word;

  // The product word: the last catalog category word, else the last noun, else the last
  // plain word, else the most informative counted term.
  auto pick_last = [&](auto pred) -> long {
    for (size_t i = plan.terms.size(); i-- > 0;)
      if (pred(i)) return long(i);
    return -1;
  };
  long product = pick_last([&](size_t i) { return tags[i] == "cat" && plan.terms[i].role == TermRole::Word; });
  if (product < 0)
    product = pick_last([&](size_t i) { return plan.terms[i].role == TermRole::Word && is_noun_tag(tags[i]); });
  if (product < 0) product = pick_last([&](size_t i) { return plan.terms[i].role == TermRole::Word; });
  if (product < 0) {
    float best = -1;
    for (size_t i = 0; i < plan.terms.size(); ++i)
      if (plan.terms[i].role != TermRole::Soft && plan.terms[i].informativeness > best) {
        best = plan.terms[i].informativeness;
        product = long(i);
      }
  }
  if (product >= 0) plan.terms[size_t(product)].role = TermRole::Product;

  for (auto& pt : plan.terms) {
    double bonus = 0;
    switch (pt.role) {
      case TermRole::Product: bonus = 3.0; break;
      case TermRole::Brand: bonus = 1.0; break;
      case TermRole::Model: bonus = 1.0; break;
      case TermRole::Word: bonus = 0.5; break;
      case TermRole::Spec: bonus = 0.2; break;
      case TermRole::Modifier: bonus = 0.0; break;
      case TermRole::Soft: bonus = -1.0; break;
    }
    pt.keep = double(pt.informativeness) + bonus;
  }

  // Drop order over counted terms: lowest keep first; ties: earlier in the query first.
  std::vector<size_t> order;
  for (size_t i = 0; i < plan.terms.size(); ++i)
    if (plan.terms[i].role != TermRole::Soft) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return plan.terms[a].keep < plan.terms[b].keep; });
  // Too many counted terms: the least informative beyond max_terms are removed outright.
  if (order.size() > max_terms) {
    size_t extra = order.size() - max_terms;
    std::vector<bool> remove(plan.terms.size(), false);
    for (size_t k = 0; k < extra; ++k) remove[order[k]] = true;
    std::vector<PlannedTerm> kept;
    for (size_t i = 0; i < plan.terms.size(); ++i) {
      if (remove[i]) plan.overflow.push_back(plan.terms[i].text);
      else kept.push_back(std::move(plan.terms[i]));
    }
    plan.terms = std::move(kept);
    order.clear();
    for (size_t i = 0; i < plan.terms.size(); ++i)
      if (plan.terms[i].role != TermRole::Soft) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return plan.terms[a].keep < plan.terms[b].keep; });
  }
  plan.drop_order = std::move(order);

  // Fallback parts: the term's own index-mode pieces (sub-words, bigrams, parts of mixed
  // tokens); for a Han word without pieces, its characters. Most informative first.
  for (auto& pt : plan.terms) {
    if (pt.role == TermRole::Soft) continue;
    std::vector<std::string> parts;
    std::unordered_set<std::string> pseen{pt.text};
    for (auto& t : analyzer.analyze(pt.text, Mode::Index))
      if (t.kind != TokenKind::Other && !t.text.empty() && pseen.insert(t.text).second) parts.push_back(t.text);
    if (parts.empty() && utf8::count(pt.text) >= 2 && static_cast<unsigned char>(pt.text[0]) >= 0xE0)
      for (auto& c : chars_of(pt.text))
        if (pseen.insert(c).second) parts.push_back(c);
    // A part inside another part adds nothing the longer one does not say (室外天线: 天线, not 线),
    // and a lone character says little of a word that has longer parts (标准版: 标准, not 版).
    if (!pt.alnum) {
      const bool longer = std::any_of(parts.begin(), parts.end(), [](const std::string& x) { return utf8::count(x) >= 2; });
      std::vector<std::string> outer;
      for (const auto& a : parts) {
        bool inside = longer && utf8::count(a) == 1;
        for (const auto& b : parts) inside = inside || (b.size() > a.size() && b.find(a) != std::string::npos);
        if (!inside) outer.push_back(a);
      }
      parts = std::move(outer);
    }
    std::stable_sort(parts.begin(), parts.end(), [&](const std::string& a, const std::string& b) {
      return analyzer.informativeness(a) > analyzer.informativeness(b);
    });
    if (parts.size() > max_parts) parts.resize(max_parts);
    pt.parts = std::move(parts);
  }
  return plan;
}

}  // namespace longtail::engine
