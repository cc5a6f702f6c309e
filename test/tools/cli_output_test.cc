// The built `sysfence` binary (a data dependency) and its standard output:
// a full stdout is an error in every command, raw BPF is never sent to a
// terminal, every command answers --help, --version, and `bazel run`'s
// working directory.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sysfence {
namespace {

constexpr std::string_view kFullMessage = "sysfence: error writing standard output: No space left on device\n";

std::string runfile(std::string_view rel) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return fmt::format("{}/{}/{}", srcdir ? srcdir : ".", ws ? ws : "sysfence", rel);
}

std::string tmp_dir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir ? dir : "/tmp";
}

std::string read_fd(int fd) {
  std::string s;
  char buf[65536];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
  return s;
}

std::string read_file(const std::string& p) {
  const int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return "<cannot open " + p + ">";
  std::string s = read_fd(fd);
  ::close(fd);
  return s;
}

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct Options {
  int stdout_fd = -1;  // -1: captured into Result::out
  std::string working_dir;
  std::string build_working_directory;  // set in the environment when not empty
  std::string stdin_path;               // standard input (/dev/null when empty)
};

Options stdout_to(int fd) {
  Options o;
  o.stdout_fd = fd;
  return o;
}

Options called_from(std::string working_dir, std::string build_working_directory) {
  Options o;
  o.working_dir = std::move(working_dir);
  o.build_working_directory = std::move(build_working_directory);
  return o;
}

