// `record --pid` in the real kernel: attach_subject (a thread, a fork per
// round, a SIGUSR1 handler) runs as a child of this test, is recorded for a
// while through ptrace and detached; it must have been seen in every place,
// and must run on and exit with its own status. Never traces this process.
#include "record/attach.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "syscalls/table.h"
#include "test/bpf/kernel_child.h"
#include "test/cli_runner.h"

namespace sysfence::record {
namespace {

using namespace std::chrono_literals;
using syscalls::ArchId;

SyscallKey native(std::string_view name) { return {ArchId::kX86_64, *syscalls::table(ArchId::kX86_64).number(name)}; }

// A started attach_subject: reaped (killed first if still running) at the end.
class Subject {
 public:
  explicit Subject(const std::string& name, const std::string& rounds = "-", const std::string& abi = "")
      : stop_(cli_runner::tmp_path(name)) {
    ::unlink(stop_.c_str());
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    const std::string path = cli_runner::runfile("test/record/attach_subject");
    // In sanitizer builds LeakSanitizer's check at exit stops the process's
    // threads with ptrace itself, which fails in a traced process (as this
    // one is on purpose): the exit status would be LeakSanitizer's, not the
    // subject's. The environment is built before fork (no malloc after it).
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!std::string_view(*e).starts_with("ASAN_OPTIONS=")) env_strings.emplace_back(*e);
    }
    const char* asan = std::getenv("ASAN_OPTIONS");
    env_strings.push_back(std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") + ":detect_leaks=0");
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      const char* argv[] = {path.c_str(), stop_.c_str(), rounds.c_str(), abi.empty() ? nullptr : abi.c_str(), nullptr};
      execve(argv[0], const_cast<char* const*>(argv), envp.data());
      _exit(127);
    }
    ::close(fds[1]);
    char buf[6] = {};
    EXPECT_EQ(::read(fds[0], buf, 6), 6) << "attach_subject did not start";
    ::close(fds[0]);
  }
  ~Subject() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void mark_reaped() { reaped_ = true; }

  // Asks it to finish; its wait status, or nothing after 20 s.
  std::optional<int> stop_and_wait() {
    cli_runner::write_file(stop_, "");
    for (int i = 0; i < 2000; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return status;
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

 private:
  std::string stop_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

std::string status_field(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + ":", 0) == 0) return line.substr(line.find_first_not_of(" \t", name.size() + 1));
  }
  return "";
}

// Why ptrace cannot be tested here, or "".
std::string ptrace_unavailable() {
  const pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  std::string why;
  if (ptrace(PTRACE_SEIZE, child, nullptr, nullptr) != 0) why = std::string("PTRACE_SEIZE: ") + strerror(errno);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return why;
}

#define SKIP_WITHOUT_PTRACE()                                                                             \
  do {                                                                                                    \
    if (syscalls::native_arch().id != ArchId::kX86_64) GTEST_SKIP() << "the markers are x86_64's";        \
    if (const std::string why = ptrace_unavailable(); !why.empty()) GTEST_SKIP() << "no ptrace: " << why; \
  } while (0)

TEST(Attach, SeesEveryPlaceAndTheProcessRunsOnUnharmed) {
  SKIP_WITHOUT_PTRACE();
#if defined(__x86_64__)
  const bool i386 = bpf::testing::int80_available();
#else
  const bool i386 = false;
#endif
  Subject s("stop-every-place", "-", i386 ? "i386" : "");
  // Signals sent while it is traced reach it: SIGUSR1's handler is a marker.
  std::thread signaller([pid = s.pid()] {
    std::this_thread::sleep_for(300ms);
    kill(pid, SIGUSR1);
  });
  auto rec = record_process(s.pid(), {.keep_args = true, .duration = 800ms});
  signaller.join();
  ASSERT_TRUE(rec) << rec.error().message;
  const auto& calls = rec->observations.calls;
  for (const char* marker : {"sysinfo", "getpriority", "getpgrp", "getsid", "clone"}) {
    EXPECT_TRUE(calls.contains(native(marker))) << marker;
  }
  // The ABI each call really used, not the process's own.
  if (i386) {
    EXPECT_TRUE(calls.contains({ArchId::kI386, 20})) << "getpid through int $0x80";
  }
  // Attached after its start: what only the loader makes is not there.
  EXPECT_FALSE(calls.contains(native("execve")));
  EXPECT_GE(calls.at(native("sysinfo")).count, 10U);
  EXPECT_EQ(rec->observations.command.at(1).find("stop-every-place") != std::string::npos, true);
  EXPECT_EQ(rec->exit_code, 0);
  EXPECT_EQ(status_field(s.pid(), "TracerPid"), "0");
  const auto status = s.stop_and_wait();
  ASSERT_TRUE(status) << "the subject did not finish after the recording";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 7) << *status;
}

TEST(Attach, JobControlStopsStayAndContinueAsWithoutTracer) {
  SKIP_WITHOUT_PTRACE();
  Subject s("stop-job-control");
  std::thread job_control([pid = s.pid()] {
    std::this_thread::sleep_for(200ms);
    kill(pid, SIGSTOP);
    std::this_thread::sleep_for(200ms);
    kill(pid, SIGCONT);
    std::this_thread::sleep_for(200ms);
    kill(pid, SIGSTOP);  // still stopped when the recording ends
  });
  auto rec = record_process(s.pid(), {.keep_args = false, .duration = 900ms});
  job_control.join();
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(status_field(s.pid(), "TracerPid"), "0");
  // Stopped, as SIGSTOP left it: a thread detached in the SIGSTOP's
  // delivery stop gets the signal back and stops a moment later.
  std::string state;
  for (int i = 0; i < 200 && (state = status_field(s.pid(), "State")).substr(0, 1) != "T"; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(state.substr(0, 1), "T") << state;
  kill(s.pid(), SIGCONT);
  const auto status = s.stop_and_wait();
  ASSERT_TRUE(status) << "the subject did not continue after SIGCONT";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 7) << *status;
}

