// The C header of `compile --format c` and `asm --format c`, checked with real
// compilers and the real kernel: it compiles warning-free in every language
// mode, for every ABI that has a Debian cross compiler on this machine (the
// ones missing are skipped and named), its seccomp(2) number is the one the
// target's own <sys/syscall.h> has, it refuses to compile for an ABI the
// filter does not handle, and its installer, run in a forked child, makes
// the kernel answer as the profile says.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

using cli_runner::exists;
using cli_runner::read_file;
using cli_runner::run_sysfence;
using cli_runner::spawn;
using cli_runner::tmp_path;
using cli_runner::write_file;

const std::vector<std::string> kWarnings = {"-Wall", "-Wextra", "-Wpedantic", "-Wcast-qual", "-Werror"};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A compiler by its name in /usr/bin, or "" when it is not installed.
std::string compiler(const std::string& name) {
  const std::string path = "/usr/bin/" + name;
  return exists(path) ? path : "";
}

std::string header(const std::vector<std::string>& args, const std::string& file) {
  std::vector<std::string> all = args;
  all.insert(all.end(), {"--format", "c", "-o", file});
  const auto r = run_sysfence(all);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  return read_file(file);
}

// Compiles `source` (C or C++ by its extension) to an object file.
cli_runner::Result compile(const std::string& cc, const std::vector<std::string>& flags, const std::string& source) {
  std::vector<std::string> argv = {cc};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), kWarnings.begin(), kWarnings.end());
  argv.insert(argv.end(), {"-c", source, "-o", source + ".o"});
  return spawn(argv);
}

// Uses the installer and checks the header's seccomp(2) number against the
// target C library's own.
std::string use_header(const std::string& h, const std::string& install) {
  return "#include \"" + h + "\"\n#include <sys/syscall.h>\n" +
         "#if defined(SYSFENCE_T_NR_SECCOMP) && SYSFENCE_T_NR_SECCOMP != __NR_seccomp\n"
         "#error \"the header's seccomp number is not the C library's\"\n#endif\n"
         "int main(void) { return " +
         install + "() == 0 ? 0 : 1; }\n";
}

TEST(CHeaderCli, CompilesWarningFreeAsC89ToCxx20) {
  const std::string h = tmp_path("lang.h");
  header({"compile", "default", "--kernel", "6.1", "--name", "sysfence_t", "--install-flags", "tsync"}, h);
  write_file(tmp_path("lang.c"), use_header(h, "sysfence_install_t"));
  write_file(tmp_path("lang.cc"), use_header(h, "sysfence_install_t"));
  int compiled = 0;
  for (const std::string name : {"gcc", "clang"}) {
    const std::string cc = compiler(name);
    if (cc.empty()) continue;
    for (const std::string std : {"-std=c89", "-std=c99", "-std=c11"}) {
      const auto r = compile(cc, {std}, tmp_path("lang.c"));
      EXPECT_EQ(r.exit_code, 0) << name << " " << std << "\n" << r.describe();
      ++compiled;
    }
  }
  for (const std::string name : {"g++", "clang++"}) {
    const std::string cc = compiler(name);
    if (cc.empty()) continue;
    for (const std::string std : {"-std=c++11", "-std=c++20"}) {
      const auto r = compile(cc, {std}, tmp_path("lang.cc"));
      EXPECT_EQ(r.exit_code, 0) << name << " " << std << "\n" << r.describe();
      ++compiled;
    }
  }
  if (compiled == 0) GTEST_SKIP() << "no gcc, clang, g++ or clang++ in /usr/bin";
}

struct Cross {
  const char* abi;
  const char* cc;
  std::vector<std::string> flags;
};