Result run(const std::vector<std::string>& args, const Options& opts = {}) {
  static int counter = 0;
  const std::string base = fmt::format("{}/capture.{}", tmp_dir(), ++counter);
  const int out_fd = ::open((base + ".out").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  const int err_fd = ::open((base + ".err").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  Result r;
  if (out_fd < 0 || err_fd < 0) {
    ADD_FAILURE() << "cannot create capture files in " << tmp_dir();
    return r;
  }
  std::vector<std::string> argv_text{runfile("tools/sysfence")};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(opts.stdout_fd >= 0 ? opts.stdout_fd : out_fd, 1);
    ::dup2(err_fd, 2);
    ::dup2(::open(opts.stdin_path.empty() ? "/dev/null" : opts.stdin_path.c_str(), O_RDONLY), 0);
    if (!opts.working_dir.empty() && ::chdir(opts.working_dir.c_str()) != 0) _exit(126);
    ::unsetenv("BUILD_WORKING_DIRECTORY");
    if (!opts.build_working_directory.empty())
      ::setenv("BUILD_WORKING_DIRECTORY", opts.build_working_directory.c_str(), 1);
    std::vector<char*> argv;
    argv.reserve(argv_text.size() + 1);
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_fd(out_fd);
  r.err = read_fd(err_fd);
  ::close(out_fd);
  ::close(err_fd);
  return r;
}

std::string show(const std::vector<std::string>& args) { return fmt::format("sysfence {}", fmt::join(args, " ")); }

// Inputs every command can read: a raw filter, its assembler text, a list of
// simulated calls. Made once by the binary itself.
class CliOutput : public testing::Test {
 public:
  static void SetUpTestSuite() {
    dir_ = tmp_dir() + "/inputs";
    ::mkdir(dir_.c_str(), 0755);
    const Result c = run({"compile", "default", "--arch", "x86_64", "-o", bpf()});
    ASSERT_EQ(c.exit_code, 0) << c.err;
    const int fd = ::open(asm_text().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const Result d = run({"disasm", bpf(), "--arch", "x86_64", "--asm"}, stdout_to(fd));
    ::close(fd);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    const int in = ::open(inputs().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_EQ(::write(in, "read\nptrace\n", 12), 12);
    ::close(in);
  }
  static std::string bpf() { return dir_ + "/default.bpf"; }
  static std::string asm_text() { return dir_ + "/default.s"; }
  static std::string inputs() { return dir_ + "/inputs.txt"; }
  static std::string dir_;
};
std::string CliOutput::dir_;

// Every command that prints, with arguments that make it print.
std::vector<std::vector<std::string>> printing_commands() {
  const std::string bpf = CliOutput::bpf();
  return {
      {"asm", CliOutput::asm_text(), "-o", "-"},
      {"audit", "default", "--arch", "x86_64"},
      {"audit", "--bpf", bpf, "--arch", "x86_64"},
      {"compile", "default", "--arch", "x86_64", "--format", "raw"},
      {"compile", "default", "--arch", "x86_64", "--format", "text"},
      {"compile", "default", "--arch", "x86_64", "--format", "c"},
      {"compile", "default", "--arch", "x86_64", "--format", "json"},
      {"diff", bpf, bpf, "--arch", "x86_64"},
      {"disasm", bpf, "--arch", "x86_64"},
      {"explain", "ptrace", "--arch", "x86_64"},
      {"resolve", "--arch", "x86_64", "read"},
      {"resolve", "--arch", "x86_64", "--list"},
      {"sim", "default", "--arch", "x86_64", "--syscall", "read", "--trace"},
      {"sim", "--bpf", bpf, "--arch", "x86_64", "--inputs", CliOutput::inputs()},
      {"stats", "--bpf", bpf, "--arch", "x86_64"},
      {"stats", "default", "--arch", "x86_64", "--compare"},
      {"verify", "--profile", "default", "--bpf", bpf, "--arch", "x86_64"},
      {"help"},
      {"help", "run"},
      {"run", "--help"},
      {"--version"},
  };
}

// The same command with stdout on /dev/full: what it said on stderr before,
// then the write error, and exit 2 whatever the command's own status was.
TEST_F(CliOutput, FullStdoutIsAnErrorInEveryCommand) {
  const int full = ::open("/dev/full", O_WRONLY);
  ASSERT_GE(full, 0) << std::strerror(errno);
  for (const auto& args : printing_commands()) {
    SCOPED_TRACE(show(args));
    const Result ok = run(args);
    ASSERT_TRUE(ok.exit_code == 0 || ok.exit_code == 1) << ok.exit_code << ": " << ok.err;
    ASSERT_FALSE(ok.out.empty());
    const Result r = run(args, stdout_to(full));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, ok.err + std::string(kFullMessage));
  }
  ::close(full);
}

// A command that printed nothing has nothing to lose on a full stdout.
TEST_F(CliOutput, FullStdoutWithoutOutputIsNoError) {
  const int full = ::open("/dev/full", O_WRONLY);
  const std::string out = tmp_dir() + "/quiet.bpf";
  const Result r = run({"compile", "default", "--arch", "x86_64", "-o", out}, stdout_to(full));
  ::close(full);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(read_file(out), read_file(bpf()));
}

// Everything the terminal (the pty's master side) receives while it is
// open, read on a thread of its own: a pty buffers only a few KiB, so a child
// writing more than that would block until someone reads.
class Terminal {
 public:
  Terminal() {
    ok_ = ::openpty(&master_, &slave_, nullptr, nullptr, nullptr) == 0;
    if (ok_) reader_ = std::thread([this] { drain(); });
  }
  ~Terminal() { close(); }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool ok() const { return ok_; }
  int slave() const { return slave_; }
  // What arrived since the last call, waiting until 200 ms pass without any.
  std::string take() {
    for (size_t before = SIZE_MAX;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const std::lock_guard<std::mutex> lock(mu_);
      if (received_.size() == before) break;
      before = received_.size();
    }
    const std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(received_, std::string());
  }
  void close() {
    if (!ok_) return;
    stop_ = true;
    reader_.join();
    ::close(slave_);
    ::close(master_);
    ok_ = false;
  }

 private:
  void drain() {
    char buf[4096];
    while (!stop_) {
      pollfd p{.fd = master_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 50) <= 0 || (p.revents & POLLIN) == 0) continue;
      const ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) continue;
      const std::lock_guard<std::mutex> lock(mu_);
      received_.append(buf, static_cast<size_t>(n));
    }
  }

  int master_ = -1;
  int slave_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string received_;
  std::thread reader_;
};

// An output that is one of the command's inputs would destroy what it was
// made from: refused (exit 2), the input left as it was, whichever
// command writes and whichever argument names it.
TEST_F(CliOutput, AnOutputThatIsAnInputIsRefused) {
  const std::string profile = dir_ + "/self.json";
  const std::string text =
      R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})";
  const std::string weights = dir_ + "/self-weights.txt";
  const std::string source = dir_ + "/self.s";
  auto put = [](const std::string& path, const std::string& contents) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
    ::close(fd);
  };
  put(profile, text);
  put(weights, "read 100\n");
  put(source, read_fd(::open(asm_text().c_str(), O_RDONLY)));
  const std::string link = dir_ + "/self-link.json";
  ::unlink(link.c_str());
  ASSERT_EQ(::symlink(profile.c_str(), link.c_str()), 0);
  // A filter stats --compare reads as a column (--bpf NAME=FILE).
  const std::string column = dir_ + "/self-column.bpf";
  const std::string column_link = dir_ + "/self-column-link.bpf";
  ASSERT_EQ(run({"compile", profile, "--arch", "x86_64", "-o", column}).exit_code, 0);
  ::unlink(column_link.c_str());
  ASSERT_EQ(::symlink(column.c_str(), column_link.c_str()), 0);
  for (const auto& [args, input] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"stats", profile, "--arch", "x86_64", "--compare", "--bpf", "x=" + column, "--svg", column}, column},
           {{"stats", profile, "--arch", "x86_64", "--compare", "--bpf", "x=" + column_link, "--svg", column}, column},
           {{"compile", profile, "--arch", "x86_64", "-o", profile}, profile},
           {{"compile", profile, "--arch", "x86_64", "-o", link}, profile},
           {{"compile", profile, "--arch", "x86_64", "--weights", weights, "-o", weights}, weights},
           {{"asm", source, "--arch", "x86_64", "-o", source}, source},
           {{"stats", profile, "--arch", "x86_64", "--svg", profile}, profile},
       }) {
    const std::string before = read_fd(::open(input.c_str(), O_RDONLY));
    const Result r = run(args);
    EXPECT_EQ(r.exit_code, 2) << show(args);
    EXPECT_NE(r.err.find("is also an input of this command"), std::string::npos) << show(args) << "\n" << r.err;
    EXPECT_EQ(read_fd(::open(input.c_str(), O_RDONLY)), before) << show(args);
  }
  // Standard input opened on the output file by the shell (`- -o p.json <
  // p.json`, or -o /dev/stdin): the same file, refused alike.
  for (const auto& [args, input] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"compile", "-", "--arch", "x86_64", "--format", "text", "-o", profile}, profile},
           {{"compile", "-", "--arch", "x86_64", "-o", "/dev/stdin"}, profile},
           {{"asm", "-", "--arch", "x86_64", "-o", source}, source},
       }) {
    Options from_input;
    from_input.stdin_path = input;
    const std::string before = read_fd(::open(input.c_str(), O_RDONLY));
    const Result r = run(args, from_input);
    EXPECT_EQ(r.exit_code, 2) << show(args);
    EXPECT_NE(r.err.find("is also an input of this command (standard input)"), std::string::npos)
        << show(args) << "\n"
        << r.err;
    EXPECT_EQ(read_fd(::open(input.c_str(), O_RDONLY)), before) << show(args);
  }
  // Another file is written as before.
  const Result ok = run({"compile", profile, "--arch", "x86_64", "-o", dir_ + "/self.bpf"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// record and dump check their output before running CMD: a recording
// that cannot be written would be lost after CMD's side effects.
TEST_F(CliOutput, RecordAndDumpRefuseAnUnwritableOutputBeforeRunningTheCommand) {
  const std::string marker = dir_ + "/ran";
  const std::string full = dir_ + "/full-dir";
  ::mkdir(full.c_str(), 0755);
  const int fd = ::open((full + "/x").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::close(fd);
  const std::string cmd = "echo ran > " + marker;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"record", "-o", dir_ + "/missing/rec.json", "--", "/bin/sh", "-c", cmd},
           {"record", "-o", full, "--", "/bin/sh", "-c", cmd},
           {"dump", "-o", full, "--", "/bin/sh", "-c", cmd},
           {"dump", "-o", dir_ + "/missing/dump", "--", "/bin/sh", "-c", cmd},
       }) {
    ::unlink(marker.c_str());
    const Result r = run(args);
    EXPECT_NE(r.exit_code, 0) << show(args);
    EXPECT_NE(r.err.find(args[2]), std::string::npos) << show(args) << "\n" << r.err;
    EXPECT_NE(::access(marker.c_str(), F_OK), 0) << show(args) << ": CMD ran";
  }
  // Nor when the drawing fails as it is written (/dev/full): it is written
  // before the report is printed.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"stats", "--bpf", bpf(), "--arch", "x86_64", "--svg", "/dev/full"},
           {"stats", "default", "--arch", "x86_64", "--compare", "--svg", "/dev/full"},
       }) {
    const Result full = run(args);
    EXPECT_EQ(full.exit_code, 2) << show(args) << "\n" << full.err;
    EXPECT_EQ(full.out, "") << show(args);
    EXPECT_NE(full.err.find("/dev/full: write failed"), std::string::npos) << full.err;
  }
  // stats checks --svg before printing its report: nothing on stdout.
  const Result stats = run({"stats", "--bpf", bpf(), "--arch", "x86_64", "--svg", dir_ + "/missing/s.svg"});
  EXPECT_EQ(stats.exit_code, 2) << stats.err;
  EXPECT_EQ(stats.out, "");
  EXPECT_NE(stats.err.find(dir_ + "/missing/s.svg"), std::string::npos) << stats.err;
}

