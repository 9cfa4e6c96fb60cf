// title_length and advertisement: the title's form (docs/integrity.md, "title_length",
// "advertisement").
#include "index/integrity_model.h"

namespace longtail::index {

void IntegrityModel::Impl::detect_title_length(TitleContext& x, TitleVerdict& v) const {
  const SkuRecord& r = x.r;
  const LeafStats* ls = x.ls;
  double chars = double(title_width(r.title));
  double limit = ls ? ls->len_limit : t.length_min_chars;
  if (chars > limit) {
    IntegrityReason reason;
    reason.name = "title_length";
    reason.score = chars / limit;
    reason.penalty = t.length_penalty;
    reason.explanation = "title has " + fmt(chars, "%.0f") + " characters; this category's limit is " +
                         fmt(limit, "%.0f") + " (" + fmt(100 * t.length_quantile, "%.3g") + "th percentile x " +
                         fmt(t.length_factor, "%.3g") + ")";
    v.reasons.push_back(std::move(reason));
  }
}

void IntegrityModel::Impl::detect_advertisement(TitleContext& x, TitleVerdict& v) const {
  const SkuRecord& r = x.r;
  auto contacts = find_contacts(an().normalize(r.title));
  if (!contacts.empty()) {
    IntegrityReason reason;
    reason.name = "advertisement";
    reason.score = double(contacts.size());
    reason.penalty = t.ad_penalty;
    reason.explanation = "contact details in the title:";
    for (const auto& ct : contacts) reason.explanation += " " + ct + ";";
    reason.explanation.pop_back();
    v.reasons.push_back(std::move(reason));
  }
}

}  // namespace longtail::index
