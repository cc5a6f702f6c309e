// `record --pid` must not hurt the process it attaches to. Every stop of a
// traced thread (the attach's and the detach's PTRACE_INTERRUPT, a
// syscall-exit stop, a signal's delivery stop) wakes a sleep, which the
// kernel continues through restart_syscall(2) once the thread runs on; a
// filter of the process that denies restart_syscall would then make the sleep
// fail or kill the process. In the real kernel: a forked child installs a
// filter answering restart_syscall with ERRNO or KILL_PROCESS (or allowing
// it), sleeps 5 s in nanosleep and reports how the sleep ended, and is
// recorded meanwhile. The sleep must end in EINTR (and the recording say so)
// or go on undisturbed, never in the filter's answer.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>

#include "record/attach.h"
#include "syscalls/table.h"
#include "test/cli_runner.h"
#include "test/live/filtered_child.h"
#include "test/live/sleeping_child.h"

namespace sysfence::record {
namespace {

using namespace std::chrono_literals;
using live::testing::answering;
using live::testing::Ending;
using live::testing::kAuditArchX86_64;
using live::testing::SleepingChild;

constexpr uint32_t kDenyErrno = SECCOMP_RET_ERRNO | EACCES;

std::string tracer_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("TracerPid:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 10));
  }
  return "";
}

// How the sleep ended: the child's report, or how the recording saw it die
// (the tracer collects the exit of a task it traces).
std::string ending(const Ending& e, const Recording& rec) {
  if (!e.reaped && rec.term_signal != 0) return "killed by signal " + std::to_string(rec.term_signal);
  return live::testing::describe(e);
}

std::string eintr_note(pid_t pid, const std::string& answer) {
  return "thread " + std::to_string(pid) +
         " was interrupted in syscall 35 (x86_64), which the kernel continues through restart_syscall; its filters "
         "answer that with " +
         answer + ", so the call returns EINTR instead (as after a signal with a handler)";
}

#define SKIP_OFF_X86_64()                                                                                           \
  do {                                                                                                              \
    if (syscalls::native_arch().id != syscalls::ArchId::kX86_64) GTEST_SKIP() << "the EINTR is set on x86_64 only"; \
  } while (0)

// The attach interrupts the sleep: it returns EINTR, where the restart would
// have failed with EACCES or killed the process.
void expect_eintr_at_attach(uint32_t answer, const std::string& answer_text) {
  SleepingChild child(answering(kAuditArchX86_64, SYS_restart_syscall, answer), false);
  ASSERT_GT(child.pid(), 0);
  ASSERT_TRUE(child.wait_until_sleeping()) << live::testing::describe(child.finish());
  auto rec = record_process(child.pid(), {.keep_args = false, .duration = 3s});
  ASSERT_TRUE(rec) << rec.error().message;
  const Ending e = child.finish();
  EXPECT_EQ(rec->term_signal, 0) << ending(e, *rec);
  EXPECT_TRUE(e.reported) << ending(e, *rec);
  EXPECT_EQ(e.result, -EINTR) << ending(e, *rec);
  ASSERT_EQ(rec->notes.size(), 1U);
  EXPECT_EQ(rec->notes[0], eintr_note(child.pid(), answer_text));
  // No restart happened, so none was recorded.
  EXPECT_FALSE(rec->observations.calls.contains({syscalls::ArchId::kX86_64, SYS_restart_syscall}));
}

TEST(AttachRestart, SleepWhoseRestartIsDeniedWithErrnoReturnsEintr) {
  SKIP_OFF_X86_64();
  expect_eintr_at_attach(kDenyErrno, "ERRNO(13)");
}

TEST(AttachRestart, SleepWhoseRestartKillsTheProcessReturnsEintr) {
  SKIP_OFF_X86_64();
  expect_eintr_at_attach(SECCOMP_RET_KILL_PROCESS, "KILL_PROCESS");
}

// A sleep that begins while the process is recorded: the detach's interrupt,
// reported as a syscall-exit stop under PTRACE_SYSCALL, wakes it. (The
// detach may also find the thread at the nanosleep's entry stop, whose
// /proc/PID/syscall reads the same: the call must not start untraced with
// the interrupt's wake-up pending, which would end it at once and restart it
// through restart_syscall with no tracer left.)
TEST(AttachRestart, SleepInterruptedByTheDetachReturnsEintr) {
  SKIP_OFF_X86_64();
  SleepingChild child(answering(kAuditArchX86_64, SYS_restart_syscall, SECCOMP_RET_KILL_PROCESS), false,
                      /*gated=*/true);
  ASSERT_GT(child.pid(), 0);
  // Once the child is traced: let it sleep, then end the recording with the
  // SIGTERM record_process takes through its signalfd (sent to the recording
  // thread, which blocks it).
  const auto recording_thread = static_cast<pid_t>(syscall(SYS_gettid));
  std::thread conductor([&child, recording_thread] {
    const std::string self = std::to_string(getpid());
    for (int i = 0; i < 5000 && tracer_of(child.pid()) != self; ++i) usleep(1000);
    child.open_gate();
    if (child.wait_until_sleeping()) syscall(SYS_tgkill, getpid(), recording_thread, SIGTERM);
  });
  auto rec = record_process(child.pid(), {.keep_args = false, .duration = 20s});
  conductor.join();
  ASSERT_TRUE(rec) << rec.error().message;
  const Ending e = child.finish();
  EXPECT_EQ(rec->term_signal, 0) << ending(e, *rec);
  EXPECT_EQ(e.result, -EINTR) << ending(e, *rec);
  ASSERT_EQ(rec->notes.size(), 1U);
  EXPECT_EQ(rec->notes[0], eintr_note(child.pid(), "KILL_PROCESS"));
}

// A filter that lets restart_syscall through: the sleep is continued and runs
// to its end, and the restart the attach caused is recorded (the kernel runs
// it through the filters like any call, so a profile for a program that
// sleeps needs it).
TEST(AttachRestart, SleepWhoseRestartIsAllowedGoesOnAndTheRestartIsRecorded) {
  SKIP_OFF_X86_64();
  SleepingChild child(answering(kAuditArchX86_64, 0xfffe, kDenyErrno), false);
  ASSERT_TRUE(child.wait_until_sleeping()) << live::testing::describe(child.finish());
  auto rec = record_process(child.pid(), {.keep_args = false, .duration = 300ms});
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_TRUE(rec->notes.empty()) << rec->notes.front();
  EXPECT_TRUE(rec->observations.calls.contains({syscalls::ArchId::kX86_64, SYS_restart_syscall}));
  EXPECT_EQ(tracer_of(child.pid()), "0");
  const Ending e = child.finish();
  EXPECT_EQ(e.result, 0) << live::testing::describe(e);
}

// What a recorder without CAP_SYS_ADMIN saw: its notes, or its error.
std::string record_notes(pid_t pid) {
  auto rec = record_process(pid, {.keep_args = false, .duration = 3s});
  if (!rec) return "error: " + rec.error().message;
  std::string out;
  for (const std::string& n : rec->notes) out += n + "\n";
  return out;
}

// The filters cannot be read: taken as denying restart_syscall, the sleep
// returns EINTR rather than risk the process.
TEST(AttachRestart, UnreadableFiltersMakeTheSleepReturnEintr) {
  SKIP_OFF_X86_64();
  SleepingChild child(answering(kAuditArchX86_64, SYS_restart_syscall, SECCOMP_RET_KILL_PROCESS), false);
  ASSERT_TRUE(child.wait_until_sleeping()) << live::testing::describe(child.finish());
  const std::string notes = live::testing::in_child(live::testing::drop_cap_sys_admin, record_notes, child.pid());
  const Ending e = child.finish();
  EXPECT_EQ(e.result, -EINTR) << live::testing::describe(e);
  EXPECT_EQ(notes, "thread " + std::to_string(child.pid()) +
                       " was interrupted in syscall 35 (x86_64), which the kernel continues through restart_syscall; "
                       "its filters could not be read (CAP_SYS_ADMIN is required), so the call returns EINTR "
                       "instead, in case they deny that (as after a signal with a handler)\n");
}

// The CLI says which thread got EINTR, as `dump --pid` does.
TEST(AttachRestartCli, NamesTheThreadThatGotEintr) {
  SKIP_OFF_X86_64();
  SleepingChild child(answering(kAuditArchX86_64, SYS_restart_syscall, kDenyErrno), false);
  ASSERT_TRUE(child.wait_until_sleeping()) << live::testing::describe(child.finish());
  const std::string out = cli_runner::tmp_path("restart.json");
  const auto r =
      cli_runner::run_sysfence({"record", "--pid", std::to_string(child.pid()), "--duration", "3", "-o", out});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("sysfence: note: " + eintr_note(child.pid(), "ERRNO(13)") + "\n"), std::string::npos) << r.err;
  const Ending e = child.finish();
  EXPECT_EQ(e.result, -EINTR) << live::testing::describe(e);
}

}  // namespace
}  // namespace sysfence::record