// sim --inputs prints its answers once every line is read: a bad line
// leaves stdout empty.
TEST_F(CliOutput, SimInputsWithABadLinePrintNoAnswer) {
  const std::string bad = dir_ + "/bad-inputs.txt";
  const int fd = ::open(bad.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_EQ(::write(fd, "read\nread\nbogus\n", 16), 16);
  ::close(fd);
  for (const std::string_view format : {"text", "json"}) {
    const Result r = run({"sim", "--bpf", bpf(), "--arch", "x86_64", "--inputs", bad, "--format", std::string(format)});
    EXPECT_EQ(r.exit_code, 2) << format;
    EXPECT_EQ(r.out, "") << format;
    EXPECT_NE(r.err.find("bad-inputs.txt:3:1: unknown syscall"), std::string::npos) << r.err;
  }
}

TEST_F(CliOutput, RawBpfIsNeverWrittenToATerminal) {
  Terminal tty;
  ASSERT_TRUE(tty.ok()) << std::strerror(errno);
  const Result raw = run({"compile", "default", "--arch", "x86_64"}, stdout_to(tty.slave()));
  EXPECT_EQ(raw.exit_code, 2);
  EXPECT_EQ(raw.err, "sysfence: refusing to write binary BPF to a terminal; use --format text or -o FILE\n");
  EXPECT_EQ(tty.take(), "");

  // Text to the terminal, and raw to a file while stdout is a terminal, are fine.
  const Result text = run({"compile", "default", "--arch", "x86_64", "--format", "text"}, stdout_to(tty.slave()));
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(tty.take().find("A = arch"), std::string::npos);
  const std::string out = tmp_dir() + "/tty.bpf";
  const Result file = run({"compile", "default", "--arch", "x86_64", "-o", out}, stdout_to(tty.slave()));
  EXPECT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(read_file(out), read_file(bpf()));
}

// The commands `sysfence help` lists.
std::vector<std::string> command_names() {
  const Result r = run({"help"});
  std::vector<std::string> names;
  const std::regex line(R"(\n  ([a-z]+) )");
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it) names.push_back((*it)[1]);
  return names;
}

