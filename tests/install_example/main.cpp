// A program that embeds longtail through <longtail/longtail.h> and the shared library only, and
// calls every public function and class of the header at least once, checking what each does.
// Built twice: in-tree against liblongtail.so (CTest `shared_library_api`) and against the
// installed package (CTest `install_package_example`, check.cmake). A function the .so does not
// export fails the link; an error type whose typeinfo does not cross the .so boundary fails a
// catch below.
// Usage: embed_example DATA_DIR WORK_DIR (DATA_DIR holds mini_catalog.jsonl and mini_shops.jsonl;
// WORK_DIR is a scratch directory: removed first, then created).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include <longtail/longtail.h>

namespace {

int failures = 0;

void expect(bool ok, const char* what, int line) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "main.cpp:%d: FAILED: %s\n", line, what);
}
#define EXPECT(cond) expect((cond), #cond, __LINE__)

// Runs `f`, which must throw E (caught by that exact type, as an embedder would).
template <class E, class F>
bool throws(F&& f) {
  try {
    f();
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
  return false;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

bool has_item(const longtail::SearchResult& r, const std::string& item) {
  return std::any_of(r.hits.begin(), r.hits.end(), [&](const longtail::Hit& h) { return h.item_id == item; });
}

longtail::SearchResult search(const longtail::Searcher& s, const std::string& query) {
  longtail::SearchRequest req;
  req.query = query;
  return s.search(req);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DATA_DIR WORK_DIR\n", argv[0]);
    return 2;
  }
  const std::string data = argv[1], work = argv[2];
  const std::string index = work + "/index";
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  try {
    // version()
    const std::string v = longtail::version();
    EXPECT(v.find('.') != std::string::npos);

    // build_index: BuildOptions, BuildProgress, BuildSummary
    write_file(work + "/synonyms.txt", "保温杯, 暖瓶\n");
    longtail::BuildOptions b;
    b.catalog_files = {data + "/mini_catalog.jsonl"};
    b.shops_file = data + "/mini_shops.jsonl";
    b.index_dir = index;
    b.shards = 2;
    b.synonyms_file = work + "/synonyms.txt";
    uint64_t progress_calls = 0;
    b.progress = [&](const longtail::BuildProgress& p) {
      ++progress_calls;
      EXPECT(p.phase != nullptr);
    };
    const longtail::BuildSummary built = longtail::build_index(b);
    EXPECT(built.accepted == 20);
    EXPECT(built.rejected == 0);
    EXPECT(built.items == 17);
    EXPECT(built.shops == 12);
    EXPECT(built.shards == 2);
    std::printf("longtail %s: built %llu SKUs (%llu progress reports)\n", v.c_str(),
                static_cast<unsigned long long>(built.accepted), static_cast<unsigned long long>(progress_calls));

    // RecordError and OnError::Skip: a bad record is rejected with its reason, the rest is built.
    write_file(work + "/bad.jsonl", read_file(data + "/mini_catalog.jsonl") + "not json\n");
    longtail::BuildOptions skip = b;
    skip.catalog_files = {work + "/bad.jsonl"};
    skip.index_dir = work + "/skip-index";
    skip.on_error = longtail::OnError::Skip;
    skip.progress = nullptr;
    const longtail::BuildSummary skipped = longtail::build_index(skip);
    EXPECT(skipped.accepted == 20);
    EXPECT(skipped.rejected == 1);
    EXPECT(skipped.errors.size() == 1 && skipped.errors[0].line == 21);
    EXPECT(!skipped.errors.empty() && skipped.errors[0].to_string().find("bad.jsonl:21:") != std::string::npos);
    // OnError::Fail (the default) stops at that record and throws a DataError.
    skip.on_error = longtail::OnError::Fail;
    EXPECT(throws<longtail::DataError>([&] { longtail::build_index(skip); }));
    // A caller's mistake is a UsageError, caught by its own type and by Error.
    longtail::BuildOptions empty;
    EXPECT(throws<longtail::UsageError>([&] { longtail::build_index(empty); }));
    EXPECT(throws<longtail::Error>([&] { longtail::build_index(empty); }));

    // Searcher, SearcherOptions, SearchRequest, SearchResult, Hit, Variant, IndexInfo
    longtail::SearcherOptions so;
    so.stage1_columns = true;
    longtail::Searcher searcher(index, so);
    const longtail::IndexInfo info = searcher.info();
    EXPECT(info.skus == 20 && info.items == 17 && info.shops == 12);
    EXPECT(info.shards == 2 && info.batch == 0 && info.schema_version > 0);
    EXPECT(!info.analyzer.empty() && !info.built_at.empty() && info.updated_at.empty());
    EXPECT(info.generation.rfind("gen-", 0) == 0);
    // Searcher::get: one SKU by sku_id, with its item's variants; nullopt when absent.
    const std::optional<longtail::Hit> got = searcher.get("dress1-2");
    EXPECT(got && got->item_id == "dress1" && got->price == 129.0 && got->price_known && got->rank == 1);
    EXPECT(got && got->variant_list.size() == 4 && got->variants == 1);
    if (got)
      for (const longtail::Variant& var : got->variant_list) EXPECT(var.matched == (var.sku_id == "dress1-2"));
    EXPECT(!searcher.get("no-such-sku").has_value());
    const longtail::SearchResult cup = search(searcher, "保温杯 500ml");
    EXPECT(!cup.hits.empty() && cup.hits[0].item_id == "cup1" && cup.hits[0].rank == 1);
    EXPECT(has_item(search(searcher, "暖瓶"), "cup1"));  // by the synonym rule

    longtail::SearchRequest dresses;
    dresses.query = "连衣裙";
    dresses.facets = {"category", "brand", "price"};
    dresses.explain = true;
    const longtail::SearchResult dr = searcher.search(dresses);
    EXPECT(dr.hits.size() == 3 && dr.total_estimated == 3);
    EXPECT(dr.facets.size() == 3 && dr.facets[0].name == "category");
    EXPECT(!dr.facets.empty() && !dr.facets[0].values.empty() && dr.facets[0].values[0].value == "女装/连衣裙" &&
           dr.facets[0].values[0].count == 3);
    for (const longtail::Hit& h : dr.hits) {
      EXPECT(h.explanation.has_value());
      if (!h.explanation) continue;
      const longtail::Explanation& e = *h.explanation;
      EXPECT(!e.signals.empty() && e.signals[0].name == "text");
      EXPECT(e.final_score == h.score);
      for (const longtail::ExplainPenalty& p : e.penalties) EXPECT(!p.name.empty());
    }
    const auto dress1 = std::find_if(dr.hits.begin(), dr.hits.end(), [](const longtail::Hit& h) { return h.item_id == "dress1"; });
    EXPECT(dress1 != dr.hits.end() && dress1->variants == 4 && dress1->variant_list.size() == 4);
    if (dress1 != dr.hits.end())
      for (const longtail::Variant& var : dress1->variant_list) EXPECT(var.matched && var.attrs.size() == 2);

    // SearchRequest::from_json, parse_sort_order, sort_order_name, UserPreferences
    const longtail::SearchRequest cheap = longtail::SearchRequest::from_json(
        R"({"query": "连衣裙", "sort": "price-asc", "limit": 5, "user": {"brands": {"优衣库": 1.0}}})");
    EXPECT(cheap.sort == longtail::SortOrder::PriceAsc && cheap.limit == 5 && cheap.user.has_value());
    const longtail::SearchResult by_price = searcher.search(cheap);
    EXPECT(by_price.hits.size() == 3 && by_price.hits[0].item_id == "dress2");
    EXPECT(std::is_sorted(by_price.hits.begin(), by_price.hits.end(), [](const longtail::Hit& a, const longtail::Hit& c) {
      return a.price + a.shipping_fee < c.price + c.shipping_fee;
    }));
    EXPECT(throws<longtail::UsageError>([] { longtail::SearchRequest::from_json(R"({"colour": "red"})"); }));
    EXPECT(longtail::parse_sort_order("sales") == longtail::SortOrder::Sales);
    EXPECT(std::string(longtail::sort_order_name(longtail::SortOrder::Rating)) == "rating");
    EXPECT(throws<longtail::UsageError>([] { longtail::parse_sort_order("cheapest"); }));
    const longtail::UserPreferences prefs = longtail::UserPreferences::from_json(R"({"brands": {"优衣库": 0.8}, "price_band": [50, 200]})");
    EXPECT(!prefs.empty() && prefs.brands.at("优衣库") == 0.8 && prefs.price_min == 50.0 && prefs.price_max == 200.0);
    EXPECT(longtail::UserPreferences().empty());
    EXPECT(throws<longtail::UsageError>([] { longtail::UserPreferences::from_json(R"({"brands": {"优衣库": 3}})"); }));

    // update_index: UpdateOptions, UpdateSummary; Searcher::reopen sees the batch.
    write_file(work + "/delta.jsonl",
               R"({"sku_id": "cup3-0", "item_id": "cup3", "shop_id": "shop_h", "title": "象印 焖烧杯 保温饭盒", "category": "家居/水杯", "price": 159.0, "shipping_fee": 0, "sales_30d": 10, "reviews": 5, "good_reviews": 5, "listed_at": "2024-05-01"})"
               "\n"
               R"({"sku_id": "win1-0", "deleted": true})"
               "\n");
    longtail::UpdateOptions u;
    u.index_dir = index;
    u.catalog_files = {work + "/delta.jsonl"};
    const longtail::UpdateSummary updated = longtail::update_index(u);
    EXPECT(updated.records == 2 && updated.added == 1 && updated.deleted == 1 && updated.batches == 1);
    EXPECT(updated.skus == 20 && updated.rejected == 0 && !updated.repaired);
    EXPECT(!has_item(search(searcher, "焖烧杯"), "cup3"));  // not before reopen()
    searcher.reopen();
    EXPECT(searcher.info().batch == 1 && !searcher.info().updated_at.empty());
    EXPECT(has_item(search(searcher, "焖烧杯"), "cup3"));
    // to_json: the result as the CLI's --json prints it.
    EXPECT(longtail::to_json(search(searcher, "焖烧杯")).rfind("{\"query\":\"焖烧杯\",", 0) == 0);
    EXPECT(!has_item(search(searcher, "断桥铝合金窗"), "win1"));

    // An update interrupted between shard commits leaves a journal: discard_update_journal,
    // JournalDiscard; check_index, IndexCheck before and after.
    write_file(work + "/delta2.jsonl",
               R"({"sku_id": "cup3-0", "item_id": "cup3", "shop_id": "shop_h", "title": "象印 焖烧杯 保温饭盒 大容量", "category": "家居/水杯", "price": 149.0, "shipping_fee": 0, "sales_30d": 10, "reviews": 5, "good_reviews": 5, "listed_at": "2024-05-01"})"
               "\n");
    u.catalog_files = {work + "/delta2.jsonl"};
    u.fail_after_shard_commits = 1;
    EXPECT(throws<longtail::DataError>([&] { longtail::update_index(u); }));
    const longtail::JournalDiscard discarded = longtail::discard_update_journal(index);
    EXPECT(discarded.found && discarded.readable && discarded.batch == 2 && discarded.lines == 1);
    EXPECT(discarded.ids == std::vector<std::string>{"cup3-0"});
    EXPECT(discarded.applied_shards.size() + discarded.missing_shards.size() == 2 && discarded.batch_after == 2);
    EXPECT(!longtail::discard_update_journal(index).found);
    const longtail::IndexCheck checked = longtail::check_index(index);
    EXPECT(checked.ok && checked.problems.empty() && !checked.lines.empty());

    // optimize_index: OptimizeOptions, OptimizeSummary; the index still searches and checks.
    longtail::OptimizeOptions o;
    o.index_dir = index;
    uint64_t copied = 0;
    o.progress = [&](const longtail::Progress& p) {
      if (std::string(p.phase) == "copy") copied = p.records;
    };
    const longtail::OptimizeSummary optimized = longtail::optimize_index(o);
    EXPECT(optimized.shards == 2 && optimized.skus == 20 && optimized.bytes_after > 0);
    EXPECT(copied == 20);
    // check_index with CheckOptions: progress over the shards, CheckStep per step.
    longtail::CheckOptions co;
    co.index_dir = index;
    uint64_t shard_bytes = 0;
    co.progress = [&](const longtail::Progress& p) {
      if (std::string(p.phase) == "shards") shard_bytes = p.total;
    };
    const longtail::IndexCheck steps = longtail::check_index(co);
    EXPECT(steps.ok && shard_bytes > 0 && !steps.generation.empty());
    EXPECT(steps.steps.size() == steps.lines.size() && steps.steps.front().subject == "CURRENT");
    EXPECT(longtail::check_index(index).ok);
    searcher.reopen();
    EXPECT(search(searcher, "保温杯 500ml").hits.size() > 0 && search(searcher, "保温杯 500ml").hits[0].item_id == "cup1");

    // Searcher's move constructor and move assignment.
    longtail::Searcher moved(std::move(searcher));
    longtail::Searcher other(work + "/skip-index");
    other = std::move(moved);
    EXPECT(other.info().skus == 20 && other.info().batch == 2);

    // IndexMismatchError: an index whose manifest names another analyzer is refused.
    std::string current = read_file(index + "/CURRENT");
    current.erase(current.find_last_not_of("\r\n") + 1);
    const std::string manifest_path = index + "/" + current + "/manifest.json";
    std::string manifest = read_file(manifest_path);
    const std::string analyzer = "\"" + info.analyzer + "\"";
    EXPECT(manifest.find(analyzer) != std::string::npos);
    if (manifest.find(analyzer) != std::string::npos)
      manifest.replace(manifest.find(analyzer), analyzer.size(), "\"another-analyzer/9\"");
    write_file(manifest_path, manifest);
    EXPECT(throws<longtail::IndexMismatchError>([&] { longtail::Searcher s(index); }));
    EXPECT(!longtail::check_index(index).ok);
    // Not an index at all: a UsageError.
    EXPECT(throws<longtail::UsageError>([&] { longtail::Searcher s(work + "/no-such-index"); }));
  } catch (const longtail::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  if (failures) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("every public function and class of <longtail/longtail.h> works through the shared library\n");
  return 0;
}
