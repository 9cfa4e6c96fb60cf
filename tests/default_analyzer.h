#pragma once
// The analyzer of the built-in lexicon, made once per test process (loading the lexicon takes a
// moment): for tests that analyze or write documents without building an index.

#include "analyzers/analyzer.h"

namespace longtail::test {

inline const analysis::Analyzer& default_analyzer() {
  static const analysis::Analyzer a(analysis::Lexicon::load_default());
  return a;
}

}  // namespace longtail::test
