// A placeholder page for GET /: a search box that shows the JSON of GET /search.
#include "server/page.h"

namespace longtail::server {

const std::string& page_html() {
  static const std::string html = R"HTML(<!doctype html>
<html lang="zh">
<head><meta charset="utf-8"><title>longtail</title></head>
<body>
<h1>longtail</h1>
<form id="f"><input id="q" name="q" autofocus> <button>search</button></form>
<pre id="out"></pre>
<script>
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await fetch('/search?q=' + encodeURIComponent(document.getElementById('q').value));
  document.getElementById('out').textContent = JSON.stringify(await r.json(), null, 2);
});
</script>
</body>
</html>
)HTML";
  return html;
}

}  // namespace longtail::server
