// The synthetic catalog generator (perf/generator.h): determinism, file formats, structure of
// items and variants, abuse labels and the labelled query set.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <longtail/longtail.h>

#include "index/catalog.h"
#include "perf/generator.h"
#include "perf/qrels.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using longtail::perf::GeneratorParams;

namespace {

// A small strict JSON reader, enough to check the generator's lines field by field.
struct Json;
using JsonObject = std::map<std::string, Json>;
struct Json {
  std::variant<std::nullptr_t, bool, double, std::string, JsonObject, std::vector<Json>> v;
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_number() const { return std::holds_alternative<double>(v); }
  bool is_object() const { return std::holds_alternative<JsonObject>(v); }
  const std::string& str() const { return std::get<std::string>(v); }
  double num() const { return std::get<double>(v); }
  const JsonObject& obj() const { return std::get<JsonObject>(v); }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}
  Json parse() {
    Json j = value();
    ws();
    if (i_ != s_.size()) fail("trailing characters");
    return j;
  }

 private:
  [[noreturn]] void fail(const char* why) { throw std::runtime_error(std::string("json: ") + why + " in " + s_); }
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  char peek() {
    ws();
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail("unexpected character");
    ++i_;
  }
  Json value() {
    char c = peek();
    if (c == '{') {
      ++i_;
      JsonObject o;
      if (peek() == '}') {
        ++i_;
        return Json{o};
      }
      for (;;) {
        std::string k = string();
        expect(':');
        if (!o.emplace(k, value()).second) fail("duplicate key");
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect('}');
        return Json{o};
      }
    }
    if (c == '[') {
      ++i_;
      std::vector<Json> a;
      if (peek() == ']') {
        ++i_;
        return Json{a};
      }
      for (;;) {
        a.push_back(value());
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect(']');
        return Json{a};
      }
    }
    if (c == '"') return Json{string()};
    if (s_.compare(i_, 4, "true") == 0) return i_ += 4, Json{true};
    if (s_.compare(i_, 5, "false") == 0) return i_ += 5, Json{false};
    if (s_.compare(i_, 4, "null") == 0) return i_ += 4, Json{nullptr};
    size_t end = i_;
    while (end < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[end])) || std::strchr("+-.eE", s_[end]))) ++end;
    if (end == i_) fail("bad value");
    double d = std::stod(s_.substr(i_, end - i_));
    i_ = end;
    return Json{d};
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (static_cast<unsigned char>(s_[i_]) < 0x20) fail("control character in string");
      if (s_[i_] == '\\') {
        ++i_;
        if (i_ >= s_.size()) fail("bad escape");
        if (s_[i_] == 'u') {
          i_ += 4;
          out.push_back('?');
        } else {
          out.push_back(s_[i_]);
        }
        ++i_;
        continue;
      }
      out.push_back(s_[i_++]);
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return out;
  }
  const std::string& s_;
  size_t i_ = 0;
};

std::vector<std::string> lines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using longtail::test::TempDir;

const char* kFiles[] = {"catalog.jsonl", "shops.jsonl", "labels.jsonl", "queries.tsv", "qrels.tsv", "params.json"};

// One generated catalog shared by the structure tests (generated once).
struct Catalog {
  TempDir tmp;
  fs::path dir;
  longtail::perf::GeneratorSummary summary;
  std::vector<JsonObject> skus;
  std::map<std::string, JsonObject> shops;
  std::vector<JsonObject> labels;
};

void fill(Catalog& c) {
  c.dir = fs::path(c.tmp.path) / "out";
  GeneratorParams p;
  p.skus = 20000;
  p.seed = 42;
  p.queries = 120;
  for (double& r : p.abuse_rate) r *= 4;  // more abusers, so every kind is present
  c.summary = longtail::perf::generate_catalog(p, c.dir.string());
  for (const auto& l : lines(c.dir / "catalog.jsonl")) c.skus.push_back(JsonParser(l).parse().obj());
  for (const auto& l : lines(c.dir / "shops.jsonl")) {
    JsonObject o = JsonParser(l).parse().obj();
    c.shops.emplace(o.at("shop_id").str(), o);
  }
  for (const auto& l : lines(c.dir / "labels.jsonl")) c.labels.push_back(JsonParser(l).parse().obj());
}

const Catalog& catalog() {
  static Catalog c;
  static bool filled = (fill(c), true);
  (void)filled;
  return c;
}

bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int k : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
  return true;
}

// A small catalog's parameters: seed 7.
GeneratorParams small_params(uint64_t skus, uint32_t queries) {
  GeneratorParams p;
  p.skus = skus;
  p.seed = 7;
  p.queries = queries;
  return p;
}

}  // namespace

