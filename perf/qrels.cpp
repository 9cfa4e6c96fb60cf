#include "perf/qrels.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <longtail/longtail.h>

namespace longtail::perf {
namespace {

// Calls fn(line_number, line) for every non-empty line (without the line break).
template <class Fn>
void for_each_line(const std::string& path, Fn&& fn) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw UsageError("cannot open " + path + ": " + std::strerror(errno));
  std::string line;
  char buf[4096];
  uint64_t n = 0;
  try {
    while (std::fgets(buf, sizeof buf, f)) {
      line.append(buf);
      if (line.back() != '\n' && !std::feof(f)) continue;
      ++n;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (!line.empty()) fn(n, std::string_view(line));
      line.clear();
    }
  } catch (...) {
    std::fclose(f);
    throw;
  }
  std::fclose(f);
}

[[noreturn]] void bad_line(const std::string& path, uint64_t n, const std::string& why) {
  throw DataError(path + ":" + std::to_string(n) + ": " + why);
}

}  // namespace

const char* query_class_name(QueryClass c) {
  switch (c) {
    case QueryClass::Head: return "head";
    case QueryClass::Torso: return "torso";
    case QueryClass::Tail: return "tail";
  }
  return "tail";
}

std::vector<EvalQuery> read_queries(const std::string& path) {
  std::vector<EvalQuery> out;
  for_each_line(path, [&](uint64_t n, std::string_view line) {
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos || line.find('\t', t2 + 1) != std::string_view::npos)
      bad_line(path, n, "expected 3 tab-separated fields: qid, query, class");
    EvalQuery q;
    q.qid = line.substr(0, t1);
    q.text = line.substr(t1 + 1, t2 - t1 - 1);
    std::string_view cls = line.substr(t2 + 1);
    if (cls == "head") q.cls = QueryClass::Head;
    else if (cls == "torso") q.cls = QueryClass::Torso;
    else if (cls == "tail") q.cls = QueryClass::Tail;
    else bad_line(path, n, "class must be head, torso or tail, got '" + std::string(cls) + "'");
    if (q.qid.empty() || q.text.empty()) bad_line(path, n, "empty qid or query");
    out.push_back(std::move(q));
  });
  return out;
}

Qrels read_qrels(const std::string& path) {
  Qrels out;
  for_each_line(path, [&](uint64_t n, std::string_view line) {
    std::string_view f[4];
    int k = 0;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) {
        if (k == 4) bad_line(path, n, "expected 4 fields: qid 0 item_id grade");
        f[k++] = line.substr(i, j - i);
      }
      i = j;
    }
    if (k != 4) bad_line(path, n, "expected 4 fields: qid 0 item_id grade");
    int grade = 0;
    for (char c : f[3]) {
      if (c < '0' || c > '9' || grade > 1000) bad_line(path, n, "grade must be a non-negative integer");
      grade = grade * 10 + (c - '0');
    }
    out[std::string(f[0])][std::string(f[2])] = grade;
  });
  return out;
}

}  // namespace longtail::perf
