#include "index/display_fields.h"

namespace longtail::index {

namespace {

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && json_space(s[i])) ++i;
  return i;
}

// s[i] is the opening quote: the position after the closing one.
size_t skip_string(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == '"') return i + 1;
  }
  return s.size();
}

// The position after the value starting at s[i].
size_t skip_value(std::string_view s, size_t i) {
  if (i >= s.size()) return i;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        i = skip_string(s, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return i;
  }
  // A number, true, false or null: up to the next separator.
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !json_space(s[i])) ++i;
  return i;
}

}  // namespace

std::vector<JsonMember> object_members(std::string_view s) {
  std::vector<JsonMember> out;
  size_t i = skip_space(s, 0);
  if (i >= s.size() || s[i] != '{') return out;
  ++i;
  for (;;) {
    i = skip_space(s, i);
    if (i >= s.size() || s[i] != '"') return out;  // '}' (the end) or not an object
    const size_t key = i;
    i = skip_string(s, i);
    JsonMember m;
    m.key = s.substr(key, i - key);
    i = skip_space(s, i);
    if (i >= s.size() || s[i] != ':') return out;
    i = skip_space(s, i + 1);
    const size_t value = i;
    i = skip_value(s, i);
    m.value = s.substr(value, i - value);
    out.push_back(m);
    i = skip_space(s, i);
    if (i >= s.size() || s[i] != ',') return out;
    ++i;
  }
}

bool display_fields(std::string_view line, const std::vector<size_t>& chosen, size_t max_bytes,
                    std::string& out, size_t& over, size_t& bytes) {
  out.clear();
  if (chosen.empty()) return true;
  const std::vector<JsonMember> members = object_members(line);
  out += '{';
  for (size_t k = 0; k < chosen.size(); ++k) {
    if (chosen[k] >= members.size()) continue;  // cannot happen for a line simdjson accepted
    const JsonMember& m = members[chosen[k]];
    if (out.size() > 1) out += ',';
    out.append(m.key);
    out += ':';
    out.append(m.value);
    if (out.size() + 1 > max_bytes) {
      over = k;
      bytes = out.size() + 1;
      out.clear();
      return false;
    }
  }
  out += '}';
  return true;
}

}  // namespace longtail::index
