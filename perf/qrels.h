// Readers for the labelled query set written by the generator (and usable for any TREC-style
// query set): queries.tsv and qrels.tsv. Shared by `longtail gen` tests, `longtail eval` and
// `longtail bench`.
//
//   queries.tsv  qid <TAB> query [<TAB> class]    class: head | torso | tail; without it, by
//                length (head <= 4 characters, torso <= 8, tail longer; spaces not counted)
//   qrels.tsv    qid 0 item_id grade              TREC qrels; grade 0..3, judged per item_id
//
// Both readers throw UsageError when the file cannot be opened and DataError("FILE:LINE: reason")
// for a malformed line. Blank lines are skipped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace longtail::perf {

enum class QueryClass : uint8_t { Head = 0, Torso = 1, Tail = 2 };
constexpr int kQueryClasses = 3;
const char* query_class_name(QueryClass c);

struct EvalQuery {
  std::string qid;
  std::string text;
  QueryClass cls = QueryClass::Tail;
};

QueryClass class_by_length(std::string_view query);
std::vector<EvalQuery> read_queries(const std::string& path);

// qid -> item_id -> grade. A pair listed twice keeps the last grade.
using Qrels = std::unordered_map<std::string, std::unordered_map<std::string, int>>;

Qrels read_qrels(const std::string& path);

}  // namespace longtail::perf
