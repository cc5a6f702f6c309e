// The real kernel: nanoseconds per syscall in a forked child, with no filter
// and with Docker's default profile compiled for this machine's arch (on
// x86_64: x86_64 + i386 + x32 in one program) by each of sysfence's
// strategies:
//   optimal      the default: weighted optimal tree over maximal intervals
//   optimal_hot  the same under the built-in hot-syscall weights
//   balanced     a balanced tree without weights or interval merging
//                (libseccomp optimize=2's shape)
//   linear       a chain of tests (libseccomp optimize=1's shape)
// for three syscalls:
//   getppid                   constant ALLOW: the kernel's action cache answers
//                             it without running the filter
//   personality(0xffffffff)   allowed by an argument rule: runs the filter
//                             (and only queries the persona, changes nothing)
//   keyctl(0x7fffffff)        denied: the profile's default ERRNO(EPERM) (without
//                             a filter the kernel runs it: EOPNOTSUPP, an
//                             unknown keyctl command, harmless)
// and, where the strategies differ most, a number above every syscall the
// profile names:
//   syscall 1000              ERRNO(ENOSYS) from the filter's "newer than the
//                             profile" interval; ENOSYS from the kernel too
//
// Method. Each benchmark forks two children: one installs the filter, the
// other (the baseline) installs none. Both move to the same CPU, warm up,
// then serve "run a batch of N syscalls" commands over a pipe and answer with the elapsed CLOCK_MONOTONIC
// nanoseconds (the vDSO clock: no syscall, so no filter on the clock). The
// parent alternates batches between the two children (which one goes first
// flips every batch), so both see the same machine load, and records:
//   Time (manual)        mean ns per syscall under the filter
//   median_ns            median over batches of ns per syscall, filter
//   baseline_median_ns   the same without a filter
//   ratio                median_ns / baseline_median_ns
//   overhead_ns          median_ns - baseline_median_ns
//   filter_insns         program length
//   executed_insns       instructions the filter executes for this syscall
//                        (interpreter), 0 when the action cache serves it
// Safety: before forking, the interpreter must say the filter ALLOWs the
// syscall or answers ERRNO — never a kill, trap or notification; the
// children report the first call's result and errno, and the parent checks
// them against that prediction.
//
// The number of batches is fixed (--benchmark_min_time does not apply):
//   bazel run //bench:kernel_bench
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "bench/support.h"
#include "bpf/install.h"
#include "bpf/interp.h"
#include "compiler/compile.h"
#include "compiler/weights.h"
#include "measure/cache.h"
#include "syscalls/arch.h"

namespace sysfence::bench {
namespace {

// Short batches: a batch that a preemption hits is an outlier the median
// ignores, and short ones are rarely hit.
constexpr uint32_t kBatch = 50;      // syscalls per batch
constexpr int64_t kBatches = 4000;   // batches per benchmark (each child)
constexpr uint32_t kWarmup = 20000;  // syscalls before the first batch

// One measured call: syscall(nr, arg0).
struct Probe {
  const char* name;
  long nr;
  uint64_t arg0;
};

const Probe kProbes[] = {
    {"getppid", SYS_getppid, 0},
    {"personality", SYS_personality, 0xffffffffULL},
    {"keyctl_denied", SYS_keyctl, 0x7fffffffULL},
    {"nr1000_enosys", 1000, 0},
};

struct FilterKind {
  const char* name;
  bool install;
  compiler::Strategy strategy;
  bool hot_weights;
};

const FilterKind kFilters[] = {
    {"none", false, compiler::Strategy::kOptimal, false},      {"optimal", true, compiler::Strategy::kOptimal, false},
    {"optimal_hot", true, compiler::Strategy::kOptimal, true}, {"balanced", true, compiler::Strategy::kBalanced, false},
    {"linear", true, compiler::Strategy::kLinear, false},
};

long call(const Probe& p) { return syscall(p.nr, p.arg0, 0, 0, 0, 0, 0); }

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// What a child says once it is ready (filter installed, warmed up).
struct Hello {
  int32_t ok = 0;
  int64_t first_ret = 0;
  int32_t first_errno = 0;
  char message[240] = {};
};

// A forked child that times batches of one syscall on command.
// Invariant: while the object lives, the child either waits on `cmd_` or runs
// one batch; destruction closes the command pipe (the child exits on EOF) and
// reaps it.
class TimingChild {
 public:
  // Forks; the child moves to `cpu` (unless negative) and installs `filter`
  // unless it is empty.
  static std::optional<TimingChild> spawn(std::span<const bpf::Insn> filter, const Probe& probe, int cpu, Hello* hello,
                                          std::string* error) {
    int cmd[2];
    int res[2];
    if (pipe2(cmd, O_CLOEXEC) != 0 || pipe2(res, O_CLOEXEC) != 0) {
      *error = fmt::format("pipe: {}", std::strerror(errno));
      return std::nullopt;
    }
    const pid_t pid = fork();
    if (pid < 0) {
      *error = fmt::format("fork: {}", std::strerror(errno));
      return std::nullopt;
    }
    if (pid == 0) {
      close(cmd[1]);
      close(res[0]);
      serve(cmd[0], res[1], filter, probe, cpu);  // never returns
    }
    close(cmd[0]);
    close(res[1]);
    TimingChild c(pid, cmd[1], res[0]);
    if (!read_all(c.res_, hello, sizeof *hello)) {
      *error = "the timing child died before it was ready";
      return std::nullopt;
    }
    if (hello->ok == 0) {
      *error = fmt::format("timing child: {}", hello->message);
      return std::nullopt;
    }
    return c;
  }

