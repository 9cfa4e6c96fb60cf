// Golden tests for the Chinese analyzer (analyzers/): slash-joined like cppjieba's
// segments_test. One case per behaviour the issue names and per normalization rule.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "analyzers/analyzer.h"
#include "tests/shared_data.h"

using longtail::analysis::AnalysisError;
using longtail::analysis::Analyzer;
using longtail::analysis::Lexicon;
using longtail::analysis::Mode;
using longtail::analysis::Token;
using longtail::analysis::TokenKind;

namespace {

std::shared_ptr<const Lexicon> base_lexicon() {
  static const auto lex = Lexicon::load_default();
  return lex;
}

const Analyzer& base() {
  static const Analyzer a(base_lexicon());
  return a;
}

std::string join(const std::vector<Token>& toks) {
  std::string out;
  for (const auto& t : toks) {
    if (!out.empty()) out += '/';
    out += t.text;
  }
  return out;
}

std::string seg(const Analyzer& a, std::string_view text, Mode mode) { return join(a.analyze(text, mode)); }

std::set<std::string> terms(const Analyzer& a, std::string_view text, Mode mode) {
  std::set<std::string> out;
  for (const auto& t : a.analyze(text, mode)) out.insert(t.text);
  return out;
}

// Index terms with a given kind, slash-joined in emission order.
std::string kind_terms(const Analyzer& a, std::string_view text, TokenKind kind) {
  std::vector<Token> sel;
  for (auto& t : a.analyze(text, Mode::Index))
    if (t.kind == kind) sel.push_back(t);
  return join(sel);
}

bool subset(const std::set<std::string>& small, const std::set<std::string>& big) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

std::string strip_ws(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t') out += c;
  return out;
}

}  // namespace

TEST_CASE("normalize: NFKC compatibility forms", "[analyzer][normalize]") {
  CHECK(base().normalize("㎏①Ⅻ") == "kg1xii");
  CHECK(seg(base(), "500㎖", Mode::Query) == "500ml");
}

TEST_CASE("normalize: case folding", "[analyzer][normalize]") {
  CHECK(base().normalize("iPhone PRO Max") == "iphone pro max");
  CHECK(seg(base(), "OPPO闪充", Mode::Query) == "oppo/闪充");
}

TEST_CASE("normalize: full-width to half-width", "[analyzer][normalize]") {
  CHECK(base().normalize("ＡＢＣ１２３，（）") == "abc123,()");
  CHECK(seg(base(), "ｉＰｈｏｎｅ１５", Mode::Query) == "iphone15");
}

TEST_CASE("normalize: traditional to simplified", "[analyzer][normalize]") {
  CHECK(base().normalize("臺灣電腦") == "台湾电脑");
  CHECK(seg(base(), "無線藍牙耳機", Mode::Query) == seg(base(), "无线蓝牙耳机", Mode::Query));
}

TEST_CASE("index and query share normalization", "[analyzer][normalize]") {
  const auto idx = terms(base(), "ＮＩＫＥ耐克運動鞋", Mode::Index);
  const auto q = terms(base(), "nike耐克运动鞋", Mode::Query);
  CHECK(subset(q, idx));
}

TEST_CASE("index mode adds a word's head character when it mostly ends words", "[analyzer][segment]") {
  // 鞋, 壶 and 锅 end far more words than they start: a query for the one-character product word
  // finds 帆布鞋, 紫砂壶, 不粘锅. 尚 of 时尚 mostly starts words (尚未, 尚可): not added.
  const auto idx = terms(base(), "帆布鞋 紫砂壶 不粘锅 时尚", Mode::Index);
  for (const char* head : {"鞋", "壶", "锅"}) CHECK(std::count(idx.begin(), idx.end(), head) == 1);
  CHECK(std::count(idx.begin(), idx.end(), "尚") == 0);
  CHECK(base().lexicon().ending_share("鞋") >= longtail::analysis::kHeadCharShare);
  CHECK(base().lexicon().ending_share("裙") >= longtail::analysis::kHeadCharShare);
  CHECK(base().lexicon().ending_share("大") < longtail::analysis::kHeadCharShare);
  CHECK(base().lexicon().ending_share("鞋子") == 0.0);
}

