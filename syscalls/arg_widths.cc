#include "syscalls/arg_widths.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <mutex>
#include <vector>

#include "syscalls/packed_arg_widths.h"
#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

using packed::PackedInfo;
using packed::StrId;

namespace data = packed;

std::string_view str(StrId id) {
  return std::string_view(data::kPool + data::kStrBegin[id], data::kStrBegin[id + 1u] - data::kStrBegin[id]);
}

ArgInfo unpack(const PackedInfo& p) {
  ArgInfo info;
  info.nr = p.nr;
  info.name = str(p.name);
  info.entry = str(p.entry);
  info.source = str(p.source);
  info.implemented = (p.flags & packed::kImplemented) != 0;
  info.known = (p.flags & packed::kKnown) != 0;
  info.beyond_six = (p.flags & packed::kBeyondSix) != 0;
  info.count = p.count;
  for (size_t k = 0; k < 6; ++k) info.args[k] = ArgWidth{str(p.args[k].name), str(p.args[k].type), p.args[k].bits};
  return info;
}

// One ABI's records, sorted by number with no number twice (the packing
// tool checks both; binary search relies on them).
std::span<const PackedInfo> records(ArchId arch) {
  const auto a = static_cast<size_t>(arch);
  return std::span<const PackedInfo>(data::kInfos + data::kAbiBegin[a], data::kAbiBegin[a + 1] - data::kAbiBegin[a]);
}

}  // namespace

std::span<const ArgInfo> arg_infos(ArchId arch) {
  // A whole ABI is unpacked on first request (listings and tests ask for
  // one; compiling asks arg_info() for single numbers).
  static std::array<std::vector<ArgInfo>, kArchCount> unpacked;
  static std::array<std::once_flag, kArchCount> once;
  const auto a = static_cast<size_t>(arch);
  std::call_once(once[a], [&] {
    for (const PackedInfo& p : records(arch)) unpacked[a].push_back(unpack(p));
  });
  return unpacked[a];
}

unsigned register_bits(ArchId arch) { return data::kRegisterBits[static_cast<size_t>(arch)]; }

namespace {

// The packed record of syscall `nr`, or null.
const PackedInfo* find_record(ArchId arch, uint32_t nr) {
  const auto infos = records(arch);
  auto it =
      std::lower_bound(infos.begin(), infos.end(), nr, [](const PackedInfo& info, uint32_t n) { return info.nr < n; });
  return it == infos.end() || it->nr != nr ? nullptr : &*it;
}

}  // namespace

std::optional<ArgInfo> arg_info(ArchId arch, uint32_t nr) {
  const PackedInfo* info = find_record(arch, nr);
  if (info == nullptr) return std::nullopt;
  return unpack(*info);
}

std::optional<unsigned> known_arg_bits(ArchId arch, uint32_t nr, unsigned index) {
  const PackedInfo* info = find_record(arch, nr);
  if (info == nullptr || (info->flags & packed::kKnown) == 0 || index >= info->count) return std::nullopt;
  return info->args[index].bits;
}

std::optional<ArgInfo> arg_info(ArchId arch, std::string_view name) {
  // The table resolves aliases ("_newselect" spellings and the like) to a
  // number; both lists come from the same .tbl rows.
  if (const Syscall* s = table(arch).find(name)) return arg_info(arch, s->nr);
  for (const PackedInfo& p : records(arch))
    if (str(p.name) == name) return unpack(p);
  return std::nullopt;
}

}  // namespace sysfence::syscalls
