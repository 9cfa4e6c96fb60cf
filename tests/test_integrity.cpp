// Listing integrity: detectors (honest vs abusive titles), fingerprints, clustering, persistence,
// the audit CLI, and golden ranking tests ("the honest listing outranks the abuser").
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <xapian.h>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "index/dedup.h"
#include "index/document.h"
#include "index/integrity.h"
#include "index/layout.h"
#include "index/simhash.h"
#include "tests/test_util.h"

using namespace longtail;
using namespace longtail::index;

namespace {

const analysis::Analyzer& base_analyzer() {
  static const analysis::Analyzer a(analysis::Lexicon::load_default());
  return a;
}

SkuRecord sku(std::string sku_id, std::string item, std::string shop, std::string title, std::string category,
              std::string brand = "", double price = 99, double fee = 0, int64_t sales = 0, int64_t reviews = 0) {
  SkuRecord r;
  r.sku_id = std::move(sku_id);
  r.item_id = std::move(item);
  r.shop_id = std::move(shop);
  r.title = std::move(title);
  r.category = std::move(category);
  r.brand = std::move(brand);
  r.price = price;
  r.shipping_fee = fee;
  r.sales_30d = sales;
  r.reviews = reviews;
  r.good_reviews = reviews;
  return r;
}

// A small marketplace: three top categories with their brands and product words, enough items
// for the statistics (thresholds lowered to its size).
std::vector<SkuRecord> mini_market() {
  std::vector<SkuRecord> out;
  const char* dress_mods[] = {"韩版", "显瘦", "气质", "法式", "复古", "高腰", "修身", "甜美"};
  const char* dress_brands[] = {"UNIQLO/优衣库", "ZARA/飒拉", "太平鸟"};
  const char* shoe_mods[] = {"轻便", "透气", "减震", "防滑", "耐磨", "缓震", "运动", "休闲"};
  const char* shoe_brands[] = {"NIKE/耐克", "Adidas/阿迪达斯", "李宁"};
  const char* wash_mods[] = {"滚筒", "全自动", "变频", "大容量", "静音", "除菌", "家用", "智能"};
  const char* wash_brands[] = {"Haier/海尔", "美的", "小天鹅"};
  int n = 0;
  for (int i = 0; i < 60; ++i) {
    auto id = [&](const char* p) { return std::string(p) + std::to_string(i); };
    std::string m1 = dress_mods[i % 8], m2 = dress_mods[(i * 3 + 1) % 8];
    out.push_back(sku("d" + std::to_string(n++), id("dress"), "shop" + std::to_string(i % 20),
                      std::string(dress_brands[i % 3]).substr(std::string(dress_brands[i % 3]).find('/') + 1) + " " + m1 + m2 +
                          "连衣裙 夏季 长裙",
                      "女装/连衣裙", dress_brands[i % 3], 100 + i * 7, 0, i % 5, i % 5));
    std::string s1 = shoe_mods[i % 8], s2 = shoe_mods[(i * 5 + 3) % 8];
    out.push_back(sku("s" + std::to_string(n++), id("shoe"), "shop" + std::to_string(20 + i % 20),
                      std::string(shoe_brands[i % 3]).substr(std::string(shoe_brands[i % 3]).find('/') + 1) + " " + s1 + s2 +
                          "跑步鞋 男款 运动鞋",
                      "运动/跑步鞋", shoe_brands[i % 3], 200 + i * 11, i % 4 == 0 ? 10 : 0, i % 7, i % 7));
    std::string w1 = wash_mods[i % 8], w2 = wash_mods[(i * 7 + 3) % 8];
    out.push_back(sku("w" + std::to_string(n++), id("wash"), "shop" + std::to_string(40 + i % 20),
                      std::string(wash_brands[i % 3]).substr(std::string(wash_brands[i % 3]).find('/') + 1) + " " + w1 + w2 +
                          "洗衣机 10公斤",
                      "家电/洗衣机", wash_brands[i % 3], 2000 + i * 13, 0, i % 3, i % 3));
  }
  return out;
}

IntegrityThresholds small_thresholds() {
  IntegrityThresholds t;
  t.set("term_min_items", 5);
  t.set("brand_min_items", 2);
  t.set("length_min_chars", 40);
  return t;
}

struct Model {
  test::TempDir dir;
  IntegrityModel m;
  explicit Model(const std::vector<SkuRecord>& extra = {}) : m(base_analyzer(), small_thresholds(), dir.path) {
    for (const auto& r : mini_market()) m.observe(r);
    for (const auto& r : extra) m.observe(r);
    m.finish();
  }
};

bool has(const IntegrityVerdict& v, const std::string& name) {
  for (const auto& r : v.reasons)
    if (r.name == name) return true;
  return false;
}

}  // namespace