TEST_CASE("simplified characters that are also traditional ones are kept", "[analyzer][normalize]") {
  // ICU's character-level Hant-Hans turned 著 into 着 and 俱 into 具; OpenCC's phrases keep them.
  CHECK(base().normalize("名著导读 俱乐部 摔跤") == "名著导读 俱乐部 摔跤");
  CHECK(base().normalize("電競鍵盤") == "电竞键盘");
  CHECK(seg(base(), "名著导读", Mode::Query) == "名著/导读");
}

TEST_CASE("dictionary words ICU word break cuts stay whole", "[analyzer][segment]") {
  CHECK(seg(base(), "华为新款耐克运动鞋", Mode::Plain) == "华为/新款/耐克/运动鞋");
}

TEST_CASE("plain mode splits compositional dictionary compounds, query and index keep them", "[analyzer][segment]") {
  // 生日礼物 = 生日 + 礼物, 笔记本电脑 = 笔记本 + 电脑: the plain path gives the parts (spans such as
  // 礼物, 电脑 are product words of their own); query keeps the compound, index emits both.
  CHECK(seg(base(), "生日礼物 笔记本电脑", Mode::Plain) == "生日/礼物/笔记本/电脑");
  CHECK(seg(base(), "生日礼物 笔记本电脑", Mode::Query) == "生日礼物/笔记本电脑");
  CHECK(seg(base(), "生日礼物", Mode::Index) == "生日礼物/生日/礼物/物");
  // Catalog words stay whole even when they are two words (a brand here).
  const Analyzer a(Lexicon::extend(*base_lexicon(), {{"皇家保罗", 2000, "brand"}}));
  CHECK(seg(a, "皇家保罗生日礼物", Mode::Plain) == "皇家保罗/生日/礼物");
}

TEST_CASE("plain mode joins a run of single characters that is a join entry, nothing else", "[analyzer][segment]") {
  const auto lex = Lexicon::extend(*base_lexicon(), {{"兔窝", 0, "join"}});
  const Analyzer a(lex);
  CHECK(seg(base(), "宠物兔窝垫子", Mode::Plain) == "宠物/兔/窝/垫子");
  CHECK(seg(a, "宠物兔窝垫子", Mode::Plain) == "宠物/兔窝/垫子");
  CHECK(seg(a, "兔窝", Mode::Plain) == "兔窝");
  // Only a whole run of two or three singles is joined (笼兔窝 is a run of three).
  CHECK(seg(a, "笼兔窝", Mode::Plain) == "笼/兔/窝");
  // Not a word: no DAG edge, no frequency, and index and query terms are unchanged.
  CHECK(lex->frequency("兔窝") == 0);
  CHECK(lex->tag("兔窝").empty());
  for (Mode m : {Mode::Index, Mode::Query})
    CHECK(seg(a, "宠物兔窝垫子", m) == seg(base(), "宠物兔窝垫子", m));
  // The entry survives a save/load round trip.
  const std::string path = "lexicon_join_test.bin";
  lex->save(path);
  CHECK(seg(Analyzer(Lexicon::load(path)), "宠物兔窝垫子", Mode::Plain) == "宠物/兔窝/垫子");
  std::remove(path.c_str());
  // A real word of the same text wins over the join entry (a larger frequency replaces it).
  const auto word = Lexicon::extend(*lex, {{"兔窝", 5000, "cat"}});
  CHECK(word->frequency("兔窝") == 5000);
  CHECK(seg(Analyzer(word), "宠物兔窝垫子", Mode::Query) == "宠物/兔窝/垫子");
}

