// Synthetic marketplace catalogs for tests, evaluation and benchmarks (`longtail gen`).
//
// generate_catalog() streams a catalog of `skus` SKU variants into a directory:
//   catalog.jsonl  one SKU per line, the spine's input format (issue 2)
//   shops.jsonl    one seller record per line
//   labels.jsonl   ground truth of every injected abusive SKU
//   queries.tsv    qid <TAB> query <TAB> class (head|torso|tail)
//   qrels.tsv      TREC qrels "qid 0 item_id grade", grades 0..3, judged per item_id
//   params.json    every parameter, the fitted constants and the final counts
// The output is a pure function of the parameters: the same parameters give the same bytes.
// Memory is independent of `skus`: per-SKU and per-item state is never kept; every item is
// regenerated from (seed, item index) when another item refers to it (duplicate listings).
// Shops are pure functions of (seed, shop index) too; the only state that lives through a run is
// per query (a few counters each). One call runs on one thread; separate calls are independent.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

namespace longtail::perf {

// Abuse kinds, in labels.jsonl order of the "abuse" field.
enum class Abuse : uint8_t {
  None = 0,
  DuplicateListing,          // "duplicate_listing": same-shop copy of an earlier item
  BrandStuffing,             // "brand_stuffing": title names competing brands
  HotwordStuffing,           // "hotword_stuffing": popular unrelated words piled into the title
  CategoryMisrepresentation, // "category_misrepresentation": listed under a wrong category
  ShippingFeeGame,           // "shipping_fee_game": near-zero price plus a huge shipping fee
  Advertisement,             // "advertisement": phone number / messaging id / URL in the title
  ShamSales,                 // "sham_sales": high sales with almost no reviews
};
constexpr int kAbuseKinds = 7;
const char* abuse_name(Abuse a);

struct GeneratorParams {
  uint64_t skus = 100000;    // REQUIRES: >= 1. Number of SKU lines in catalog.jsonl (exact).
  uint64_t seed = 1;

  // Queries. Default: 300, of which 20% head, 30% torso, the rest tail.
  uint32_t queries = 300;
  double head_share = 0.20;
  double torso_share = 0.30;
  // Most qrels lines written per query (0 = unlimited). Head queries at large N match very many
  // items; lines beyond the cap are dropped in catalog order. Default: 10000.
  uint32_t qrels_cap = 10000;

  // Shops: one shop per `skus_per_shop` SKUs (at least 20); item-to-shop assignment follows a
  // Zipf law over shop rank with exponent `shop_zipf` (heavy-tailed shop sizes).
  double skus_per_shop = 100;
  double shop_zipf = 0.8;
  double abusive_shop_share = 0.03;  // shops that receive most injected abuse
  double blocked_share = 0.15;       // of abusive shops, the share marked "blocked": true

  // Variants: an item has colours x sizes SKUs, capped at max_variants.
  double single_sku_share = 0.35;  // items with exactly one SKU
  uint32_t max_variants = 48;

  // Sales: share of items that sold nothing in 30 days; positive sales follow a discrete power
  // law with exponent `sales_alpha` (fitted: 1.485 on taobao_items_2021), capped at sales_cap.
  double zero_sale_share = 0.60;
  double sales_alpha = 1.485;
  uint32_t sales_cap = 200000;
  double reviews_per_sale = 0.091;  // median comments per sale (tmall 2016), per month listed

  // Listing dates, uniform days back from date_end with a bias to recent listings.
  std::string date_start = "2019-01-01";
  std::string date_end = "2025-06-30";

  // Injected abuse, as shares of items (each item has at most one kind). Default total: 3.4%.
  std::array<double, kAbuseKinds> abuse_rate = {0.010, 0.005, 0.005, 0.003, 0.003, 0.003, 0.005};
};

struct GeneratorSummary {
  uint64_t skus = 0, items = 0, shops = 0;
  std::array<uint64_t, kAbuseKinds> abusive_items{};  // by kind (Abuse value - 1)
  std::array<uint64_t, kAbuseKinds> abusive_skus{};
  std::array<uint32_t, 3> queries{};                  // head, torso, tail written
  uint32_t queries_dropped = 0;                       // planned queries with no relevant item
  uint64_t qrels = 0;                                 // lines in qrels.tsv
  double seconds = 0;
};

// Checks the parameters; throws longtail::UsageError with the offending name.
void validate(const GeneratorParams& p);

// The parameters (and the fitted constants they rest on) as one JSON object.
std::string params_json(const GeneratorParams& p);

// Writes the catalog into out_dir (created if missing; files are written as NAME.tmp and renamed
// when complete). Throws UsageError for bad parameters or an unusable out_dir, DataError for
// I/O failures while writing. `progress`, if not null, receives a line about every 1M SKUs.
// With `zstd_catalog` the catalog is written compressed, as catalog.jsonl.zst (zstd level 3,
// about 13x smaller; `longtail build` reads it as it is); the other files stay text.
GeneratorSummary generate_catalog(const GeneratorParams& p, const std::string& out_dir,
                                  std::FILE* progress = nullptr, bool zstd_catalog = false);

// The summary as JSON (the "result" part of params.json, which leaves out the timing so that the
// file is byte-identical across runs).
std::string summary_json(const GeneratorSummary& s, bool with_time = true);

}  // namespace longtail::perf
