// Property checks inside fuzz targets. A failed check is a finding: it prints
// what broke and aborts, which libFuzzer records as a crash (with the input
// saved) and the corpus replay test reports as a failed test.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace sysfence::fuzz {

[[noreturn]] inline void check_failed(const char* file, int line, const char* cond, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n  %.*s\n", file, line, cond, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// An error message the CLI can print as it is: not empty, one line.
inline bool is_one_line(std::string_view message) {
  return !message.empty() && message.find('\n') == std::string_view::npos;
}

}  // namespace sysfence::fuzz

#define FUZZ_CHECK(cond, detail)                                                      \
  do {                                                                                \
    if (!(cond)) ::sysfence::fuzz::check_failed(__FILE__, __LINE__, #cond, (detail)); \
  } while (false)