TEST_CASE("plain mode attaches a word-ending character to the word before it", "[analyzer][segment]") {
  // 靴 and 器 end far more dictionary words than they start: 雪地/靴 and 除湿/器 become one piece.
  CHECK(seg(base(), "雪地靴", Mode::Plain) == "雪地靴");
  CHECK(seg(base(), "除湿器 雪地靴子", Mode::Plain) == "除湿器/雪地/靴子");
  // Not when another single follows (袋 may belong with 大), nor a character that mostly starts
  // words (女: 女装, 女士).
  CHECK(seg(base(), "防尘袋大", Mode::Plain) == "防尘/袋/大");
  CHECK(seg(base(), "外套女", Mode::Plain) == "外套/女");
  // Index and query terms are unchanged.
  CHECK(seg(base(), "雪地靴", Mode::Index) == "雪地/地/地靴/靴");
  CHECK(seg(base(), "雪地靴", Mode::Query) == "雪地/靴");
}

TEST_CASE("plain mode joins a whole run of two singles, a word start then a word end", "[analyzer][segment]") {
  CHECK(seg(base(), "婚庆彩炮", Mode::Plain) == "婚庆/彩炮");
  CHECK(seg(base(), "婚庆彩炮", Mode::Index) == "婚庆/庆/庆彩/彩/彩炮/炮");
  CHECK(seg(base(), "婚庆彩炮", Mode::Query) == "婚庆/彩炮");
  // Only runs of exactly two (笼兔窝 is a run of three; 宠物兔窝垫子 keeps 兔/窝 apart: 兔
  // ends words as often as it starts them).
  CHECK(seg(base(), "笼兔窝", Mode::Plain) == "笼/兔/窝");
}

TEST_CASE("the word-ending share comes from the lexicon's own words", "[analyzer][segment]") {
  const std::string path = "lexicon_tail_test.txt";
  {
    std::ofstream f(path);
    f << "收纳 100\n纸袋 10\n布袋 10\n塑料袋 10\n";  // 袋 ends three words, starts none
  }
  const auto lex = Lexicon::load_text(path);
  std::remove(path.c_str());
  CHECK(seg(Analyzer(lex), "收纳袋", Mode::Plain) == "收纳袋");
  // Learned words that start with 袋 make it as much a start as an ending: 收纳/袋 stays.
  const auto more = Lexicon::extend(*lex, {{"袋鼠", 10, "learned"}, {"袋子", 10, "learned"}, {"袋装", 10, "learned"}});
  CHECK(seg(Analyzer(more), "收纳袋", Mode::Plain) == "收纳/袋");
}

TEST_CASE("mixed scripts: brand, model and product word", "[analyzer][segment]") {
  // 手机壳 is a catalog word (category name); the base jieba dictionary lacks it.
  const auto lex = Lexicon::extend(*base_lexicon(), {{"手机壳", 2000, "cat"}});
  const Analyzer a(lex);
  CHECK(seg(a, "苹果iPhone15 Pro Max手机壳", Mode::Query) == "苹果/iphone15/pro/max/手机壳");
  CHECK(seg(a, "苹果iPhone15 Pro Max手机壳", Mode::Plain) == "苹果/iPhone15/Pro/Max/手机壳");
}

TEST_CASE("mixed letter+digit tokens stay whole, parts are index terms", "[analyzer][latin]") {
  CHECK(seg(base(), "iphone15 adb98377 O-50CSC", Mode::Query) == "iphone15/adb98377/o-50csc");
  CHECK(seg(base(), "iphone15 adb98377 O-50CSC", Mode::Index) ==
        "iphone15/iphone/15/adb98377/adb/98377/o-50csc/o/50/csc");
  const auto toks = base().analyze("iPhone15", Mode::Index);
  REQUIRE(toks.size() == 3);
  CHECK(toks[0].kind == TokenKind::Alnum);
  CHECK(toks[1].kind == TokenKind::Part);
  CHECK(toks[1].position == toks[0].position);
}

