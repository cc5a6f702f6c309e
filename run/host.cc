#include "run/host.h"

#include <fmt/format.h>
#include <sys/prctl.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace sysfence::run {

Expected<uint64_t> parse_cap_mask(std::string_view status, std::string_view key) {
  size_t pos = 0;
  while (pos < status.size()) {
    size_t eol = status.find('\n', pos);
    if (eol == std::string_view::npos) eol = status.size();
    std::string_view line = status.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(key) || !line.substr(key.size()).starts_with(':')) continue;
    line.remove_prefix(key.size() + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    uint64_t mask = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), mask, 16);
    if (line.empty() || ec != std::errc() || end != line.data() + line.size()) {
      return fail(fmt::format("{} value \"{}\" is not a 64-bit hex mask", key, line));
    }
    return mask;
  }
  return fail(fmt::format("no {} line", key));
}

profile::CapSet caps_from_mask(uint64_t mask) {
  profile::CapSet out;
  const auto names = profile::capability_names();
  for (size_t bit = 0; bit < names.size() && bit < 64; ++bit) {
    if (mask & (uint64_t{1} << bit)) out.emplace(names[bit]);
  }
  return out;
}

namespace {

Expected<std::string> self_status() {
  std::ifstream in("/proc/self/status");
  if (!in) return fail("/proc/self/status: cannot open (is /proc mounted?)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Expected<uint64_t> self_mask(std::string_view key) {
  auto status = self_status();
  if (!status) return fail(status.error().message);
  auto mask = parse_cap_mask(*status, key);
  if (!mask) return fail("/proc/self/status: " + mask.error().message);
  return *mask;
}

}  // namespace

Expected<profile::CapSet> bounding_caps() {
  auto mask = self_mask("CapBnd");
  if (!mask) return fail(mask.error().message);
  return caps_from_mask(*mask);
}

Expected<profile::CapSet> effective_caps() {
  auto mask = self_mask("CapEff");
  if (!mask) return fail(mask.error().message);
  return caps_from_mask(*mask);
}

bool has_effective_sys_admin() {
  constexpr unsigned kCapSysAdmin = 21;  // include/uapi/linux/capability.h
  auto mask = self_mask("CapEff");
  return mask && (*mask & (uint64_t{1} << kCapSysAdmin)) != 0;
}

bool no_new_privs_set() { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1; }

}  // namespace sysfence::run
