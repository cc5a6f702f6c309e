#include "profile/libseccomp_names.h"

#include <algorithm>
#include <unordered_set>
#include <utility>
#include <vector>

namespace sysfence::profile {

namespace {

struct CallNumber {
  syscalls::ArchId abi;
  std::string_view name;
  int32_t number;
};

constexpr CallNumber kCallNumbers[] = {
#include "profile/libseccomp_names.inc"
};

}  // namespace

std::optional<int32_t> libseccomp_call_number(syscalls::ArchId abi, std::string_view name) {
  // Most names a profile lists are in no ABI's part of the table: one hash
  // says so, where the search below cost ~540 instructions a name.
  static const std::unordered_set<std::string_view> listed = [] {
    std::unordered_set<std::string_view> names;
    for (const CallNumber& c : kCallNumbers) names.insert(c.name);
    return names;
  }();
  if (!listed.contains(name)) return std::nullopt;
  auto key = [](const CallNumber& c) { return std::pair(c.abi, c.name); };
  // Sorted once: runc's model looks up every socket and IPC name of a
  // profile on every ABI of the filter.
  static const std::vector<CallNumber> sorted = [&] {
    std::vector<CallNumber> v(std::begin(kCallNumbers), std::end(kCallNumbers));
    std::sort(v.begin(), v.end(), [&](const CallNumber& a, const CallNumber& b) { return key(a) < key(b); });
    return v;
  }();
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), std::pair(abi, name),
                                   [&](const CallNumber& c, const auto& k) { return key(c) < k; });
  if (it == sorted.end() || key(*it) != std::pair(abi, name)) return std::nullopt;
  return it->number;
}

bool libseccomp_knows(syscalls::ArchId abi, std::string_view name) {
  const std::optional<int32_t> nr = libseccomp_call_number(abi, name);
  return !nr || *nr != -1;
}

}  // namespace sysfence::profile