TEST_CASE("number + unit stays whole", "[analyzer][latin]") {
  CHECK(seg(base(), "500ml 1.5m 64g 320*400mm", Mode::Query) == "500ml/1.5m/64g/320*400mm");
  CHECK(kind_terms(base(), "500ml 1.5m 64g 320*400mm", TokenKind::NumberUnit) == "500ml/1.5m/64g/320*400mm");
  CHECK(kind_terms(base(), "500ml 1.5m 64g 320*400mm", TokenKind::Part) == "500/ml/1.5/m/64/g/320/400/mm");
  CHECK(seg(base(), "宽50x厚1.5mm", Mode::Query) == "宽/50x/厚/1.5mm");
  CHECK(seg(base(), "2.4充电头", Mode::Query) == "2.4/充电/头");
}

TEST_CASE("query iphone15 and iphone 15 both match a title iPhone15", "[analyzer][match]") {
  const auto title = terms(base(), "Apple/苹果 iPhone15 256G", Mode::Index);
  CHECK(subset(terms(base(), "iphone15", Mode::Query), title));
  CHECK(subset(terms(base(), "iphone 15", Mode::Query), title));
  CHECK(subset(terms(base(), "IPHONE１５", Mode::Query), title));
}

TEST_CASE("brand aliases split at the slash", "[analyzer][latin]") {
  // Plain mode attaches 堂 (mostly a word ending) to 自然; query keeps the path.
  CHECK(seg(base(), "CHANDO/自然堂", Mode::Plain) == "CHANDO///自然堂");
  CHECK(seg(base(), "CHANDO/自然堂", Mode::Query) == "chando/自然/堂");
  const auto lex = Lexicon::extend(*base_lexicon(), {{"自然堂", 5000, "brand"}});
  CHECK(seg(Analyzer(lex), "CHANDO/自然堂", Mode::Query) == "chando/自然堂");
}

TEST_CASE("index mode adds in-dictionary sub-words (search mode)", "[analyzer][index]") {
  CHECK(seg(base(), "保护套", Mode::Index) == "保护套/保护/护套/套");
  const auto toks = base().analyze("保护套", Mode::Index);
  for (const auto& t : toks) CHECK(t.position == 0);
  CHECK(toks[1].kind == TokenKind::SubWord);
}

TEST_CASE("index mode adds every lexicon word found anywhere in a chunk", "[analyzer][index]") {
  // Path: 套包/邮 — 包邮 crosses the path boundary and is still an index term.
  CHECK(seg(base(), "五十套包邮", Mode::Query) == "五十/套包/邮");
  CHECK(terms(base(), "五十套包邮", Mode::Index).count("包邮") == 1);
}

TEST_CASE("unknown Han runs: singles and bigrams in the index, bigrams in the query", "[analyzer][unknown]") {
  // 雪域精粹 known; 堂/雪 are single-character pieces of the path.
  CHECK(seg(base(), "雅诗兰黛小棕瓶", Mode::Query) == "雅诗兰黛/小棕/棕瓶");
  CHECK(seg(base(), "雅诗兰黛小棕瓶", Mode::Index) == "雅诗兰黛/黛/黛小/小/小棕/棕/棕瓶/瓶");
  CHECK(kind_terms(base(), "雅诗兰黛小棕瓶", TokenKind::HanGram) == "黛小/小棕/棕瓶");
  CHECK(subset(terms(base(), "小棕瓶", Mode::Query), terms(base(), "雅诗兰黛小棕瓶精华液", Mode::Index)));
}

TEST_CASE("query 大落地窗 matches title …内开内倒落地窗…", "[analyzer][match]") {
  // Matching rule: every query term of two or more characters (and every Latin/number term)
  // must be an index term of the title; single-character Han terms (大) are modifiers whose
  // informativeness is low and which the engine treats as optional.
  const auto q = base().analyze("大落地窗", Mode::Query);
  CHECK(join(q) == "大/落地窗");
  const auto title = terms(base(), "断桥铝合金窗内开内倒落地窗隔音", Mode::Index);
  for (const auto& t : q) {
    if (t.text.size() > 3) CHECK(title.count(t.text) == 1);
  }
  CHECK(base().informativeness("大") < 0.5f);
  CHECK(base().informativeness("落地窗") > base().informativeness("大"));
  CHECK(base().informativeness("x9070") == 1.0f);
}

