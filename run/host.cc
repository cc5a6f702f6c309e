#include "run/host.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace sysfence::run {

Expected<uint64_t> parse_cap_bnd(std::string_view status) {
  constexpr std::string_view kKey = "CapBnd:";
  size_t pos = 0;
  while (pos < status.size()) {
    size_t eol = status.find('\n', pos);
    if (eol == std::string_view::npos) eol = status.size();
    std::string_view line = status.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(kKey)) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    uint64_t mask = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), mask, 16);
    if (line.empty() || ec != std::errc() || end != line.data() + line.size()) {
      return fail(fmt::format("CapBnd value \"{}\" is not a 64-bit hex mask", line));
    }
    return mask;
  }
  return fail("no CapBnd line");
}

profile::CapSet caps_from_mask(uint64_t mask) {
  profile::CapSet out;
  const auto names = profile::capability_names();
  for (size_t bit = 0; bit < names.size() && bit < 64; ++bit) {
    if (mask & (uint64_t{1} << bit)) out.emplace(names[bit]);
  }
  return out;
}

Expected<profile::CapSet> bounding_caps() {
  std::ifstream in("/proc/self/status");
  if (!in) return fail("/proc/self/status: cannot open (is /proc mounted?)");
  std::stringstream ss;
  ss << in.rdbuf();
  auto mask = parse_cap_bnd(ss.str());
  if (!mask) return fail("/proc/self/status: " + mask.error().message);
  return caps_from_mask(*mask);
}

}  // namespace sysfence::run