  TimingChild(TimingChild&& o) noexcept : pid_(o.pid_), cmd_(o.cmd_), res_(o.res_) { o.pid_ = -1; }
  TimingChild(const TimingChild&) = delete;
  TimingChild& operator=(const TimingChild&) = delete;
  TimingChild& operator=(TimingChild&&) = delete;
  ~TimingChild() {
    if (pid_ < 0) return;
    close(cmd_);
    close(res_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }

  // Nanoseconds the child took for `n` calls.
  // Not const: it drives the child.
  std::optional<uint64_t> batch(uint32_t n) {  // NOLINT(readability-make-member-function-const)
    uint64_t ns = 0;
    if (!write_all(cmd_, &n, sizeof n) || !read_all(res_, &ns, sizeof ns)) return std::nullopt;
    return ns;
  }

 private:
  TimingChild(pid_t pid, int cmd, int res) : pid_(pid), cmd_(cmd), res_(res) {}

  [[noreturn]] static void serve(int cmd, int res, std::span<const bpf::Insn> filter, const Probe& probe, int cpu) {
    Hello hello;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Other work on the machine (builds) should disturb the batches as
    // little as possible; without the privilege this is a no-op.
    setpriority(PRIO_PROCESS, 0, -20);
    // Both children of a benchmark on one CPU: they take turns, and neither
    // gets a CPU with other caches or another hypervisor's steal time.
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof set, &set);
    }
    if (!filter.empty()) {
      if (auto ok = bpf::install(filter); !ok) {
        std::snprintf(hello.message, sizeof hello.message, "install: %s", ok.error().message.c_str());
        write_all(res, &hello, sizeof hello);
        _exit(1);
      }
    }
    errno = 0;
    hello.first_ret = call(probe);
    hello.first_errno = errno;
    for (uint32_t i = 0; i < kWarmup; ++i) call(probe);
    hello.ok = 1;
    if (!write_all(res, &hello, sizeof hello)) _exit(1);
    uint32_t n = 0;
    while (read_all(cmd, &n, sizeof n)) {
      const uint64_t t0 = now_ns();
      for (uint32_t i = 0; i < n; ++i) call(probe);
      const uint64_t ns = now_ns() - t0;
      if (!write_all(res, &ns, sizeof ns)) break;
    }
    _exit(0);
  }

