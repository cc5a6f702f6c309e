// A program built outside Bazel against an installed sysfence (pkg-config
// or CMake): compiles Docker's default profile for the native ABI and checks
// what a user relies on. Exit 0 only when all of it holds.
#include <cstdio>
#include <string>

#include "sysfence/sysfence.h"

int main() {
  auto filter = sysfence::api::compile(sysfence::api::Profile::builtin_default());
  if (!filter) {
    std::fprintf(stderr, "compile failed: %s\n", filter.error().message.c_str());
    return 1;
  }
  if (filter->size() == 0) {
    std::fprintf(stderr, "empty program\n");
    return 1;
  }
  if (!filter->proved() || !filter->prove()) {
    std::fprintf(stderr, "the proof does not hold\n");
    return 1;
  }
  auto raw = filter->write(sysfence::api::Format::kRaw);
  if (!raw || raw->size() != filter->size() * 8) {
    std::fprintf(stderr, "raw output is not 8 bytes per instruction\n");
    return 1;
  }
  auto bad = sysfence::api::Profile::from_string("{\"defaultAction\": 3}", "bad.json");
  if (bad || bad.error().message.find("bad.json") == std::string::npos) {
    std::fprintf(stderr, "a bad profile was not reported with its name\n");
    return 1;
  }
  std::printf("%s: %zu instructions, %s\n", filter->native_arch().c_str(), filter->size(),
              filter->proof_summary().c_str());
  return 0;
}
