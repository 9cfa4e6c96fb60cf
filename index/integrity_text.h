// Text rules of the listing-integrity detectors (index/detectors/): word lists, title
// measures, the matching form of brand names and titles, brand names across scripts,
// compatibility words, brand fields that name no brand (其他, none), pre-sale words, contact
// details. Pure functions of text; docs/integrity.md says which detector uses which and why.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "analyzers/analyzer.h"

namespace longtail::index::integrity_text {

using analysis::Token;
using analysis::TokenKind;

// printf-formats one number ("%.4g" by default).
std::string fmt(double v, const char* f = "%.4g");

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return c >= 'a' && c <= 'z'; }
inline bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }

// Words a duplicate re-listing typically changes, removed before fingerprinting (besides
// numbers, number+unit tokens and the record's own attribute values).
const std::unordered_set<std::string_view>& promo_words();
const std::unordered_set<std::string_view>& size_words();
bool is_colour(std::string_view w);

// Words whose category affinity is counted: dictionary words and Han grams.
inline bool stat_kind(TokenKind k) { return k == TokenKind::Word || k == TokenKind::HanGram; }

// A title's length as marketplaces count it: a Han (or other non-ASCII) character is one, an
// ASCII character half (Taobao's 60-character limit is 120 bytes of GBK).
size_t title_width(std::string_view s);
size_t utf8_chars(std::string_view s);
// Only ASCII letters, digits and a few joiners.
bool is_latin(std::string_view s);

// The matching form of a brand alias or a title: the surface segmentation (Mode::Plain, which
// does not overlap), each piece normalized, whitespace dropped. `owner`, when given, receives
// for every output byte the index of the plain token it came from.
std::string canonical(const analysis::Analyzer& a, std::string_view text, const std::vector<Token>* plain = nullptr,
                      std::vector<uint32_t>* owner = nullptr);

// A word that starts a segment of the title (after a space, punctuation or at the start) rather
// than ending a compound: "滚筒洗衣机 波轮洗衣机" repeats 洗衣机 honestly, "… 轮胎 轮胎" does not.
bool standalone(std::string_view title, const Token& tk);

// A Latin name and a Han name written together as one brand: "Casio/卡西欧", "CHANDO/自然堂",
// "自然堂(CHANDO)". Pairs (latin, han).
std::vector<std::pair<std::string, std::string>> script_pairs(std::string_view s);

// Brand fields that name no brand (canonical form): 其他, other, 无品牌, none, 暂无, ...
bool names_no_brand(std::string_view c);

// A pre-sale listing (预售, 定金, 预定, 预订, 尾款): its sales are orders not delivered yet.
bool is_presale(std::string_view title);

// A title (canonical form) that claims compatibility somewhere (适用, 兼容, 通用, 适配, 专用).
bool is_compat_title(std::string_view c);

// Words that cannot be unrelated to a listing by construction: the levels of its own category
// path and of its own brand field (every alias), whole and in their analyzer words.
struct OwnWords {
  std::unordered_set<std::string> words;  // analyzer words of the levels and aliases
  std::vector<std::string> phrases;       // levels and aliases, canonical
  bool contains(std::string_view w) const;
};

// Contact details in a NORMALIZED title (NFKC, lower case): phone, QQ, WeChat ids, URLs, each as
// "kind value".
std::vector<std::string> find_contacts(std::string_view s);

}  // namespace longtail::index::integrity_text
