// The shared library's own translation unit. The public API is implemented in the engine and
// index static archives; referencing each entry point here makes the linker pull those objects
// (and, transitively, everything they need) into liblongtail.so.
#include <longtail/longtail.h>

namespace longtail::detail {
[[gnu::used]] const auto kAnchorBuild = &build_index;
[[gnu::used]] const auto kAnchorVersion = &version;
[[gnu::used]] const auto kAnchorSearch = &Searcher::search;
[[gnu::used]] const auto kAnchorReopen = &Searcher::reopen;
[[gnu::used]] const auto kAnchorInfo = &Searcher::info;
}  // namespace longtail::detail