// The flag names (without dashes) of a help text's options section.
std::set<std::string> documented_flags(const std::string& help) {
  std::set<std::string> flags;
  const size_t options = help.find("\noptions:\n");
  if (options == std::string::npos) return flags;
  const std::regex line(R"(\n  (-[^\n]*?)  )");
  const std::regex flag(R"(--([a-z][a-z0-9-]*))");
  const std::string section = help.substr(options);
  for (std::sregex_iterator it(section.begin(), section.end(), line), end; it != end; ++it) {
    const std::string column = (*it)[1];
    for (std::sregex_iterator f(column.begin(), column.end(), flag); f != end; ++f) flags.insert((*f)[1]);
  }
  return flags;
}

TEST_F(CliOutput, EveryCommandHasHelpInThreeSpellings) {
  const std::vector<std::string> names = command_names();
  ASSERT_GE(names.size(), 11u);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const Result long_form = run({name, "--help"});
    EXPECT_EQ(long_form.exit_code, 0);
    EXPECT_EQ(long_form.err, "");
    EXPECT_TRUE(long_form.out.starts_with("usage: sysfence " + name + " ")) << long_form.out;
    EXPECT_FALSE(documented_flags(long_form.out).empty()) << long_form.out;
    const Result short_form = run({name, "-h"});
    const Result help_command = run({"help", name});
    EXPECT_EQ(short_form.exit_code, 0);
    EXPECT_EQ(help_command.exit_code, 0);
    EXPECT_EQ(short_form.out, long_form.out);
    EXPECT_EQ(help_command.out, long_form.out);
  }
  const Result unknown = run({"help", "nosuch"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.out, "");
  // Help on `help` itself is the general help, as `sysfence help` prints it.
  const Result general = run({"help"});
  for (const std::string flag : {"--help", "-h"}) {
    const Result r = run({"help", flag});
    EXPECT_EQ(r.exit_code, 0) << flag << ": " << r.err;
    EXPECT_EQ(r.err, "") << flag;
    EXPECT_EQ(r.out, general.out) << flag;
  }
}

