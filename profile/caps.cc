#include "profile/caps.h"

#include <fmt/format.h>

#include <array>

#include "syscalls/edit_distance.h"

namespace sysfence::profile {

namespace {

constexpr std::array<std::string_view, 41> kCaps{
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr std::array<std::string_view, 14> kDockerDefault{
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::span<const std::string_view> capability_names() { return kCaps; }

CapSet docker_default_caps() { return CapSet(kDockerDefault.begin(), kDockerDefault.end()); }
CapSet all_caps() { return CapSet(kCaps.begin(), kCaps.end()); }

Expected<CapSet> parse_caps(std::string_view spec) {
  // An empty list is what an unset shell variable gives ("--caps $CAPS"):
  // taken as none, it would silently drop Docker's default capabilities.
  if (trim(spec).empty()) return fail("empty capability list (none says no capabilities)");
  CapSet out;
  size_t start = 0;
  size_t items = 0;
  bool none = false;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string_view::npos) comma = spec.size();
    const std::string item = trim(spec.substr(start, comma - start));
    start = comma + 1;
    ++items;
    if (item.empty()) return fail(fmt::format("item {} of the list is empty", items));
    if (item == "none") {
      none = true;
      continue;
    }
    if (item == "docker-default") {
      out.merge(docker_default_caps());
      continue;
    }
    if (item == "all") {
      out.merge(all_caps());
      continue;
    }
    std::string name;
    for (char c : item) name += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (!name.starts_with("CAP_")) name.insert(0, "CAP_");
    bool known = false;
    for (auto c : kCaps) known = known || c == name;
    if (!known)
      return fail(
          fmt::format("unknown capability \"{}\"{} (use names such as CAP_SYS_ADMIN, or docker-default, "
                      "all, none)",
                      item, syscalls::did_you_mean(name, kCaps)));
    out.insert(std::move(name));
  }
  // The list is a union: "none" in it would add nothing, while it reads as
  // taking the others away ("all,none" was all).
  if (none && items > 1) return fail("none is the empty set and cannot be combined with other items");
  return out;
}

}  // namespace sysfence::profile