TEST_CASE("simhash: equal sets are equal, heavy shared features keep the distance small", "[integrity][simhash]") {
  std::vector<std::pair<uint64_t, double>> a, b, c;
  for (int i = 0; i < 10; ++i) a.emplace_back(term_hash("w" + std::to_string(i)), i < 3 ? 10.0 : 0.1);
  b = a;
  CHECK(hamming64(simhash64(a), simhash64(b)) == 0);
  b.back() = {term_hash("other"), 0.1};  // a light word swapped
  CHECK(hamming64(simhash64(a), simhash64(b)) <= 3);
  for (int i = 0; i < 10; ++i) c.emplace_back(term_hash("x" + std::to_string(i)), 1.0);
  int far = hamming64(simhash64(a), simhash64(c));
  CHECK(far > 10);
  CHECK(simhash_block(0x1234567890abcdefULL, 0) == 0xcdef);
  CHECK(simhash_block(0x1234567890abcdefULL, 3) == 0x1234);
}

TEST_CASE("minhash: sketch distance estimates Jaccard similarity", "[integrity][simhash]") {
  std::vector<uint64_t> a, b;
  for (int i = 0; i < 40; ++i) a.push_back(term_hash("a" + std::to_string(i)));
  b = a;
  CHECK(minhash_distance(minhash256(a), minhash256(b)) == 0);
  for (int i = 0; i < 10; ++i) b[size_t(i)] = term_hash("b" + std::to_string(i));  // J = 30/50 = 0.6
  double j = minhash_jaccard(minhash_distance(minhash256(a), minhash256(b)));
  CHECK(j == Approx(0.6).margin(0.15));
}

TEST_CASE("clustering: same-shop near-duplicates are S, cross-shop are X, variants are never pairs", "[integrity][dedup]") {
  test::TempDir dir;
  DupParams p;
  NearDupClusterer c(dir.path, p);
  std::vector<uint64_t> words;
  for (int i = 0; i < 12; ++i) words.push_back(term_hash("w" + std::to_string(i)));
  auto print = [&](const char* item, const char* shop, uint32_t leaf, float price) {
    ItemPrint ip;
    ip.item = term_hash(item);
    ip.shop = term_hash(shop);
    ip.leaf = leaf;
    ip.price = price;
    ip.fp = 0xAAAA5555AAAA5555ULL;
    ip.sketch = minhash256(words);
    return ip;
  };
  c.add(print("a1", "shopA", 1, 100));
  c.add(print("a2", "shopA", 1, 105));   // same shop, same product: S
  c.add(print("b1", "shopB", 2, 100));
  c.add(print("b2", "shopC", 2, 110));   // another shop: X
  c.add(print("v1", "shopD", 3, 50));
  c.add(print("v1", "shopD", 3, 50));    // the same item twice (variants listed apart): no pair
  c.add(print("p1", "shopE", 4, 10));
  c.add(print("p2", "shopE", 4, 100));   // same words, price ten times higher: not a duplicate
  c.finish();
  REQUIRE(c.find(term_hash("a1")) != nullptr);
  CHECK(c.find(term_hash("a1"))->kind() == 'S');
  CHECK(c.find(term_hash("a1"))->cluster_id() == c.find(term_hash("a2"))->cluster_id());
  CHECK(c.shop_groups(term_hash("shopA")) == 1);
  REQUIRE(c.find(term_hash("b1")) != nullptr);
  CHECK(c.find(term_hash("b1"))->kind() == 'X');
  CHECK(c.find(term_hash("b2"))->kind() == 'X');
  CHECK(c.find(term_hash("v1")) == nullptr);
  CHECK(c.find(term_hash("p1")) == nullptr);
  CHECK(c.clusters() == 2);
  // Memberships survive a save/load round trip.
  c.save_memberships(dir.path + "/m.bin");
  NearDupClusterer d(dir.path, p, false);
  d.load_memberships(dir.path + "/m.bin");
  CHECK(d.find(term_hash("a2"))->cluster_id() == c.find(term_hash("a2"))->cluster_id());
  CHECK(d.shop_groups(term_hash("shopA")) == 1);
}

