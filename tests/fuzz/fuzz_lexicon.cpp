// libFuzzer target: the lexicon readers (analyzers/analyzer.h). An input that starts with the
// binary magic is read as a lexicon.bin (Lexicon::load), anything else as a text dictionary
// (Lexicon::load_text), the way $LONGTAIL_DICT is read. The binary file's checksum is set to
// match, or nearly every mutation would stop there. A damaged file must be an AnalysisError; a
// lexicon that loads must then be safe to segment with (its tables index each other).
#include <cstdint>
#include <cstring>
#include <string>

#include "analyzers/analyzer.h"
#include "analyzers/lexicon_data.h"
#include "tests/fuzz/fuzz_util.h"

using namespace longtail::analysis;

namespace {
constexpr std::string_view kMagic = "LTLEX";  // lexicon.cpp: "LTLEX004", then the u64 checksum (XXH3-64)
constexpr size_t kHeader = 16;
constexpr std::string_view kSample = "优衣库夏季新款碎花连衣裙女 iPhone15 Pro手机壳 500ml保温杯 304不锈钢 耐克跑步鞋";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = longtail::fuzz::scratch_dir("lexicon") + "/lexicon.bin";
  std::string bytes(longtail::fuzz::as_text(data, size));
  const bool binary = bytes.compare(0, kMagic.size(), kMagic) == 0;
  if (binary && bytes.size() >= kHeader) {
    const uint64_t sum = detail::file_checksum(std::string_view(bytes).substr(kHeader));
    std::memcpy(bytes.data() + 8, &sum, 8);
  }
  longtail::fuzz::write_file(path, bytes);
  std::shared_ptr<const Lexicon> lex;
  try {
    lex = binary ? Lexicon::load(path) : Lexicon::load_text(path);
  } catch (const AnalysisError& e) {
    longtail::fuzz::require(std::string(e.what()).find(path) != std::string::npos);
    return 0;
  }
  // Every query a lexicon answers, with its own words in the text so that look-ups hit.
  std::string text(kSample);
  for (const auto& e : lex->entries()) {
    lex->frequency(e.word);
    lex->tag(e.word);
    if (text.size() < 4096) text += e.word;
  }
  const Analyzer analyzer(lex);
  for (Mode mode : {Mode::Plain, Mode::Index, Mode::Query})
    for (const Token& t : analyzer.analyze(text, mode)) {
      longtail::fuzz::require(t.start <= t.end && t.end <= text.size());
      analyzer.informativeness(t.text);
      lex->ending_share(t.text);
    }
  lex->checksum();
  lex->size();
  return 0;
}
