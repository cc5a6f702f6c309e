// A process asleep under a seccomp filter, for the tests of what stopping a
// sleeping thread does (live/restart.h): a forked child installs a filter,
// sleeps 5 s in nanosleep and reports how the sleep ended on a pipe.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sysfence::live::testing {

inline constexpr uint32_t kAuditArchX86_64 = 0xc000003eU;
inline constexpr uint32_t kAuditArchI386 = 0x40000003U;
inline constexpr long kNanosleepI386 = 162;
inline constexpr uint32_t kRestartSyscallI386 = 0;

// `nr` of `arch` -> `answer`, everything else ALLOW.
std::vector<sock_filter> answering(uint32_t arch, uint32_t nr, uint32_t answer);

struct Ending {
  bool reported = false;  // false: killed before it could say
  long result = 0;        // nanosleep's return value (-errno)
  int status = 0;         // wait status
  bool reaped = false;    // false: someone else (a tracer) collected its exit
};

// "nanosleep returned -4", "killed by signal 31", "no report".
std::string describe(const Ending& e);

class SleepingChild {
 public:
  // A child that installs `filter`, then sleeps 5 s (as i386 through
  // `int $0x80` with `i386`; only after open_gate() with `gated`) and writes
  // the result.
  SleepingChild(const std::vector<sock_filter>& filter, bool i386, bool gated = false);
  ~SleepingChild();  // SIGKILL and reap
  SleepingChild(const SleepingChild&) = delete;
  SleepingChild& operator=(const SleepingChild&) = delete;

  pid_t pid() const { return pid_; }

  // Lets a gated child go to sleep.
  void open_gate() const;

  // Until /proc/PID/syscall shows it blocked in nanosleep (bounded: false
  // when it never gets there, e.g. a kernel without i386 emulation).
  bool wait_until_sleeping() const;

  // Its report and wait status.
  Ending finish();

 private:
  bool i386_;
  pid_t pid_ = -1;
  int from_child_ = -1;
  int gate_ = -1;
  bool reaped_ = false;
};

}  // namespace sysfence::live::testing
