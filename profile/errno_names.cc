#include "profile/errno_names.h"

#include <algorithm>
#include <array>

namespace sysfence::profile {

namespace {

#include "profile/errno_table.inc"

using syscalls::ArchId;

std::span<const ErrnoName> family_table(ErrnoFamily f) {
  switch (f) {
    case ErrnoFamily::kGeneric: return kGenericErrnos;
    case ErrnoFamily::kMips: return kMipsErrnos;
    case ErrnoFamily::kParisc: return kPariscErrnos;
    case ErrnoFamily::kPowerpc: return kPowerpcErrnos;
  }
  return kGenericErrnos;
}

const ErrnoName* find_name(std::span<const ErrnoName> table, std::string_view name) {
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const ErrnoName& e, std::string_view n) { return e.name < n; });
  return (it != table.end() && it->name == name) ? &*it : nullptr;
}

}  // namespace

ErrnoFamily errno_family(ArchId arch) {
  switch (arch) {
    case ArchId::kMips:
    case ArchId::kMipsel:
    case ArchId::kMips64:
    case ArchId::kMips64el:
    case ArchId::kMips64n32:
    case ArchId::kMipsel64n32: return ErrnoFamily::kMips;
    case ArchId::kParisc:
    case ArchId::kParisc64: return ErrnoFamily::kParisc;
    case ArchId::kPpc64le:
    case ArchId::kPpc64:
    case ArchId::kPpc: return ErrnoFamily::kPowerpc;
    default: return ErrnoFamily::kGeneric;
  }
}

std::span<const ErrnoName> errno_names(ErrnoFamily family) { return family_table(family); }

std::optional<uint16_t> errno_number(std::string_view name, ArchId arch) {
  const ErrnoName* e = find_name(family_table(errno_family(arch)), name);
  if (e == nullptr) return std::nullopt;
  return e->number;
}

bool is_errno_name(std::string_view name) {
  constexpr std::array kFamilies{ErrnoFamily::kGeneric, ErrnoFamily::kMips, ErrnoFamily::kParisc,
                                 ErrnoFamily::kPowerpc};
  return std::ranges::any_of(kFamilies, [&](ErrnoFamily f) { return find_name(family_table(f), name) != nullptr; });
}

std::optional<std::string_view> errno_name(uint16_t number, ArchId arch) {
  const auto table = family_table(errno_family(arch));
  std::optional<std::string_view> found;
  for (const auto& e : table) {
    if (e.number != number) continue;
    // Prefer the primary name over the aliases that share its number.
    if (e.name == "EWOULDBLOCK" || e.name == "EDEADLOCK") {
      if (!found) found = e.name;
      continue;
    }
    if (!found || *found == "EWOULDBLOCK" || *found == "EDEADLOCK") found = e.name;
  }
  return found;
}

uint16_t eperm(ArchId arch) { return errno_number("EPERM", arch).value_or(1); }
uint16_t enosys(ArchId arch) { return errno_number("ENOSYS", arch).value_or(38); }

}  // namespace sysfence::profile
