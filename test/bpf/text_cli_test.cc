// `sysfence disasm` / `sysfence asm` end to end: runs the built binary (a data
// dependency, found through the runfiles tree) on files in TEST_TMPDIR.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

using cli_runner::exists;
using cli_runner::read_file;
using cli_runner::Result;
using cli_runner::tmp_path;
using cli_runner::write_file;

// stdin from a file when `stdin_path` is set, else /dev/null.
Result run(const std::vector<std::string>& args, const std::string& stdin_path = "") {
  return cli_runner::run_sysfence(args,
                                  stdin_path.empty() ? cli_runner::Options{} : cli_runner::stdin_from(stdin_path));
}

constexpr std::string_view kFilter = R"(# read/write on x86_64 and i386
  A = arch
  if (A == ARCH_I386) goto i386
  if (A != ARCH_X86_64) goto kill
  A = sys_number
  if (A >= 0x40000000) goto kill
  if (A == read) goto allow
  if (A == write) goto allow else goto deny
i386:
  A = sys_number
  if (A == read) goto allow
  if (A != write) goto deny
  A = args[0]
  if (A == 1) goto allow
deny:
  return ERRNO(1)
allow:
  return ALLOW
kill:
  return KILL_PROCESS
)";

constexpr std::string_view kListing =
    " line  CODE  JT   JF      K\n"
    "=================================\n"
    "0000: 0x20 0x00 0x00 0x00000004  A = arch\n"
    "0001: 0x15 0x05 0x00 0x40000003  if (A == ARCH_I386) goto 0007\n"
    "0002: 0x15 0x00 0x0b 0xc000003e  if (A != ARCH_X86_64) goto 0014\n"
    "0003: 0x20 0x00 0x00 0x00000000  A = sys_number\n"
    "0004: 0x35 0x09 0x00 0x40000000  if (A >= 0x40000000) goto 0014\n"
    "0005: 0x15 0x07 0x00 0x00000000  if (A == read) goto 0013\n"
    "0006: 0x15 0x06 0x05 0x00000001  if (A == write) goto 0013 else goto 0012\n"
    "0007: 0x20 0x00 0x00 0x00000000  A = sys_number\n"
    "0008: 0x15 0x04 0x00 0x00000003  if (A == read) goto 0013\n"
    "0009: 0x15 0x00 0x02 0x00000004  if (A != write) goto 0012\n"
    "0010: 0x20 0x00 0x00 0x00000010  A = args[0]\n"
    "0011: 0x15 0x01 0x00 0x00000001  if (A == 1) goto 0013\n"
    "0012: 0x06 0x00 0x00 0x00050001  return ERRNO(1)\n"
    "0013: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n"
    "0014: 0x06 0x00 0x00 0x80000000  return KILL_PROCESS\n";

TEST(AsmDisasmCli, AssembleThenDisassemble) {
  const std::string src = tmp_path("filter.s");
  const std::string bpf = tmp_path("filter.bpf");
  write_file(src, kFilter);
  Result a = run({"asm", src, "--arch", "x86_64", "-o", bpf});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, "");
  const std::string raw = read_file(bpf);
  ASSERT_EQ(raw.size(), 15U * 8);
  // sock_filter, little-endian: code 0x0020, jt 0, jf 0, k 4.
  EXPECT_EQ(raw.substr(0, 8), std::string("\x20\x00\x00\x00\x04\x00\x00\x00", 8));

  Result d = run({"disasm", bpf, "--arch", "x86_64"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, kListing);
  // Native is x86_64 here.
  EXPECT_EQ(run({"disasm", bpf}).out, kListing);
}

