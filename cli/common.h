// Argument groups shared by sub-commands, so --index, --json, ... mean the same everywhere,
// and small output helpers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include <longtail/longtail.h>

#include "common/json_writer.h"

namespace longtail::cli {

inline CLI::Option* add_index_option(CLI::App& cmd, std::string& dir, bool required = true) {
  auto* o = cmd.add_option("--index", dir, "Index directory");
  if (required) o->required();
  return o;
}

// A ranking profile (TOML; profiles/default.toml documents every key). Default: built-in.
inline CLI::Option* add_profile_option(CLI::App& cmd, std::string& path) {
  return cmd.add_option("--profile", path, "Ranking profile (TOML); default: the built-in profiles/default.toml")
      ->check(CLI::ExistingFile);
}

inline CLI::Option* add_json_flag(CLI::App& cmd, bool& json) {
  return cmd.add_flag("--json", json, "Print JSON instead of a table");
}

// --no-columns: bench and eval open the index as a server would, with stage-1 columns
// (SearcherOptions::stage1_columns); this measures without them.
inline CLI::Option* add_no_columns_flag(CLI::App& cmd, bool& no_columns) {
  return cmd.add_flag("--no-columns", no_columns,
                      "Do not hold the stage-1 columns (prior, sku_id) in memory: read them from the index per query");
}

// --now: Unix seconds or an ISO date / date-time (UTC); throws UsageError naming `flag`.
int64_t parse_time_option(const std::string& s, const char* flag);
inline CLI::Option* add_now_option(CLI::App& cmd, std::string& now) {
  return cmd.add_option("--now", now, "Time for newness: Unix seconds or ISO date (default: the current time)");
}

// -q and --progress of the long commands (build, update, optimize, check). Progress goes to
// stderr: on a terminal one line rewritten in place; elsewhere only with --progress, a line per
// phase and every few seconds; never with -q.
struct ProgressFlags {
  bool quiet = false, force = false;
};
void add_progress_flags(CLI::App& cmd, ProgressFlags& f);
class ProgressLine {
 public:
  explicit ProgressLine(const ProgressFlags& f);
  ~ProgressLine();  // ends a line left open on the terminal
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  // The callback for the library's options (empty: no progress).
  std::function<void(const Progress&)> callback();
  // The line printed for one report (no line end).
  static std::string format(const Progress& p);

 private:
  struct State;
  std::shared_ptr<State> st_;
};

// Rejected records as a JSON array: [{"file":…,"line":…,"field":…,"reason":…}, …].
void json_errors(json::Writer& w, const std::vector<RecordError>& errors);
// Prints a JSON report (common/json_writer.h) on stdout as one line.
void print_json_line(std::string json);
// Text from a catalog or a query made safe for a terminal: control characters escaped (\x1b,
// \u009b), bytes that are not UTF-8 replaced by U+FFFD. Every string a table prints goes through it.
std::string printable(std::string_view s);
// Display width of a UTF-8 string on a terminal (CJK characters count as 2 columns).
size_t display_width(std::string_view s);
// Cuts a UTF-8 string to at most `cols` display columns, appending "…" when cut.
std::string fit_width(std::string_view s, size_t cols);

}  // namespace longtail::cli
