// libFuzzer target: the listing-integrity model files of a generation (index/integrity.h
// IntegrityModel::load, and the print tables the updater opens beside it: index/dedup.h
// PrintLookup, UpdatedPrints). The input holds the files one after another, cut at kSep, in the
// order of kFiles; a file left out is absent. The loaded model then scores tests/data's catalog
// and looks up its prints: damaged statistics that load must still be safe to use. A
// damaged file must be a DataError naming it; a crash, a hang, any other exception or an
// allocation sized by a count read from a file is a finding.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "index/builder.h"
#include "index/catalog.h"
#include "index/dedup.h"
#include "index/integrity.h"
#include "index/updater.h"
#include "tests/fuzz/fuzz_util.h"

using namespace longtail;

namespace {

constexpr std::string_view kSep = "\n--longtail-fuzz-file--\n";
const char* const kFiles[] = {"integrity.json",       "integrity-terms.bin",  "integrity-clusters.bin",
                              "integrity-blocks.bin", "integrity-prints.bin", index::kUpdatedPrintsFile};

std::vector<index::SkuRecord> records;
std::unordered_map<std::string, index::ShopRecord> shops;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string data = std::string(LONGTAIL_SOURCE_DIR) + "/tests/data/";
  index::RecordParser parser;
  index::LineReader reader(data + "mini_catalog.jsonl");
  index::LineReader::Line line;
  while (reader.next(line)) {
    RecordError err;
    index::SkuRecord r;
    if (parser.parse_sku(line.text, r, err)) records.push_back(std::move(r));
  }
  index::RejectSink strict(OnError::Fail, "");
  shops = index::read_shops(data + "mini_shops.jsonl", strict);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = fuzz::scratch_dir("integrity");
  static const analysis::Analyzer analyzer(analysis::Lexicon::load_default());
  const auto parts = fuzz::split(fuzz::as_text(data, size), kSep);
  for (size_t i = 0; i < std::size(kFiles); ++i) {
    const std::string path = dir + "/" + kFiles[i];
    if (i < parts.size()) {
      fuzz::write_file(path, parts[i]);
    } else {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
  try {
    auto model = index::IntegrityModel::load(analyzer, dir);
    model.set_shops(shops);
    model.stats();
    std::vector<index::ItemPrint> prints;
    for (const auto& r : records) {
      model.assess(r);
      if (auto p = model.print(r)) prints.push_back(*p);
    }
    if (parts.size() >= 5) {
      index::PrintLookup lookup(dir + "/" + kFiles[3], dir + "/" + kFiles[4]);
      std::vector<index::ItemPrint> out;
      for (const auto& p : prints) lookup.candidates(p, 4, out);
    }
    if (parts.size() >= 6) {
      index::UpdatedPrints updated(dir + "/" + kFiles[5]);
      std::vector<index::ItemPrint> out;
      for (const auto& p : prints) {
        updated.latest(p.item);
        updated.candidates(p, 4, out);
      }
    }
  } catch (const DataError& e) {
    fuzz::require(std::string(e.what()).find(dir) != std::string::npos);
  }
  return 0;
}