// The help lists exactly the flags the command's parser accepts: each name
// any command documents is tried on every command, followed by an option
// no command has, so a known flag fails on the second one instead.
TEST_F(CliOutput, HelpListsExactlyTheFlagsEachCommandAccepts) {
  std::map<std::string, std::set<std::string>> documented;
  std::set<std::string> all;
  for (const std::string& name : command_names()) {
    const Result help = run({name, "--help"});
    documented[name] = documented_flags(help.out);
    all.insert(documented[name].begin(), documented[name].end());
    // The usage line names no flag the list leaves out.
    const std::string usage = help.out.substr(0, help.out.find('\n'));
    const std::regex flag(R"(--([a-z][a-z0-9-]*))");
    for (std::sregex_iterator f(usage.begin(), usage.end(), flag), end; f != end; ++f) {
      EXPECT_TRUE(documented[name].contains((*f)[1])) << name << ": --" << (*f)[1] << " in the usage line only";
    }
  }
  for (const auto& [name, flags] : documented) {
    for (const std::string& flag : all) {
      const std::vector<std::string> args{name, fmt::format("--{}=x", flag), "--no-such-option"};
      const Result r = run(args);
      // "unknown option --FLAG (...)" or "unknown option --FLAG: did you mean ...".
      const std::string refusal = fmt::format("unknown option --{}", flag);
      const bool rejected =
          r.err.find(refusal + " ") != std::string::npos || r.err.find(refusal + ":") != std::string::npos;
      EXPECT_EQ(rejected, !flags.contains(flag)) << show(args) << "\n" << r.err;
    }
  }
}

