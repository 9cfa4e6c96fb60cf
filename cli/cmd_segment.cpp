// `longtail segment [--mode plain|index|query] [--index DIR]`: one output line per stdin line.
//   plain  (default) the input's tokens as written (original characters), single spaces between;
//          joined they give exactly the line's non-whitespace characters.
//   index  the normalized terms a title is indexed under (words, sub-words, parts, Han grams).
//   query  the normalized terms of a query.
// --index DIR uses the lexicon stored in that index (DIR/lexicon.bin, or the live generation's
// lexicon.bin when DIR is a generational index), so segmentation matches what the index holds.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "index/index_dir.h"

namespace longtail::cli {

namespace {

std::string lexicon_path(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path direct = fs::path(dir) / "lexicon.bin";
  if (fs::exists(direct)) return direct.string();
  // Throws UsageError when DIR is not an index.
  return (fs::path(index::live_generation(dir)) / "lexicon.bin").string();
}

}  // namespace

void register_segment(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand("segment", "Segment stdin lines (plain), or print their index or query terms");
  struct Args {
    std::string mode = "plain";
    std::string index;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--mode", a->mode, "plain (default): original tokens; index/query: normalized terms")
      ->transform(CLI::IsMember({"plain", "index", "query"}, CLI::ignore_case));
  add_index_option(*cmd, a->index, /*required=*/false);
  cmd->callback([a, &rc] {
    std::shared_ptr<const analysis::Lexicon> lex =
        a->index.empty() ? analysis::Lexicon::load_default() : analysis::Lexicon::load(lexicon_path(a->index));
    const analysis::Analyzer analyzer(lex);
    const analysis::Mode mode = a->mode == "index"   ? analysis::Mode::Index
                                : a->mode == "query" ? analysis::Mode::Query
                                                     : analysis::Mode::Plain;
    std::ios::sync_with_stdio(false);
    std::string line, out;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out.clear();
      for (const auto& t : analyzer.analyze(line, mode)) {
        if (!out.empty()) out += ' ';
        out += t.text;
      }
      out += '\n';
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
    std::fflush(stdout);
    rc = std::ferror(stdout) ? 1 : 0;
  });
}

}  // namespace longtail::cli
