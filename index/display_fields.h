// Display fields (docs/index-format.md, "Data"): the members of a catalog record that longtail
// does not read (image, url, promotion text, ...), kept as written and returned with each hit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace longtail::index {

// One top-level member of a JSON object, as written: the key with its quotes and escapes, and the
// value's text (a nested object or array whole, inner spaces kept).
struct JsonMember {
  std::string_view key, value;
};

// The members of `json`, a JSON object text that a validating parser has accepted (simdjson:
// object_members does not validate), in the order written.
std::vector<JsonMember> object_members(std::string_view json);

// The display-fields object text of a record: members `chosen` (indexes into
// object_members(line), ascending) joined as {"key":value,...}, each key and value byte for byte
// as the line gives them. Empty when `chosen` is empty. When the text would be longer than
// `max_bytes`, returns false and sets `over` to the chosen member (an index into `chosen`) that
// takes it past the limit and `bytes` to the length it would reach with it.
bool display_fields(std::string_view line, const std::vector<size_t>& chosen, size_t max_bytes,
                    std::string& out, size_t& over, size_t& bytes);

}  // namespace longtail::index
