// The text fields longtail's documents index (format/document.cpp: title, brand, the leaf category
// name, attribute values), in that order, so the peer engines index the same text.
#pragma once

#include <string_view>

#include "format/record.h"

namespace longtail::perf::baselines {

template <class Fn>
void for_each_text_field(const index::SkuRecord& r, Fn&& fn) {
  fn(std::string_view(r.title));
  if (!r.brand.empty()) fn(std::string_view(r.brand));
  if (!r.category.empty()) {
    std::string_view c = r.category;
    size_t slash = c.rfind('/');
    fn(slash == std::string_view::npos ? c : c.substr(slash + 1));
  }
  for (const auto& kv : r.attrs) fn(std::string_view(kv.second));
}

}  // namespace longtail::perf::baselines
