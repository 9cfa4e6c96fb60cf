// Query correction (engine/correct.h, docs/ranking.md "Pinyin and typos"): word-level pinyin
// readings, the spelling vocabulary a build writes, and what a query finds through pinyin,
// initials, Latin typos and Chinese homophones.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include <longtail/longtail.h>

#include "analyzers/pinyin.h"
#include "index/spelling.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const analysis::Pinyin> table() {
  auto p = analysis::Pinyin::load_default();
  REQUIRE(p);  // built with longtail (analyzers/CMakeLists.txt)
  return p;
}

std::string read(const std::string& word) {
  std::string o;
  for (const auto& s : table()->reading(word)) o += (o.empty() ? "" : " ") + s;
  return o;
}

// A small catalog of our own: one listing per product word the tests correct toward.
std::string build(const test::TempDir& tmp) {
  const char* titles[][3] = {
      {"down1", "冬季加厚羽绒服 男士 短款外套", "男装/羽绒服"},
      {"down2", "轻薄羽绒服女 白鸭绒 立领", "女装/羽绒服"},
      {"cup1", "不锈钢保温杯 大容量 便携水杯", "家居/水杯"},
      {"case1", "万向轮行李箱 20寸 登机箱", "箱包/行李箱"},
      {"power1", "超薄充电宝 20000毫安 快充移动电源", "数码/移动电源"},
      {"kb1", "机械键盘 keyboard 青轴 有线", "数码/键盘"},
      {"bt1", "bluetooth 无线耳机 入耳式 降噪", "数码/耳机"},
      {"guitar1", "初学者民谣吉他 乐器 41寸", "乐器/吉他"},
  };
  std::string cat;
  int i = 0;
  for (const auto& t : titles) {
    cat += std::string("{\"sku_id\":\"") + t[0] + "\",\"item_id\":\"" + t[0] + "\",\"shop_id\":\"shop" +
           std::to_string(i++ % 3) + "\",\"title\":\"" + t[1] + "\",\"category\":\"" + t[2] +
           "\",\"price\":99,\"sales_30d\":10,\"reviews\":5,\"good_reviews\":5,\"listed_at\":\"2024-05-01\"}\n";
  }
  test::write_file(tmp.path + "/cat.jsonl", cat);
  BuildOptions o;
  o.catalog_files = {tmp.path + "/cat.jsonl"};
  o.index_dir = tmp.path + "/idx";
  o.shards = 2;
  build_index(o);
  return o.index_dir;
}

SearchResult search(const Searcher& s, const std::string& q, bool correct = true) {
  SearchRequest r;
  r.query = q;
  r.correct = correct;
  return s.search(r);
}

std::string first(const SearchResult& r) { return r.hits.empty() ? "" : r.hits[0].sku_id; }

}  // namespace

TEST_CASE("pinyin readings are per word: polyphones read as in the word", "[correct]") {
  CHECK(read("重量") == "zhong liang");
  CHECK(read("重复") == "chong fu");
  CHECK(read("乐器") == "yue qi");
  CHECK(read("快乐") == "kuai le");
  CHECK(read("行李") == "xing li");
  CHECK(read("调料") == "tiao liao");
  CHECK(read("音调") == "yin diao");
  CHECK(read("绿茶") == "lv cha");  // ü as v, as typed on pinyin keyboards
  // A word the table lacks is read as its table words: 行李箱包 = 行李 + 箱包.
  CHECK(read("行李箱包") == "xing li xiang bao");
  CHECK(read("abc").empty());
  CHECK(analysis::Pinyin::full_key({"yu", "rong", "fu"}) == "yurongfu");
  CHECK(analysis::Pinyin::initials_key({"yu", "rong", "fu"}) == "yrf");
  CHECK(table()->is_pinyin("yurongfu"));
  CHECK(table()->is_pinyin("xian"));
  CHECK_FALSE(table()->is_pinyin("iphone"));
  CHECK_FALSE(table()->is_pinyin("bwb"));
}

