#include "format/record.h"

namespace longtail::index {

std::vector<std::string> category_levels(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    if (slash > pos) out.push_back(path.substr(0, slash));
    pos = slash + 1;
  }
  return out;
}

}  // namespace longtail::index