TEST_CASE("a query word matches titles that contain it whole or as a sub-word", "[analyzer][match]") {
  const auto title = terms(base(), "手机保护套硅胶防摔", Mode::Index);
  CHECK(subset(terms(base(), "保护套", Mode::Query), title));
  CHECK(subset(terms(base(), "护套", Mode::Query), title));
  CHECK(subset(terms(base(), "硅胶保护套", Mode::Query), title));
}

TEST_CASE("punctuation is not a term in index and query modes", "[analyzer][punct]") {
  CHECK(seg(base(), "【包邮】清香型，铁观音！", Mode::Query) == "包邮/清香/型/铁观音");
  // jieba's frequencies prefer 包/邮 on the path; the query's run of singles becomes 包邮.
  // Plain mode attaches 型 (mostly a word ending) to 清香.
  CHECK(seg(base(), "【包邮】清香型，铁观音！", Mode::Plain) == "【/包/邮/】/清香型/，/铁观音/！");
}

TEST_CASE("plain mode offsets point into the original bytes", "[analyzer][offsets]") {
  const std::string text = "ＡＢＣ１２３ 臺灣電腦";
  const auto toks = base().analyze(text, Mode::Plain);
  REQUIRE(toks.size() == 3);
  for (const auto& t : toks) CHECK(text.substr(t.start, t.end - t.start) == t.text);
  CHECK(toks[0].text == "ＡＢＣ１２３");
  const auto idx = base().analyze(text, Mode::Index);
  CHECK(idx[0].text == "abc123");
  CHECK(idx[0].start == 0);
  CHECK(idx[0].end == 18);  // six full-width characters, 3 bytes each
}

TEST_CASE("plain mode joined gives the non-whitespace input", "[analyzer][offsets]") {
  for (const std::string text : {"苹果 iPhone15\tPro　Max手机壳", "a\u200bb ¼ ㎏ x", "\xff\xfe 坏字节\xe4\xb8",
                                 "  ", "", "1/2 + 3 = ①"}) {
    const auto toks = base().analyze(text, Mode::Plain);
    std::string joined;
    for (const auto& t : toks) {
      CHECK(t.text.find(' ') == std::string::npos);
      joined += t.text;
    }
    std::string expect;
    // Remove ASCII whitespace and U+3000 (the only whitespace in these inputs).
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, 3, "\u3000") == 0) {
        i += 3;
        continue;
      }
      if (text[i] != ' ' && text[i] != '\t') expect += text[i];
      ++i;
    }
    CHECK(joined == expect);
  }
}

TEST_CASE("invalid UTF-8 never throws", "[analyzer][robust]") {
  const std::string bad = "\xff\xfe\xe4\xb8 \xc0\xaf 手机\xed\xa0\x80";
  for (Mode m : {Mode::Plain, Mode::Index, Mode::Query}) CHECK_NOTHROW(base().analyze(bad, m));
  // Invalid bytes become U+FFFD, a symbol: in plain mode it keeps the original byte.
  CHECK(seg(base(), "\xff手机", Mode::Query) == "手机");
  CHECK(seg(base(), "\xff手机", Mode::Plain) == "\xff/手机");
}

TEST_CASE("analyze is safe from several threads", "[analyzer][threads]") {
  // Traditional phrases and units go through OpenCC's dictionaries, shared by every thread.
  const std::vector<std::string> texts = {"苹果iPhone15 Pro Max手机壳", "臺灣電腦500ml 金士頓記憶體16GB",
                                          "铝合金窗内开内倒落地窗 550毫升", "雅诗兰黛小棕瓶 隨身碟 65寸"};
  std::vector<std::string> expect;
  for (const auto& t : texts) expect.push_back(seg(base(), t, Mode::Index));
  std::vector<int> bad(4, 0);
  std::vector<std::thread> pool;
  for (int th = 0; th < 4; ++th) {
    pool.emplace_back([&, th] {
      for (int r = 0; r < 300; ++r)
        for (size_t i = 0; i < texts.size(); ++i)
          if (seg(base(), texts[i], Mode::Index) != expect[i]) ++bad[th];
    });
  }
  for (auto& t : pool) t.join();
  CHECK(bad == std::vector<int>(4, 0));
}

