// Build-time tool: writes the generated syscall tables in the pointer-free
// form of syscalls/packed_tables.h (C++ source on stdout), with the name
// index numbers_by_name() searches already built. Checks the invariants the
// lookups rely on (tables in ArchId order, numbers ascending, names unique
// per ABI, aliases sorted, naming an entry and never colliding with one) and
// fails rather than write tables that break them.
#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "syscalls/generated_tables.h"
#include "syscalls/pack_literal.h"
#include "syscalls/packed_tables.h"

namespace sysfence::syscalls {
namespace {

using packed_tables::kEmptySlot;
using packed_tables::kIndexSlots;
using packed_tables::NameId;

int fail(const std::string& message) {
  std::fprintf(stderr, "pack_syscall_tables: %s\n", message.c_str());
  return 1;
}

// Every entry name and alias of every ABI, sorted, each with its id.
std::map<std::string_view, NameId> name_ids() {
  std::map<std::string_view, NameId> ids;
  for (const Table& t : generated::kTables) {
    for (const Syscall& s : t.entries()) ids.emplace(s.name, 0);
    for (const SyscallAlias& a : t.aliases()) ids.emplace(a.alias, 0);
  }
  NameId next = 0;
  for (auto& [name, id] : ids) id = next++;
  return ids;
}

// "" when `t` keeps the invariants, else what breaks them.
std::string check_table(const Table& t, size_t position) {
  const std::string abi = "table " + std::to_string(position);
  if (static_cast<size_t>(t.arch()) != position) return abi + " is not in ArchId order";
  std::map<std::string_view, uint32_t> numbers;
  for (size_t i = 0; i < t.entries().size(); ++i) {
    const Syscall& s = t.entries()[i];
    if (i > 0 && t.entries()[i - 1].nr >= s.nr) return abi + ": numbers not ascending at " + std::string(s.name);
    if (!numbers.emplace(s.name, s.nr).second) return abi + ": " + std::string(s.name) + " twice";
  }
  for (size_t i = 0; i < t.aliases().size(); ++i) {
    const SyscallAlias& a = t.aliases()[i];
    if (i > 0 && t.aliases()[i - 1].alias >= a.alias) return abi + ": aliases not sorted at " + std::string(a.alias);
    if (numbers.contains(a.alias)) return abi + ": alias " + std::string(a.alias) + " is also an entry";
    if (!numbers.contains(a.canonical)) return abi + ": alias " + std::string(a.alias) + " names no entry";
  }
  return "";
}

// One name's numbers: bit (1 << ArchId) of `known` set where nr[ArchId] holds.
struct NumbersRow {
  uint32_t known = 0;
  std::array<uint32_t, kArchCount> nr{};
};

// The number of each name on each ABI: entry names, then aliases (an alias
// gives its canonical entry's number).
std::vector<NumbersRow> numbers_by_id(const std::map<std::string_view, NameId>& ids) {
  std::vector<NumbersRow> rows(ids.size());
  for (const Table& t : generated::kTables) {
    const auto abi = static_cast<size_t>(t.arch());
    std::map<std::string_view, uint32_t> entry_nr;
    for (const Syscall& s : t.entries()) entry_nr.emplace(s.name, s.nr);
    auto set = [&](std::string_view name, uint32_t number) {
      NumbersRow& row = rows[ids.at(name)];
      row.known |= uint32_t{1} << abi;
      row.nr[abi] = number;
    };
    for (const Syscall& s : t.entries()) set(s.name, s.nr);
    for (const SyscallAlias& a : t.aliases()) set(a.alias, entry_nr.at(a.canonical));
  }
  return rows;
}

std::vector<NameId> hash_index(const std::map<std::string_view, NameId>& ids) {
  std::vector<NameId> slots(kIndexSlots, kEmptySlot);
  for (const auto& [name, id] : ids) {
    size_t i = packed_tables::name_hash(name) & (kIndexSlots - 1);
    while (slots[i] != kEmptySlot) i = (i + 1) & (kIndexSlots - 1);
    slots[i] = id;
  }
  return slots;
}

void print_names(const std::map<std::string_view, NameId>& ids) {
  std::string pool;
  std::string begins;
  for (const auto& [name, id] : ids) {
    begins += "    " + std::to_string(pool.size()) + "u,\n";
    pool += name;
    pool += '\0';
  }
  std::printf("const size_t kNameCount = %zu;\n", ids.size());
  print_pool_literal("kNamePool", pool);
  std::printf("const uint32_t kNameBegin[] = {\n%s    %zuu,\n};\n", begins.c_str(), pool.size());
}

void print_tables(const std::map<std::string_view, NameId>& ids) {
  std::string entry_begin;
  std::string alias_begin;
  size_t entries = 0;
  size_t aliases = 0;
  std::printf("const PackedSyscall kEntries[] = {\n");
  for (const Table& t : generated::kTables) {
    entry_begin += std::to_string(entries) + "u, ";
    for (const Syscall& s : t.entries()) {
      std::printf("    {%uu, %u, {%u, %u, %u}},\n", s.nr, ids.at(s.name), s.since.major, s.since.minor, s.since.patch);
      ++entries;
    }
  }
  std::printf("};\nconst uint32_t kEntryBegin[kArchCount + 1] = {%s%zuu};\n", entry_begin.c_str(), entries);
  std::printf("const PackedAlias kAliases[] = {\n");
  for (const Table& t : generated::kTables) {
    alias_begin += std::to_string(aliases) + "u, ";
    for (const SyscallAlias& a : t.aliases()) {
      std::printf("    {%u, %u},\n", ids.at(a.alias), ids.at(a.canonical));
      ++aliases;
    }
  }
  std::printf("};\nconst uint32_t kAliasBegin[kArchCount + 1] = {%s%zuu};\n", alias_begin.c_str(), aliases);
}

void print_index(const std::map<std::string_view, NameId>& ids) {
  std::printf("const NameId kIndex[kIndexSlots] = {");
  const std::vector<NameId> slots = hash_index(ids);
  for (size_t i = 0; i < slots.size(); ++i) std::printf("%s%u,", i % 16 == 0 ? "\n    " : " ", slots[i]);
  std::printf("\n};\nconst NameNumbers kNumbers[] = {\n");
  for (const NumbersRow& row : numbers_by_id(ids)) {
    std::printf("    NameNumbers(0x%xu, {{", row.known);
    for (uint32_t nr : row.nr) std::printf("%uu, ", nr);
    std::printf("}}),\n");
  }
  std::printf("};\n");
}

int run() {
  for (size_t i = 0; i < generated::kTables.size(); ++i) {
    if (std::string problem = check_table(generated::kTables[i], i); !problem.empty()) return fail(problem);
  }
  const std::map<std::string_view, NameId> ids = name_ids();
  if (ids.size() >= kEmptySlot || 2 * ids.size() > kIndexSlots) {
    return fail(std::to_string(ids.size()) + " names: too many for 16-bit ids or the index");
  }
  std::printf("// Generated at build time by //syscalls:pack_syscall_tables; see syscalls/packed_tables.h.\n");
  std::printf("#include \"syscalls/packed_tables.h\"\n\nnamespace sysfence::syscalls::packed_tables {\n\n");
  print_names(ids);
  print_tables(ids);
  print_index(ids);
  std::printf("\n}  // namespace sysfence::syscalls::packed_tables\n");
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sysfence::syscalls

int main() { return sysfence::syscalls::run(); }