TEST_CASE("detectors leave honest listings of the mini market alone", "[integrity][detectors]") {
  Model model;
  for (const auto& r : mini_market()) {
    auto v = model.m.assess(r);
    INFO(r.title << " -> " << v.to_json());
    CHECK(v.reasons.empty());
    CHECK(v.penalty == 1);
    CHECK(v.sales_trust == 1);
  }
}

TEST_CASE("brand stuffing: competing brands in the title, not the own brand or a compatibility claim", "[integrity][detectors]") {
  Model model;
  auto abusive = sku("x1", "xi1", "shopx", "耐克 阿迪达斯同款 李宁 轻便跑步鞋", "运动/跑步鞋", "李宁", 199);
  auto v = model.m.assess(abusive);
  REQUIRE(has(v, "brand_stuffing"));
  CHECK(v.penalty < 1);
  CHECK(v.reasons[0].explanation.find("耐克") != std::string::npos);
  CHECK(v.stuffed.size() == 2);
  // Own brand in both alias forms, and an unbranded listing naming one brand, are fine.
  CHECK_FALSE(has(model.m.assess(sku("x2", "xi2", "shopx", "NIKE耐克 轻便跑步鞋", "运动/跑步鞋", "NIKE/耐克")), "brand_stuffing"));
  CHECK_FALSE(has(model.m.assess(sku("x3", "xi3", "shopx", "李宁 透气跑步鞋", "运动/跑步鞋", "")), "brand_stuffing"));
  // "适用于耐克" is a compatibility claim.
  CHECK_FALSE(has(model.m.assess(sku("x4", "xi4", "shopx", "鞋垫 适用于耐克 跑步鞋", "运动/跑步鞋", "李宁")), "brand_stuffing"));
  // A brand of another top category is not a competitor (美的 is an appliance brand).
  CHECK_FALSE(has(model.m.assess(sku("x5", "xi5", "shopx", "太平鸟 海尔 法式连衣裙", "女装/连衣裙", "太平鸟")), "brand_stuffing"));
}

TEST_CASE("hot-word stuffing: other categories' product words and repetition", "[integrity][detectors]") {
  Model model;
  auto v = model.m.assess(sku("h1", "hi1", "shopx", "优衣库 韩版连衣裙 洗衣机 跑步鞋 运动鞋 连衣裙", "女装/连衣裙", "UNIQLO/优衣库"));
  REQUIRE(has(v, "hotword_stuffing"));
  CHECK(v.stuffed.size() >= 2);
  CHECK_FALSE(v.repeated.empty());
  CHECK_FALSE(has(model.m.assess(sku("h2", "hi2", "shopx", "优衣库 韩版显瘦连衣裙 夏季长裙", "女装/连衣裙", "UNIQLO/优衣库")),
                  "hotword_stuffing"));
}

TEST_CASE("category misrepresentation: the title points to another top category", "[integrity][detectors]") {
  Model model;
  auto v = model.m.assess(sku("c1", "ci1", "shopx", "海尔 滚筒全自动洗衣机 10公斤", "女装/连衣裙", ""));
  REQUIRE(has(v, "category_misrepresentation"));
  CHECK_FALSE(has(v, "hotword_stuffing"));  // one reason, not two
  CHECK(v.reasons[0].explanation.find("家电") != std::string::npos);
}

