// `sysfence resolve` end to end: runs the built binary (a data dependency,
// found through the runfiles tree) and checks output and exit codes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "test/cli_runner.h"

namespace sysfence::syscalls {
namespace {

using cli_runner::Result;

Result run(const std::vector<std::string>& args) { return cli_runner::run_sysfence(args); }

TEST(ResolveCli, ListsEveryAbiInNumberOrder) {
  for (const auto& a : all_arches()) {
    for (std::string_view spelling : {a.name, a.scmp_name}) {
      SCOPED_TRACE(std::string(spelling));
      Result r = run({"resolve", "--arch", std::string(spelling), "--list"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.err, "");
      std::string expected;
      for (const auto& s : table(a).entries()) expected += fmt::format("{}\t{}\n", s.name, s.nr);
      EXPECT_EQ(r.out, expected);
      // Independent of the table: strictly increasing numbers, one per line.
      std::istringstream in(r.out);
      std::string name;
      uint64_t nr = 0;
      uint64_t prev = 0;
      size_t lines = 0;
      while (in >> name >> nr) {
        if (lines++ > 0) {
          EXPECT_GT(nr, prev) << name;
        }
        prev = nr;
      }
      EXPECT_EQ(lines, table(a).size());
    }
  }
}

TEST(ResolveCli, NamesAndNumbers) {
  Result r = run({"resolve", "--arch", "x86_64", "read", "openat", "0x3c", "59"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "read\t0\nopenat\t257\nexit\t60\nexecve\t59\n");

  r = run({"resolve", "--arch", "SCMP_ARCH_X86", "socketcall"});
  EXPECT_EQ(r.out, "socketcall\t102\n");
  r = run({"resolve", "--arch=arm64", "openat"});
  EXPECT_EQ(r.out, "openat\t56\n");
  r = run({"resolve", "--arch", "mipsle", "read", "4003"});
  EXPECT_EQ(r.out, "read\t4003\nread\t4003\n");
  r = run({"resolve", "--arch", "x32", "read"});
  EXPECT_EQ(r.out, "read\t1073741824\n");  // 0x40000000
  r = run({"resolve", "--arch", "arm", "set_tls", "sync_file_range2", "0x0f0002"});
  EXPECT_EQ(r.out, "set_tls\t983045\nsync_file_range2\t341\ncacheflush\t983042\n");
}

TEST(ResolveCli, NativeIsTheDefault) {
  Result def = run({"resolve", "read", "write"});
  Result nat = run({"resolve", "--arch", "native", "read", "write"});
  ASSERT_EQ(def.exit_code, 0) << def.err;
  EXPECT_EQ(def.out, nat.out);
#if defined(__x86_64__) && !defined(__ILP32__)
  EXPECT_EQ(def.out, "read\t0\nwrite\t1\n");
#endif
}

TEST(ResolveCli, UnknownArchExits2WithSuggestion) {
  Result r = run({"resolve", "--arch", "aarch46", "read"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sysfence: unknown architecture \"aarch46\" (did you mean \"aarch64\"?)\n");
}

TEST(ResolveCli, UnknownSyscallExits2WithSuggestion) {
  Result r = run({"resolve", "--arch", "x86_64", "read", "opnat"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");  // nothing printed before the error
  EXPECT_EQ(r.err, "sysfence: unknown syscall \"opnat\" on x86_64 (did you mean \"openat\"?)\n");
  r = run({"resolve", "--arch", "aarch64", "open"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean"), std::string::npos);
}

TEST(ResolveCli, NoSuggestionForAFarName) {
  // 14 letters allow 5 edits; no syscall name is that near.
  Result r = run({"resolve", "--arch", "x86_64", "zzzzzzzzzzzzzz"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sysfence: unknown syscall \"zzzzzzzzzzzzzz\" on x86_64\n");
}

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ResolveCli, ListArchesNamesEveryAbiOnceWithItsFacts) {
  Result r = run({"resolve", "--list-arches"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), all_arches().size() + 1);  // a header, then one line per ABI
  EXPECT_EQ(lines[0].rfind("ABI ", 0), 0U) << lines[0];

  // The x86_64 line, spelled out by hand.
  const std::vector<std::string> x86_64 = {"x86_64", "SCMP_ARCH_X86_64", "amd64", "0xc000003e", "little", "64"};
  bool saw_x86_64 = false;
  for (const std::string& line : lines) {
    std::vector<std::string> w = words_of(line);
    if (w.empty() || w[0] != "x86_64") continue;
    saw_x86_64 = true;
    ASSERT_GE(w.size(), x86_64.size()) << line;
    EXPECT_EQ(std::vector<std::string>(w.begin(), w.begin() + 6), x86_64) << line;
  }
  EXPECT_TRUE(saw_x86_64);
  // Two more ABIs known from the kernel's headers: big-endian and 32-bit.
  EXPECT_NE(r.out.find("\ns390 "), std::string::npos);
  for (const std::string& line : lines) {
    std::vector<std::string> w = words_of(line);
    if (w[0] == "s390") {
      EXPECT_EQ(std::vector<std::string>(w.begin() + 3, w.begin() + 6),
                (std::vector<std::string>{"0x00000016", "big", "32"}));
    }
    if (w[0] == "i386") {
      EXPECT_NE(line.find("i686"), std::string::npos) << line;
    }
  }

  // Every ABI exactly once, each line carrying every spelling find_arch accepts
  // and the audit value, byte order and width of the ABI that spelling names.
  for (const auto& a : all_arches()) {
    SCOPED_TRACE(std::string(a.name));
    size_t count = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::vector<std::string> w = words_of(lines[i]);
      if (w[0] != a.name) continue;
      ++count;
      ASSERT_EQ(w.size(), 7U) << lines[i];
      for (std::string_view s : arch_spellings(a.id)) {
        const bool listed =
            w[0] == s || w[1] == s || w[2] == s || ("," + w[6] + ",").find(fmt::format(",{},", s)) != std::string::npos;
        EXPECT_TRUE(listed) << s;
        const Arch* named = find_arch(s);
        ASSERT_NE(named, nullptr) << s;
        EXPECT_EQ(named->id, a.id) << s;
      }
      EXPECT_EQ(std::stoul(w[3], nullptr, 16), a.audit_arch);
      EXPECT_EQ(w[4], a.endian == Endian::kLittle ? "little" : "big");
      EXPECT_EQ(w[5], std::to_string(a.word_bits));
    }
    EXPECT_EQ(count, 1U);
  }

  // Aligned: every column starts where the header's does.
  std::vector<size_t> starts;
  for (size_t i = 0; i < lines[0].size(); ++i)
    if (lines[0][i] != ' ' && (i == 0 || lines[0][i - 1] == ' ')) starts.push_back(i);
  starts.pop_back();  // the last heading is two words ("OTHER SPELLINGS")
  for (const std::string& line : lines) {
    for (size_t start : starts) {
      ASSERT_LT(start, line.size()) << line;
      EXPECT_NE(line[start], ' ') << line;
      if (start > 0) {
        EXPECT_EQ(line[start - 1], ' ') << line;
      }
    }
  }
}

TEST(ResolveCli, BadNumbersAndUsage) {
  const cli_runner::FailureCase cases[] = {
      {{"resolve", "--arch", "x86_64", "99999"}, 2, "no syscall number 99999 on x86_64"},
      {{"resolve", "--arch", "x86_64", "0x100000000"}, 2, ""},
      {{"resolve"}, 2, ""},
      {{"resolve", "--list", "read"}, 2, ""},
      {{"resolve", "--arch", "x86_64", "400"}, 2, "syscall number 400 is not assigned on x86_64"},
      {{"resolve", "--bogus"}, 2, "sysfence: unknown option --bogus"},
      {{"resolve", "--arch"}, 2, ""},
      {{"resolve", "--list-arches", "read"}, 2, ""},
      {{"resolve", "--list-arches", "--arch", "x86_64"}, 2, ""},
      {{"resolve", "--list-arches", "--list"}, 2, ""},
  };
  for (const cli_runner::FailureCase& c : cases) cli_runner::expect_failure(c);
  // The whole messages: no flag is near --bogus; --lsit is a typo of --list.
  EXPECT_EQ(run({"resolve", "--bogus"}).err, "sysfence: unknown option --bogus (--help lists every option)\n");
  EXPECT_EQ(run({"resolve", "--lsit"}).err,
            "sysfence: unknown option --lsit: did you mean --list? (--help lists every option)\n");
  // A number in a gap of the table is not out of range: say so, with the
  // syscalls around the gap (x86_64: uprobe 336, then pidfd_send_signal 424).
  EXPECT_EQ(run({"resolve", "--arch", "x86_64", "400"}).err,
            "sysfence: syscall number 400 is not assigned on x86_64 (no syscall between uprobe 336 and "
            "pidfd_send_signal 424)\n");
  EXPECT_EQ(run({"resolve", "--arch", "x86_64", "99999"}).err,
            "sysfence: no syscall number 99999 on x86_64: its numbers run from 0 to 470\n");
}

}  // namespace
}  // namespace sysfence::syscalls
