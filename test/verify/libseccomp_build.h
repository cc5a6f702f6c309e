// A random profile built into a filter by the REAL libseccomp (its C API,
// linked only into tests), the way runc's InitSeccomp / matchCall does on an
// x86_64 host for a container on `native`:
//   seccomp_init(default action); the host ABI removed and the target added
//   when they differ (libseccomp refuses mixed byte orders in one filter);
//   per entry moby keeps: a rule whose action equals the default is skipped;
//   names libseccomp cannot resolve on the host are skipped; one
//   seccomp_rule_add_array per name (per condition when the entry repeats an
//   argument index); libseccomp's default attributes (bad-arch action
//   KILL_THREAD, optimize level 1); seccomp_export_bpf into a memfd.
// Names resolve through the host table, but libseccomp translates each one
// to the target ABI by name, so the target gets the numbers a native build
// would.
// libseccomp 2.5.4 can loop forever inside seccomp_rule_add_array (its rule
// tree, on some profiles), so the builds run in a forked worker that hands
// each result back through a pipe; a build that takes longer than the
// timeout is reported as `hung` (runc would hang the same way).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "test/verify/random_profile.h"

namespace sysfence::testing {

// One condition as handed to libseccomp (struct scmp_arg_cmp).
struct LibCondition {
  unsigned arg = 0;
  std::string_view op;   // the profile's spelling
  uint64_t datum_a = 0;  // MASKED_EQ: the mask
  uint64_t datum_b = 0;  // MASKED_EQ: the datum
};

// One seccomp_rule_add_array call that libseccomp accepted.
struct AddedRule {
  size_t entry = 0;  // index in the profile's syscalls
  std::string name;
  uint32_t action = 0;
  std::vector<LibCondition> conditions;
};

struct LibseccompBuild {
  // libseccomp refused the profile (runc would refuse to start the
  // container): the call, the entry and the error.
  bool refused = false;
  std::string refusal;
  int refusal_errno = 0;
  // The rule libseccomp refused (seccomp_rule_add_array), when it was one.
  std::optional<AddedRule> refused_rule;
  std::vector<uint8_t> raw;  // the exported program, in the target's byte order
  uint32_t default_action = 0;
  std::vector<AddedRule> rules;
  std::set<std::string> kept_names;  // every name of every entry moby kept
  // `ret` instructions whose k libseccomp 2.5.4 wrote in host byte order
  // for a big-endian target (see fix_cross_endian_returns), swapped back.
  size_t swapped_returns = 0;
  // libseccomp did not finish the build within the timeout (the child was
  // killed); nothing else is set.
  bool hung = false;
};

// How long a build may take before it counts as hung: 5 s, or
// SYSFENCE_LIBSECCOMP_TIMEOUT_MS. A build normally takes about a millisecond.
unsigned libseccomp_timeout_ms();

struct LibseccompJob {
  const RandomProfile* profile = nullptr;
  const NativeArch* native = nullptr;
  bool big_endian = false;
};

// Builds the jobs in order in a forked worker that runs ahead of the caller
// (one fork for all of them, not one per build: a fork and two context
// switches per build cost more than the build on a loaded machine). next()
// returns each job's build in turn; when the worker has not delivered the
// next one within the timeout, it is killed, that build is returned as
// `hung`, and a new worker carries on with the job after it. A worker that
// dies otherwise, or whose answer is cut short, makes that build a refusal
// with the reason (never a known one: the test fails).
class LibseccompBuilder {
 public:
  explicit LibseccompBuilder(std::vector<LibseccompJob> jobs, unsigned timeout_ms = libseccomp_timeout_ms());
  ~LibseccompBuilder();
  LibseccompBuilder(const LibseccompBuilder&) = delete;
  LibseccompBuilder& operator=(const LibseccompBuilder&) = delete;

  // The build of the next job; call it once per job.
  LibseccompBuild next();

 private:
  void start();
  void stop();

  std::vector<LibseccompJob> jobs_;
  unsigned timeout_ms_;
  size_t next_ = 0;
  int pid_ = -1;
  int fd_ = -1;
  std::string pending_;  // bytes read from the worker, not yet returned
};

// libseccomp's number for `name` on `native`'s ABI; negative when it has none.
int libseccomp_number(const NativeArch& native, const std::string& name);
// The name libseccomp translates `name` to when runc resolves it on the
// x86_64 host and libseccomp carries it to the target through its pseudo
// number: `name` itself, unless the pseudo number is shared with another
// name (then the rule lands on that name's syscall on the target).
std::string libseccomp_host_translation(const std::string& name);
// libseccomp's name for `nr` on `native`'s ABI; empty when it has none.
std::string libseccomp_name(const NativeArch& native, uint32_t nr);

}  // namespace sysfence::testing
