#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <xapian.h>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "engine/index_state.h"
#include "format/document.h"
#include "format/layout.h"
#include "format/values.h"

namespace longtail::cli {


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
      std::string out;
      json::Writer w(out);
      w.object().field("index", a->index).field("generation", gen_name).key("manifest");
      st->manifest.write_json(w);
      w.field("documents", db.get_doccount()).field("shards", st->manifest.shards)
          .field("average_document_length", db.get_avlength()).end();
      print_json_line(std::move(out));
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
    // The item's document (one per item): the record of the variant asked for, and its variants.
    const bool whole = index::read_record(doc, data, a->sku, rec);
    std::vector<index::ListingKey> table;
    std::vector<std::string> variant_skus;
    if (index::decode_item_key(doc.get_value(index::slot::kStage1Key), table))
      for (const auto& v : table) variant_skus.push_back(v.pack.sku);
    if (a->json) {
      std::string out;
      json::Writer w(out);
      w.object().field("index", a->index).field("generation", gen_name).field("sku_id", a->sku).field("docid", *p);
      if (whole) w.field_raw("record", index::record_json(rec));
      else w.field_null("record");
      w.key("variants").array();
      for (const auto& v : variant_skus) w.value(v);
      w.end();
      w.field("stored", data).key("terms");
      if (st->manifest.serving) {
        w.null();  // serving shards keep no termlist
      } else {
        w.array();
        for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) w.object().field("term", *t).field("wdf", t.get_wdf()).end();
        w.end();
      }
      w.key("values").array();
      for (unsigned s = 0; s <= index::slot::kLast; ++s) {
        const std::string v = index::stored_value(doc, s);
        if (v.empty()) continue;
        w.object().field("slot", s).field("carried", index::is_carried(s));
        if (index::slot::kind(s) == index::slot::Kind::String) w.field("string", v);
        else if (index::slot::kind(s) == index::slot::Kind::Bytes) w.field("bytes", v.size());
        else w.field("number", Xapian::sortable_unserialise(v));
        w.end();
      }
      w.end().end();
      print_json_line(std::move(out));
      rc = 0;
      return;
    }
    std::string variants;
    for (const auto& v : variant_skus) variants += (variants.empty() ? "" : " ") + v;
    std::printf("docid: %u\nitem: %s (%zu variants: %s)\nrecord: %s\nstored: %s\nterms:", *p, doc.get_value(index::slot::kItemId).c_str(),
                variant_skus.size(), variants.c_str(), whole ? index::record_json(rec).c_str() : "(damaged)", data.c_str());
    if (st->manifest.serving) std::printf(" (not kept: serving shards have no termlist)");
    else
      for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) std::printf(" %s(%u)", (*t).c_str(), t.get_wdf());
    // Every slot as written, the carried ones read back from the stage-1 key (format/values.h).
    std::printf("\nvalues (* = carried in the stage-1 key, not stored as a slot):\n");
    for (unsigned s = 0; s <= index::slot::kLast; ++s) {
      const std::string v = index::stored_value(doc, s);
      if (v.empty()) continue;
      const bool carried = index::is_carried(s);
      if (index::slot::kind(s) == index::slot::Kind::String) std::printf("  %2u%s = %s\n", s, carried ? "*" : " ", v.c_str());
      else if (index::slot::kind(s) == index::slot::Kind::Bytes) std::printf("  %2u%s = (%zu bytes)\n", s, carried ? "*" : " ", v.size());
      else std::printf("  %2u%s = %.6g\n", s, carried ? "*" : " ", Xapian::sortable_unserialise(v));
    }
    rc = 0;
  });
}

}  // namespace longtail::cli
