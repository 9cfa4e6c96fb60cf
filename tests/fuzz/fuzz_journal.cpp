// libFuzzer target: the update journal reader (index/updater.h read_journal) and the record
// parsing an update's recovery does next with the lines it returns. A damaged journal must be a
// DataError naming the file; a crash, a hang or any other exception is a finding.
#include <cstdint>
#include <string>

#include "index/catalog.h"
#include "index/updater.h"
#include "tests/fuzz/fuzz_util.h"

using namespace longtail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz::scratch_dir("journal") + "/" + index::kJournalFile;
  fuzz::write_file(path, fuzz::as_text(data, size));
  index::Journal j;
  try {
    j = index::read_journal(path);
  } catch (const DataError& e) {
    fuzz::require(std::string(e.what()).find(path) != std::string::npos);
    return 0;
  }
  static index::RecordParser parser;
  for (size_t i = 0; i < j.lines.size(); ++i) {
    RecordError err{path, i + 2, "", ""};
    index::SkuRecord sku;
    index::ShopRecord shop;
    bool ok = j.shops ? parser.parse_shop(j.lines[i], shop, err) : parser.parse_sku(j.lines[i], sku, err);
    fuzz::require(ok || (!err.field.empty() && !err.reason.empty()));
  }
  return 0;
}