TEST_CASE("pinyin table: bad lines name source and line", "[correct]") {
  CHECK_THROWS_WITH(analysis::Pinyin::parse("# c\n长城\tchang\n", "t.tsv"), Catch::Contains("t.tsv:2:"));
  CHECK_THROWS_WITH(analysis::Pinyin::parse("长城\tChang cheng\n", "t.tsv"), Catch::Contains("t.tsv:1:"));
  CHECK_THROWS_WITH(analysis::Pinyin::parse("长城\tchang cheng\tx\n", "t.tsv"), Catch::Contains("bad cost"));
  // The most frequent (lowest cost) reading of a word wins.
  auto p = analysis::Pinyin::parse("行\thang\t9000\n行\txing\t6000\n", "t.tsv");
  CHECK(p->reading("行") == std::vector<std::string>{"xing"});
}

TEST_CASE("edit distance counts a transposition as one edit and stops at the limit", "[correct]") {
  CHECK(index::edit_distance("keybaord", "keyboard", 2) == 1);
  CHECK(index::edit_distance("blutooth", "bluetooth", 2) == 1);
  CHECK(index::edit_distance("kitten", "sitting", 1) == 2);  // limit + 1
  CHECK(index::edit_distance("same", "same", 1) == 0);
  CHECK(index::allowed_typo_distance(3) == 0);
  CHECK(index::allowed_typo_distance(4) == 1);
  CHECK(index::allowed_typo_distance(8) == 2);
}

TEST_CASE("spelling vocabulary: written by build, refused with file and line when damaged", "[correct]") {
  test::TempDir tmp;
  const std::string idx = build(tmp);
  const std::string gen = idx + "/" + test::read_file(idx + "/CURRENT").substr(0, test::read_file(idx + "/CURRENT").find('\n'));
  const auto v = index::SpellingVocabulary::load(gen + "/" + index::kSpellingFile);
  auto words = [](const std::vector<index::SpellingWord>& ws) {
    std::vector<std::string> o;
    for (const auto& w : ws) o.push_back(w.word);
    return o;
  };
  CHECK(words(v->by_pinyin("yurongfu")) == std::vector<std::string>{"羽绒服"});
  CHECK(v->by_pinyin("yurongfu")[0].df == 2);
  CHECK(words(v->by_initials("bwb")) == std::vector<std::string>{"保温杯"});
  CHECK(words(v->near_latin("keybaord")) == std::vector<std::string>{"keyboard"});
  CHECK(v->near_latin("keyboard").empty());  // itself is no correction
  CHECK(v->near_latin("kb").empty());
  CHECK_THROWS_WITH(index::SpellingVocabulary::parse("P\tx\t羽绒服\n", "s.tsv"), Catch::Contains("s.tsv:1:"));
  CHECK_THROWS_WITH(index::SpellingVocabulary::parse("L\tkeyboard\t-1\n", "s.tsv"), Catch::Contains("document frequency"));
}

TEST_CASE("queries in pinyin, initials, with typos and homophones find the catalog's words", "[correct]") {
  test::TempDir tmp;
  Searcher s(build(tmp));

  SECTION("full pinyin, joined or spaced") {
    for (const std::string q : {"yurongfu", "yu rong fu", "YuRongFu"}) {
      INFO(q);
      const auto r = search(s, q);
      CHECK(r.corrected == "羽绒服");
      REQUIRE(r.hits.size() == 2);
      REQUIRE(r.corrections.size() == 1);
      CHECK(r.corrections[0] == (q == "yu rong fu" ? "yu rong fu" : "yurongfu") + std::string(" -> 羽绒服 (pinyin)"));
    }
    CHECK(first(search(s, "xinglixiang")) == "case1");
    CHECK(first(search(s, "yueqi")) == "guitar1");
  }
  SECTION("a whole query in pinyin, word by word") {
    const auto r = search(s, "nanshi yurongfu");
    CHECK(r.corrected == "男士 羽绒服");
    CHECK(first(r) == "down1");
    // A word that reads as no catalog word stays, and the rest still counts.
    const auto partial = search(s, "qingbo yurongfu xyzzy");
    CHECK(partial.corrected == "轻薄 羽绒服 xyzzy");
    CHECK(first(partial) == "down2");
  }
  SECTION("pinyin mixed with Chinese words") {
    const auto r = search(s, "男士 yurongfu");
    CHECK(r.corrected == "男士 羽绒服");
    CHECK(first(r) == "down1");
  }
  SECTION("initials of a word of three or more syllables") {
    const auto r = search(s, "bwb");
    CHECK(r.corrected == "保温杯");
    CHECK(first(r) == "cup1");
  }
  SECTION("a Latin typo within the allowed distance of a catalog word") {
    auto r = search(s, "keybaord");
    CHECK(r.corrected == "keyboard");
    CHECK(first(r) == "kb1");
    r = search(s, "blutooth 耳机");
    CHECK(r.corrected == "bluetooth 耳机");
    CHECK(first(r) == "bt1");
    CHECK(search(s, "kyebaord").corrected == "keyboard");  // 2 edits are allowed from 8 letters
    CHECK(search(s, "keyzzzzd").corrected.empty());        // 3 are not
  }
  SECTION("a Chinese homophone of a catalog word") {
    auto r = search(s, "保问杯");
    CHECK(r.corrected == "保温杯");
    CHECK(first(r) == "cup1");
    CHECK(r.corrections == std::vector<std::string>{"保问杯 -> 保温杯 (homophone)"});
    r = search(s, "民谣吉它");
    CHECK(r.corrected == "民谣吉他");
    CHECK(first(r) == "guitar1");
    r = search(s, "移动电原");
    CHECK(r.corrected == "移动电源");
    CHECK(first(r) == "power1");
  }
  SECTION("a query that finds enough is left as typed") {
    const auto r = search(s, "羽绒服");
    CHECK(r.corrected.empty());
    CHECK(r.hits.size() == 2);
    CHECK(search(s, "keyboard").corrected.empty());
  }
  SECTION("correction can be turned off") {
    const auto r = search(s, "yurongfu", false);
    CHECK(r.corrected.empty());
    CHECK(r.hits.empty());
  }
  SECTION("nothing in the catalog reads like it: no correction") {
    const auto r = search(s, "zzzzqqq");
    CHECK(r.corrected.empty());
    CHECK(r.hits.empty());
  }
}

