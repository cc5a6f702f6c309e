// Weight models: uniform, the built-in hot table, `name count` files.
#include "compiler/weights.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// A name no ABI has weighs nothing: said once per name, where it first
// appears, with the nearest known name.
TEST(Weights, UnknownNamesAreWarnedAboutOnceEach) {
  auto w = Weights::Parse("read 10\nraed 5\n  foo_bar 1\nraed 2\nfcntl64 3\n", "w.txt");
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(
      w->warnings(),
      (std::vector<std::string>{
          "w.txt:2:1: unknown syscall \"raed\" (no architecture has it; did you mean read?); its count is ignored",
          "w.txt:3:3: unknown syscall \"foo_bar\" (no architecture has it); its count is ignored",
      }));
  // fcntl64 is i386's: no warning, and it weighs there.
  EXPECT_DOUBLE_EQ(w->measured(ArchId::kI386, nr(ArchId::kI386, "fcntl64")), 3.0);
  EXPECT_TRUE(Weights::Parse("read 1\nwrite 2\n", "w.txt")->warnings().empty());
  EXPECT_TRUE(Weights::Hot().warnings().empty());
  // strace's table: the name column's position.
  auto table = Weights::Parse(
      "% time     seconds  usecs/call     calls    errors syscall\n"
      "------ ----------- ----------- --------- --------- ----------------\n"
      " 50.00    0.000010           1        10           read\n"
      " 50.00    0.000010           1        10           nosuchcall\n",
      "s.txt");
  ASSERT_TRUE(table) << table.error().message;
  ASSERT_EQ(table->warnings().size(), 1u);
  EXPECT_TRUE(table->warnings()[0].starts_with("s.txt:4:52: unknown syscall \"nosuchcall\"")) << table->warnings()[0];
}

// A file of thousands of made-up names lists the first 256 and counts the rest.
TEST(Weights, UnknownNamesPastTheFirst256AreCounted) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "made_up_" + std::to_string(i) + " 1\n";
  auto w = Weights::Parse(text, "w.txt");
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(w->warnings().size(), 257u);
  EXPECT_TRUE(w->warnings()[255].starts_with("w.txt:256:1: unknown syscall \"made_up_255\"")) << w->warnings()[255];
  EXPECT_EQ(w->warnings()[256],
            "w.txt:257:1: 744 more unknown syscall names from here on (only the first 256 are listed)");
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
  // A directory is no weights file (not an empty one).
  e = Weights::FromFlag("test/compiler");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "test/compiler: cannot read weights file (Is a directory)");
}

// strace's own samples, captured as they are (test/compiler/testdata/strace).
const std::string kStrace = "test/compiler/testdata/strace/";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The calls column of the "total" row: strace's own sum of the rows.
double strace_total(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (!f.empty() && f.back() == "total") return std::stod(f[3]);
  }
  return -1;
}

double sum(const Weights& w) {
  double total = 0;
  for (const auto& [name, count] : w.named()) total += count;
  return total;
}

TEST(Weights, ReadsStraceCountTableAsItIs) {
  for (const char* file : {"ls-c.txt", "sh-f-c-S-calls.txt", "sh-f-c-w-stderr.txt"}) {
    const std::string text = slurp(kStrace + file);
    ASSERT_FALSE(text.empty()) << file;
    auto w = Weights::FromFlag(kStrace + file);
    ASSERT_TRUE(w) << file << ": " << w.error().message;
    EXPECT_GT(strace_total(text), 0) << file;
    EXPECT_DOUBLE_EQ(sum(*w), strace_total(text)) << file;
    for (const auto& [name, count] : w->named()) EXPECT_NE(name, "total") << file;
  }
  // Rows read off the samples: the calls column, with and without an errors value.
  auto ls = Weights::FromFlag(kStrace + "ls-c.txt");
  EXPECT_DOUBLE_EQ(ls->measured(ArchId::kX86_64, nr(ArchId::kX86_64, "openat")), 34.0);
  EXPECT_DOUBLE_EQ(ls->measured(ArchId::kX86_64, nr(ArchId::kX86_64, "mmap")), 30.0);
  auto sh = Weights::FromFlag(kStrace + "sh-f-c-S-calls.txt");
  EXPECT_DOUBLE_EQ(sh->measured(ArchId::kX86_64, nr(ArchId::kX86_64, "openat")), 100.0);
  EXPECT_DOUBLE_EQ(sh->measured(ArchId::kX86_64, nr(ArchId::kX86_64, "wait4")), 5.0);
}

// The same counts reduced to `name count` lines (by awk) weigh the same.
TEST(Weights, StraceTableEqualsItsTwoColumnForm) {
  auto table = Weights::FromFlag(kStrace + "ls-c.txt");
  auto reduced = Weights::FromFlag(kStrace + "ls-c.name-count.txt");
  ASSERT_TRUE(table && reduced);
  EXPECT_EQ(table->named(), reduced->named());
}

// A run over several ABIs prints one table per ABI under a heading; the
// counts of a name add up.
TEST(Weights, StraceTablesOfSeveralAbisAddUp) {
  const std::string text =
      "% time     seconds  usecs/call     calls    errors syscall\n"
      "------ ----------- ----------- --------- --------- ----------------\n"
      "100.00    0.000010          10         7         1 read\n"
      "------ ----------- ----------- --------- --------- ----------------\n"
      "100.00    0.000010          10         7         1 total\n"
      "System call usage summary for 32 bit mode:\n"
      "% time     seconds  usecs/call     calls    errors syscall\n"
      "------ ----------- ----------- --------- --------- ----------------\n"
      "100.00    0.000010          10         3           read\n";
  auto w = Weights::Parse(text, "s.txt");
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_DOUBLE_EQ(w->measured(ArchId::kX86_64, nr(ArchId::kX86_64, "read")), 10.0);
}

TEST(Weights, StraceTableErrorsNameLineAndColumn) {
  const std::string header =
      "% time     seconds  usecs/call     calls    errors syscall\n"
      "------ ----------- ----------- --------- --------- ----------------\n";
  auto e = Weights::Parse(header + "  1.00    0.000010          10         x           read\n", "s.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "s.txt:3:40: \"x\" is not a count (a non-negative number)");
  e = Weights::Parse(header + "  1.00    0.000010\n", "s.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "s.txt:3:3: expected a row of strace -c's table (5 columns or more), found 2 fields");
  e = Weights::Parse(header, "s.txt");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "s.txt: no rows in strace -c's table");
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
