// Fuzz target: the profile reader (JSON layer + Docker/OCI readers + writer).
//
// Properties, for any bytes:
//   * read_profile never crashes, and an error is one line that starts with
//     the input's name (the CLI prints it as it is);
//   * a profile that reads back is printed by the writer as canonical JSON
//     that the reader accepts again, and printing that gives the same text
//     (the writer's output is a fixed point: nothing is lost or invented).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "profile/reader.h"
#include "profile/writer.h"

namespace {

constexpr std::string_view kName = "fuzz.json";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sysfence;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Smaller limits than the CLI's keep every input cheap while still
  // reaching every limit check.
  profile::ReadOptions options;
  options.limits.max_depth = 32;
  options.limits.max_values = 1 << 14;
  options.strict = size > 0 && (data[0] & 1) != 0;

  auto read = profile::read_profile(text, kName, options);
  if (!read) {
    // --strict lists every finding, one per line; every other error is
    // one line. Each line names the input.
    const std::string& m = read.error().message;
    FUZZ_CHECK(!m.empty(), m);
    const bool listing = options.strict && m.find(" strict finding") != std::string::npos;
    FUZZ_CHECK(listing || fuzz::is_one_line(m), m);
    for (size_t pos = 0; pos < m.size();) {
      const size_t nl = std::min(m.find('\n', pos), m.size());
      const std::string_view line = std::string_view(m).substr(pos, nl - pos);
      FUZZ_CHECK(line.starts_with(kName) || (listing && line.starts_with("  " + std::string(kName))), m);
      pos = nl + 1;
    }
    return 0;
  }
  for (const std::string& finding : read->strict_findings) FUZZ_CHECK(fuzz::is_one_line(finding), finding);

  const std::string once = profile::write_profile(read->profile);
  auto again = profile::read_profile(once, "rewritten.json");
  FUZZ_CHECK(again.has_value(), again.error().message + "\n--- writer output:\n" + once);
  const std::string twice = profile::write_profile(again->profile);
  FUZZ_CHECK(once == twice, "writer output is not a fixed point:\n" + once + "\n---\n" + twice);
  return 0;
}
