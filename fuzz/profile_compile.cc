// Fuzz target: profile -> resolve -> compile -> prove.
//
// The input is a profile document. Which machine it is resolved for (native
// arch, capability set, kernel version) and which tree strategy the compiler
// uses are derived from a hash of the input, so every input always means the
// same run and the fuzzer still reaches every arch and option.
//
// Properties:
//   * nothing crashes; every error is one line;
//   * compile() fails only with its documented "more than 4096 instructions"
//     error — any other failure is a compiler bug;
//   * a compiled program passes the validator, and the symbolic checker
//     proves it equal to the resolved policy (policy::evaluate). A
//     counterexample or an internal checker error is a finding; running out
//     of the (deliberately small) proof budget is not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bpf/validate.h"
#include "fuzz/check.h"
#include "pipeline/pipeline.h"
#include "profile/caps.h"
#include "syscalls/arch.h"

namespace {

// FNV-1a: a stable choice of options per input.
uint64_t hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// The machine and compiler options the input's hash picks.
sysfence::pipeline::Request request_for(std::string_view text) {
  using namespace sysfence;
  pipeline::Request request;
  request.profile = "fuzz.json";
  request.text = text;
  request.read.limits.max_depth = 32;
  request.read.limits.max_values = 1 << 14;

  uint64_t h = hash(text);
  const auto arches = syscalls::all_arches();
  profile::ResolveOptions& ropts = request.resolve;
  ropts.native = arches[h % arches.size()].id;
  h /= arches.size();
  switch (h % 3) {
    case 0: ropts.caps = profile::docker_default_caps(); break;
    case 1: ropts.caps = profile::all_caps(); break;
    default: break;  // no capabilities
  }
  h /= 3;
  constexpr syscalls::KernelVersion kKernels[] = {{3, 10, 0}, {5, 8, 0}, {6, 18, 0}};
  ropts.kernel = kKernels[h % 3];
  h /= 3;
  // On the old target the actions it lacks are mapped half of the time (so
  // such profiles still reach the compiler) and refused the other half.
  if (h % 2 == 0) {
    request.target.downgrades = {{ActionKind::kKillProcess, Action::KillThread()},
                                 {ActionKind::kLog, Action::Allow()},
                                 {ActionKind::kUserNotif, Action::Errno(1)}};
  }
  h /= 2;
  if (h % 4 == 0) ropts.unknown_syscalls = profile::UnknownSyscalls::kDefault;
  h /= 4;

  constexpr compiler::Strategy kStrategies[] = {compiler::Strategy::kOptimal, compiler::Strategy::kBalanced,
                                                compiler::Strategy::kLinear};
  request.compile.strategy = kStrategies[h % 3];
  // A deliberately small proof budget: running out of it is not a finding.
  request.prove.max_paths = 200'000;
  request.prove.test_budget = 2'000;
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sysfence;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto built = pipeline::run(request_for(text));
  if (!built) {
    const pipeline::Failure& f = built.error();
    switch (f.stage) {
      case pipeline::Stage::kLoad: return 0;  // the reader's own target checks its errors
      case pipeline::Stage::kResolve: FUZZ_CHECK(fuzz::is_one_line(f.message), f.message); return 0;
      // An action the target kernel lacks, unmapped: the user's error, said in one line.
      case pipeline::Stage::kTargetKernel:
        FUZZ_CHECK(fuzz::is_one_line(f.message), f.message);
        FUZZ_CHECK(f.message.find("needs Linux") != std::string::npos, f.message);
        return 0;
      case pipeline::Stage::kCompile:
        FUZZ_CHECK(fuzz::is_one_line(f.message), f.message);
        FUZZ_CHECK(f.message.find("4096") != std::string::npos && f.message.find("internal") == std::string::npos,
                   f.message);
        return 0;
      default: FUZZ_CHECK(false, f.message); return 0;  // no ABI list to restrict; the proof must run
    }
  }
  if (auto bad = bpf::find_violation(built->compiled->program)) FUZZ_CHECK(false, bad->message);
  const verify::Verification& verified = *built->proof;
  const verify::EquivResult& eq = verified.equiv;
  FUZZ_CHECK(eq.internal_errors.empty(), eq.internal_errors.front());
  FUZZ_CHECK(eq.verdict != verify::EquivResult::Verdict::kDifferent, verify::format_verification(verified));
  FUZZ_CHECK(eq.unsupported.empty(), verify::format_verification(verified));
  return 0;
}
