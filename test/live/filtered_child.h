// Processes with known seccomp stacks, for the live-filter tests: a forked
// child installs its filters (never the test process itself), reports, and
// then answers on a pipe until it is told to end, so that a test can check it
// still runs (not left stopped by a reader).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace sysfence::live::testing {

// One filter to install: its instructions and seccomp(2) flags.
struct TestFilter {
  std::vector<sock_filter> insns;
  unsigned flags = 0;
};

// The three filters the stack tests install, oldest first: the first with
// SECCOMP_FILTER_FLAG_TSYNC while a second thread runs, the second with
// SECCOMP_FILTER_FLAG_LOG, the third plain. All allow what the child does.
std::vector<TestFilter> three_filters();

// The raw bytes of a filter as the kernel holds it (struct sock_filter[]).
std::string raw_bytes(const TestFilter& f);

class FilteredChild {
 public:
  // Forks a child that installs `filters` in order (none: a child without
  // seccomp; `strict`: SECCOMP_MODE_STRICT instead) and blocks.
  explicit FilteredChild(const std::vector<TestFilter>& filters, bool strict = false);
  ~FilteredChild();  // SIGKILL and reap
  FilteredChild(const FilteredChild&) = delete;
  FilteredChild& operator=(const FilteredChild&) = delete;

  pid_t pid() const { return pid_; }
  pid_t thread_tid() const { return thread_tid_; }  // the second thread (0 without TSYNC)
  bool ready() const { return ready_; }
  // Sends a byte and waits up to 3 s for its echo: false when it does not
  // answer (stopped, dead).
  bool answers();

 private:
  pid_t pid_ = -1;
  pid_t thread_tid_ = 0;
  bool ready_ = false;
  int to_child_ = -1;
  int from_child_ = -1;
};

// Runs `body` in a forked child (after `prepare`, e.g. dropping a
// capability) and returns what it wrote to the string it was given.
std::string in_child(void (*prepare)(), std::string (*body)(pid_t), pid_t target);

// Prepare steps for in_child.
void drop_cap_sys_admin();           // capset: CAP_SYS_ADMIN out of effective and permitted
void drop_cap_sys_admin_for_exec();  // also out of the bounding set (an execve as root keeps it out)
void install_allow_all_filter();     // the caller itself under seccomp

}  // namespace sysfence::live::testing
