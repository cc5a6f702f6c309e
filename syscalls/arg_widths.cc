#include "syscalls/arg_widths.h"

#include <algorithm>
#include <cstddef>

#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

struct AbiArgInfo {
  ArchId arch;
  unsigned register_bits;
  std::span<const ArgInfo> infos;
};

namespace generated {
#include "syscalls/generated/arg_widths/registry.inc"
}  // namespace generated

// arg_infos(id) indexes the registry: it must list the ABIs in ArchId order,
// each sorted by number with no number twice (binary search relies on it).
constexpr bool registry_well_formed() {
  if (std::size(generated::kAbiArgInfo) != static_cast<size_t>(kArchCount)) return false;
  for (size_t i = 0; i < std::size(generated::kAbiArgInfo); ++i) {
    const AbiArgInfo& abi = generated::kAbiArgInfo[i];
    if (static_cast<size_t>(abi.arch) != i) return false;
    for (size_t j = 1; j < abi.infos.size(); ++j)
      if (abi.infos[j - 1].nr >= abi.infos[j].nr) return false;
  }
  return true;
}
static_assert(registry_well_formed());

const AbiArgInfo& abi(ArchId arch) { return generated::kAbiArgInfo[static_cast<size_t>(arch)]; }

}  // namespace

std::span<const ArgInfo> arg_infos(ArchId arch) { return abi(arch).infos; }

unsigned register_bits(ArchId arch) { return abi(arch).register_bits; }

std::optional<ArgInfo> arg_info(ArchId arch, uint32_t nr) {
  const auto infos = arg_infos(arch);
  auto it =
      std::lower_bound(infos.begin(), infos.end(), nr, [](const ArgInfo& info, uint32_t n) { return info.nr < n; });
  if (it == infos.end() || it->nr != nr) return std::nullopt;
  return *it;
}

std::optional<ArgInfo> arg_info(ArchId arch, std::string_view name) {
  // The table resolves aliases ("_newselect" spellings and the like) to a
  // number; both lists come from the same .tbl rows.
  if (const Syscall* s = table(arch).find(name)) return arg_info(arch, s->nr);
  for (const ArgInfo& info : arg_infos(arch))
    if (info.name == name) return info;
  return std::nullopt;
}

}  // namespace sysfence::syscalls