TEST_CASE("CLI: --json says corrected, the table says showing results for", "[correct]") {
  test::TempDir tmp;
  const std::string idx = build(tmp);
  auto r = test::run_cli("search --index " + idx + " --json yurongfu");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\"corrected\":\"羽绒服\"") != std::string::npos);
  CHECK(r.out.find("\"corrections\":[\"yurongfu -> 羽绒服 (pinyin)\"]") != std::string::npos);
  r = test::run_cli("search --index " + idx + " --json 羽绒服");
  CHECK(r.out.find("\"corrected\":null") != std::string::npos);
  r = test::run_cli("search --index " + idx + " yurongfu");
  CHECK(r.out.find("showing results for 羽绒服") != std::string::npos);
  r = test::run_cli("search --index " + idx + " --no-correct --json yurongfu");
  CHECK(r.out.find("\"corrected\":null") != std::string::npos);
}

TEST_CASE("words an update adds are corrected toward after the next optimize", "[correct]") {
  test::TempDir tmp;
  const std::string idx = build(tmp);
  test::write_file(tmp.path + "/delta.jsonl",
                   "{\"sku_id\":\"blanket1\",\"item_id\":\"blanket1\",\"shop_id\":\"shop0\",\"title\":\"双人电热毯 "
                   "智能调温\",\"category\":\"家纺/电热毯\",\"price\":159,\"sales_30d\":3,\"reviews\":1,\"good_reviews\":1,"
                   "\"listed_at\":\"2024-06-01\"}\n");
  UpdateOptions u;
  u.index_dir = idx;
  u.catalog_files = {tmp.path + "/delta.jsonl"};
  update_index(u);
  {
    Searcher s(idx);
    CHECK(first(search(s, "电热毯")) == "blanket1");
    CHECK(search(s, "dianretan").corrected.empty());  // the generation's vocabulary predates it
  }
  OptimizeOptions o;
  o.index_dir = idx;
  optimize_index(o);
  Searcher s(idx);
  const auto r = search(s, "dianretan");
  CHECK(r.corrected == "电热毯");
  CHECK(first(r) == "blanket1");
  CHECK(first(search(s, "yurongfu")) != "");  // the build's words are still there
}

TEST_CASE("an index without a spelling vocabulary searches as typed", "[correct]") {
  test::TempDir tmp;
  const std::string idx = build(tmp);
  std::string gen = test::read_file(idx + "/CURRENT");
  gen = idx + "/" + gen.substr(0, gen.find('\n'));
  fs::remove(gen + "/" + index::kSpellingFile);
  Searcher s(idx);
  const auto r = search(s, "yurongfu");
  CHECK(r.corrected.empty());
  CHECK(r.hits.empty());
  CHECK(first(search(s, "羽绒服")) != "");
}