TEST_CASE("generator: same seed and parameters give the same bytes, another seed differs", "[generator]") {
  GeneratorParams p = small_params(5000, 60);
  TempDir tmp;
  fs::path a = fs::path(tmp.path) / "a", b = fs::path(tmp.path) / "b", c = fs::path(tmp.path) / "c";
  longtail::perf::generate_catalog(p, a.string());
  longtail::perf::generate_catalog(p, b.string());
  for (const char* f : kFiles) {
    INFO(f);
    CHECK(slurp(a / f) == slurp(b / f));
    CHECK(!slurp(a / f).empty());
  }
  p.seed = 8;
  longtail::perf::generate_catalog(p, c.string());
  CHECK(slurp(a / "catalog.jsonl") != slurp(c / "catalog.jsonl"));
}

TEST_CASE("generator: --zstd writes the same catalog compressed, and a build reads it", "[generator]") {
  const GeneratorParams p = small_params(3000, 30);
  TempDir tmp;
  const fs::path a = fs::path(tmp.path) / "a", z = fs::path(tmp.path) / "z";
  longtail::perf::generate_catalog(p, a.string());
  longtail::perf::generate_catalog(p, z.string());  // a plain catalog first: --zstd replaces it
  longtail::perf::generate_catalog(p, z.string(), nullptr, true);
  CHECK_FALSE(fs::exists(z / "catalog.jsonl"));
  REQUIRE(fs::exists(z / "catalog.jsonl.zst"));
  const std::string plain = slurp(a / "catalog.jsonl");
  CHECK(fs::file_size(z / "catalog.jsonl.zst") * 5 < plain.size());
  // Decompressed, line for line the plain catalog.
  longtail::index::LineReader r((z / "catalog.jsonl.zst").string());
  longtail::index::LineReader::Line l;
  std::string back;
  while (r.next(l)) back.append(l.text).append("\n");
  CHECK(back == plain);
  CHECK(slurp(z / "queries.tsv") == slurp(a / "queries.tsv"));
  longtail::BuildOptions o;
  o.catalog_files = {(z / "catalog.jsonl.zst").string()};
  o.shops_file = (z / "shops.jsonl").string();
  o.index_dir = (fs::path(tmp.path) / "idx").string();
  o.shards = 1;
  CHECK(longtail::build_index(o).accepted == 3000);
}

TEST_CASE("generator: writes exactly --skus lines, each with every field and valid types", "[generator]") {
  const Catalog& c = catalog();
  REQUIRE(c.skus.size() == 20000);
  CHECK(c.summary.skus == 20000);
  std::set<std::string> sku_ids;
  for (const JsonObject& o : c.skus) {
    for (const char* k : {"sku_id", "item_id", "shop_id", "title", "category", "listed_at"}) {
      INFO(k);
      REQUIRE(o.count(k));
      CHECK(o.at(k).is_string());
    }
    for (const char* k : {"price", "shipping_fee", "sales_30d", "reviews", "good_reviews"}) {
      INFO(k);
      REQUIRE(o.count(k));
      REQUIRE(o.at(k).is_number());
      CHECK(o.at(k).num() >= 0);
    }
    CHECK(o.at("price").num() > 0);
    CHECK(o.at("good_reviews").num() <= o.at("reviews").num());
    CHECK(std::floor(o.at("sales_30d").num()) == o.at("sales_30d").num());
    CHECK(is_date(o.at("listed_at").str()));
    const std::string& cat = o.at("category").str();
    CHECK(std::count(cat.begin(), cat.end(), '/') == 1);
    REQUIRE(o.at("attrs").is_object());
    CHECK(!o.at("attrs").obj().empty());
    for (const auto& [k, v] : o.at("attrs").obj()) CHECK(v.is_string());
    if (o.count("brand")) CHECK(!o.at("brand").str().empty());
    CHECK(!o.at("title").str().empty());
    CHECK(sku_ids.insert(o.at("sku_id").str()).second);
    CHECK(c.shops.count(o.at("shop_id").str()) == 1);
  }
}

