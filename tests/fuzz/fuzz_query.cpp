// libFuzzer target: the query path (analysis, filters, retrieval, collapse) on a small index
// built once from tests/data. The input is split on 0x01 bytes: query text, then optional
// category, brand, shop and attribute ("k=v") filters. Library errors (longtail::Error) are
// fine; anything else escaping, a crash or a hang is a finding.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <longtail/longtail.h>

namespace {

std::unique_ptr<longtail::Searcher> searcher;
std::string index_dir;

void remove_index() {
  std::error_code ec;
  std::filesystem::remove_all(index_dir, ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  index_dir = (std::filesystem::temp_directory_path() / ("longtail-fuzz-query-" + std::to_string(::getpid()))).string();
  longtail::BuildOptions o;
  o.catalog_files = {std::string(LONGTAIL_SOURCE_DIR) + "/tests/data/mini_catalog.jsonl"};
  o.shops_file = std::string(LONGTAIL_SOURCE_DIR) + "/tests/data/mini_shops.jsonl";
  o.index_dir = index_dir;
  o.shards = 2;
  longtail::build_index(o);
  std::atexit(remove_index);
  searcher = std::make_unique<longtail::Searcher>(index_dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0x01) parts.emplace_back();
    else parts.back() += char(data[i]);
  }
  longtail::SearchRequest req;
  req.query = parts[0];
  if (parts.size() > 1 && !parts[1].empty()) req.categories = {parts[1]};
  if (parts.size() > 2 && !parts[2].empty()) req.brands = {parts[2]};
  if (parts.size() > 3 && !parts[3].empty()) req.shops = {parts[3]};
  if (parts.size() > 4) {
    auto eq = parts[4].find('=');
    req.attrs = {{parts[4].substr(0, eq), eq == std::string::npos ? "" : parts[4].substr(eq + 1)}};
  }
  if (size > 0) {
    req.collapse = (data[0] & 1) != 0;
    req.offset = data[size - 1] % 8;
    req.limit = 1 + data[size - 1] % 20;
  }
  try {
    searcher->search(req);
  } catch (const longtail::Error&) {
  }
  return 0;
}
