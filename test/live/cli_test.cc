// `sysfence dump` and `--pid` end to end, on the built binary and real
// processes: forked children with known filter stacks, a program that
// installs a filter and execs, and `sysfence run`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "test/cli_runner.h"
#include "test/live/filtered_child.h"

namespace sysfence::live::testing {
namespace {

using cli_runner::exists;
using cli_runner::list_dir;
using cli_runner::read_file;
using cli_runner::run_sysfence;
using cli_runner::tmp_path;

std::string pid_text(pid_t pid) { return std::to_string(pid); }

std::string helper() { return cli_runner::runfile("test/live/install_and_exec"); }

// The bytes install_and_exec installs, as it prints them itself.
std::string helper_filter() { return cli_runner::spawn({helper(), "--print"}).out; }

boost::json::object stack_json(const std::string& dir) {
  return boost::json::parse(read_file(dir + "/stack.json")).as_object();
}

TEST(DumpPid, WritesEveryFilterByteForByteWithTheStackDescription) {
  const std::vector<TestFilter> installed = three_filters();
  FilteredChild child(installed);
  ASSERT_TRUE(child.ready());
  const std::string dir = tmp_path("stack");
  const auto r = run_sysfence({"dump", "--pid", pid_text(child.pid()), "-o", dir});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"filter-0.bpf", "filter-1.bpf", "filter-2.bpf", "stack.json"}));
  // The kernel's index counts from the first filter installed.
  for (size_t i = 0; i < installed.size(); ++i) {
    EXPECT_EQ(read_file(dir + "/filter-" + std::to_string(i) + ".bpf"), raw_bytes(installed[i])) << i;
  }
  const boost::json::object doc = stack_json(dir);
  EXPECT_EQ(doc.at("command"), "dump");
  EXPECT_EQ(doc.at("pid").as_int64(), child.pid());
  EXPECT_EQ(doc.at("mode"), "filter");
  EXPECT_EQ(doc.at("no_new_privs"), true);
  const boost::json::array& filters = doc.at("filters").as_array();
  ASSERT_EQ(filters.size(), 3U);
  for (size_t position = 0; position < 3; ++position) {
    const boost::json::object& f = filters[position].as_object();
    const size_t index = 2 - position;  // newest first
    EXPECT_EQ(f.at("index").as_int64(), static_cast<int64_t>(index));
    EXPECT_EQ(f.at("position").as_int64(), static_cast<int64_t>(position));
    EXPECT_EQ(f.at("instructions").as_int64(), static_cast<int64_t>(installed[index].insns.size()));
    EXPECT_EQ(f.at("log").as_bool(), (installed[index].flags & SECCOMP_FILTER_FLAG_LOG) != 0);
    EXPECT_EQ(f.at("file").as_string(), ("filter-" + std::to_string(index) + ".bpf").c_str());
  }
  EXPECT_TRUE(child.answers());  // still running, not stopped
}

TEST(DumpPid, TextListsPositionsFlagsAndDisassembly) {
  FilteredChild child(three_filters());
  ASSERT_TRUE(child.ready());
  const auto r = run_sysfence({"dump", "--pid", pid_text(child.pid())});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const std::string p = pid_text(child.pid());
  EXPECT_TRUE(r.out.starts_with("process " + p + ": seccomp mode filter, 3 filters, no_new_privs 1\n")) << r.out;
  EXPECT_NE(r.out.find("\nfilter 2 (newest: runs first): 2 instructions, flags: none\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nfilter 1: 1 instructions, flags: LOG\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nfilter 0 (oldest): 4 instructions, flags: none\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("return ERRNO(1)"), std::string::npos) << r.out;
  EXPECT_TRUE(child.answers());
}

TEST(DumpPid, OutputDirectoryIsAllOrNothing) {
  FilteredChild child(three_filters());
  ASSERT_TRUE(child.ready());
  const std::string dir = tmp_path("occupied");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  cli_runner::write_file(dir + "/keep", "x");
  const auto r = run_sysfence({"dump", "--pid", pid_text(child.pid()), "-o", dir});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_EQ(r.err, "sysfence: " + dir + ": exists and is not empty\n");
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"keep"});
  for (const std::string& name : list_dir(tmp_path(""))) EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;

  const std::string fresh = tmp_path("never");
  FilteredChild plain({});
  ASSERT_TRUE(plain.ready());
  const auto none = run_sysfence({"dump", "--pid", pid_text(plain.pid()), "-o", fresh});
  EXPECT_EQ(none.exit_code, 2) << none.describe();
  EXPECT_FALSE(exists(fresh));
}