TEST_CASE("lexicon: save/load round trip keeps content and checksum", "[analyzer][lexicon]") {
  const auto lex = Lexicon::extend(*base_lexicon(), {{"手机壳", 2000, "cat"}, {"CHANDO", 900, "brand"}});
  CHECK(lex->size() == base_lexicon()->size() + 2);
  CHECK(lex->frequency("chando") == 900);  // extra words are normalized
  CHECK(lex->tag("手机壳") == "cat");
  const std::string path = "lexicon_roundtrip_test.bin";
  lex->save(path);
  const auto back = Lexicon::load(path);
  CHECK(back->checksum() == lex->checksum());
  CHECK(back->size() == lex->size());
  CHECK(back->frequency("手机壳") == 2000);
  CHECK(lex->checksum() != base_lexicon()->checksum());
  std::remove(path.c_str());
}

TEST_CASE("lexicon: extend keeps the larger frequency", "[analyzer][lexicon]") {
  const uint32_t f = base_lexicon()->frequency("华为");
  REQUIRE(f > 0);
  const auto lower = Lexicon::extend(*base_lexicon(), {{"华为", 1, "brand"}});
  CHECK(lower->frequency("华为") == f);
  const auto higher = Lexicon::extend(*base_lexicon(), {{"华为", f + 10, "brand"}});
  CHECK(higher->frequency("华为") == f + 10);
  CHECK(higher->tag("华为") == "brand");
}

TEST_CASE("lexicon: damaged or missing files raise AnalysisError", "[analyzer][lexicon]") {
  const std::string path = "lexicon_damaged_test.bin";
  Lexicon::extend(*base_lexicon(), {{"手机壳", 2000, "cat"}})->save(path);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x7f');
  }
  CHECK_THROWS_AS(Lexicon::load(path), AnalysisError);
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << "LTLEX004";
  }
  CHECK_THROWS_AS(Lexicon::load(path), AnalysisError);
  std::remove(path.c_str());
  CHECK_THROWS_AS(Lexicon::load("/nonexistent/lexicon.bin"), AnalysisError);
  CHECK_THROWS_AS(Lexicon::load_text("/nonexistent/dict.txt"), AnalysisError);
}

TEST_CASE("real titles: plain covers input, query terms are index terms", "[analyzer][shared-data]") {
  std::ifstream in;
  std::string why;
  if (!longtail::test::open_shared_data("titles/jd_titles.txt", in, why)) {
    WARN(why);
    return;
  }
  std::string line;
  int n = 0, plain_bad = 0, self_bad = 0;
  while (n < 3000 && std::getline(in, line)) {
    ++n;
    std::string joined;
    for (const auto& t : base().analyze(line, Mode::Plain)) joined += t.text;
    if (joined != strip_ws(line)) ++plain_bad;
    // A title must match a query that is the title itself.
    if (!subset(terms(base(), line, Mode::Query), terms(base(), line, Mode::Index))) ++self_bad;
  }
  CHECK(n == 3000);
  CHECK(plain_bad == 0);
  CHECK(self_bad == 0);
}

