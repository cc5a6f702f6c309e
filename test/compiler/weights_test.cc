// Weight models: uniform, the built-in hot table, `name count` files.
#include "compiler/weights.h"

#include <gtest/gtest.h>

#include "syscalls/table.h"

namespace sysfence::compiler {
namespace {

using syscalls::ArchId;

uint32_t nr(ArchId a, std::string_view name) { return *syscalls::table(a).number(name); }

TEST(Weights, UniformCountsEveryNumberOfTheTableRange) {
  const Weights w = Weights::Uniform();
  EXPECT_TRUE(w.is_uniform());
  const uint32_t max = syscalls::table(ArchId::kX86_64).max_nr();
  EXPECT_DOUBLE_EQ(w.range(ArchId::kX86_64, 0, max), max + 1.0);
  EXPECT_DOUBLE_EQ(w.range(ArchId::kX86_64, max + 1, 0xffffffff), 0.0);
  EXPECT_DOUBLE_EQ(w.range(ArchId::kX86_64, 10, 19), 10.0);
  EXPECT_DOUBLE_EQ(w.measured(ArchId::kX86_64, 5), 1.0);
  EXPECT_DOUBLE_EQ(w.measured(ArchId::kX86_64, max + 1), 0.0);
  // MIPS o32 numbers start at 4000.
  EXPECT_DOUBLE_EQ(w.range(ArchId::kMips, 0, 3999), 0.0);
  EXPECT_DOUBLE_EQ(w.range(ArchId::kMips, 4000, 4009), 10.0);
  // x32 counts 1/100.
  EXPECT_DOUBLE_EQ(w.range(ArchId::kX32, 0x40000000, 0x40000009), 0.1);
}

TEST(Weights, HotNamesTheCommonSyscalls) {
  const Weights w = Weights::Hot();
  EXPECT_FALSE(w.is_uniform());
  const uint32_t read = nr(ArchId::kX86_64, "read");
  EXPECT_DOUBLE_EQ(w.measured(ArchId::kX86_64, read), 1000.0);
  EXPECT_GT(w.number(ArchId::kX86_64, read), 1000.0);  // plus the floor
  EXPECT_DOUBLE_EQ(w.measured(ArchId::kX86_64, nr(ArchId::kX86_64, "reboot")), 0.0);
  EXPECT_GT(w.number(ArchId::kX86_64, nr(ArchId::kX86_64, "reboot")), 0.0);
  // 32-bit spellings apply where the ABI has them.
  EXPECT_GT(w.measured(ArchId::kI386, nr(ArchId::kI386, "futex_time64")), 0.0);
  EXPECT_GT(w.measured(ArchId::kAarch64, nr(ArchId::kAarch64, "read")), 0.0);
}

TEST(Weights, ParseNameCountLines) {
  auto w = Weights::Parse("# strace -c, reduced\nread 100\n\n  write\t50.5\nread 1 # again\n", "w.txt");
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->named().size(), 2u);
  EXPECT_DOUBLE_EQ(w->measured(ArchId::kX86_64, nr(ArchId::kX86_64, "read")), 101.0);
  EXPECT_DOUBLE_EQ(w->measured(ArchId::kX86_64, nr(ArchId::kX86_64, "write")), 50.5);
  EXPECT_EQ(w->description(), "w.txt");
}

TEST(Weights, ParseErrorsNameLineAndColumn) {
  auto e = Weights::Parse("read 1\n  write\n", "w.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "w.txt:2:3: expected `name count`, found 1 field");
  e = Weights::Parse("read 1 2\n", "w.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "w.txt:1:1: expected `name count`, found 3 fields");
  e = Weights::Parse("read -4\n", "w.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "w.txt:1:6: \"-4\" is not a count (a non-negative number)");
  e = Weights::Parse("Read 4\n", "w.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "w.txt:1:1: \"Read\" is not a syscall name");
  e = Weights::Parse("# nothing\n\n", "w.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "w.txt: no `name count` lines");
}

TEST(Weights, FromFlag) {
  EXPECT_TRUE(Weights::FromFlag("uniform")->is_uniform());
  EXPECT_EQ(Weights::FromFlag("hot")->description(), "hot");
  auto e = Weights::FromFlag("/nonexistent/w.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "/nonexistent/w.txt: cannot open weights file (No such file or directory)");
}

}  // namespace
}  // namespace sysfence::compiler