TEST_CASE("category misrepresentation: words spread over every category are not evidence", "[integrity][detectors]") {
  // Generic words on a fifth of every category's items dilute a title's shares towards all
  // categories; only words that point somewhere (miscat_min_focus) count as evidence.
  std::vector<SkuRecord> extra;
  const char* cats[][2] = {{"女装/连衣裙", "连衣裙"}, {"运动/跑步鞋", "跑步鞋"}, {"家电/洗衣机", "洗衣机"}};
  for (int i = 0; i < 45; ++i)
    extra.push_back(sku("g" + std::to_string(i), "gi" + std::to_string(i), "shop" + std::to_string(60 + i % 10),
                        std::string("时尚 简约 舒适 百搭 ") + cats[i % 3][1], cats[i % 3][0]));
  auto assess = [&](double focus, const SkuRecord& r) {
    test::TempDir dir;
    IntegrityThresholds t = small_thresholds();
    t.set("miscat_min_focus", focus);
    IntegrityModel m(base_analyzer(), t, dir.path);
    for (const auto& x : mini_market()) m.observe(x);
    for (const auto& x : extra) m.observe(x);
    m.finish();
    return m.assess(r);
  };
  const SkuRecord washer_as_dress = sku("c2", "ci2", "shopx", "滚筒 全自动 洗衣机 时尚 简约 舒适 百搭", "女装/连衣裙");
  CHECK_FALSE(has(assess(0, washer_as_dress), "category_misrepresentation"));  // every word counts: diluted
  // A fresh model (possibly at the freed one's address) must not reuse the cached verdict of the
  // first: three categories, so a generic word holds ~1/3 of its spread, below 0.5.
  auto v = assess(0.5, washer_as_dress);
  REQUIRE(has(v, "category_misrepresentation"));
  CHECK(v.reasons[0].explanation.find("家电") != std::string::npos);
  CHECK_FALSE(has(assess(0.5, sku("c3", "ci3", "shopx", "优衣库 法式连衣裙 时尚 简约 舒适 百搭", "女装/连衣裙")),
                  "category_misrepresentation"));
}

TEST_CASE("abnormal title length for the category", "[integrity][detectors]") {
  Model model;
  std::string long_title = "优衣库 连衣裙";
  while (long_title.size() < 400) long_title += " 韩版显瘦气质法式复古";
  CHECK(has(model.m.assess(sku("l1", "li1", "shopx", long_title, "女装/连衣裙", "UNIQLO/优衣库")), "title_length"));
}

TEST_CASE("price/shipping game: near-zero price with a large fee", "[integrity][detectors]") {
  Model model;
  auto v = model.m.assess(sku("f1", "fi1", "shopx", "李宁 轻便跑步鞋", "运动/跑步鞋", "李宁", 0.99, 80));
  REQUIRE(has(v, "shipping_fee_game"));
  CHECK(v.penalty < 0.7);
  CHECK_FALSE(has(model.m.assess(sku("f2", "fi2", "shopx", "李宁 轻便跑步鞋", "运动/跑步鞋", "李宁", 199, 10)), "shipping_fee_game"));
  CHECK_FALSE(has(model.m.assess(sku("f3", "fi3", "shopx", "李宁 轻便跑步鞋", "运动/跑步鞋", "李宁", 1.9, 10)), "shipping_fee_game"));
}

TEST_CASE("advertisement: phone numbers, WeChat and QQ ids, URLs", "[integrity][detectors]") {
  Model model;
  for (const char* t : {"李宁跑步鞋 加微信 abc_12345", "李宁跑步鞋 咨询13812345678", "李宁跑步鞋 私聊wx3kd8a9q",
                        "李宁跑步鞋 QQ:12345678", "李宁跑步鞋 官网www.shoes-li.com", "李宁跑步鞋 详情 shoesli.cn",
                        "李宁跑步鞋 电话 138-1234-5678", "李宁跑步鞋 电话 0755-12345678"}) {
    INFO(t);
    CHECK(has(model.m.assess(sku("a", "ai", "shopx", t, "运动/跑步鞋", "李宁")), "advertisement"));
  }
  // Model numbers seen in real titles: a bare WX code, space-separated numbers starting with 0.
  for (const char* t : {"李宁跑步鞋 iPhone15 128G", "李宁跑步鞋 XL13812345678", "李宁跑步鞋 2024 款号 20240512",
                        "李宁跑步鞋 1.5m 42码", "李宁跑步鞋 WX452AA1 复古", "工业吸尘器WX-3078P", "运动鞋 091504 091503 代购",
                        "运动鞋AV3595-003-100-005-004", "考勤机 支持企业微信 iface702"}) {
    INFO(t);
    CHECK_FALSE(has(model.m.assess(sku("a", "ai", "shopx", t, "运动/跑步鞋", "李宁")), "advertisement"));
  }
}