// The main thread ended before the recording (ptrace refuses the zombie it
// leaves) or during it (it never stops again and cannot be detached).
TEST(Attach, DetachesWhenTheMainThreadHasEnded) {
  SKIP_WITHOUT_PTRACE();
  for (const std::string variant : {"leader-exits", "leader-exits-later"}) {
    Subject s("stop-" + variant, "-", variant);
    auto rec = record_process(s.pid(), {.keep_args = false, .duration = 500ms});
    ASSERT_TRUE(rec) << variant << ": " << rec.error().message;
    EXPECT_TRUE(rec->observations.calls.contains(native("getpriority"))) << variant;
    const auto status = s.stop_and_wait();
    ASSERT_TRUE(status) << variant << ": the subject did not finish after the recording";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 7) << variant << ": " << *status;
  }
}

TEST(Attach, EndsWhenTheProcessExitsWithItsStatus) {
  SKIP_WITHOUT_PTRACE();
  Subject s("stop-never", "40");
  auto rec = record_process(s.pid(), {});
  ASSERT_TRUE(rec) << rec.error().message;
  s.mark_reaped();  // the tracer collected its exit
  EXPECT_EQ(rec->exit_code, 7);
  EXPECT_EQ(rec->term_signal, 0);
  EXPECT_TRUE(rec->observations.calls.contains(native("exit_group")));
}

TEST(Attach, RefusesAMissingProcess) {
  // A pid just reaped is free (until reused, which takes a whole cycle).
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  auto rec = record_process(gone, {});
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().message, "process " + std::to_string(gone) + ": no such process");
  EXPECT_EQ(rec.error().exit_code, 125);
}

TEST(Attach, RefusesAZombie) {
  SKIP_WITHOUT_PTRACE();
  const pid_t zombie = fork();
  if (zombie == 0) _exit(0);
  // Not reaped yet: a zombie until waitpid below.
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT), 0);
  auto rec = record_process(zombie, {});
  waitpid(zombie, nullptr, 0);
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().message,
            "process " + std::to_string(zombie) + " has ended (a zombie its parent has not reaped)");
}

TEST(Attach, RefusesAProcessAlreadyTraced) {
  SKIP_WITHOUT_PTRACE();
  Subject s("stop-traced");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t debugger = fork();
  if (debugger == 0) {
    const char ok = ptrace(PTRACE_SEIZE, s.pid(), nullptr, nullptr) == 0 ? 'y' : 'n';
    (void)!write(ready[1], &ok, 1);
    pause();
    _exit(0);
  }
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  auto rec = record_process(s.pid(), {});
  kill(debugger, SIGKILL);
  waitpid(debugger, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().message, "process " + std::to_string(s.pid()) + " is already traced by process " +
                                     std::to_string(debugger) + " (a debugger or another recorder)");
}

// The CLI: SIGINT ends the recording, the profile is written, the process runs on.
TEST(AttachCli, SigintEndsTheRecordingAndWritesTheProfile) {
  SKIP_WITHOUT_PTRACE();
  Subject s("stop-cli");
  const std::string out = cli_runner::tmp_path("attached.json");
  const std::string err = cli_runner::tmp_path("attached.err");
  const std::string binary = cli_runner::sysfence_binary();
  const std::string pid = std::to_string(s.pid());
  const pid_t sysfence = fork();
  if (sysfence == 0) {
    const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    const char* argv[] = {binary.c_str(), "record", "--pid", pid.c_str(), "-o", out.c_str(), nullptr};
    execv(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  // Attached once the subject names it as its tracer.
  for (int i = 0; i < 1000 && status_field(s.pid(), "TracerPid") != std::to_string(sysfence); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(status_field(s.pid(), "TracerPid"), std::to_string(sysfence));
  std::this_thread::sleep_for(300ms);
  kill(sysfence, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(sysfence, &status, 0), sysfence);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << cli_runner::read_file(err);
  const std::string profile = cli_runner::read_file(out);
  EXPECT_NE(profile.find("\"sysinfo\""), std::string::npos) << profile;
  EXPECT_NE(profile.find("\"getpgrp\""), std::string::npos) << profile;
  EXPECT_EQ(status_field(s.pid(), "TracerPid"), "0");
  const auto done = s.stop_and_wait();
  ASSERT_TRUE(done) << "the subject did not finish after the recording";
  EXPECT_TRUE(WIFEXITED(*done) && WEXITSTATUS(*done) == 7) << *done;
}

TEST(AttachCli, UsageErrors) {
  for (const cli_runner::FailureCase& c : std::initializer_list<cli_runner::FailureCase>{
           {{"record", "--pid", "1", "--", "true"}, 125, "--pid records a running process: it takes no command"},
           {{"record", "--pid", "x1"}, 125, "--pid x1: not a process id"},
           {{"record", "--pid", "1", "--duration", "0"}, 125, "--duration 0: not a positive number of seconds"},
           {{"record", "--duration", "1", "--", "true"}, 125, "--duration applies to --pid only"},
           // --merge works on files: its bad usage is 2, as every file command's.
           {{"record", "--merge", "--pid", "1", "a.json", "b.json"}, 2, "--pid does not apply to --merge"},
       }) {
    cli_runner::expect_failure(c);
  }
}

}  // namespace
}  // namespace sysfence::record
