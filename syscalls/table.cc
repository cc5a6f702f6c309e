#include "syscalls/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

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

// Open addressing over every distinct name of every generated table; rows
// hold the numbers per ABI. Invariant: built once from the static tables and
// never modified afterwards, so concurrent lookups need no locking.
class NameIndex {
 public:
  NameIndex() {
    for (const Table& t : generated::kTables) {
      for (const Syscall& s : t.entries()) add(s.name, t.arch(), s.nr);
    }
    // Aliases after every entry name, so that an alias resolves to the
    // canonical entry's number exactly as Table::find does.
    for (const Table& t : generated::kTables) {
      for (const SyscallAlias& a : t.aliases()) {
        const Syscall* canonical = t.find_in_table(a.canonical);
        if (canonical != nullptr) add(a.alias, t.arch(), canonical->nr);
      }
    }
  }

  const NameNumbers* find(std::string_view name) const {
    for (size_t i = hash(name) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.row == kEmpty) return nullptr;
      if (s.name == name) return &rows_[s.row];
    }
  }

 private:
  static constexpr uint32_t kEmpty = ~uint32_t{0};
  // Power of two, at least twice the number of distinct names (about 1000):
  // probe sequences stay short.
  static constexpr size_t kSlots = 4096;
  struct Slot {
    std::string_view name;
    uint32_t row = kEmpty;
  };

  static size_t hash(std::string_view s) {
    uint64_t h = 14695981039346656037ULL;  // FNV-1a
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return static_cast<size_t>(h ^ (h >> 29));
  }

  void add(std::string_view name, ArchId abi, uint32_t nr) {
    size_t i = hash(name) & mask_;
    while (slots_[i].row != kEmpty && slots_[i].name != name) i = (i + 1) & mask_;
    Slot& s = slots_[i];
    if (s.row == kEmpty) {
      s.name = name;
      s.row = static_cast<uint32_t>(rows_.size());
      rows_.emplace_back();
    }
    NameNumbers& row = rows_[s.row];
    const auto bit = uint32_t{1} << static_cast<unsigned>(abi);
    if ((row.known_ & bit) != 0) return;  // first definition wins (names are unique per table)
    row.known_ |= bit;
    row.nr_[static_cast<size_t>(abi)] = nr;
  }

  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
  size_t mask_ = kSlots - 1;
  std::vector<NameNumbers> rows_;
};

const NameIndex& name_index() {
  static const NameIndex index;
  return index;
}

const NameNumbers* numbers_by_name(std::string_view name) { return name_index().find(name); }

const Syscall* Table::find(std::string_view name) const {
  // The generated tables answer through the shared index (one hash instead
  // of a binary search of string comparisons); a Table built elsewhere
  // searches its own spans.
  if (this == &generated::kTables[static_cast<size_t>(arch_)]) {
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

const Table& table(ArchId id) { return generated::kTables[static_cast<size_t>(id)]; }

std::optional<std::string_view> nearest_known_name(std::string_view name) {
  // Every ABI's names and aliases once, sorted: nearest() keeps the first of
  // equally near ones, so ties go to the alphabetically first.
  static const std::vector<std::string_view> kAllNames = [] {
    std::vector<std::string_view> all;
    for (int i = 0; i < kArchCount; ++i) {
      const Table& t = table(static_cast<ArchId>(i));
      for (const auto& s : t.entries()) all.push_back(s.name);
      for (const auto& a : t.aliases()) all.push_back(a.alias);
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }();
  return nearest(name, kAllNames);
}

}  // namespace sysfence::syscalls
