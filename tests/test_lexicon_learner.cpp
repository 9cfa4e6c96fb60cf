// LexiconLearner: catalog words (brands with aliases, attribute values, categories) and word
// discovery from titles (frequency, PMI cohesion, boundary entropy) in bounded memory.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "analyzers/analyzer.h"
#include "tests/shared_data.h"
#include "analyzers/lexicon_learner.h"

using longtail::analysis::Analyzer;
using longtail::analysis::Lexicon;
using longtail::analysis::LexiconLearner;
using longtail::analysis::Mode;

namespace {

const Analyzer& base() {
  static const Analyzer a(Lexicon::load_default());
  return a;
}

std::string query(const Analyzer& a, std::string_view text) {
  std::string out;
  for (const auto& t : a.analyze(text, Mode::Query)) out += (out.empty() ? "" : "/") + t.text;
  return out;
}

const Lexicon::Entry* find_entry(const std::vector<Lexicon::Entry>& es, const std::string& w) {
  auto it = std::find_if(es.begin(), es.end(), [&](const Lexicon::Entry& e) { return e.word == w; });
  return it == es.end() ? nullptr : &*it;
}

bool discovered(const LexiconLearner& l, const std::string& w) {
  for (const auto& d : l.discover())
    if (d.word == w) return true;
  return false;
}

// Synthetic titles: a planted unknown word 咔咔鱼 between varied known words (seeded LCG).
// The corpus is tiny (about 11 characters a title, 20 distinct words), so every n-gram is
// frequent and PMI values are small: tests on it lower min_pmi to 1.0 (real catalogs use 4.0).
LexiconLearner::Options synthetic_options() {
  LexiconLearner::Options opt;
  opt.min_pmi = 1.0;
  return opt;
}

void feed_synthetic(LexiconLearner& l, int titles) {
  const char* left[] = {"新款", "儿童", "加厚", "夏季", "韩版", "男士", "女士", "包邮", "正品", "特价"};
  const char* right[] = {"玩具", "背包", "水杯", "枕头", "外套", "雨伞", "挂件", "贴纸", "文具", "帽子"};
  uint32_t x = 12345;
  auto next = [&] { return (x = x * 1103515245u + 12345u) >> 16; };
  for (int i = 0; i < titles; ++i) {
    std::string t = std::string(left[next() % 10]) + "咔咔鱼" + right[next() % 10] + left[next() % 10] + right[next() % 10];
    l.add_title(t);
  }
}

}  // namespace

TEST_CASE("learner: brand fields split into alias groups", "[learner]") {
  CHECK(LexiconLearner::split_brand("CHANDO/自然堂") == std::vector<std::string>{"CHANDO", "自然堂"});
  CHECK(LexiconLearner::split_brand("自然堂（CHANDO）") == std::vector<std::string>{"自然堂", "CHANDO"});
  LexiconLearner l(base());
  l.add_brand("CHANDO/自然堂");
  l.add_brand("自然堂(CHANDO)");
  l.add_brand("ＨＵＡＷＥＩ / 华为");
  const auto groups = l.brand_groups();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0] == std::vector<std::string>{"chando", "自然堂"});
  CHECK(groups[1] == std::vector<std::string>{"huawei", "华为"});
}

TEST_CASE("learner: catalog words become lexicon entries that stay whole", "[learner]") {
  LexiconLearner l(base());
  l.add_brand("CHANDO/自然堂");
  l.add_category("手机/手机配件/手机壳");
  l.add_attribute_value("玫瑰金，雾霾蓝");
  const auto es = l.entries();
  const auto* brand = find_entry(es, "自然堂");
  REQUIRE(brand != nullptr);
  CHECK(brand->tag == "brand");
  REQUIRE(find_entry(es, "手机壳") != nullptr);
  CHECK(find_entry(es, "手机壳")->tag == "cat");
  CHECK(find_entry(es, "手机") == nullptr);  // known words are not repeated
  REQUIRE(find_entry(es, "雾霾蓝") != nullptr);
  CHECK(find_entry(es, "雾霾蓝")->tag == "attr");
  const Analyzer learned(Lexicon::extend(base().lexicon(), es));
  // Base: 壳雾霾蓝 is a run of single characters, so the query uses its bigrams.
  CHECK(query(base(), "CHANDO/自然堂手机壳雾霾蓝") == "chando/自然/堂/手机/壳雾/雾霾/霾蓝");
  CHECK(query(learned, "CHANDO/自然堂手机壳雾霾蓝") == "chando/自然堂/手机壳/雾霾蓝");
}

TEST_CASE("learner: discovers a frequent, cohesive, free word from titles", "[learner]") {
  LexiconLearner l(base(), synthetic_options());
  feed_synthetic(l, 400);
  CHECK(discovered(l, "咔咔鱼"));
  CHECK_FALSE(discovered(l, "咔咔"));     // right neighbour is always 鱼: low entropy
  CHECK_FALSE(discovered(l, "新款"));     // already a word
  const Analyzer learned(Lexicon::extend(base().lexicon(), l.entries()));
  CHECK(query(learned, "新款咔咔鱼玩具") == "新款/咔咔鱼/玩具");
}

TEST_CASE("learner: rare candidates are not words", "[learner]") {
  LexiconLearner l(base(), synthetic_options());
  feed_synthetic(l, 3);  // 咔咔鱼 three times: below min_count
  CHECK_FALSE(discovered(l, "咔咔鱼"));
}

