// Sub-commands of the `longtail` executable. Each lives in its own cli/cmd_*.cpp and registers
// itself on the root app; its callback stores the process exit code in `rc`.
//
// Exit codes (documented in README.md):
//   0  success
//   1  data or environment error (malformed catalog record with --on-error fail, damaged index)
//   2  usage error (bad flags, missing files)
//   3  index mismatch (built by another schema/analyzer version)
#pragma once

#include <CLI/CLI.hpp>

namespace longtail::cli {

void register_build(CLI::App& app, int& rc);
void register_search(CLI::App& app, int& rc);
void register_inspect(CLI::App& app, int& rc);
void register_audit(CLI::App& app, int& rc);
void register_segment(CLI::App& app, int& rc);
void register_gen(CLI::App& app, int& rc);
void register_update(CLI::App& app, int& rc);
void register_check(CLI::App& app, int& rc);
void register_eval(CLI::App& app, int& rc);
void register_bench(CLI::App& app, int& rc);
void register_serve(CLI::App& app, int& rc);
void register_attach(CLI::App& app, int& rc);
void register_optimize(CLI::App& app, int& rc);

}  // namespace longtail::cli
