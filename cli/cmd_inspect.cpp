#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <xapian.h>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "engine/index_state.h"
#include "index/document.h"
#include "index/layout.h"
#include "index/signals.h"

namespace longtail::cli {

namespace {
bool slot_is_string(unsigned s) {
  return s == index::slot::kItemId || s == index::slot::kSkuId || s == index::slot::kShopId ||
         s == index::slot::kCategory || s == index::slot::kBrand || s == index::slot::kDupCluster ||
         s == index::slot::kDupKind || s == index::slot::kIntegrityFlags;
}
bool slot_is_binary(unsigned s) {
  return s == index::slot::kRankPack || s == index::slot::kVariant || s == index::slot::kStage1Key;
}
}  // namespace

void register_inspect(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand("inspect", "Show an index's manifest and counts, or one SKU's fields, terms and values");
  struct Args {
    std::string index, sku;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->index);
  cmd->add_option("--sku", a->sku, "Show this SKU's stored fields, terms and values");
  add_json_flag(*cmd, a->json);
  cmd->callback([a, &rc] {
    auto st = engine::open_index_state(a->index);
    Xapian::Database db = st->open_database();
    const std::string gen_name = std::filesystem::path(st->generation_dir).filename().string();
    if (a->sku.empty() && a->json) {
      // The manifest as written (indented) made one line: line ends and the indentation after
      // them go; strings keep their bytes.
      std::string m;
      bool in_string = false, escaped = false, line_start = false;
      for (char ch : st->manifest.to_json()) {
        if (in_string) {
          in_string = escaped || ch != '"';
          escaped = !escaped && ch == '\\';
        } else if (ch == '\n') {
          line_start = true;
          continue;
        } else if (line_start && ch == ' ') {
          continue;
        } else {
          in_string = ch == '"';
        }
        line_start = false;
        m += ch;
      }
      std::printf("{\"index\":%s,\"generation\":%s,\"manifest\":%s,\"documents\":%u,\"shards\":%d,"
                  "\"average_document_length\":%s}\n",
                  json_str(a->index).c_str(), json_str(gen_name).c_str(), m.c_str(), db.get_doccount(),
                  st->manifest.shards, json_num(db.get_avlength()).c_str());
      rc = 0;
      return;
    }
    if (a->sku.empty()) {
      std::printf("index:        %s\ngeneration:   %s\n", a->index.c_str(), st->generation_dir.c_str());
      std::fputs(st->manifest.to_json().c_str(), stdout);
      std::printf("documents:    %u (Xapian doccount over %d shards)\n", db.get_doccount(), st->manifest.shards);
      std::printf("terms/doc:    %.1f (average document length)\n", db.get_avlength());
      rc = 0;
      return;
    }
    std::string qterm = std::string(index::prefix::kSku) + a->sku;
    Xapian::PostingIterator p = db.postlist_begin(qterm);
    if (p == db.postlist_end(qterm)) {
      std::fprintf(stderr, "longtail: sku_id \"%s\" is not in %s\n", a->sku.c_str(), a->index.c_str());
      rc = 1;
      return;
    }
    Xapian::Document doc = db.get_document(*p);
    index::SkuRecord rec;
    const std::string data = st->stored_data(doc, *p);
    const bool whole = index::read_record(doc, data, rec);
    if (a->json) {
      std::string out = "{\"index\":" + json_str(a->index) + ",\"generation\":" + json_str(gen_name) +
                        ",\"sku_id\":" + json_str(a->sku) + ",\"docid\":" + std::to_string(*p) +
                        ",\"record\":" + (whole ? index::record_json(rec) : std::string("null")) +
                        ",\"stored\":" + json_str(data) + ",\"terms\":";
      if (st->manifest.serving) {
        out += "null";  // serving shards keep no termlist
      } else {
        out += "[";
        bool first = true;
        for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t, first = false)
          out += (first ? "{\"term\":" : ",{\"term\":") + json_str(*t) + ",\"wdf\":" + std::to_string(t.get_wdf()) + "}";
        out += "]";
      }
      out += ",\"values\":[";
      bool first = true;
      for (unsigned s = 0; s <= index::slot::kStage1Key; ++s) {
        const std::string v = index::stored_value(doc, s);
        if (v.empty()) continue;
        const bool carried =
            std::find(index::kCarriedSlots.begin(), index::kCarriedSlots.end(), s) != index::kCarriedSlots.end();
        out += std::string(first ? "{" : ",{") + "\"slot\":" + std::to_string(s) + ",\"carried\":" +
               (carried ? "true" : "false") + ",";
        first = false;
        if (slot_is_string(s)) out += "\"string\":" + json_str(v) + "}";
        else if (slot_is_binary(s)) out += "\"bytes\":" + std::to_string(v.size()) + "}";
        else out += "\"number\":" + json_num(Xapian::sortable_unserialise(v)) + "}";
      }
      out += "]}";
      std::printf("%s\n", out.c_str());
      rc = 0;
      return;
    }
    std::printf("docid: %u\nrecord: %s\nstored: %s\nterms:", *p, whole ? index::record_json(rec).c_str() : "(damaged)",
                data.c_str());
    if (st->manifest.serving) std::printf(" (not kept: serving shards have no termlist)");
    else
      for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) std::printf(" %s(%u)", (*t).c_str(), t.get_wdf());
    // Every slot as written, the carried ones read back from the stage-1 key (index/signals.h).
    std::printf("\nvalues (* = carried in the stage-1 key, not stored as a slot):\n");
    for (unsigned s = 0; s <= index::slot::kStage1Key; ++s) {
      const std::string v = index::stored_value(doc, s);
      if (v.empty()) continue;
      const bool carried =
          std::find(index::kCarriedSlots.begin(), index::kCarriedSlots.end(), s) != index::kCarriedSlots.end();
      if (slot_is_string(s)) std::printf("  %2u%s = %s\n", s, carried ? "*" : " ", v.c_str());
      else if (slot_is_binary(s)) std::printf("  %2u%s = (%zu bytes)\n", s, carried ? "*" : " ", v.size());
      else std::printf("  %2u%s = %.6g\n", s, carried ? "*" : " ", Xapian::sortable_unserialise(v));
    }
    rc = 0;
  });
}

}  // namespace longtail::cli
