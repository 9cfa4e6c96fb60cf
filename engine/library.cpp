// liblongtail.so's own translation unit (a shared library target needs one). The library's code
// is the engine and index archives, linked in whole (engine/CMakeLists.txt); what it exports is
// what <longtail/longtail.h> marks LONGTAIL_API.
#include <longtail/longtail.h>