TEST_CASE("generator: variants share item_id, title base, shop, category and brand, attrs differ", "[generator]") {
  const Catalog& c = catalog();
  std::map<std::string, std::vector<const JsonObject*>> items;
  std::string prev;
  std::set<std::string> closed;
  for (const JsonObject& o : c.skus) {
    const std::string& id = o.at("item_id").str();
    if (id != prev) {
      CHECK(closed.insert(id).second);  // an item's SKUs are contiguous
      prev = id;
    }
    items[id].push_back(&o);
  }
  size_t multi = 0, max_variants = 0;
  for (const auto& [id, skus] : items) {
    max_variants = std::max(max_variants, skus.size());
    if (skus.size() < 2) continue;
    ++multi;
    const JsonObject& first = *skus[0];
    std::set<std::string> attr_sets;
    for (const JsonObject* s : skus) {
      CHECK(s->at("shop_id").str() == first.at("shop_id").str());
      CHECK(s->at("category").str() == first.at("category").str());
      CHECK(s->count("brand") == first.count("brand"));
      // Titles are the item's title, or the item's title plus the variant's colour and size.
      const std::string& t = s->at("title").str();
      const std::string& t0 = first.at("title").str();
      size_t base = std::min(t.size(), t0.size());
      while (base > 0 && (t.compare(0, base, t0, 0, base) != 0)) --base;
      CHECK(base * 2 >= t0.size());
      std::string key;
      for (const auto& [k, v] : s->at("attrs").obj()) key += k + "=" + v.str() + ";";
      attr_sets.insert(key);
    }
    CHECK(attr_sets.size() == skus.size());
  }
  CHECK(multi > items.size() / 3);
  CHECK(max_variants >= 12);  // "1 to dozens"
  CHECK(items.size() == c.summary.items);
}

TEST_CASE("generator: shops have DSR scores in 1..5, ratings, violations, a few blocked", "[generator]") {
  const Catalog& c = catalog();
  CHECK(c.shops.size() == c.summary.shops);
  size_t blocked = 0;
  for (const auto& [id, o] : c.shops) {
    CHECK(!o.at("name").str().empty());
    for (const char* d : {"description", "service", "shipping", "delivery"}) {
      double v = o.at("dsr").obj().at(d).num();
      CHECK(v >= 1);
      CHECK(v <= 5);
    }
    CHECK(o.at("ratings_6m").num() >= 0);
    CHECK(o.at("violations").num() >= 0);
    blocked += o.count("blocked") != 0;
  }
  CHECK(blocked < c.shops.size() / 10);
}

