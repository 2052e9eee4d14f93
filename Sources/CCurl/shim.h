#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot
// call; these typed wrappers are how Swift code sets options.
static inline CURLcode peernode_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode peernode_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode peernode_curl_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode peernode_curl_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
typedef size_t (*peernode_curl_data_fn)(char *, size_t, size_t, void *);
typedef int (*peernode_curl_xferinfo_fn)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode peernode_curl_setopt_data_fn(CURL *h, CURLoption o, peernode_curl_data_fn f) { return curl_easy_setopt(h, o, f); }
static inline CURLcode peernode_curl_setopt_xferinfo_fn(CURL *h, CURLoption o, peernode_curl_xferinfo_fn f) { return curl_easy_setopt(h, o, f); }
static inline CURLcode peernode_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
