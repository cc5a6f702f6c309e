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
#include "compiler/compile.h"
#include "fuzz/check.h"
#include "profile/caps.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "verify/verify.h"

namespace {

// FNV-1a: a stable choice of options per input.
uint64_t hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sysfence;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  profile::ReadOptions read_options;
  read_options.limits.max_depth = 32;
  read_options.limits.max_values = 1 << 14;
  auto read = profile::read_profile(text, "fuzz.json", read_options);
  if (!read) return 0;  // the reader's own target checks its errors

  uint64_t h = hash(text);
  const auto arches = syscalls::all_arches();
  profile::ResolveOptions ropts;
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
  if (h % 4 == 0) ropts.unknown_syscalls = profile::UnknownSyscalls::kDefault;
  h /= 4;

  auto resolution = profile::resolve(read->profile, ropts);
  if (!resolution) {
    FUZZ_CHECK(fuzz::is_one_line(resolution.error().message), resolution.error().message);
    return 0;
  }

  compiler::CompileOptions copts;
  constexpr compiler::Strategy kStrategies[] = {compiler::Strategy::kOptimal, compiler::Strategy::kBalanced,
                                                compiler::Strategy::kLinear};
  copts.strategy = kStrategies[h % 3];
  auto compiled = compiler::compile(resolution->policy, copts);
  if (!compiled) {
    const std::string& m = compiled.error().message;
    FUZZ_CHECK(fuzz::is_one_line(m), m);
    FUZZ_CHECK(m.find("4096") != std::string::npos && m.find("internal") == std::string::npos, m);
    return 0;
  }
  const bpf::Program& program = compiled->program;
  if (auto bad = bpf::find_violation(program)) FUZZ_CHECK(false, bad->message);

  verify::EquivOptions eopts;
  eopts.max_paths = 200'000;
  eopts.test_budget = 2'000;
  auto verified = verify::prove_equivalent(program, resolution->policy, eopts);
  FUZZ_CHECK(verified.has_value(), verified.error().message);
  const verify::EquivResult& eq = verified->equiv;
  FUZZ_CHECK(eq.internal_errors.empty(), eq.internal_errors.front());
  FUZZ_CHECK(eq.verdict != verify::EquivResult::Verdict::kDifferent, verify::format_verification(*verified));
  FUZZ_CHECK(eq.unsupported.empty(), verify::format_verification(*verified));
  return 0;
}
