// Text rules of the integrity detectors (index/integrity_text.h): word lists, title measures,
// brand names across scripts, compatibility and pre-sale words, contact details.
#include "index/integrity_text.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <unordered_set>

#include "common/utf8.h"

namespace longtail::index::integrity_text {

std::string fmt(double v, const char* f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Words a duplicate re-listing typically changes, removed before fingerprinting (besides
// numbers, number+unit tokens and the record's own attribute values).
const std::unordered_set<std::string_view>& promo_words() {
  static const std::unordered_set<std::string_view> s = {
      "新款", "新品", "特价", "清仓", "热卖", "热销", "爆款", "限时", "现货", "包邮", "正品", "官方",
      "旗舰店", "专柜", "促销", "秒杀", "折扣", "特惠", "厂家直销", "直销", "年新款", "款", "优惠",
      "抢购", "限量", "推荐", "同款", "送礼", "礼物", "实惠", "优选", "品质", "高档", "经典", "升级款"};
  return s;
}

const std::unordered_set<std::string_view>& size_words() {
  static const std::unordered_set<std::string_view> s = {
      "xs", "s", "m", "l", "xl", "xxl", "xxxl", "2xl", "3xl", "4xl", "5xl", "6xl", "均码", "码", "尺码", "大号",
      "中号", "小号", "加大", "加大码"};
  return s;
}

bool is_colour(std::string_view w) {
  static const std::unordered_set<std::string_view> s = {"黑", "白", "红", "蓝", "粉", "灰", "绿", "黄", "紫", "橙",
                                                         "金", "银", "雾霾蓝", "藏青", "卡其", "香槟", "咖啡", "杏"};
  if (s.count(w)) return true;
  // "...色" of at most four characters (红色, 卡其色, 米白色, 浅蓝色): 3 bytes per Han character.
  return w.size() >= 6 && w.size() <= 12 && w.substr(w.size() - 3) == "色";
}

// A title's length as marketplaces count it: a Han (or other non-ASCII) character is one, an
// ASCII character half (Taobao's 60-character limit is 120 bytes of GBK), so a bilingual book
// title is not "long" for its English words.
size_t title_width(std::string_view s) {
  size_t ascii = 0, other = 0;
  for (unsigned char c : s) {
    if (c < 0x80) ++ascii;
    else if ((c & 0xC0) != 0x80) ++other;
  }
  return other + (ascii + 1) / 2;
}

size_t utf8_chars(std::string_view s) { return utf8::count(s); }

bool is_latin(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return !s.empty();
}

// The matching form of a brand alias or a title: the surface segmentation (Mode::Plain, which
// does not overlap), each piece normalized, whitespace dropped. `owner`, when given, receives
// for every output byte the index of the plain token it came from.
std::string canonical(const analysis::Analyzer& a, std::string_view text, const std::vector<Token>* plain,
                      std::vector<uint32_t>* owner) {
  std::vector<Token> own;
  if (!plain) {
    own = a.analyze(text, analysis::Mode::Plain);
    plain = &own;
  }
  std::string out;
  for (uint32_t i = 0; i < plain->size(); ++i) {
    std::string n = a.normalize((*plain)[i].text);
    for (char ch : n)
      if (ch != ' ' && ch != '\t' && ch != '\n') {
        out += ch;
        if (owner) owner->push_back(i);
      }
  }
  return out;
}

// A word that starts a segment of the title (after a space, punctuation or at the start) rather
// than ending a compound: "滚筒洗衣机 波轮洗衣机" repeats 洗衣机 honestly, "… 轮胎 轮胎" does not.
bool standalone(std::string_view title, const Token& tk) {
  if (tk.start == 0 || tk.start > title.size()) return true;
  unsigned char prev = static_cast<unsigned char>(title[tk.start - 1]);
  if (prev < 0x80) return !std::isalnum(prev);
  static const std::string_view punct[] = {"【", "】", "，", "、", "（", "）", "！", "。", "：", "；", "　", "／", "｜"};
  if (tk.start >= 3)
    for (auto p : punct)
      if (title.substr(tk.start - 3, 3) == p) return true;
  return false;
}


// A Latin name and a Han name written together as one brand: "Casio/卡西欧", "CHANDO/自然堂",
// "自然堂(CHANDO)", "自然堂（CHANDO）". The Han side is a run of 2-8 Han characters bounded by
// anything else (a longer run, as in "Colgate/高露洁柑橘充电式", is not a name: skipped); the
// Latin side a run of letters, digits and & ' . - of at least two characters.
std::vector<std::pair<std::string, std::string>> script_pairs(std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  auto latin = [](char c) { return is_alnum(char(c | 0x20)) || c == '&' || c == '\'' || c == '-' || c == '.'; };
  auto han_at = [&](size_t i) {  // a 3-byte UTF-8 sequence in U+4E00..U+9FFF starts at i
    if (i + 3 > s.size()) return false;
    unsigned char b = static_cast<unsigned char>(s[i]);
    return b >= 0xE4 && b <= 0xE9 && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80;
  };
  auto latin_before = [&](size_t e) {
    size_t b = e;
    while (b > 0 && latin(s[b - 1])) --b;
    return s.substr(b, e - b);
  };
  auto latin_after = [&](size_t b) {
    size_t e = b;
    while (e < s.size() && latin(s[e])) ++e;
    return s.substr(b, e - b);
  };
  auto han_before = [&](size_t e) {
    size_t b = e;
    while (b >= 3 && han_at(b - 3)) b -= 3;
    return s.substr(b, e - b);
  };
  auto han_after = [&](size_t b) {
    size_t e = b;
    while (han_at(e)) e += 3;
    return s.substr(b, e - b);
  };
  auto ok = [](std::string_view latin_name, std::string_view han_name) {
    return latin_name.size() >= 2 && han_name.size() >= 6 && han_name.size() <= 24 &&
           !std::all_of(latin_name.begin(), latin_name.end(), [](char c) { return is_digit(c) || c == '.' || c == '-'; });
  };
  for (size_t i = 0; i < s.size(); ++i) {
    size_t sep = 0;
    bool paren = false;
    if (s[i] == '/') sep = 1;
    else if (s.substr(i, 3) == "／") sep = 3;
    else if (s[i] == '(') sep = 1, paren = true;
    else if (s.substr(i, 3) == "（") sep = 3, paren = true;
    if (!sep) continue;
    const size_t r = i + sep;
    if (!paren) {
      // Latin/Han or Han/Latin.
      auto l = latin_before(i), h = han_after(r);
      if (ok(l, h)) out.emplace_back(l, h);
      auto h2 = han_before(i), l2 = latin_after(r);
      if (ok(l2, h2)) out.emplace_back(l2, h2);
    } else {
      // Han(Latin): the Latin name fills the parentheses.
      auto h = han_before(i), l = latin_after(r);
      size_t e = r + l.size();
      if ((s.substr(e, 1) == ")" || s.substr(e, 3) == "）") && ok(l, h)) out.emplace_back(l, h);
    }
  }
  return out;
}

// Brand fields that name no brand (canonical form).
bool names_no_brand(std::string_view c) {
  static const std::unordered_set<std::string_view> kNone = {
      "其他", "其它", "other", "others", "无", "无品牌", "无牌", "none", "暂无", "不详", "未知", "杂牌", "n/a", "na", "oem", "通用"};
  return kNone.count(c) > 0;
}

// A pre-sale listing (预售, 定金, 预定, 预订, 尾款): its sales are orders not delivered yet, so no
// review can exist; its missing reviews say nothing about its sales.
bool is_presale(std::string_view title) {
  for (std::string_view w : {std::string_view("预售"), std::string_view("定金"), std::string_view("预定"),
                             std::string_view("预订"), std::string_view("尾款")})
    if (title.find(w) != std::string_view::npos) return true;
  return false;
}

// A title (canonical form: normalized, no spaces) that claims compatibility somewhere: brands it
// names are what it fits (适用, 兼容, 通用, 适配, 专用, for/fits + a name).
bool is_compat_title(std::string_view c) {
  for (std::string_view w : {std::string_view("适用"), std::string_view("兼容"), std::string_view("通用"),
                             std::string_view("适配"), std::string_view("专用")})
    if (c.find(w) != std::string_view::npos) return true;
  return false;
}

bool OwnWords::contains(std::string_view w) const {
  if (words.count(std::string(w))) return true;
  for (const auto& ph : phrases) {
    if (ph.find(w) != std::string::npos) return true;  // a sub-word of a level or alias
    // A title word that contains a level of two or more characters (蓝牙耳机 under 耳机).
    if (utf8_chars(ph) >= 2 && w.find(ph) != std::string_view::npos) return true;
  }
  return false;
}

// ------------------------------------------------------------------------------------------
// Contact details (advertisement). Works on the NORMALIZED title (NFKC, lower case).


// Skips separators a seller puts between a lead-in and the contact: spaces, ':', '：' (already
// ':' after NFKC), '号', '-'.
namespace {

size_t skip_sep(std::string_view s, size_t i) {
  for (int n = 0; n < 4 && i < s.size(); ++n) {
    if (s[i] == ' ' || s[i] == ':' || s[i] == '-' || s[i] == '_') ++i;
    else if (s.substr(i, 3) == "号") i += 3;
    else break;
  }
  return i;
}

}  // namespace

std::vector<std::string> find_contacts(std::string_view s) {
  std::vector<std::string> found;
  auto add = [&](std::string kind, std::string_view what) {
    if (found.size() < 4) found.push_back(kind + " " + std::string(what));
  };
  // Phone numbers: mobile 1[3-9]xxxxxxxxx (11 digits, separators allowed), landline 0xx(x)-xxxxxxx(x),
  // 400/800 service numbers; the digit run must stand alone (no letters or digits around it).
  for (size_t i = 0; i < s.size();) {
    if (!is_digit(s[i]) || (i > 0 && is_alnum(s[i - 1]))) {
      ++i;
      continue;
    }
    std::string digits;
    std::vector<size_t> groups{0};  // digits per dash-separated group
    size_t j = i;
    bool dash = false;
    while (j < s.size() && (is_digit(s[j]) || ((s[j] == '-' || s[j] == ' ') && j + 1 < s.size() && is_digit(s[j + 1]) &&
                                               digits.size() >= 3))) {
      if (is_digit(s[j])) {
        digits += s[j];
        ++groups.back();
      } else if (s[j] == '-') {
        dash = true;  // only a dash marks an area code; spaces separate model numbers too
        groups.push_back(0);
      }
      ++j;
    }
    bool alone = j >= s.size() || !is_alnum(s[j]);
    if (alone) {
      if (digits.size() == 11 && digits[0] == '1' && digits[1] >= '3' && digits[1] <= '9') add("phone", digits);
      // Landline: 0 + area code (3-4 digits, second not 0) - 7 or 8 digits, nothing more.
      else if (dash && groups.size() == 2 && digits[0] == '0' && digits[1] != '0' && groups[0] >= 3 && groups[0] <= 4 &&
               groups[1] >= 7 && groups[1] <= 8)
        add("phone", digits);
      else if ((digits.rfind("400", 0) == 0 || digits.rfind("800", 0) == 0) && digits.size() == 10 && dash) add("phone", digits);
    }
    i = j;
  }
  // QQ: "qq" / "扣扣" + 5..11 digits.
  for (std::string_view lead : {std::string_view("qq"), std::string_view("扣扣")}) {
    for (size_t p = s.find(lead); p != std::string_view::npos; p = s.find(lead, p + lead.size())) {
      if (lead == "qq" && p > 0 && is_alpha(s[p - 1])) continue;
      size_t i = skip_sep(s, p + lead.size());
      size_t j = i;
      while (j < s.size() && is_digit(s[j])) ++j;
      if (j - i >= 5 && j - i <= 11 && (j >= s.size() || !is_alnum(s[j]))) add("QQ", s.substr(i, j - i));
    }
  }
  // WeChat: a lead-in and an id (a letter then 5..19 of [a-z0-9_-], or 6+ digits), or a bare
  // "wx" + 5..19 id characters (the "wx…" ids sellers print).
  for (std::string_view lead : {std::string_view("微信"), std::string_view("weixin"), std::string_view("vx"),
                                std::string_view("v信"), std::string_view("加v"), std::string_view("威信"),
                                std::string_view("薇信"), std::string_view("wechat")}) {
    for (size_t p = s.find(lead); p != std::string_view::npos; p = s.find(lead, p + lead.size())) {
      if (is_alpha(lead[0]) && p > 0 && is_alpha(s[p - 1])) continue;
      if (lead == "微信" && p >= 6 && s.substr(p - 6, 6) == "企业") continue;  // 企业微信: a product (WeChat Work)
      size_t i = skip_sep(s, p + lead.size());
      size_t j = i;
      while (j < s.size() && (is_alnum(s[j]) || s[j] == '_' || s[j] == '-') && j - i < 24) ++j;
      std::string_view id = s.substr(i, j - i);
      bool letters = !id.empty() && is_alpha(id[0]) && id.size() >= 6 && id.size() <= 20;
      bool digits = id.size() >= 6 && std::all_of(id.begin(), id.end(), is_digit);
      if (letters || digits) add("WeChat", id);
    }
  }
  // A bare "wx…" id only after a contact lead-in (model codes such as WX-3078P are common).
  auto after_lead = [&](size_t p) {
    static const std::string_view leads[] = {"微信", "加v", "vx", "v信", "私聊", "咨询", "联系", "加群", "详情", "电话", "qq", "官网", "加"};
    while (p > 0 && (s[p - 1] == ' ' || s[p - 1] == ':')) --p;
    for (auto l : leads)
      if (p >= l.size() && s.substr(p - l.size(), l.size()) == l) return true;
    return false;
  };
  for (size_t p = s.find("wx"); p != std::string_view::npos; p = s.find("wx", p + 2)) {
    if (!after_lead(p)) continue;
    size_t j = p + 2;
    while (j < s.size() && (is_alnum(s[j]) || s[j] == '_' || s[j] == '-')) ++j;
    if (j - p >= 7 && j - p <= 22) {
      std::string id(s.substr(p, j - p));
      bool dup = false;
      for (const auto& f : found) dup |= f.find(id) != std::string::npos;
      if (!dup) add("WeChat", id);
    }
  }
  // URLs.
  for (std::string_view lead : {std::string_view("http://"), std::string_view("https://"), std::string_view("www.")}) {
    for (size_t p = s.find(lead); p != std::string_view::npos; p = s.find(lead, p + lead.size())) {
      size_t j = p + lead.size();
      while (j < s.size() && (is_alnum(s[j]) || s[j] == '.' || s[j] == '-' || s[j] == '/')) ++j;
      if (j - p > lead.size() + 2 && (lead != "www." || s.substr(p, j - p).find('.', 4) != std::string_view::npos)) {
        bool dup = false;
        for (const auto& f : found) dup |= f.find(s.substr(p, j - p)) != std::string::npos;
        if (!dup) add("URL", s.substr(p, j - p));
      }
    }
  }
  for (std::string_view tld : {std::string_view(".com"), std::string_view(".cn"), std::string_view(".net"),
                               std::string_view(".top"), std::string_view(".vip"), std::string_view(".cc")}) {
    for (size_t p = s.find(tld); p != std::string_view::npos; p = s.find(tld, p + tld.size())) {
      size_t e = p + tld.size();
      if (e < s.size() && is_alnum(s[e])) continue;
      size_t b = p;
      while (b > 0 && (is_alnum(s[b - 1]) || s[b - 1] == '-' || s[b - 1] == '.')) --b;
      if (p - b < 2 || !is_alpha(s[b])) continue;
      std::string url(s.substr(b, e - b));
      bool dup = false;
      for (const auto& f : found) dup |= f.find(url) != std::string::npos;
      if (!dup) add("URL", url);
    }
  }
  return found;
}

}  // namespace longtail::index::integrity_text