TEST(DumpCmd, ReadsTheFilterAtTheExecAfterItsInstallation) {
  const std::string dir = tmp_path("cmd");
  const auto r = run_sysfence({"dump", "-o", dir, "--", helper(), "--log", "/bin/true"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"filter-0.bpf", "stack.json"}));
  EXPECT_EQ(read_file(dir + "/filter-0.bpf"), helper_filter());
  const boost::json::object doc = stack_json(dir);
  EXPECT_TRUE(std::string(doc.at("read_at").as_string()).starts_with("at execve 1 (")) << doc.at("read_at");
  EXPECT_EQ(doc.at("filters").as_array()[0].as_object().at("log").as_bool(), true);
}

TEST(DumpCmd, AtExecCountsExecsUnderAFilterAndFallsBackToTheExit) {
  // The helper execs itself, which installs a second filter and execs true.
  const std::vector<std::string> cmd = {helper(), helper(), "/bin/true"};
  std::vector<std::string> args = {"dump", "--format", "json", "--at-exec", "2", "--"};
  args.insert(args.end(), cmd.begin(), cmd.end());
  const auto second = run_sysfence(args);
  ASSERT_EQ(second.exit_code, 0) << second.describe();
  const boost::json::object doc = boost::json::parse(second.out).as_object();
  EXPECT_TRUE(std::string(doc.at("read_at").as_string()).starts_with("at execve 2 (")) << second.out;
  EXPECT_EQ(doc.at("filters").as_array().size(), 2U);

  args[4] = "3";
  const auto at_exit = run_sysfence(args);
  ASSERT_EQ(at_exit.exit_code, 0) << at_exit.describe();
  const boost::json::object exit_doc = boost::json::parse(at_exit.out).as_object();
  EXPECT_EQ(exit_doc.at("read_at"), "at exit");
  EXPECT_EQ(exit_doc.at("filters").as_array().size(), 2U);
}

