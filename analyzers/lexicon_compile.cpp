// Build-time tool: compiles jieba's text dictionary into the binary lexicon form that
// Lexicon::load reads in a fraction of the parse time.
// Usage: longtail_lexicon_compile DICT.txt OUT.ltlex   (exit 1 on error)
#include <cstdio>

#include "analyzers/analyzer.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DICT.txt OUT.ltlex\n", argv[0]);
    return 2;
  }
  try {
    auto lex = longtail::analysis::Lexicon::load_text(argv[1]);
    lex->save(argv[2]);
    std::printf("%zu words -> %s (checksum %s)\n", lex->size(), argv[2], lex->checksum().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "longtail_lexicon_compile: %s\n", e.what());
    return 1;
  }
  return 0;
}
