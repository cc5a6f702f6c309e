#include "syscalls/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include "syscalls/edit_distance.h"
#include "syscalls/packed_tables.h"

namespace sysfence::syscalls {
namespace {

namespace data = packed_tables;

std::string_view name_of(data::NameId id) {
  return std::string_view(data::kNamePool + data::kNameBegin[id], data::kNameBegin[id + 1u] - data::kNameBegin[id] - 1);
}

// One generated table unpacked: names as string_views into the pool.
struct UnpackedTable {
  std::vector<Syscall> entries;
  std::vector<SyscallAlias> aliases;
  Table table{ArchId::kX86_64, {}};
};

UnpackedTable& unpack(ArchId arch, UnpackedTable& out) {
  const auto a = static_cast<size_t>(arch);
  // Exact sizes: growing by doubling would hold up to twice the table, and
  // both copies at once while it grows.
  out.entries.reserve(data::kEntryBegin[a + 1] - data::kEntryBegin[a]);
  out.aliases.reserve(data::kAliasBegin[a + 1] - data::kAliasBegin[a]);
  for (uint32_t i = data::kEntryBegin[a]; i < data::kEntryBegin[a + 1]; ++i) {
    const data::PackedSyscall& p = data::kEntries[i];
    out.entries.push_back(Syscall{name_of(p.name), p.nr, p.since});
  }
  for (uint32_t i = data::kAliasBegin[a]; i < data::kAliasBegin[a + 1]; ++i)
    out.aliases.push_back(SyscallAlias{name_of(data::kAliases[i].alias), name_of(data::kAliases[i].canonical)});
  out.table = Table(arch, out.entries, {}, out.aliases);
  return out;
}

// table(id): each ABI's table is unpacked on its first use (a command
// touches one to three ABIs), then never modified, so readers need no lock
// once the pointer is published.
std::array<std::atomic<const Table*>, kArchCount> g_unpacked{};

const Table& unpacked_table(ArchId arch) {
  std::atomic<const Table*>& slot = g_unpacked[static_cast<size_t>(arch)];
  if (const Table* t = slot.load(std::memory_order_acquire)) return *t;
  static std::mutex mutex;
  static std::array<UnpackedTable, kArchCount> storage;
  const std::lock_guard<std::mutex> lock(mutex);
  if (const Table* t = slot.load(std::memory_order_relaxed)) return *t;
  const Table* t = &unpack(arch, storage[static_cast<size_t>(arch)]).table;
  slot.store(t, std::memory_order_release);
  return *t;
}

}  // namespace

std::string to_string(KernelVersion v) {
  if (!v.known()) return "unknown";
  if (v.patch != 0) return fmt::format("{}.{}.{}", v.major, v.minor, v.patch);
  return fmt::format("{}.{}", v.major, v.minor);
}

namespace {

uint64_t eight_bytes(const char* p) {
  uint64_t w = 0;
  std::memcpy(&w, p, 8);
  return w;
}

// Whether name `id` is `name`: the lengths, then the bytes eight at a time,
// the last eight overlapping the ones before (shorter names: name_word),
// without a call to memcmp (which took ~40 of the ~130 instructions a
// lookup cost; Docker's default looks up 377 names per resolution).
bool is_name(data::NameId id, std::string_view name) {
  const uint32_t begin = data::kNameBegin[id];
  const size_t n = name.size();
  if (data::kNameBegin[id + 1u] - begin - 1 != n) return false;
  const char* const p = data::kNamePool + begin;
  const char* const q = name.data();
  if (n < 8) return data::name_word(p, n) == data::name_word(q, n);
  for (size_t i = 0; i + 8 < n; i += 8)
    if (eight_bytes(p + i) != eight_bytes(q + i)) return false;
  return eight_bytes(p + n - 8) == eight_bytes(q + n - 8);
}

}  // namespace

const NameNumbers* numbers_by_name(std::string_view name) {
  constexpr size_t kMask = data::kIndexSlots - 1;
  for (size_t i = data::name_hash(name) & kMask;; i = (i + 1) & kMask) {
    const data::NameId id = data::kIndex[i];
    if (id == data::kEmptySlot) return nullptr;
    if (is_name(id, name)) return &data::kNumbers[id];
  }
}

const Syscall* Table::find(std::string_view name) const {
  // The generated tables answer through the shared index (one hash instead
  // of a binary search of string comparisons); a Table built elsewhere
  // searches its own spans.
  if (this == g_unpacked[static_cast<size_t>(arch_)].load(std::memory_order_acquire)) {
    const NameNumbers* n = numbers_by_name(name);
    if (n == nullptr) return nullptr;
    const std::optional<uint32_t> nr = n->on(arch_);
    return nr ? find(*nr) : nullptr;
  }
  return find_in_table(name);
}

const Syscall* Table::find_in_table(std::string_view name) const {
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
  if (al != aliases_.end() && al->alias == name) return find_in_table(al->canonical);
  return nullptr;
}

const Syscall* Table::find(uint32_t nr) const {
  auto it =
      std::lower_bound(by_number_.begin(), by_number_.end(), nr, [](const Syscall& s, uint32_t n) { return s.nr < n; });
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

std::optional<std::string_view> Table::nearest_name(std::string_view name) const {
  if (name.size() > kMaxEditInput) return std::nullopt;
  std::optional<std::string_view> best;
  size_t best_d = typo_distance(name) + 1;
  // Ties go to the alphabetically first, so the answer does not depend on
  // table order.
  auto consider = [&](std::string_view candidate) {
    const size_t d = edit_distance(name, candidate);
    if (d < best_d || (d == best_d && best && candidate < *best)) {
      best_d = d;
      best = candidate;
    }
  };
  for (const auto& s : by_number_) consider(s.name);
  for (const auto& a : aliases_) consider(a.alias);
  return best;
}

const Table& table(ArchId id) { return unpacked_table(id); }

KernelVersion newest_since() {
  KernelVersion newest;
  for (uint32_t i = 0; i < data::kEntryBegin[kArchCount]; ++i) newest = std::max(newest, data::kEntries[i].since);
  return newest;
}

std::optional<std::string_view> nearest_known_name(std::string_view name) {
  // Every ABI's names and aliases once, sorted (name ids are in name order):
  // nearest() keeps the first of equally near ones that begin alike, so the
  // remaining ties go to the alphabetically first.
  static const std::vector<std::string_view> kAllNames = [] {
    std::vector<std::string_view> all;
    for (data::NameId id = 0; id < data::kNameCount; ++id) all.push_back(name_of(id));
    return all;
  }();
  return nearest(name, kAllNames);
}

}  // namespace sysfence::syscalls