TEST_CASE("real titles: a lexicon word in a title matches whatever the title's path", "[analyzer][shared-data]") {
  std::ifstream in;
  std::string why;
  if (!longtail::test::open_shared_data("titles/jd_titles.txt", in, why)) {
    WARN(why);
    return;
  }
  std::string line;
  size_t words = 0, missed = 0;
  for (int n = 0; n < 1000 && std::getline(in, line); ++n) {
    const auto title = terms(base(), line, Mode::Index);
    // Every substring of 2..4 characters of a normalized Han run that is a lexicon word.
    std::u32string u;
    const std::string norm = base().normalize(line);
    for (size_t i = 0; i < norm.size();) {
      const auto c = static_cast<unsigned char>(norm[i]);
      const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      u.push_back(len == 3 ? static_cast<char32_t>(((c & 0x0F) << 12) | ((norm[i + 1] & 0x3F) << 6) | (norm[i + 2] & 0x3F)) : U' ');
      i += len;
    }
    for (size_t i = 0; i < u.size(); ++i) {
      for (size_t l = 2; l <= 4 && i + l <= u.size(); ++l) {
        std::string w;
        bool han = true;
        for (size_t k = i; k < i + l; ++k) {
          han &= u[k] >= 0x4E00 && u[k] <= 0x9FFF;
          w += std::string{static_cast<char>(0xE0 | (u[k] >> 12)), static_cast<char>(0x80 | ((u[k] >> 6) & 0x3F)),
                           static_cast<char>(0x80 | (u[k] & 0x3F))};
        }
        if (!han || base().lexicon().frequency(w) == 0) continue;
        ++words;
        for (const auto& t : base().analyze(w, Mode::Query)) {
          if (t.text.size() > 3 && !title.count(t.text)) {
            ++missed;
            UNSCOPED_INFO("title " << line << " query " << w << " term " << t.text);
            break;
          }
        }
      }
    }
  }
  CHECK(words > 10000);
  CHECK(missed == 0);
}

// Phrase-level traditional -> simplified (OpenCC, analyzers/normalizer.h step 2).
TEST_CASE("traditional text is converted phrase by phrase, simplified text stays", "[analyzer][normalize][opencc]") {
  CHECK(base().normalize("記憶體") == "内存");          // a Taiwan phrase, not 记忆体
  CHECK(base().normalize("軟體 印表機 行動硬碟") == "软件 打印机 移动硬盘");
  CHECK(base().normalize("硬碟") == "硬碟");  // no traditional character: left as it is
  CHECK(base().normalize("無線滑鼠") == "无线鼠标");   // 滑鼠 inside traditional text
  CHECK(base().normalize("頭髮 後來 乾燥") == "头发 后来 干燥");
  CHECK(base().normalize("乾隆通寶") == "乾隆通宝");   // 乾 of 乾隆 is not 干
  CHECK(base().normalize("隨身碟") == "u盘");          // OpenCC writes U盘, folded like any text
  // Simplified text is never converted: 程序, 文件 and 著 stay (Taiwan 程序 means 进程), and so do
  // characters Taiwan's variant tables would change (抬 -> 擡, 么 -> 幺).
  CHECK(base().normalize("名著 著作 皇后 程序 文件 抬头 什么 哪吒 乾隆 滑鼠") == "名著 著作 皇后 程序 文件 抬头 什么 哪吒 乾隆 滑鼠");
  CHECK(base().normalize("程式設計 名著導讀") == "编程 名著导读");
}

TEST_CASE("a traditional query finds a simplified title and the reverse", "[analyzer][normalize][opencc][match]") {
  CHECK(subset(terms(base(), "記憶體", Mode::Query), terms(base(), "金士顿 内存条 DDR4 16G 台式机", Mode::Index)));
  CHECK(subset(terms(base(), "内存", Mode::Query), terms(base(), "金士頓 記憶體 DDR4 16G 桌上型電腦", Mode::Index)));
  CHECK(subset(terms(base(), "軟體", Mode::Query), terms(base(), "正版办公软件 激活码", Mode::Index)));
  CHECK(subset(terms(base(), "头发 护理", Mode::Query), terms(base(), "頭髮護理精油 免洗", Mode::Index)));
  CHECK(terms(base(), "無線滑鼠", Mode::Query) == terms(base(), "无线鼠标", Mode::Query));
}