TEST_CASE("sham sales: many sales with almost no reviews damp the sales trust", "[integrity][detectors]") {
  auto sham = sku("sh1", "shi1", "shopy", "李宁 减震跑步鞋 男款", "运动/跑步鞋", "李宁", 299, 0, 8000, 1);
  auto honest = sku("sh2", "shi2", "shopy", "李宁 防滑跑步鞋 男款", "运动/跑步鞋", "李宁", 299, 0, 8000, 600);
  Model model({sham, honest});
  auto v = model.m.assess(sham);
  REQUIRE(has(v, "sham_sales"));
  CHECK(v.sales_trust < 0.5);
  CHECK(v.penalty == 1);  // damped through sales trust, not demoted
  CHECK(model.m.assess(honest).sales_trust == 1);
}

TEST_CASE("duplicates: a same-shop re-listing is S, a cross-shop copy X, variants nothing", "[integrity][detectors][dedup]") {
  auto orig = sku("u1", "ui1", "shopz", "太平鸟 韩版显瘦 碎花连衣裙 长裙 法式 收腰 雪纺 温柔", "女装/连衣裙", "太平鸟", 159);
  // The re-listing adds a promotional word and a colour (both ignored by the fingerprint).
  auto relist = sku("u2", "ui2", "shopz", "特价 太平鸟 韩版显瘦 碎花连衣裙 长裙 法式 收腰 雪纺 温柔 红色", "女装/连衣裙", "太平鸟", 149);
  auto variant = sku("u3", "ui1", "shopz", "太平鸟 韩版显瘦 碎花连衣裙 长裙 法式 收腰 雪纺 温柔 蓝色", "女装/连衣裙", "太平鸟", 159);
  auto other_shop = sku("u4", "ui4", "shopq", "太平鸟 复古 格子连衣裙 针织 秋冬 毛呢 甜美 学院", "女装/连衣裙", "太平鸟", 300);
  auto copy1 = sku("u5", "ui5", "shopc1", "飒拉 法式 波点 衬衫裙 雪纺 收腰 气质 v领", "女装/连衣裙", "ZARA/飒拉", 259);
  auto copy2 = sku("u6", "ui6", "shopc2", "飒拉 法式 波点 衬衫裙 雪纺 收腰 气质 v领", "女装/连衣裙", "ZARA/飒拉", 249);
  Model model({orig, variant, relist, other_shop, copy1, copy2});
  auto v1 = model.m.assess(orig), v2 = model.m.assess(relist), v3 = model.m.assess(variant);
  CHECK(v1.dup_kind == 'S');
  CHECK(v2.dup_kind == 'S');
  CHECK(v1.dup_cluster == v2.dup_cluster);
  CHECK(v3.dup_cluster == v1.dup_cluster);  // a variant carries its item's membership
  CHECK(has(v2, "duplicate_listing"));
  CHECK(model.m.assess(other_shop).dup_kind == 0);
  CHECK(model.m.assess(copy1).dup_kind == 'X');
  CHECK(model.m.assess(copy2).dup_kind == 'X');
  CHECK_FALSE(has(model.m.assess(copy1), "duplicate_listing"));
}

TEST_CASE("a saved model scores records the same after load", "[integrity][persistence]") {
  auto stuffed = sku("x1", "xi1", "shopx", "耐克 阿迪达斯同款 李宁 轻便跑步鞋", "运动/跑步鞋", "李宁", 0.5, 90);
  Model model({stuffed});
  model.m.save(model.dir.path);
  auto loaded = IntegrityModel::load(base_analyzer(), model.dir.path);
  for (const auto& r : {stuffed, mini_market()[0]}) {
    auto a = model.m.assess(r), b = loaded.assess(r);
    CHECK(a.to_json() == b.to_json());
  }
}

