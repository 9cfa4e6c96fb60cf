// libFuzzer target: the analyzer in its three modes and the normalizer, on arbitrary bytes.
// Tokens must lie inside the input and index/query terms must not be empty.
#include <cstdint>
#include <string_view>

#include "analyzers/analyzer.h"

using namespace longtail::analysis;

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Analyzer analyzer(Lexicon::load_default());
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (Mode mode : {Mode::Plain, Mode::Index, Mode::Query}) {
    for (const Token& t : analyzer.analyze(text, mode)) {
      require(t.start <= t.end && t.end <= size);
      require(mode == Mode::Plain || !t.text.empty() || t.kind == TokenKind::Other);
    }
  }
  analyzer.normalize(text);
  return 0;
}