// Debian bookworm's cross compilers with the C library headers of the ABI
// (s390 -m31 and MIPS n32 have none, so they are not here).
const std::vector<Cross>& cross_compilers() {
  static const std::vector<Cross> all = {
      {"i386", "i686-linux-gnu-gcc", {}},
      {"x32", "x86_64-linux-gnux32-gcc", {}},
      {"aarch64", "aarch64-linux-gnu-gcc", {}},
      {"arm", "arm-linux-gnueabihf-gcc", {}},
      {"riscv64", "riscv64-linux-gnu-gcc", {}},
      {"ppc64le", "powerpc64le-linux-gnu-gcc", {}},
      {"ppc64", "powerpc64-linux-gnu-gcc", {}},
      {"ppc", "powerpc-linux-gnu-gcc", {}},
      {"s390x", "s390x-linux-gnu-gcc", {}},
      {"mips", "mips-linux-gnu-gcc", {}},
      {"mipsel", "mipsel-linux-gnu-gcc", {}},
      {"mips64", "mips64-linux-gnuabi64-gcc", {}},
      {"mips64el", "mips64el-linux-gnuabi64-gcc", {}},
      {"parisc", "hppa-linux-gnu-gcc", {}},
      {"m68k", "m68k-linux-gnu-gcc", {}},
      {"sh", "sh4-linux-gnu-gcc", {}},
      {"sheb", "sh4-linux-gnu-gcc", {"-mb"}},
  };
  return all;
}

TEST(CHeaderCli, EveryAbiWithACrossCompilerBuildsItsHeaderAndRefusesAnother) {
  std::vector<std::string> missing;
  int built = 0;
  for (const Cross& x : cross_compilers()) {
    const std::string cc = compiler(x.cc);
    if (cc.empty()) {
      missing.push_back(std::string(x.cc) + " (" + x.abi + ")");
      continue;
    }
    SCOPED_TRACE(std::string(x.abi) + " with " + x.cc);
    const std::string base = tmp_path(std::string("x_") + x.abi + "_" + x.cc);
    // A cross compiler installed without its C library's headers (they are
    // only recommended by Debian's gcc-<triple> packages) cannot build any
    // program that includes <errno.h>: that is the toolchain, not the header.
    write_file(base + "_libc.c", "#include <errno.h>\n#include <sys/syscall.h>\nint main(void) { return EPERM; }\n");
    std::vector<std::string> probe_flags = x.flags;
    probe_flags.emplace_back("-std=c99");
    if (compile(cc, probe_flags, base + "_libc.c").exit_code != 0) {
      missing.push_back(std::string(x.cc) + " (" + x.abi + ") with its C library's headers");
      continue;
    }
    const std::string text =
        header({"compile", "default", "--arch", x.abi, "--kernel", "6.1", "--name", "sysfence_t"}, base + ".h");
    EXPECT_TRUE(contains(text, "_NR_SECCOMP")) << text.substr(0, 600);
    write_file(base + ".c", use_header(base + ".h", "sysfence_install_t"));
    std::vector<std::string> flags = x.flags;
    flags.emplace_back("-std=c99");
    const auto ok = compile(cc, flags, base + ".c");
    EXPECT_EQ(ok.exit_code, 0) << ok.describe();
    ++built;

    // The same compiler with a header for another ABI: an #error naming both.
    const std::string other = std::string(x.abi) == "s390x" ? "aarch64" : "s390x";
    header({"compile", "default", "--arch", other, "--kernel", "6.1", "--name", "sysfence_t"}, base + "_other.h");
    write_file(base + "_other.c", use_header(base + "_other.h", "sysfence_install_t"));
    const auto wrong = compile(cc, flags, base + "_other.c");
    EXPECT_NE(wrong.exit_code, 0) << wrong.describe();
    EXPECT_TRUE(contains(wrong.err, "sysfence_t: this filter is for " + other)) << wrong.err;
    EXPECT_TRUE(contains(wrong.err, std::string("the compiler targets ") + x.abi + "\"")) << wrong.err;
  }
  for (const std::string& m : missing) std::printf("skipped: %s is not installed\n", m.c_str());
  if (built == 0) GTEST_SKIP() << "no cross compiler installed";
}

bool host_is_x86_64() {
  utsname u{};
  return uname(&u) == 0 && std::string(u.machine) == "x86_64";
}