TEST_CASE("learner: join entries for cohesive, free n-grams too rare to be words", "[learner]") {
  LexiconLearner::Options opt = synthetic_options();
  opt.join_min_pmi = 1.0;  // a three-title corpus: every PMI is small
  LexiconLearner l(base(), opt);
  for (const char* t : {"新款咔咔鱼玩具", "儿童咔咔鱼枕头", "加厚咔咔鱼帽子"}) l.add_title(t);
  CHECK_FALSE(discovered(l, "咔咔鱼"));  // three occurrences: below min_count
  std::vector<std::string> joins;
  for (const auto& j : l.joins()) joins.push_back(j.word);
  CHECK(joins == std::vector<std::string>{"咔咔鱼"});  // not 咔咔 (always before 鱼), not 新款 (a word)
  const auto es = l.entries();
  const auto* e = find_entry(es, "咔咔鱼");
  REQUIRE(e != nullptr);
  CHECK(e->tag == "join");
  CHECK(e->freq == 0);
  const Analyzer learned(Lexicon::extend(base().lexicon(), es));
  auto plain = [](const Analyzer& a, std::string_view text) {
    std::string out;
    for (const auto& t : a.analyze(text, Mode::Plain)) out += (out.empty() ? "" : "/") + t.text;
    return out;
  };
  CHECK(plain(base(), "新款咔咔鱼玩具") == "新款/咔/咔/鱼/玩具");
  CHECK(plain(learned, "新款咔咔鱼玩具") == "新款/咔咔鱼/玩具");
  CHECK(query(learned, "新款咔咔鱼玩具") == query(base(), "新款咔咔鱼玩具"));  // query terms unchanged
  opt.max_join_words = 0;
  LexiconLearner off(base(), opt);
  for (const char* t : {"新款咔咔鱼玩具", "儿童咔咔鱼枕头", "加厚咔咔鱼帽子"}) off.add_title(t);
  CHECK(off.joins().empty());
  opt.max_join_chars = 4;
  CHECK_THROWS_AS(LexiconLearner(base(), opt), std::invalid_argument);
  // Glue: with 水杯 after it, 鱼水 (a base word) crosses the right edge of one occurrence in three.
  opt = synthetic_options();
  opt.join_min_pmi = 1.0;
  LexiconLearner glue(base(), opt);
  for (const char* t : {"新款咔咔鱼玩具", "儿童咔咔鱼枕头", "加厚咔咔鱼水杯"}) glue.add_title(t);
  CHECK(glue.joins().empty());
  opt.join_max_crossed = 1.0;  // no crossing test
  LexiconLearner no_test(base(), opt);
  for (const char* t : {"新款咔咔鱼玩具", "儿童咔咔鱼枕头", "加厚咔咔鱼水杯"}) no_test.add_title(t);
  CHECK(no_test.joins().size() == 1);
}

TEST_CASE("learner: memory is bounded by pruning rare n-grams", "[learner]") {
  LexiconLearner::Options opt = synthetic_options();
  opt.table_bits = 10;  // 1024 slots: far fewer than the distinct n-grams fed
  LexiconLearner l(base(), opt);
  feed_synthetic(l, 3000);
  CHECK(l.prune_threshold() > 0);
  CHECK(discovered(l, "咔咔鱼"));
}

TEST_CASE("learner: catalog words are bounded, brands survive pruning", "[learner]") {
  LexiconLearner::Options opt;
  opt.max_catalog_words = 100;
  LexiconLearner l(base(), opt);
  l.add_brand("CHANDO/自然堂");
  l.add_attribute_value("雾霾蓝");
  l.add_attribute_value("雾霾蓝");
  for (int i = 0; i < 1000; ++i) l.add_attribute_value("型号" + std::to_string(i) + "款");
  l.add_attribute_value("这是一段被塞进属性里的很长很长的商品描述文字");  // longer than 8 characters
  const auto es = l.entries();
  CHECK(es.size() <= 100);
  CHECK(find_entry(es, "自然堂") != nullptr);
  CHECK(find_entry(es, "雾霾蓝") != nullptr);  // seen twice: outlives the single ones
  CHECK(find_entry(es, "这是一段被塞进属性里的很长很长的商品描述文字") == nullptr);
}

TEST_CASE("learner: only the first max_titles titles are counted", "[learner]") {
  LexiconLearner::Options opt;
  opt.max_titles = 100;
  LexiconLearner l(base(), opt);
  feed_synthetic(l, 250);
  CHECK(l.titles_seen() == 250);
  CHECK(l.titles_used() == 100);
  CHECK_THROWS_AS(LexiconLearner(base(), LexiconLearner::Options{.max_word_chars = 9}), std::invalid_argument);
}

TEST_CASE("learner: real titles gain product words", "[learner][shared-data]") {
  std::ifstream in;
  std::string why;
  if (!longtail::test::open_shared_data("titles/jd_titles.txt", in, why)) {
    WARN(why);
    return;
  }
  LexiconLearner l(base());
  std::string line;
  while (std::getline(in, line)) l.add_title(line);
  const auto es = l.entries();
  CHECK(es.size() > 500);
  CHECK(find_entry(es, "手机壳") != nullptr);
  CHECK(find_entry(es, "钢化膜") != nullptr);
  const Analyzer learned(Lexicon::extend(base().lexicon(), es));
  CHECK(query(learned, "华为手机壳防摔钢化膜") == "华为/手机壳/防摔/钢化膜");
}