TEST_CASE("annotate: stuffed brand words move to XZ, values and stored integrity are written", "[integrity][annotate]") {
  Model model;
  const auto& an = base_analyzer();
  auto r = sku("x1", "xi1", "shopx", "耐克 阿迪达斯 李宁 轻便跑步鞋", "运动/跑步鞋", "李宁", 199);
  Xapian::Document doc = make_document(an, r, 0.5);
  model.m.annotate(an, r, doc);
  auto has_term = [&](const std::string& t) {
    auto it = doc.termlist_begin();
    it.skip_to(t);
    return it != doc.termlist_end() && *it == t;
  };
  CHECK_FALSE(has_term("耐克"));
  CHECK(has_term("XZ耐克"));
  CHECK(has_term("李宁"));
  CHECK(has_term("跑步"));
  CHECK(Xapian::sortable_unserialise(doc.get_value(slot::kPenalty)) < 1);
  CHECK(doc.get_value(slot::kIntegrityFlags) == "brand_stuffing");
  IntegrityVerdict v;
  REQUIRE(decode_integrity(doc.get_data(), v));
  CHECK(v.reasons.size() == 1);
  CHECK(v.reasons[0].name == "brand_stuffing");
  SkuRecord back;
  REQUIRE(decode_stored(doc.get_data(), back));  // the stored record still decodes
  CHECK(back.title == r.title);
  // A clean listing: penalty 1, no flags, no integrity object.
  auto clean = sku("c1", "ci1", "shopx", "李宁 轻便跑步鞋", "运动/跑步鞋", "李宁", 199);
  Xapian::Document d2 = make_document(an, clean, 0.5);
  model.m.annotate(an, clean, d2);
  CHECK(Xapian::sortable_unserialise(d2.get_value(slot::kPenalty)) == 1);
  CHECK(d2.get_value(slot::kIntegrityFlags).empty());
  CHECK(d2.get_data().find("\"integrity\"") == std::string::npos);
}

TEST_CASE("thresholds: unknown keys and out-of-range values are refused", "[integrity]") {
  IntegrityThresholds t;
  CHECK_THROWS_AS(t.set("no_such_key", 1), UsageError);
  CHECK_THROWS_AS(t.set("dup_max_hamming", 9), UsageError);
  t.set("dup_max_hamming", 2);
  CHECK(t.dup_max_hamming == 2);
  CHECK(IntegrityThresholds::keys().size() > 20);
}

// ------------------------------------------------------------------------------------------
// Through a real build: the audit CLI and golden ranking tests.

namespace {

std::string json_line(const SkuRecord& r) {
  std::string o = "{\"sku_id\":";
  append_json_string(o, r.sku_id);
  o += ",\"item_id\":";
  append_json_string(o, r.item_id);
  o += ",\"shop_id\":";
  append_json_string(o, r.shop_id);
  o += ",\"title\":";
  append_json_string(o, r.title);
  o += ",\"category\":";
  append_json_string(o, r.category);
  if (!r.brand.empty()) {
    o += ",\"brand\":";
    append_json_string(o, r.brand);
  }
  o += ",\"price\":" + std::to_string(r.price) + ",\"shipping_fee\":" + std::to_string(r.shipping_fee) +
       ",\"sales_30d\":" + std::to_string(r.sales_30d) + ",\"reviews\":" + std::to_string(r.reviews) +
       ",\"good_reviews\":" + std::to_string(r.good_reviews) + "}\n";
  return o;
}

// The mini market plus one abuser per detector; builds it into dir/idx.
std::string build_market(const std::string& dir) {
  std::vector<SkuRecord> recs = mini_market();
  recs.push_back(sku("ab_brand", "ab_brand", "bad1", "耐克 阿迪达斯同款 李宁 轻便跑步鞋", "运动/跑步鞋", "李宁", 150));
  recs.push_back(sku("ab_ad", "ab_ad", "bad2", "李宁 缓震跑步鞋 加微信 shoe_deal88", "运动/跑步鞋", "李宁", 150));
  recs.push_back(sku("ab_fee", "ab_fee", "bad3", "李宁 耐磨跑步鞋", "运动/跑步鞋", "李宁", 0.99, 120));
  recs.push_back(sku("honest_fee", "honest_fee", "good3", "李宁 耐磨跑步鞋", "运动/跑步鞋", "李宁", 110, 0));
  std::string cat = dir + "/catalog.jsonl";
  std::ofstream f(cat);
  for (const auto& r : recs) f << json_line(r);
  f.close();
  BuildOptions o;
  o.catalog_files = {cat};
  o.index_dir = dir + "/idx";
  build_index(o);
  return o.index_dir;
}

}  // namespace