TEST(DumpCmd, ExitStatusIsDumpsOwn) {
  const auto r = run_sysfence({"dump", "--", helper(), "/bin/false"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  const auto none = run_sysfence({"dump", "--", "/bin/true"});
  EXPECT_EQ(none.exit_code, 2) << none.describe();
  EXPECT_EQ(none.err,
            "sysfence: /bin/true exited before installing a seccomp filter (its children are not followed: for a "
            "filter a child installs, use dump --pid on the child)\n");
  // A command that cannot start is said to be one, once: it never ran, so
  // it did not exit "before installing" anything.
  const auto missing = run_sysfence({"dump", "--", "/nonexistent/command"});
  EXPECT_EQ(missing.exit_code, 2) << missing.describe();
  EXPECT_EQ(missing.err, "sysfence: cannot run /nonexistent/command: No such file or directory\n");
}

// `sysfence run` in the background until its command runs under the filter.
class RunningUnderRun {
 public:
  explicit RunningUnderRun(const std::vector<std::string>& run_args) {
    std::vector<std::string> argv = {cli_runner::sysfence_binary(), "run"};
    argv.insert(argv.end(), run_args.begin(), run_args.end());
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> c;
      for (std::string& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execv(c[0], c.data());
      _exit(127);
    }
    for (int i = 0; i < 1000 && !filtered(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~RunningUnderRun() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  RunningUnderRun(const RunningUnderRun&) = delete;
  RunningUnderRun& operator=(const RunningUnderRun&) = delete;
  pid_t pid() const { return pid_; }
  bool filtered() const {
    return read_file("/proc/" + std::to_string(pid_) + "/status").find("\nSeccomp:\t2\n") != std::string::npos;
  }

 private:
  pid_t pid_ = -1;
};

TEST(VerifyPid, ProvesWhatSysfenceRunInstalledAgainstTheSameProfile) {
  RunningUnderRun run({"--profile", "default", "--", "/bin/sleep", "60"});
  ASSERT_TRUE(run.filtered());
  const std::string p = pid_text(run.pid());
  const auto r = run_sysfence({"verify", "--pid", p, "--profile", "default"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.out.starts_with("equivalent (proved: ")) << r.out;
  // A different resolution of the same profile is not what runs.
  const auto other = run_sysfence({"verify", "--pid", p, "--profile", "default", "--caps", "all"});
  EXPECT_EQ(other.exit_code, 1) << other.describe();
  // The other commands read the same filter.
  const std::string file = tmp_path("run.bpf");
  ASSERT_EQ(run_sysfence({"compile", "default", "-o", file}).exit_code, 0);
  const auto same = run_sysfence({"diff", "--pid", p, file});
  EXPECT_EQ(same.exit_code, 0) << same.describe();
  EXPECT_EQ(run_sysfence({"disasm", "--pid", p}).out, run_sysfence({"disasm", file}).out);
  const auto stats = run_sysfence({"stats", "--pid", p});
  EXPECT_EQ(stats.exit_code, 0) << stats.describe();
  const auto audit = run_sysfence({"audit", "--pid", p, "--fail-on", "critical"});
  EXPECT_EQ(audit.exit_code, 0) << audit.describe();
  EXPECT_NE(audit.out.find("audited filter process " + p), std::string::npos) << audit.out;
}

// Several --semantics: which builder's filter the process runs under.
TEST(VerifyPid, IdentifiesWhichSemanticsBuiltTheLiveFilter) {
  const std::vector<std::string> candidates = {"--profile", "default",     "--semantics",
                                               "runc",      "--semantics", "sysfence"};
  for (const std::string built_as : {"runc", "sysfence"}) {
    RunningUnderRun run({"--profile", "default", "--semantics", built_as, "--", "/bin/sleep", "60"});
    ASSERT_TRUE(run.filtered());
    const std::string p = pid_text(run.pid());
    std::vector<std::string> args = {"verify", "--pid", p};
    args.insert(args.end(), candidates.begin(), candidates.end());
    const auto r = run_sysfence(args);
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    const std::string other = built_as == "runc" ? "sysfence" : "runc";
    EXPECT_EQ(r.out, "process " + p + " against 2 candidates:\n  default --semantics runc: " +
                         (built_as == "runc" ? "equivalent" : "different") +
                         "\n  default --semantics sysfence: " + (built_as == "runc" ? "different" : "equivalent") +
                         "\nequals: default --semantics " + built_as + "\n");
    // No candidate matches: exit 1.
    const auto none = run_sysfence({"verify", "--pid", p, "--profile", "default", "--semantics", other, "--profile",
                                    "default", "--semantics", "libseccomp"});
    EXPECT_EQ(none.exit_code, 1) << none.describe();
    EXPECT_TRUE(none.out.ends_with("equals none of them\n")) << none.out;
  }
}

// The process's filter count (Seccomp_filters:, Linux 5.9; 0 where the
// kernel does not say).
unsigned filter_count(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  constexpr std::string_view kField = "\nSeccomp_filters:\t";
  const size_t at = status.find(kField);
  return at == std::string::npos ? 0 : static_cast<unsigned>(std::stoul(status.substr(at + kField.size())));
}

// Waits until `pid` runs /bin/sleep (whatever installed filters before has
// exec'd it).
bool wait_for_sleep(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    if (read_file("/proc/" + std::to_string(pid) + "/comm") == "sleep\n") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// `sysfence run` installs the default profile's filter (kernel index 0), then
// install_and_exec a second one (index 1: ERRNO(2) for nr 0xfffd, ALLOW
// else). Every command with --pid works on that stack of two.
TEST(StackPid, CommandsTakeTheProcessStack) {
  RunningUnderRun run({"--profile", "default", "--", helper(), "/bin/sleep", "60"});
  ASSERT_TRUE(wait_for_sleep(run.pid()));
  const std::string p = pid_text(run.pid());
  if (const unsigned n = filter_count(run.pid()); n != 0) {
    ASSERT_EQ(n, 2U);
  }
  const std::string profile_filter = tmp_path("stack-default.bpf");
  ASSERT_EQ(run_sysfence({"compile", "default", "-o", profile_filter}).exit_code, 0);
  const std::string helper_file = tmp_path("stack-helper.bpf");
  cli_runner::write_file(helper_file, helper_filter());
  // The same stack as a dump directory, written by hand in installation
  // order; a stack with the two the other way round differs at 0xfffd
  // (the newer filter's ERRNO wins the tie).
  const std::string dir = tmp_path("stack-by-hand");
  const std::string reversed = tmp_path("stack-reversed");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(reversed.c_str(), 0755), 0);
  cli_runner::write_file(dir + "/filter-0.bpf", read_file(profile_filter));
  cli_runner::write_file(dir + "/filter-1.bpf", helper_filter());
  cli_runner::write_file(reversed + "/filter-0.bpf", helper_filter());
  cli_runner::write_file(reversed + "/filter-1.bpf", read_file(profile_filter));
  const auto same = run_sysfence({"diff", "--pid", p, dir});
  EXPECT_EQ(same.exit_code, 0) << same.describe();
  EXPECT_EQ(same.out, "equivalent (identical stacks of 2 filters)\n");
  EXPECT_EQ(run_sysfence({"diff", "--pid", p, reversed}).exit_code, 1);
  // Against the profile's filter alone: the difference is the helper's,
  // kernel index 1.
  const std::string named = "process " + p + " decided by filter 1 (process " + p + " filter 1): ret at instruction 2";
  const auto differ = run_sysfence({"diff", "--pid", p, profile_filter});
  EXPECT_EQ(differ.exit_code, 1) << differ.describe();
  EXPECT_NE(differ.out.find(named), std::string::npos) << differ.out;
  const auto verify = run_sysfence({"verify", "--pid", p, "--profile", "default"});
  EXPECT_EQ(verify.exit_code, 1) << verify.describe();
  EXPECT_NE(verify.out.find(" filter 1 (process " + p + " filter 1): ret at instruction 2"), std::string::npos)
      << verify.out;
  // stats: both filters' lengths, by kernel index.
  const size_t profile_len = read_file(profile_filter).size() / 8;
  const auto stats = run_sysfence({"stats", "--pid", p});
  EXPECT_EQ(stats.exit_code, 0) << stats.describe();
  EXPECT_TRUE(stats.out.starts_with("stack: 2 filters, " + std::to_string(profile_len + 4) +
                                    " instructions (filter 0: " + std::to_string(profile_len) + ", filter 1: 4;"))
      << stats.out;
  const auto audit = run_sysfence({"audit", "--pid", p, "--fail-on", "critical"});
  EXPECT_NE(audit.exit_code, 2) << audit.describe();
  EXPECT_NE(audit.out.find("audited stack: 2 filters (filter 0 is the oldest)"), std::string::npos) << audit.out;
  // disasm: each filter under its heading, oldest first.
  EXPECT_EQ(run_sysfence({"disasm", "--pid", p}).out,
            "# process " + p + " filter 0\n" + run_sysfence({"disasm", profile_filter}).out + "\n# process " + p +
                " filter 1\n" + run_sysfence({"disasm", helper_file}).out);
}

// A stack equal to a profile: the profile's filter as runc builds it, under
// an ALLOW-everything filter. verify --pid proves the stack and identifies
// the semantics.
TEST(StackPid, VerifyProvesAndIdentifiesAStack) {
  const std::string file = tmp_path("stack-runc.bpf");
  ASSERT_EQ(run_sysfence({"compile", "default", "--semantics", "runc", "-o", file}).exit_code, 0);
  const std::string bytes = read_file(file);
  TestFilter profile_filter;
  profile_filter.insns.resize(bytes.size() / sizeof(sock_filter));
  std::memcpy(profile_filter.insns.data(), bytes.data(), bytes.size());
  const TestFilter allow_all{{BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}, 0};
  FilteredChild child({profile_filter, allow_all});
  ASSERT_TRUE(child.ready());
  const std::string p = pid_text(child.pid());
  const auto r = run_sysfence({"verify", "--pid", p, "--profile", "default", "--semantics", "runc"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.out.starts_with("equivalent (proved: ")) << r.out;
  const auto which =
      run_sysfence({"verify", "--pid", p, "--profile", "default", "--semantics", "runc", "--semantics", "sysfence"});
  EXPECT_EQ(which.exit_code, 0) << which.describe();
  EXPECT_TRUE(which.out.ends_with("\nequals: default --semantics runc\n")) << which.out;
  EXPECT_TRUE(child.answers());
}

// `sysfence ARGS` exec'd after `prepare` ran in the forked child; stderr.
std::string stderr_of_prepared(void (*prepare)(), const std::vector<std::string>& args) {
  const std::string err_path = tmp_path("prepared.err");
  std::vector<std::string> argv = {cli_runner::sysfence_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid == 0) {
    prepare();
    const int fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    std::vector<char*> c;
    for (std::string& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    execv(c[0], c.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return "exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ": " + read_file(err_path);
}

// A process sleeping under a filter that denies restart_syscall: `dump
// --pid` leaves it alive, its sleep ends in EINTR, and dump says so.
TEST(DumpPid, SleepItsFilterCannotRestartGetsEintrAndANote) {
  const std::string out = tmp_path("sleep_then_exec.out");
  const std::string program = cli_runner::runfile("test/live/sleep_then_exec");
  const pid_t pid = fork();
  if (pid == 0) {
    execl(program.c_str(), program.c_str(), out.c_str(), "/bin/true", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  bool sleeping = false;
  for (int i = 0; i < 5000 && !sleeping; ++i) {
    std::ifstream call("/proc/" + pid_text(pid) + "/syscall");
    std::string line;
    std::getline(call, line);
    sleeping = line.rfind(std::to_string(static_cast<long>(SYS_nanosleep)) + " ", 0) == 0;
    if (!sleeping) usleep(1000);
  }
  ASSERT_TRUE(sleeping);
  const auto r = run_sysfence({"dump", "--pid", pid_text(pid)});
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("sysfence: note: thread " + pid_text(pid) + " was interrupted in syscall " +
                       std::to_string(static_cast<long>(SYS_nanosleep)) +
                       " (x86_64), which the kernel continues through restart_syscall; its filters answer that with "
                       "ERRNO(13), so the call returns EINTR instead"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(read_file(out), "-4\n");
}

TEST(DumpErrors, ExactMessages) {
  FilteredChild child(three_filters());
  ASSERT_TRUE(child.ready());
  const std::string p = pid_text(child.pid());
  EXPECT_EQ(stderr_of_prepared(drop_cap_sys_admin_for_exec, {"dump", "--pid", p}),
            "exit 2: sysfence: cannot read the filters of process " + p + ": CAP_SYS_ADMIN is required\n");
  EXPECT_EQ(stderr_of_prepared(install_allow_all_filter, {"dump", "--pid", p}),
            "exit 2: sysfence: cannot read the filters of process " + p +
                ": sysfence itself runs under seccomp (mode filter), and the kernel hands filters only to an "
                "unconfined caller\n");
  EXPECT_TRUE(child.answers());

  FilteredChild plain({});
  ASSERT_TRUE(plain.ready());
  const auto none = run_sysfence({"dump", "--pid", pid_text(plain.pid())});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err, "sysfence: process " + pid_text(plain.pid()) + " has no seccomp filter (Seccomp: 0)\n");

  FilteredChild strict({}, /*strict=*/true);
  ASSERT_TRUE(strict.ready());
  ASSERT_TRUE(strict.answers());
  const auto s = run_sysfence({"dump", "--pid", pid_text(strict.pid())});
  EXPECT_EQ(s.err, "sysfence: process " + pid_text(strict.pid()) +
                       " is in seccomp strict mode, which has no filter to read\n");

  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  const auto g = run_sysfence({"dump", "--pid", pid_text(gone)});
  EXPECT_EQ(g.err, "sysfence: process " + pid_text(gone) + ": no such process\n");
  EXPECT_EQ(run_sysfence({"dump", "--pid", "12x"}).err, "sysfence: invalid --pid \"12x\": expected a process id\n");
}

TEST(DumpErrors, Usage) {
  // What is wrong, then how the command goes.
  const std::string usage =
      "usage: sysfence dump (--pid PID | -- CMD [ARGS...]) [-o DIR] [--format text|json] [--at-exec N] "
      "[--arch A]\n";
  EXPECT_EQ(run_sysfence({"dump"}).err, "sysfence: give --pid PID or -- CMD [ARGS...]\n" + usage);
  EXPECT_EQ(run_sysfence({"dump", "--pid", "1", "--", "true"}).err,
            "sysfence: give --pid PID or -- CMD, not both\n" + usage);
  EXPECT_EQ(run_sysfence({"dump", "true"}).err,
            "sysfence: put the command after --: sysfence dump [FLAGS] -- CMD [ARGS...]\n" + usage);
  EXPECT_EQ(run_sysfence({"dump", "--pid", "1", "--at-exec", "2"}).err,
            "sysfence: --at-exec applies to -- CMD, not to --pid\n");
  EXPECT_EQ(run_sysfence({"dump", "--at-exec", "0", "--", "true"}).err,
            "sysfence: invalid --at-exec \"0\": expected 1..1000000\n");
}

}  // namespace
}  // namespace sysfence::live::testing