TEST_CASE("offsets of converted phrases and units stay within the source", "[analyzer][normalize][opencc][units]") {
  for (const std::string text : {"金士頓記憶體16GB", "隨身碟 64G", "農夫山泉550毫升*24瓶", "記憶體500毫升", "頭髮"}) {
    for (Mode mode : {Mode::Index, Mode::Query, Mode::Plain}) {
      const auto toks = base().analyze(text, mode);
      REQUIRE_FALSE(toks.empty());
      for (const auto& t : toks) {
        CHECK(t.start < t.end);
        CHECK(t.end <= text.size());
      }
    }
    std::string joined;
    for (const auto& t : base().analyze(text, Mode::Plain)) joined += t.text;
    CHECK(joined == strip_ws(text));
  }
  // Every code point of 内存 comes from the whole phrase 記憶體 (9 bytes); 500ml from 500毫升.
  const auto toks = base().analyze("記憶體 500毫升", Mode::Query);
  REQUIRE(toks.size() == 2);
  CHECK(toks[0].text == "内存");
  CHECK((toks[0].start == 0 && toks[0].end == 9));
  CHECK(toks[1].text == "500ml");
  CHECK((toks[1].start == 10 && toks[1].end == 19));
}

// Units after a number (analyzers/normalizer.h step 3): the Latin unit is the canonical form.
TEST_CASE("a number with a unit gives the same terms in every written form", "[analyzer][units]") {
  auto q = [](std::string_view s) { return seg(base(), s, Mode::Query); };
  CHECK(q("330毫升") == "330ml");
  CHECK(q("330ML") == "330ml");
  CHECK(q("2升") == "2l");
  CHECK(q("2L") == "2l");
  CHECK(q("1.5升") == q("1.5l"));
  CHECK(q("5公斤") == "5kg");
  CHECK(q("5千克") == "5kg");
  CHECK(q("250克") == "250g");
  CHECK(q("65英寸") == "65inch");
  CHECK(q("65寸") == "65inch");
  CHECK(q("65INCH") == "65inch");
  CHECK(q("20000毫安") == "20000mah");
  CHECK(q("20000mAh") == "20000mah");
  CHECK(q("1.8米") == "1.8m");
  CHECK(q("30厘米") == "30cm");
  CHECK(q("５００毫升") == "500ml");  // full-width digits fold first
  CHECK(kind_terms(base(), "怡宝纯净水555毫升", TokenKind::NumberUnit) == "555ml");
  CHECK(kind_terms(base(), "怡宝纯净水555毫升", TokenKind::Part) == "555/ml");
  CHECK(subset(terms(base(), "大米 5kg", Mode::Query), terms(base(), "五常大米5公斤装", Mode::Index)));
  // Words that are units wherever they stand are converted without a number too: a query with a
  // space between number and unit finds the title through the NumberUnit's parts.
  CHECK(q("15.6 英寸") == "15.6/inch");
  CHECK(q("毫升") == "ml");
  CHECK(subset(terms(base(), "15.6 英寸 笔记本", Mode::Query), terms(base(), "联想笔记本电脑15.6英寸", Mode::Index)));
  CHECK(subset(terms(base(), "500 毫升", Mode::Query), terms(base(), "保温杯500ml", Mode::Index)));
  CHECK(subset(terms(base(), "65寸 电视", Mode::Query), terms(base(), "小米电视 65英寸 4K超高清", Mode::Index)));
}

TEST_CASE("unit words stay as written when they are not a unit after a number", "[analyzer][units]") {
  auto q = [](std::string_view s) { return seg(base(), s, Mode::Query); };
  CHECK(q("3斤") == "3/斤");                      // 斤 is 500 g: kept as written, not made kg
  CHECK(base().normalize("东北大米 米色 升降桌 千克 三千米") == "东北大米 米色 升降桌 千克 三千米");  // no number before
  CHECK(base().normalize("2克拉钻戒 3米色 2021升级款") == "2克拉钻戒 3米色 2021升级款");  // longer words
  CHECK(base().normalize("5米8 3寸a") == "5米8 3寸a");  // a unit glued to a letter or digit
  CHECK(q("mate40 iphone12 A4纸 5G手机") == "mate40/iphone12/a4/纸/5g/手机");
}
