// numbers_by_name (the process-wide hash index over every generated table)
// and Table::find(name), which answers through it for the generated tables,
// against a reference computed by scanning the tables linearly.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

// What table(abi).number(name) must be: the entry of that name, else the
// entry an alias of that name points to, else nothing.
std::optional<uint32_t> scan(ArchId abi, std::string_view name) {
  const Table& t = table(abi);
  for (const Syscall& s : t.entries())
    if (s.name == name) return s.nr;
  for (const SyscallAlias& a : t.aliases()) {
    if (a.alias != name) continue;
    for (const Syscall& s : t.entries())
      if (s.name == a.canonical) return s.nr;
  }
  return std::nullopt;
}

std::set<std::string_view> every_name() {
  std::set<std::string_view> names;
  for (const Arch& a : all_arches()) {
    for (const Syscall& s : table(a).entries()) names.insert(s.name);
    for (const SyscallAlias& al : table(a).aliases()) names.insert(al.alias);
  }
  return names;
}

TEST(NameIndex, AgreesWithTheTablesForEveryNameAndAbi) {
  const std::set<std::string_view> names = every_name();
  ASSERT_GT(names.size(), 500u);
  size_t hits = 0;
  for (std::string_view name : names) {
    const NameNumbers* n = numbers_by_name(name);
    ASSERT_NE(n, nullptr) << name;
    for (const Arch& a : all_arches()) {
      const std::optional<uint32_t> want = scan(a.id, name);
      EXPECT_EQ(n->on(a.id), want) << name << " on " << a.name;
      EXPECT_EQ(table(a).number(name), want) << name << " on " << a.name;
      const Syscall* s = table(a).find(name);
      ASSERT_EQ(s != nullptr, want.has_value()) << name << " on " << a.name;
      if (s != nullptr) {
        EXPECT_EQ(s->nr, *want);
        hits++;
      }
    }
  }
  EXPECT_GT(hits, 26u * 280u);
}

TEST(NameIndex, AliasesGiveTheCanonicalEntry) {
  const Table& arm = table(ArchId::kArm);
  const Syscall* alias = arm.find("sync_file_range2");
  const Syscall* canonical = arm.find("arm_sync_file_range");
  ASSERT_NE(alias, nullptr);
  EXPECT_EQ(alias, canonical);
  EXPECT_EQ(alias->name, "arm_sync_file_range");
  EXPECT_FALSE(numbers_by_name("sync_file_range2")->on(ArchId::kX86_64).has_value());
}

TEST(NameIndex, UnknownNames) {
  using namespace std::string_view_literals;
  for (std::string_view name : {""sv, "nosuch"sv, "opnat"sv, "read "sv, "READ"sv, "read\0x"sv, "sync_file_range22"sv}) {
    EXPECT_EQ(numbers_by_name(name), nullptr) << name;
    EXPECT_EQ(table(ArchId::kX86_64).find(name), nullptr) << name;
  }
  // Known somewhere, not on x86_64: present but without an x86_64 number.
  const NameNumbers* socketcall = numbers_by_name("socketcall");
  ASSERT_NE(socketcall, nullptr);
  EXPECT_FALSE(socketcall->on(ArchId::kX86_64).has_value());
  EXPECT_EQ(socketcall->on(ArchId::kI386), std::optional<uint32_t>(102));
  EXPECT_EQ(table(ArchId::kX86_64).find("socketcall"), nullptr);
}

TEST(NameIndex, TablesBuiltElsewhereSearchTheirOwnEntries) {
  // Not a registered table: the shared index must not answer for it.
  static constexpr std::array<Syscall, 2> kEntries{{{"alpha", 7, {}}, {"read", 9, {}}}};
  static constexpr std::array<uint16_t, 2> kByName{{0, 1}};
  static constexpr std::array<SyscallAlias, 1> kAliases{{{"beta", "alpha"}}};
  const Table t(ArchId::kX86_64, kEntries, kByName, kAliases);
  EXPECT_EQ(t.number("read"), std::optional<uint32_t>(9));
  EXPECT_EQ(t.number("alpha"), std::optional<uint32_t>(7));
  EXPECT_EQ(t.number("beta"), std::optional<uint32_t>(7));
  EXPECT_EQ(t.number("write"), std::nullopt);
}

}  // namespace
}  // namespace sysfence::syscalls
