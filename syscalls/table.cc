#include "syscalls/table.h"

#include <fmt/format.h>

#include <algorithm>

#include "syscalls/edit_distance.h"
#include "syscalls/generated_tables.h"

namespace sysfence::syscalls {
namespace {

// The registry must list the tables in ArchId order: table(id) indexes it.
constexpr bool tables_in_arch_order() {
  for (size_t i = 0; i < generated::kTables.size(); ++i)
    if (static_cast<size_t>(generated::kTables[i].arch()) != i) return false;
  return true;
}
static_assert(tables_in_arch_order());

}  // namespace

std::string to_string(KernelVersion v) {
  if (!v.known()) return "unknown";
  if (v.patch != 0) return fmt::format("{}.{}.{}", v.major, v.minor, v.patch);
  return fmt::format("{}.{}", v.major, v.minor);
}

const Syscall* Table::find(std::string_view name) const {
  if (!by_name_.empty()) {
    // by_name_ holds entry indices in name order.
    auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                               [&](uint16_t idx, std::string_view n) { return by_number_[idx].name < n; });
    if (it != by_name_.end() && by_number_[*it].name == name) return &by_number_[*it];
  } else {
    for (const auto& s : by_number_)
      if (s.name == name) return &s;
  }
  auto al = std::lower_bound(aliases_.begin(), aliases_.end(), name,
                             [](const SyscallAlias& a, std::string_view n) { return a.alias < n; });
  if (al != aliases_.end() && al->alias == name) return find(al->canonical);
  return nullptr;
}

const Syscall* Table::find(uint32_t nr) const {
  auto it = std::lower_bound(by_number_.begin(), by_number_.end(), nr,
                             [](const Syscall& s, uint32_t n) { return s.nr < n; });
  return (it != by_number_.end() && it->nr == nr) ? &*it : nullptr;
}

std::optional<uint32_t> Table::number(std::string_view name) const {
  const Syscall* s = find(name);
  if (s == nullptr) return std::nullopt;
  return s->nr;
}

std::optional<std::string_view> Table::name(uint32_t nr) const {
  const Syscall* s = find(nr);
  if (s == nullptr) return std::nullopt;
  return s->name;
}

uint32_t Table::max_nr() const { return by_number_.empty() ? 0 : by_number_.back().nr; }

std::string_view Table::nearest_name(std::string_view name) const {
  std::string_view best;
  size_t best_d = SIZE_MAX;
  auto consider = [&](std::string_view candidate) {
    const size_t d = edit_distance(name, candidate);
    if (d < best_d || (d == best_d && candidate < best)) {
      best_d = d;
      best = candidate;
    }
  };
  for (const auto& s : by_number_) consider(s.name);
  for (const auto& a : aliases_) consider(a.alias);
  return best;
}

const Table& table(ArchId id) { return generated::kTables[static_cast<size_t>(id)]; }

}  // namespace sysfence::syscalls