TEST(CHeaderCli, TheWrongArchIsAnErrorOnTheHost) {
  const std::string cc = compiler("cc");
  if (cc.empty() || !host_is_x86_64()) GTEST_SKIP() << "needs cc on an x86_64 host";
  const std::string h = tmp_path("wrong.h");
  header({"compile", "default", "--arch", "aarch64", "--kernel", "6.1", "--name", "sysfence_t"}, h);
  write_file(tmp_path("wrong.c"), use_header(h, "sysfence_install_t"));
  const auto r = compile(cc, {"-std=c99"}, tmp_path("wrong.c"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "sysfence_t: this filter is for aarch64, arm; the compiler targets x86_64")) << r.err;
}

constexpr std::string_view kProfile = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42},
    {"names": ["getpgid"], "action": "SCMP_ACT_TRAP"}
  ]
}
)";

// Forks; the child installs the filter, then getppid(2) must fail with 42
// (the profile's errnoRet) and getpid must still work. Through syscall(2):
// glibc's getppid() wrapper never sets errno. The parent's exit status
// says which check failed; the parent itself is never filtered.
constexpr std::string_view kProgram = R"(#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "HEADER"
int main(void) {
  int status = 0;
  pid_t child;
  if (syscall(SYS_getppid) == -1) return 10; /* before the filter: allowed */
  child = fork();
  if (child == 0) {
    int rc = INSTALL();
    if (rc != 0) { fprintf(stderr, "install: %d\n", rc); _exit(11); }
    errno = 0;
    if (syscall(SYS_getppid) != -1 || errno != 42) _exit(12);
    if (getpid() <= 0) _exit(13);
    _exit(0);
  }
  if (child < 0 || waitpid(child, &status, 0) != child) return 14;
  if (!WIFEXITED(status)) return 15;
  if (syscall(SYS_getppid) == -1) return 16; /* the parent stays unfiltered */
  return WEXITSTATUS(status);
}
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

// Builds the host's header with `extra` flags and runs the program above.
void run_for_real(const std::string& tag, const std::vector<std::string>& extra) {
  const std::string cc = compiler("cc");
  if (cc.empty()) GTEST_SKIP() << "no cc in /usr/bin";
  const std::string profile = tmp_path("my-app.v2.json");
  write_file(profile, kProfile);
  std::vector<std::string> args = {"compile", profile};
  args.insert(args.end(), extra.begin(), extra.end());
  const std::string h = tmp_path(tag + ".h");
  const std::string text = header(args, h);
  ASSERT_TRUE(contains(text, "static SYSFENCE_MY_APP_V2_INLINE int sysfence_install_my_app_v2(void)")) << text;
  const std::string src = tmp_path(tag + ".c");
  write_file(src, replace(replace(std::string(kProgram), "HEADER", h), "INSTALL", "sysfence_install_my_app_v2"));
  std::vector<std::string> argv = {cc, "-std=c99", "-D_DEFAULT_SOURCE"};
  argv.insert(argv.end(), kWarnings.begin(), kWarnings.end());
  argv.insert(argv.end(), {src, "-o", src + ".bin"});
  const auto built = spawn(argv);
  ASSERT_EQ(built.exit_code, 0) << built.describe();
  const auto ran = spawn({src + ".bin"});
  EXPECT_EQ(ran.exit_code, 0) << ran.describe();
}

TEST(CHeaderCli, TheHostHeaderInstallsWithSeccomp) { run_for_real("seccomp", {"--kernel", "5.10"}); }

TEST(CHeaderCli, TheHostHeaderInstallsWithTsync) {
  run_for_real("tsync", {"--kernel", "5.10", "--install-flags", "tsync,spec-allow"});
}

