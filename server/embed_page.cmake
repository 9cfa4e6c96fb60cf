# Writes server/page.html as a C++ raw string literal (the body of page_html(), server/page.cpp):
#   cmake -DIN=page.html -DOUT=page_html.inc -P embed_page.cmake
file(READ "${IN}" html)
string(FIND "${html}" ")LONGTAIL_PAGE\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw string's end marker )LONGTAIL_PAGE\"")
endif()
file(WRITE "${OUT}.tmp" "R\"LONGTAIL_PAGE(${html})LONGTAIL_PAGE\"\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