TEST_CASE("generator: labels reference existing SKUs and match what was injected", "[generator]") {
  const Catalog& c = catalog();
  std::map<std::string, const JsonObject*> by_sku;
  std::map<std::string, std::string> item_shop;
  std::map<std::string, double> item_sales, item_reviews;
  for (const JsonObject& o : c.skus) {
    by_sku[o.at("sku_id").str()] = &o;
    item_shop[o.at("item_id").str()] = o.at("shop_id").str();
    item_sales[o.at("item_id").str()] += o.at("sales_30d").num();
    item_reviews[o.at("item_id").str()] += o.at("reviews").num();
  }
  const std::set<std::string> kinds = {"duplicate_listing", "brand_stuffing", "hotword_stuffing",
                                       "category_misrepresentation", "shipping_fee_game", "advertisement",
                                       "sham_sales"};
  std::map<std::string, size_t> seen;
  for (const JsonObject& l : c.labels) {
    const std::string& abuse = l.at("abuse").str();
    INFO(abuse << " " << l.at("sku_id").str());
    REQUIRE(kinds.count(abuse));
    ++seen[abuse];
    REQUIRE(by_sku.count(l.at("sku_id").str()));
    const JsonObject& s = *by_sku[l.at("sku_id").str()];
    CHECK(s.at("item_id").str() == l.at("item_id").str());
    CHECK(s.at("shop_id").str() == l.at("shop_id").str());
    CHECK(!l.at("detail").str().empty());
    if (abuse == "shipping_fee_game") {
      CHECK(s.at("price").num() < 2);
      CHECK(s.at("shipping_fee").num() >= 50);
    } else if (abuse == "duplicate_listing") {
      const std::string& cluster = l.at("cluster").str();
      REQUIRE(item_shop.count(cluster));             // the original exists ...
      CHECK(item_shop[cluster] == s.at("shop_id").str());  // ... in the same shop
      CHECK(cluster != s.at("item_id").str());
    } else if (abuse == "sham_sales") {
      CHECK(item_sales[s.at("item_id").str()] >= 3000);
      CHECK(item_reviews[s.at("item_id").str()] <= 3);
    } else if (abuse == "advertisement") {
      const std::string& t = s.at("title").str();
      size_t digits = std::count_if(t.begin(), t.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
      CHECK((t.find("www.") != std::string::npos || t.find("wx") != std::string::npos || digits >= 6));
    } else if (abuse == "category_misrepresentation") {
      CHECK(l.at("detail").str().find(s.at("category").str()) != std::string::npos);
    }
  }
  CHECK(seen.size() == kinds.size());
  // Honest listings stay the vast majority even with 4x the default rates.
  CHECK(c.labels.size() < c.skus.size() / 5);
  CHECK(!c.labels.empty());
}

TEST_CASE("generator: queries and qrels are readable, graded 0..3 and reference existing items", "[generator]") {
  const Catalog& c = catalog();
  auto queries = longtail::perf::read_queries((c.dir / "queries.tsv").string());
  auto qrels = longtail::perf::read_qrels((c.dir / "qrels.tsv").string());
  REQUIRE(!queries.empty());
  std::set<std::string> items;
  for (const JsonObject& o : c.skus) items.insert(o.at("item_id").str());
  std::set<std::string> qids;
  std::map<longtail::perf::QueryClass, std::vector<size_t>> relevant_by_class;
  for (const auto& q : queries) {
    CHECK(qids.insert(q.qid).second);
    REQUIRE(qrels.count(q.qid));
    size_t relevant = 0, exact = 0;
    for (const auto& [item, grade] : qrels.at(q.qid)) {
      CHECK(items.count(item));
      CHECK(grade >= 0);
      CHECK(grade <= 3);
      relevant += grade > 0;
      exact += grade == 3;
    }
    CHECK(relevant > 0);
    relevant_by_class[q.cls].push_back(exact);
  }
  for (const auto& [qid, judged] : qrels) CHECK(qids.count(qid));
  using QC = longtail::perf::QueryClass;
  REQUIRE(relevant_by_class[QC::Head].size() > 5);
  REQUIRE(relevant_by_class[QC::Tail].size() > 5);
  auto mean = [](const std::vector<size_t>& v) {
    double s = 0;
    for (size_t x : v) s += static_cast<double>(x);
    return s / static_cast<double>(v.size());
  };
  // Head queries have many fully relevant (grade 3) items, tail queries few.
  CHECK(mean(relevant_by_class[QC::Head]) > 5 * mean(relevant_by_class[QC::Tail]));
  CHECK(mean(relevant_by_class[QC::Tail]) < 3);
  for (const auto& q : queries)
    if (q.cls == QC::Tail) CHECK(q.text.size() > 6);
}

TEST_CASE("generator: a bad output directory or bad parameters are usage errors", "[generator]") {
  TempDir tmp;
  fs::path file = fs::path(tmp.path) / "not_a_dir";
  { std::ofstream(file) << "x"; }
  GeneratorParams p;
  p.skus = 10;
  CHECK_THROWS_AS(longtail::perf::generate_catalog(p, file.string()), longtail::UsageError);
  CHECK_THROWS_AS(longtail::perf::generate_catalog(p, (file / "sub").string()), longtail::UsageError);
  CHECK_THROWS_AS(longtail::perf::generate_catalog(p, ""), longtail::UsageError);
  p.skus = 0;
  CHECK_THROWS_AS(longtail::perf::validate(p), longtail::UsageError);
  p.skus = 10;
  p.date_end = "2025-13-01";
  CHECK_THROWS_AS(longtail::perf::validate(p), longtail::UsageError);
  p.date_end = "2025-06-30";
  p.abuse_rate[0] = 0.9;
  CHECK_THROWS_AS(longtail::perf::validate(p), longtail::UsageError);
}

TEST_CASE("generator: the query and qrels readers report the file and line of a bad line", "[generator]") {
  TempDir tmp;
  fs::path q = fs::path(tmp.path) / "bad_queries.tsv", r = fs::path(tmp.path) / "bad_qrels.tsv";
  { std::ofstream(q) << "1\t连衣裙\thead\n2\t手机\tmiddle\n"; }
  { std::ofstream(r) << "1 0 i5 3\n1 0 i6\n"; }
  CHECK_THROWS_WITH(longtail::perf::read_queries(q.string()), Catch::Contains(":2: class"));
  CHECK_THROWS_WITH(longtail::perf::read_qrels(r.string()), Catch::Contains(":2: expected 4 fields"));
  CHECK_THROWS_AS(longtail::perf::read_qrels((q.string() + ".missing")), longtail::UsageError);
}

TEST_CASE("generator: longtail gen prints a line, or its parameters and result with --json, and exits 2 for a bad --out", "[generator][cli]") {
  TempDir tmp;
  std::string out = tmp.path + "/cat";
  auto ok = longtail::test::run_cli("gen --skus 300 --seed 3 --queries 10 --quiet --json --out '" + out + "'");
  CHECK(ok.status == 0);
  CHECK(ok.out.find("{\"params\":{\"skus\":300,\"seed\":3,") == 0);
  CHECK(ok.out.find(",\"result\":{\"skus\":300,") != std::string::npos);
  CHECK(std::count(ok.out.begin(), ok.out.end(), '\n') == 1);  // one JSON object
  // Without --json: a line of text.
  auto text = longtail::test::run_cli("gen --skus 300 --seed 3 --queries 10 --quiet --out '" + out + "2'");
  CHECK(text.status == 0);
  CHECK(text.out.rfind("wrote " + out + "2: 300 SKUs, ", 0) == 0);
  for (const char* f : kFiles) CHECK(fs::exists(fs::path(out) / f));
  auto bad = longtail::test::run_cli("gen --skus 10 --quiet --out '" + out + "/catalog.jsonl' 2>/dev/null");
  CHECK(bad.status == 2);
}