TEST(CHeaderCli, AnOldTargetInstallsWithPrctl) {
  const std::string h = tmp_path("old.h");
  const std::string text = header({"compile", "default", "--kernel", "3.16", "--name", "sysfence_t"}, h);
  EXPECT_FALSE(contains(text, "syscall(")) << text;
  EXPECT_TRUE(contains(text, "prctl(22 /* PR_SET_SECCOMP */")) << text;
  run_for_real("prctl", {"--kernel", "3.16"});
}

// Installs the header's filter, then execs /bin/true: `sysfence dump --`
// reads the filter the kernel holds at that exec, with its LOG flag.
constexpr std::string_view kInstallAndExec = R"c(#include <stdio.h>
#include <unistd.h>
#include "HEADER"
int main(void) {
  char *argv[2];
  int rc = sysfence_install_t();
  argv[0] = (char *)"true";
  argv[1] = NULL;
  if (rc != 0) { fprintf(stderr, "install: %d\n", rc); return 11; }
  execv("/bin/true", argv);
  return 12;
}
)c";

// The flags the kernel holds for the filter `compile ARGS --format c`'s
// installer put in place, as `dump` prints them: "flags: LOG", "flags: none".
std::string installed_flags(const std::vector<std::string>& args, const std::string& tag) {
  const std::string cc = compiler("cc");
  if (cc.empty()) return "no cc";
  const std::string h = tmp_path(tag + ".h");
  header(args, h);
  const std::string src = tmp_path(tag + ".c");
  write_file(src, replace(std::string(kInstallAndExec), "HEADER", h));
  std::vector<std::string> argv = {cc, "-std=c99", "-D_DEFAULT_SOURCE"};
  argv.insert(argv.end(), kWarnings.begin(), kWarnings.end());
  argv.insert(argv.end(), {src, "-o", src + ".bin"});
  const auto built = spawn(argv);
  EXPECT_EQ(built.exit_code, 0) << built.describe();
  const auto dumped = run_sysfence({"dump", "--", src + ".bin"});
  EXPECT_EQ(dumped.exit_code, 0) << dumped.describe();
  const size_t at = dumped.out.find("flags: ");
  if (at == std::string::npos) return "";
  return dumped.out.substr(at, dumped.out.find('\n', at) - at);
}

// A header installs the profile as `run` does: with its "flags", unless
// --install-flags says otherwise; a flag the target kernel lacks is left out
// with a note, in the header and on stderr.
TEST(CHeaderCli, TheProfileFlagsAreInstalledByDefault) {
  if (compiler("cc").empty()) GTEST_SKIP() << "no cc in /usr/bin";
  const std::string profile = tmp_path("flagged.json");
  write_file(profile, R"({"defaultAction": "SCMP_ACT_ALLOW",
      "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
      "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]})");
  const std::vector<std::string> args = {"compile", profile, "--kernel", "5.10", "--name", "sysfence_t"};
  const std::string text = header(args, tmp_path("flagged.h"));
  EXPECT_TRUE(contains(text, " *   flags:    SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW (the profile's"))
      << text.substr(0, 1200);
  EXPECT_EQ(installed_flags(args, "flagged"), "flags: LOG");

  std::vector<std::string> none = args;
  none.insert(none.end(), {"--install-flags", "none"});
  EXPECT_TRUE(contains(header(none, tmp_path("unflagged.h")), " *   flags:    none\n"));
  EXPECT_EQ(installed_flags(none, "unflagged"), "flags: none");

  const auto old = run_sysfence({"compile", profile, "--kernel", "4.15", "--format", "c"});
  ASSERT_EQ(old.exit_code, 0) << old.describe();
  const std::string left_out =
      "the profile's flag SECCOMP_FILTER_FLAG_SPEC_ALLOW needs Linux 4.17; the target kernel is 4.15: not installed";
  EXPECT_EQ(old.err, "sysfence: note: " + left_out + "\n");
  EXPECT_TRUE(contains(old.out, " *   flags:    " + left_out)) << old.out.substr(0, 1200);
  EXPECT_TRUE(contains(old.out, "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG)."))
      << old.out.substr(0, 3000);
}