// -1 (what a tracer sets to skip a call) is a syscall number, not a flag:
// explain takes it before or after `--`; no subject, or two, is said so.
TEST_F(CliOutput, ExplainTakesANegativeNumberAndSaysWhatIsMissing) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"explain", "-1", "--arch", "x86_64"},
        std::vector<std::string>{"explain", "--arch", "x86_64", "--", "-1"}}) {
    const Result r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("syscall number 4294967295 (0xffffffff)"), std::string::npos) << r.out;
  }
  const Result none = run({"explain", "--arch", "x86_64"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no syscall given"), std::string::npos) << none.err;
  const Result two = run({"explain", "read", "write"});
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.err.find("one syscall at a time: 2 given"), std::string::npos) << two.err;
  const Result huge = run({"explain", "-3000000000", "--arch", "x86_64"});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_NE(huge.err.find("does not fit in 32 bits"), std::string::npos) << huge.err;
}

TEST_F(CliOutput, VersionNamesTheReleaseAndTheSyscallTablesKernel) {
  const Result r = run({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  std::string version = read_file(runfile("VERSION"));
  while (!version.empty() && version.back() == '\n') version.pop_back();
  ASSERT_FALSE(version.empty());
  std::smatch m;
  ASSERT_TRUE(std::regex_match(r.out, m,
                               std::regex("sysfence (\\S+)\nsyscall tables: Linux ([0-9]+\\.[0-9]+\\.[0-9]+), with "
                                          "the syscalls added up to Linux ([0-9]+)\\.([0-9]+)\n")))
      << r.out;
  EXPECT_EQ(m[1], version);
  // Every generated table records the kernel source it was made from.
  const std::string table = read_file(runfile("syscalls/generated/x86_64.inc"));
  EXPECT_NE(table.find(fmt::format("(kernel {})", m[2].str())), std::string::npos);
  // The tables also hold syscalls newer than that source (listns, 6.19):
  // the version line names the newest first version of any entry.
  const std::regex since(R"(\{"[a-z0-9_]+", [0-9]+U, \{([0-9]+), ([0-9]+), [0-9]+\}\})");
  std::pair<int, int> newest{0, 0};
  for (auto it = std::sregex_iterator(table.begin(), table.end(), since); it != std::sregex_iterator(); ++it) {
    newest = std::max(newest, std::pair<int, int>{std::stoi((*it)[1]), std::stoi((*it)[2])});
  }
  EXPECT_GE(newest, (std::pair<int, int>{6, 19}));
  EXPECT_EQ((std::pair<int, int>{std::stoi(m[3]), std::stoi(m[4])}), newest) << r.out;
}

// `bazel run //tools:sysfence -- compile my.json -o out.bpf` runs in the
// runfiles tree with BUILD_WORKING_DIRECTORY naming where bazel was called.
TEST_F(CliOutput, RelativePathsFollowBuildWorkingDirectory) {
  const std::string where = tmp_dir() + "/called_from";
  const std::string elsewhere = tmp_dir() + "/runfiles";
  ASSERT_EQ(::mkdir(where.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(elsewhere.c_str(), 0755), 0);
  ASSERT_EQ(::link(bpf().c_str(), (where + "/in.bpf").c_str()), 0);
  const Result r = run({"disasm", "in.bpf", "--arch", "x86_64", "--asm"}, called_from(elsewhere, where));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, read_file(asm_text()));
  const Result c = run({"asm", "in.s", "-o", "out.bpf"}, called_from(elsewhere, where));
  EXPECT_EQ(c.exit_code, 2);  // in.s is not there: relative to `where`, not to the runfiles
  EXPECT_NE(c.err.find("in.s"), std::string::npos) << c.err;
  const Result w = run({"compile", "default", "--arch", "x86_64", "-o", "out.bpf"}, called_from(elsewhere, where));
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(read_file(where + "/out.bpf"), read_file(bpf()));
  EXPECT_NE(::access((elsewhere + "/out.bpf").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace sysfence