TEST(AsmDisasmCli, BothFormatsRoundTrip) {
  const std::string src = tmp_path("rt.s");
  const std::string bpf = tmp_path("rt.bpf");
  write_file(src, kFilter);
  ASSERT_EQ(run({"asm", src, "-o", bpf}).exit_code, 0);
  for (const char* format : {"", "--asm"}) {
    std::vector<std::string> args = {"disasm", bpf, "--arch", "x86_64"};
    if (*format) args.emplace_back(format);
    Result d = run(args);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    const std::string text = tmp_path("rt2.s");
    const std::string again = tmp_path("rt2.bpf");
    write_file(text, d.out);
    Result a = run({"asm", text, "-o", again});
    ASSERT_EQ(a.exit_code, 0) << a.err << d.out;
    EXPECT_EQ(read_file(again), read_file(bpf)) << format;
  }
}

TEST(AsmDisasmCli, BigEndianArchWritesBigEndianRawAndArgumentOffsets) {
  const std::string src = tmp_path("be.s");
  const std::string bpf = tmp_path("be.bpf");
  write_file(src, "A = args[0] >> 32\nA = args[0]\nreturn A\n");
  Result a = run({"asm", src, "--arch", "ppc64", "-o", bpf});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  // code 0x0020 big-endian, k = 16 (high word first on big-endian).
  EXPECT_EQ(read_file(bpf).substr(0, 16), std::string("\x00\x20\x00\x00\x00\x00\x00\x10"
                                                      "\x00\x20\x00\x00\x00\x00\x00\x14",
                                                      16));
  Result d = run({"disasm", bpf, "--arch", "ppc64", "--asm"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, ".arch ppc64\n  A = args[0] >> 32\n  A = args[0]\n  return A\n");
  // The `.arch` line is enough: no --arch needed to assemble it back.
  const std::string text = tmp_path("be2.s");
  const std::string again = tmp_path("be2.bpf");
  write_file(text, d.out);
  ASSERT_EQ(run({"asm", text, "-o", again}).exit_code, 0);
  EXPECT_EQ(read_file(again), read_file(bpf));
  // Read as little-endian the same bytes are other instructions.
  EXPECT_NE(run({"disasm", bpf, "--arch", "x86_64", "--asm"}).out, d.out);
}

TEST(AsmDisasmCli, StdinAndStdout) {
  const std::string src = tmp_path("in.s");
  write_file(src, "return ALLOW\n");
  Result a = run({"asm", "-", "-o", "-"}, src);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, std::string("\x06\x00\x00\x00\x00\x00\xff\x7f", 8));
  const std::string bpf = tmp_path("in.bpf");
  write_file(bpf, a.out);
  Result d = run({"disasm", "-", "--asm"}, bpf);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, ".arch x86_64\n  return ALLOW\n");
}