TEST(CHeaderCli, TheNameComesFromTheProfileFile) {
  const std::string profile = tmp_path("my-app.v2.json");
  write_file(profile, kProfile);
  const auto r = run_sysfence({"compile", profile, "--kernel", "6.1", "--format", "c"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "#ifndef SYSFENCE_MY_APP_V2_H\n#define SYSFENCE_MY_APP_V2_H\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "static struct sock_filter sysfence_my_app_v2[] = {")) << r.out;
  EXPECT_TRUE(contains(r.out, "static const struct sock_fprog sysfence_my_app_v2_prog = {")) << r.out;
  EXPECT_TRUE(contains(r.out, "int sysfence_install_my_app_v2(void)")) << r.out;
  const auto named = run_sysfence({"compile", profile, "--kernel", "6.1", "--format", "c", "--name", "box"});
  ASSERT_EQ(named.exit_code, 0) << named.describe();
  EXPECT_TRUE(contains(named.out, "#ifndef BOX_H\n")) << named.out;
  EXPECT_TRUE(contains(named.out, "int sysfence_install_box(void)")) << named.out;
}

TEST(CHeaderCli, InstallFlagsAreCheckedAgainstTheTargetKernel) {
  const std::vector<cli_runner::FailureCase> cases = {
      {{"compile", "--kernel", "4.13", "--format", "c", "--install-flags", "log"},
       2,
       "--install-flags log: SECCOMP_FILTER_FLAG_LOG needs Linux 4.14; the target kernel is 4.13"},
      {{"compile", "--kernel", "3.16", "--format", "c", "--install-flags", "tsync"}, 2, "needs Linux 3.17"},
      {{"compile", "--kernel", "6.1", "--format", "c", "--install-flags", "tsync,bogus"},
       2,
       "invalid --install-flags \"bogus\""},
      {{"compile", "--kernel", "6.1", "--format", "c", "--install-flags", "tsync,new-listener"},
       2,
       "tsync with new-listener needs tsync-esrch"},
      {{"compile", "--kernel", "6.1", "--format", "c", "--install-flags", "wait-killable-recv"},
       2,
       "wait-killable-recv needs new-listener"},
      {{"asm", "x.s", "--format", "c", "--kernel", "4.16", "--install-flags", "spec-allow"}, 2, "needs Linux 4.17"},
      {{"compile", "--arch", "aarch64", "--kernel", "3.18", "--format", "c"},
       2,
       "aarch64 needs Linux 3.19 for seccomp filters; the target kernel is 3.18"},
  };
  for (const auto& c : cases) cli_runner::expect_failure(c);
}

// Only the C header installs the filter: with any other output the flags
// would be accepted and lost, so they are a usage error naming --format c.
TEST(CHeaderCli, InstallFlagsOnlyWhereTheFilterIsInstalled) {
  const std::string s = tmp_path("flags.s");
  write_file(s, "return ALLOW\n");
  const std::string out = tmp_path("flags.out");
  const std::vector<std::vector<std::string>> refused = {
      {"compile", "--kernel", "6.1", "--install-flags", "tsync", "-o", out},
      {"compile", "--kernel", "6.1", "--format", "raw", "--install-flags", "log", "-o", out},
      {"compile", "--kernel", "6.1", "--format", "text", "--install-flags", "spec-allow", "-o", out},
      {"compile", "--kernel", "6.1", "--format", "json", "--install-flags", "new-listener", "-o", out},
      {"asm", s, "--kernel", "6.1", "--install-flags", "tsync", "-o", out},
  };
  for (const auto& args : refused) {
    const auto r = cli_runner::expect_failure({args, 2, "--install-flags applies to --format c"});
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(exists(out)) << cli_runner::command_line(args);
  }
  const auto json = run_sysfence({"compile", "--kernel", "6.1", "--format", "json", "--install-flags", "tsync"});
  EXPECT_TRUE(contains(json.err, "not --format json")) << json.describe();
  // The header takes them, from compile and from asm.
  EXPECT_TRUE(contains(header({"asm", s, "--kernel", "6.1", "--install-flags", "tsync"}, out),
                       "flags:    SECCOMP_FILTER_FLAG_TSYNC"));
}

// clone3 came with Linux 5.3 (x86_64 number 435).
TEST(CHeaderCli, EnosysNewerIsListedAndVerifiesWithTheSameFlag) {
  const auto plain = run_sysfence({"compile", "default", "--arch", "x86_64", "--kernel", "5.2", "--format", "c"});
  ASSERT_EQ(plain.exit_code, 0) << plain.describe();
  EXPECT_FALSE(contains(plain.out, " *   enosys:")) << plain.out.substr(0, 1200);
  const std::string bpf = tmp_path("enosys.bpf");
  const auto with =
      run_sysfence({"compile", "default", "--arch", "x86_64", "--kernel", "5.2", "--enosys-newer", "--format", "c"});
  ASSERT_EQ(with.exit_code, 0) << with.describe();
  EXPECT_TRUE(contains(with.out, " *   enosys:   x86_64: ")) << with.out.substr(0, 1200);
  EXPECT_TRUE(contains(with.out, "clone3 (5.3)")) << with.out.substr(0, 1200);
  ASSERT_EQ(run_sysfence({"compile", "default", "--arch", "x86_64", "--kernel", "5.2", "--enosys-newer", "-o", bpf})
                .exit_code,
            0);
  const std::vector<std::string> verify = {"verify", "--profile", "default",  "--bpf", bpf,
                                           "--arch", "x86_64",    "--kernel", "5.2"};
  EXPECT_EQ(run_sysfence(verify).exit_code, 1);  // clone3: ENOSYS, where the profile says EPERM
  std::vector<std::string> same = verify;
  same.emplace_back("--enosys-newer");
  const auto proved = run_sysfence(same);
  EXPECT_EQ(proved.exit_code, 0) << proved.describe();
}

// `asm --format c` of compile's own disassembly: the same instructions and
// the same installer, for the one arch of the text.
TEST(CHeaderCli, AsmWritesTheSameHeader) {
  const std::string s = tmp_path("f.s");
  const std::string raw = tmp_path("f.bpf");
  ASSERT_EQ(run_sysfence({"compile", "default", "--arch", "aarch64", "--kernel", "6.1", "-o", raw}).exit_code, 0);
  const auto asm_text = run_sysfence({"disasm", raw, "--arch", "aarch64", "--asm"});
  ASSERT_EQ(asm_text.exit_code, 0) << asm_text.describe();
  write_file(s, asm_text.out);
  const std::string from_asm = tmp_path("asm.h");
  const auto a = run_sysfence({"asm", s, "--arch", "aarch64", "--format", "c", "--kernel", "6.1", "--install-flags",
                               "tsync", "--name", "sysfence_t", "-o", from_asm});
  ASSERT_EQ(a.exit_code, 0) << a.describe();
  const std::string from_compile = header({"compile", "default", "--arch", "aarch64", "--kernel", "6.1",
                                           "--install-flags", "tsync", "--name", "sysfence_t"},
                                          tmp_path("compile.h"));
  // The rows of the array, and everything from the array to the end.
  const auto body = [](const std::string& h) {
    const size_t at = h.find("static struct sock_filter");
    return at == std::string::npos ? std::string() : h.substr(at);
  };
  const auto rows = [](const std::string& h) {
    std::string o;
    for (size_t at = 0; (at = h.find("\n    {0x", at)) != std::string::npos; ++at) o += h.substr(at, 30);
    return o;
  };
  ASSERT_FALSE(body(from_compile).empty());
  EXPECT_EQ(rows(read_file(from_asm)), rows(from_compile));
  EXPECT_TRUE(contains(read_file(from_asm), "int sysfence_install_t(void)"));
  EXPECT_TRUE(contains(read_file(from_asm), "this filter is for aarch64; the compiler targets x86_64"));
}

}  // namespace
}  // namespace sysfence