TEST_CASE("audit --json prints one object per flagged listing with its reasons", "[integrity][audit]") {
  test::TempDir tmp;
  std::string idx = build_market(tmp.path);
  auto r = test::run_cli("audit --index " + idx + " --json");
  REQUIRE(r.status == 0);
  std::vector<std::string> lines;
  size_t p = 0;
  while (p < r.out.size()) {
    size_t e = r.out.find('\n', p);
    lines.push_back(r.out.substr(p, e - p));
    p = e + 1;
  }
  bool brand = false, ad = false, fee = false;
  for (const auto& l : lines) {
    for (const char* f : {"\"sku_id\":", "\"item_id\":", "\"shop_id\":", "\"reasons\":[", "\"penalty\":", "\"name\":",
                          "\"score\":", "\"explanation\":"})
      CHECK(l.find(f) != std::string::npos);
    brand |= l.find("\"ab_brand\"") != std::string::npos && l.find("brand_stuffing") != std::string::npos;
    ad |= l.find("\"ab_ad\"") != std::string::npos && l.find("advertisement") != std::string::npos;
    fee |= l.find("\"ab_fee\"") != std::string::npos && l.find("shipping_fee_game") != std::string::npos;
  }
  CHECK(brand);
  CHECK(ad);
  CHECK(fee);
  auto only = test::run_cli("audit --index " + idx + " --json --reason advertisement");
  CHECK(only.out.find("ab_ad") != std::string::npos);
  CHECK(only.out.find("ab_brand") == std::string::npos);
  auto shop = test::run_cli("audit --index " + idx + " --json --shop bad3");
  CHECK(shop.out.find("ab_fee") != std::string::npos);
  CHECK(shop.out.find("ab_ad") == std::string::npos);
  CHECK(test::run_cli("audit --index " + idx + " --reason nonsense").status == 2);
}

// Golden ranking tests: "query -> the honest listing before the abuser". They need the ranking
// engineer's stage 2 (engine/search.cpp) to apply the penalties; the stuffed-brand case works
// from the index alone (the stuffed word is not a text term any more).
TEST_CASE("golden: honest listings outrank abusers for the queries the abuse targets", "[integrity][ranking]") {
  test::TempDir tmp;
  std::string idx = build_market(tmp.path);
  Searcher s(idx);
  auto order = [&](const std::string& q, SortOrder sort = SortOrder::Relevance) {
    SearchRequest req;
    req.query = q;
    req.limit = 100;
    req.sort = sort;
    std::vector<std::string> ids;
    for (const auto& h : s.search(req).hits) ids.push_back(h.sku_id);
    return ids;
  };
  auto before = [](const std::vector<std::string>& ids, const std::string& a, const std::string& b) {
    auto ia = std::find(ids.begin(), ids.end(), a), ib = std::find(ids.begin(), ids.end(), b);
    return ia != ids.end() && (ib == ids.end() || ia < ib);
  };
  SECTION("耐克 跑步鞋 -> a Nike listing, never the Li-Ning listing that names 耐克 as stuffing") {
    auto ids = order("耐克 跑步鞋");
    REQUIRE_FALSE(ids.empty());
    CHECK(before(ids, ids.front(), "ab_brand"));
    CHECK(ids.front() != "ab_brand");
    // The stuffer is not a Nike listing: it matches 跑步鞋 only, below every Nike listing.
    auto ab = std::find(ids.begin(), ids.end(), "ab_brand");
    for (auto it = ids.begin(); it != ab && it != ids.end(); ++it) CHECK(it->front() == 's');
  }
  SECTION("缓震跑步鞋 -> honest listings before the advertisement") {
    auto ids = order("李宁 缓震跑步鞋");
    auto ad = std::find(ids.begin(), ids.end(), "ab_ad");
    REQUIRE(ad != ids.end());
    CHECK(ad != ids.begin());
  }
  SECTION("price-asc: the 0.99 + 120 fee listing sorts by its effective price, not first") {
    auto ids = order("李宁 耐磨跑步鞋", SortOrder::PriceAsc);
    CHECK(before(ids, "honest_fee", "ab_fee"));
  }
}