TEST(AsmDisasmCli, AssemblerErrorsNameFileLineColumnAndExit2) {
  const std::string src = tmp_path("bad.s");
  const std::string bpf = tmp_path("bad.bpf");
  ::unlink(bpf.c_str());
  write_file(src, "A = arch\n\n      A =+ 3\nreturn A\n");
  Result r = run({"asm", src, "-o", bpf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, fmt::format("sysfence: {}:3:7: unknown statement \"A =+ 3\"\n", src));
  EXPECT_FALSE(exists(bpf));  // nothing written on error

  write_file(src, "A = sys_number\nif (A == read) goto 2\nreturn ALLOW\n");
  r = run({"asm", src, "--arch", "vax", "-o", bpf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown architecture \"vax\""), std::string::npos) << r.err;

  r = run({"asm", "-", "-o", bpf}, "/dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sysfence: <stdin>: no instructions\n");

  write_file(src, ".arch aarch64\nreturn ALLOW\n");
  r = run({"asm", src, "--arch", "x86_64", "-o", bpf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, fmt::format("sysfence: {}:1:7: the file is for arch aarch64 but x86_64 was asked for\n", src));
  EXPECT_FALSE(exists(bpf));
}

TEST(AsmDisasmCli, ValidatorErrorsNameTheLine) {
  const std::string src = tmp_path("invalid.s");
  const std::string bpf = tmp_path("invalid.bpf");
  ::unlink(bpf.c_str());
  // Reads M[0] before any write: the kernel refuses it.
  write_file(src, "A = 1\n# comment\n  X = mem[0]\nreturn A\n");
  Result r = run({"asm", src, "-o", bpf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.err.starts_with(fmt::format("sysfence: {}:3:3: instruction 1: ", src))) << r.err;
  EXPECT_NE(r.err.find("[scratch-uninit]"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(bpf));

  // Not a ret at the end.
  write_file(src, "A = 1\nA += 2\n");
  r = run({"asm", src, "-o", bpf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.err.starts_with(fmt::format("sysfence: {}:2:1: instruction 1: ", src))) << r.err;

  // MOD is classic BPF but not seccomp.
  write_file(src, "A %= 3\nreturn A\n");
  r = run({"asm", src, "-o", bpf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.err.starts_with(fmt::format("sysfence: {}:1:1: instruction 0: ", src))) << r.err;
}

TEST(AsmDisasmCli, DisassemblerErrorsAndUsage) {
  const std::string bpf = tmp_path("trunc.bpf");
  write_file(bpf, std::string(20, '\x06'));
  Result r = run({"disasm", bpf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, fmt::format("sysfence: {}: truncated instruction at byte offset 16 (size 20 is "
                               "not a multiple of 8)\n",
                               bpf));

  write_file(bpf, "");
  r = run({"disasm", bpf});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bpf), std::string::npos) << r.err;

  r = run({"disasm", tmp_path("does-not-exist.bpf")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does-not-exist.bpf: cannot open"), std::string::npos) << r.err;

  const cli_runner::FailureCase usage[] = {
      {{"disasm"}, 2, ""},
      {{"disasm", bpf, "--bogus"}, 2, ""},
      // No -o: the message says what is missing, not only the usage.
      {{"asm", tmp_path("x.s")}, 2, "raw output (the default --format) needs -o FILE; --format c prints a C header"},
  };
  for (const cli_runner::FailureCase& c : usage) cli_runner::expect_failure(c);
  r = run({"asm"});
  EXPECT_EQ(r.exit_code, 2);
  // What is missing, then how the command goes.
  EXPECT_EQ(r.err,
            "sysfence: no FILE.s given\nusage: sysfence asm FILE.s [--arch A] [--format raw|c] [--name IDENT] "
            "[--kernel X.Y] [--install-flags F[,F..]] -o FILE\n");
}

// A filter written for seccomp-tools (both of its conditional forms and
// `next`) assembles and disassembles into sysfence's own spelling.
TEST(AsmDisasmCli, AcceptsSeccompToolsForms) {
  const std::string src = tmp_path("st.s");
  const std::string bpf = tmp_path("st.bpf");
  write_file(src,
             "A = arch\n"
             "A == ARCH_X86_64 ? next : dead\n"
             "A = sys_number\n"
             "if (A == execve) goto ok else goto next\n"
             "if (A != 0x3b) goto dead\n"
             "ok:\n"
             "return ALLOW\n"
             "dead:\n"
             "return KILL\n");
  Result r = run({"asm", src, "--arch", "x86_64", "-o", bpf});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run({"disasm", bpf, "--arch", "x86_64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            " line  CODE  JT   JF      K\n"
            "=================================\n"
            "0000: 0x20 0x00 0x00 0x00000004  A = arch\n"
            "0001: 0x15 0x00 0x04 0xc000003e  if (A != ARCH_X86_64) goto 0006\n"
            "0002: 0x20 0x00 0x00 0x00000000  A = sys_number\n"
            "0003: 0x15 0x01 0x00 0x0000003b  if (A == execve) goto 0005\n"
            "0004: 0x15 0x00 0x01 0x0000003b  if (A != execve) goto 0006\n"
            "0005: 0x06 0x00 0x00 0x7fff0000  return ALLOW\n"
            "0006: 0x06 0x00 0x00 0x00000000  return KILL_THREAD\n");
}

TEST(AsmDisasmCli, DisassemblesInvalidProgramsToo) {
  // A filter the kernel refuses still prints (raw `.insn` for unknown codes,
  // numeric targets past the end).
  const std::string bpf = tmp_path("weird.bpf");
  write_file(bpf, std::string("\x28\x00\x00\x00\x02\x00\x00\x00"
                              "\x05\x00\x00\x00\x07\x00\x00\x00",
                              16));
  Result r = run({"disasm", bpf});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            " line  CODE  JT   JF      K\n"
            "=================================\n"
            "0000: 0x28 0x00 0x00 0x00000002  .insn 0x28 0x00 0x00 0x00000002\n"
            "0001: 0x05 0x00 0x00 0x00000007  goto 0009\n");
  // ... and says on stderr why the kernel would refuse it (a viewer still
  // exits 0, as objdump does).
  EXPECT_EQ(r.err, "sysfence: warning: " + bpf +
                       ": the kernel would reject this filter: instruction 0: `ldh [k]` (opcode 0x0028) is classic "
                       "BPF but not allowed in a seccomp filter [seccomp-opcode]\n");
  // A valid program gets no warning.
  const std::string src = tmp_path("ok.s");
  const std::string ok = tmp_path("ok.bpf");
  write_file(src, std::string(kFilter));
  ASSERT_EQ(run({"asm", src, "--arch", "x86_64", "-o", ok}).exit_code, 0);
  r = run({"disasm", ok, "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
}

// A big-endian filter read in little-endian order (and the other way round)
// is nonsense the kernel would refuse; the hint names the arch the filter
// itself checks for and the flag that reads it right.
TEST(AsmDisasmCli, WrongByteOrderGetsAHint) {
  const std::string src = tmp_path("order.s");
  write_file(src,
             "A = arch\nif (A != ARCH_MIPS) goto kill\nA = sys_number\nif (A == 4003) goto kill\n"
             "return ALLOW\nkill: return KILL_PROCESS\n");
  const std::string be = tmp_path("mips.bpf");
  ASSERT_EQ(run({"asm", src, "--arch", "mips", "-o", be}).exit_code, 0);
  Result r = run({"disasm", be, "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("sysfence: warning: " + be + ": the kernel would reject this filter: instruction 0:"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("sysfence: hint: " + be + ": looks big-endian: try --arch mips or --raw-endian big\n"),
            std::string::npos)
      << r.err;
  // Following the hint: no warning, and the same text as with the right arch.
  const Result right = run({"disasm", be, "--arch", "mips"});
  r = run({"disasm", be, "--arch", "x86_64", "--raw-endian", "big"});
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(right.err, "");
  EXPECT_NE(r.out.find("if (A != ARCH_MIPS) goto 0005"), std::string::npos) << r.out;
  // The commands that run a filter refuse it, with the same hint.
  const std::vector<std::vector<std::string>> running = {
      {"verify", "--profile", "default", "--bpf", be, "--arch", "x86_64"},
      {"diff", be, be, "--arch", "x86_64"},
      {"sim", "--bpf", be, "--arch", "x86_64", "--syscall", "read"},
      {"stats", "--bpf", be, "--arch", "x86_64"},
      {"audit", "--bpf", be, "--arch", "x86_64"},
  };
  for (const std::vector<std::string>& args : running) {
    r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_EQ(r.out, "") << args[0];
    EXPECT_NE(r.err.find(be + ": instruction 0: "), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("; it looks big-endian: try --arch mips or --raw-endian big\n"), std::string::npos)
        << args[0] << ": " << r.err;
  }

  const std::string le = tmp_path("x86.bpf");
  write_file(src, "A = arch\nif (A != ARCH_X86_64) goto kill\nreturn ALLOW\nkill: return KILL_PROCESS\n");
  ASSERT_EQ(run({"asm", src, "--arch", "x86_64", "-o", le}).exit_code, 0);
  r = run({"disasm", le, "--arch", "s390x"});
  EXPECT_NE(r.err.find("looks little-endian: try --arch x86_64 or --raw-endian little\n"), std::string::npos) << r.err;
  EXPECT_EQ(run({"disasm", le, "--raw-endian", "middle"}).exit_code, 2);
}

}  // namespace
}  // namespace sysfence