  pid_t pid_;
  int cmd_;
  int res_;
};

// The highest-numbered CPU this process may run on (-1: unknown).
int timing_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  for (int c = CPU_SETSIZE - 1; c >= 0; --c) {
    if (CPU_ISSET(c, &set)) return c;
  }
  return -1;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// What the filter does with the probe, by the interpreter, and whether the
// kernel's action cache answers it.
struct Prediction {
  bpf::RunResult run;
  bool cached = false;
};

Prediction predict(std::span<const bpf::Insn> filter, const syscalls::Arch& arch, const Probe& probe) {
  SeccompData d;
  d.nr = static_cast<uint32_t>(probe.nr);
  d.arch = arch.audit_arch;
  d.args[0] = probe.arg0;
  Prediction p;
  auto r = bpf::run(filter, d, arch.endian);
  if (r) p.run = *r;
  p.cached = measure::abi_has_action_cache(arch.id) &&
             measure::kernel_caches_allow(filter, arch.audit_arch, static_cast<uint32_t>(probe.nr));
  return p;
}

// The filter `kind` installs (none for the baseline kind) and what the
// interpreter predicts for `probe`; false (the benchmark skipped) when it
// cannot be timed.
bool prepare_filter(benchmark::State& state, const FilterKind& kind, const Probe& probe, bpf::Program& filter,
                    Prediction& prediction) {
  if (!kind.install) return true;
  const syscalls::Arch& arch = syscalls::native_arch();
  compiler::CompileOptions options;
  options.strategy = kind.strategy;
  if (kind.hot_weights) options.weights = compiler::Weights::Hot();
  auto c = compile_docker_default(arch.id, options);
  if (!c) {
    state.SkipWithError(c.error().message.c_str());
    return false;
  }
  filter = std::move(c->program);
  prediction = predict(filter, arch, probe);
  const ActionKind k = prediction.run.action().kind;
  if (k != ActionKind::kAllow && k != ActionKind::kErrno) {
    state.SkipWithError("the filter would not ALLOW or ERRNO this syscall; not running it");
    return false;
  }
  return true;
}

void BM_Syscall(benchmark::State& state, const FilterKind& kind, const Probe& probe) {
  bpf::Program filter;
  Prediction prediction;
  if (!prepare_filter(state, kind, probe, filter, prediction)) return;

  std::string error;
  Hello filtered_hello;
  Hello baseline_hello;
  const int cpu = timing_cpu();
  auto filtered = TimingChild::spawn(filter, probe, cpu, &filtered_hello, &error);
  if (!filtered) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto baseline = TimingChild::spawn({}, probe, cpu, &baseline_hello, &error);
  if (!baseline) {
    state.SkipWithError(error.c_str());
    return;
  }
  if (kind.install && prediction.run.action().kind == ActionKind::kErrno &&
      (filtered_hello.first_ret != -1 || filtered_hello.first_errno != prediction.run.action().data)) {
    error = fmt::format("the kernel answered {} (errno {}), the interpreter predicted ERRNO({})",
                        filtered_hello.first_ret, filtered_hello.first_errno, prediction.run.action().data);
    state.SkipWithError(error.c_str());
    return;
  }

  std::vector<double> with;
  std::vector<double> without;
  with.reserve(kBatches);
  without.reserve(kBatches);
  bool flip = false;
  for (auto _ : state) {
    std::optional<uint64_t> f;
    std::optional<uint64_t> b;
    if (flip) {
      b = baseline->batch(kBatch);
      f = filtered->batch(kBatch);
    } else {
      f = filtered->batch(kBatch);
      b = baseline->batch(kBatch);
    }
    flip = !flip;
    if (!f || !b) {
      state.SkipWithError("a timing child died");
      break;
    }
    const double f_ns = static_cast<double>(*f) / kBatch;
    with.push_back(f_ns);
    without.push_back(static_cast<double>(*b) / kBatch);
    state.SetIterationTime(f_ns * 1e-9);
  }
  const double m_with = median(with);
  const double m_without = median(without);
  state.counters["median_ns"] = m_with;
  state.counters["baseline_median_ns"] = m_without;
  state.counters["ratio"] = m_without > 0 ? m_with / m_without : 0;
  state.counters["overhead_ns"] = m_with - m_without;
  state.counters["filter_insns"] = static_cast<double>(filter.size());
  state.counters["executed_insns"] = prediction.cached ? 0 : static_cast<double>(prediction.run.insns);
  state.counters["first_errno"] = static_cast<double>(filtered_hello.first_errno);
  state.counters["batch_calls"] = kBatch;
  state.SetLabel(!kind.install       ? "no filter"
                 : prediction.cached ? "action cache"
                                     : fmt::format("{} insns", prediction.run.insns));
}

const bool kRegistered = [] {
  for (const Probe& probe : kProbes) {
    for (const FilterKind& kind : kFilters) {
      benchmark::RegisterBenchmark(fmt::format("kernel/{}/{}", probe.name, kind.name).c_str(), BM_Syscall, kind, probe)
          ->UseManualTime()
          ->Iterations(kBatches)
          ->Unit(benchmark::kNanosecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace sysfence::bench
