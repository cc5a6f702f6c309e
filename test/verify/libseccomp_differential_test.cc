// A differential test against the REAL libseccomp (2.5.4, Debian's
// libseccomp-dev, linked into this test only): random valid Docker profiles
// are built by libseccomp the way runc does (libseccomp_build.h) and by
// sysfence's pipeline with libseccomp's semantics (64-bit argument
// comparisons on 64-bit ABIs, low words on 32-bit ones, bad-arch
// KILL_THREAD, no ENOSYS stub: runc's stub is checked against the real
// profiles by libseccomp_interop_test), for each of the native arches in
// random_profile.h; sysfence's equivalence checker then compares the two
// programs on all inputs, with full 32-bit return values.
//
// Every region where they differ must be explained by one of the classes in
// libseccomp_diff_classes.cc (each a named predicate on the concrete input
// the checker confirmed, with its reason; test/verify/data/libseccomp/
// DIFFERENTIAL.md documents them); anything else fails the test with the
// seed, the arch, the input, both return values and the profile's JSON.
// Switch a class off (`enabled = false`) when the change that removes it
// lands: the test then proves it gone.
//
// Environment: SYSFENCE_LIBSECCOMP_SEED (the generator's seed, decimal or
// 0x-hex; default fixed so CI is reproducible), SYSFENCE_LIBSECCOMP_PROFILES
// (how many profiles; default 1000), SYSFENCE_LIBSECCOMP_DUMP (a directory
// for the failing profiles and libseccomp's filters).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/raw.h"
#include "pipeline/pipeline.h"
#include "profile/caps.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "test/verify/libseccomp_build.h"
#include "test/verify/libseccomp_diff_classes.h"
#include "test/verify/random_profile.h"
#include "verify/equiv.h"
#include "verify/symbolic.h"

namespace sysfence {
namespace {

using testing::DiffClass;
using testing::Difference;
using testing::LibseccompBuild;
using testing::NativeArch;
using testing::RandomProfile;

constexpr uint64_t kDefaultSeed = 0x5eccd1ff2026ULL;
constexpr unsigned kDefaultProfiles = 1000;
// Inputs tested where libseccomp's program leaves the symbolic fragment.
constexpr uint64_t kTestBudget = 20000;

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoull(text, nullptr, 0);
}

// --- the run -----------------------------------------------------------------

std::vector<std::string> name_pool() {
  std::set<std::string> names;
  for (const NativeArch& n : testing::native_arches()) {
    const syscalls::Arch* a = syscalls::find_arch(n.sysfence);
    for (const syscalls::Syscall& s : syscalls::table(*a).entries()) names.emplace(s.name);
  }
  // Names no ABI knows (a typo; a name from the future).
  names.insert("getrandon");
  names.insert("no_such_syscall");
  return {names.begin(), names.end()};
}

Expected<bpf::Program> compile_with_sysfence(const std::string& json, const syscalls::Arch& abi) {
  pipeline::Request request;
  request.profile = "random.json";
  request.text = json;
  request.resolve.native = abi.id;
  request.resolve.caps = profile::docker_default_caps();
  request.resolve.kernel = {6, 1};
  request.resolve.unknown_syscalls = profile::UnknownSyscalls::kDefault;
  request.resolve.arg_width = profile::ArgWidthMode::k64;
  request.resolve.bad_arch_action = Action::KillThread();
  request.target.bad_arch_chosen = true;
  request.last = pipeline::Stage::kCompile;
  auto built = pipeline::run(request);
  if (!built) return fail(built.error().message);
  return std::move(built->compiled->program);
}

struct Tally {
  unsigned profiles = 0, builds = 0, compared = 0, identical_verdicts = 0, differing_builds = 0;
  unsigned tested_only = 0;  // libseccomp's program left the symbolic fragment
  size_t swapped_returns = 0;
  std::map<std::string, unsigned> refusals;  // libseccomp refused: runc would not start the container
  std::map<std::string_view, unsigned> explained;
  std::vector<std::string> failures;
};

std::string describe(const Difference& d) {
  std::string args;
  for (uint64_t a : d.input.args) args += fmt::format(" {:#x}", a);
  return fmt::format("{} nr {} ({}) args{}: libseccomp {}, sysfence {}", d.abi->name, d.input.nr,
                     testing::sysfence_name(d), args, to_string(decode(d.libseccomp)), to_string(decode(d.sysfence)));
}

// With SYSFENCE_LIBSECCOMP_DUMP=DIR, each failing case's profile and
// libseccomp's filter are written there (N.ARCH.json, N.ARCH.libseccomp.bpf)
// for `sysfence verify` / `diff` / `disasm`.
void dump_failure(size_t n, const NativeArch& native, const std::string& json, const std::vector<uint8_t>& raw) {
  const char* dir = std::getenv("SYSFENCE_LIBSECCOMP_DUMP");
  if (dir == nullptr || *dir == '\0') return;
  const std::string base = fmt::format("{}/{}.{}", dir, n, native.sysfence);
  if (std::FILE* f = std::fopen((base + ".json").c_str(), "w")) {
    std::fwrite(json.data(), 1, json.size(), f);
    std::fclose(f);
  }
  if (std::FILE* f = std::fopen((base + ".libseccomp.bpf").c_str(), "w")) {
    std::fwrite(raw.data(), 1, raw.size(), f);
    std::fclose(f);
  }
}

void compare_one(const RandomProfile& p, const std::string& json, const NativeArch& native, Tally& tally) {
  const syscalls::Arch& abi = *syscalls::find_arch(native.sysfence);
  const bool swap_returns = abi.endian == Endian::kBig && bpf::host_endian() == Endian::kLittle;
  const LibseccompBuild lib = testing::build_with_libseccomp(p, native, swap_returns);
  ++tally.builds;
  if (lib.refused) {
    const std::string why = testing::refusal_reason(lib, abi);
    if (why.empty()) {
      tally.failures.push_back(fmt::format("{}: libseccomp refused {}: {}\nprofile:\n{}", native.sysfence, lib.refusal,
                                           strerror(lib.refusal_errno), json));
    }
    tally.refusals[why]++;
    return;
  }
  tally.swapped_returns += lib.swapped_returns;
  auto fail_with = [&](const std::string& what) {
    tally.failures.push_back(fmt::format("{}: {}\nprofile:\n{}", native.sysfence, what, json));
    dump_failure(tally.failures.size(), native, json, lib.raw);
  };
  auto lib_program = bpf::read_raw(lib.raw, abi.endian, "libseccomp");
  if (!lib_program) return fail_with(lib_program.error().message);
  auto lib_proc = verify::BpfProcedure::create(*lib_program);
  if (!lib_proc) return fail_with("libseccomp's filter: " + lib_proc.error().message);
  auto ours = compile_with_sysfence(json, abi);
  if (!ours) return fail_with("sysfence: " + ours.error().message);
  auto our_proc = verify::BpfProcedure::create(std::move(*ours));
  if (!our_proc) return fail_with("sysfence's filter: " + our_proc.error().message);
  verify::EquivOptions options;
  options.max_mismatches = 100000;
  options.test_budget = kTestBudget;
  const verify::EquivResult r = verify::check_equivalent(*lib_proc, *our_proc, options);
  ++tally.compared;
  if (r.proved && r.mismatch_limit_reached) return fail_with("more differences than the checker collects");
  for (const std::string& e : r.internal_errors) return fail_with("checker internal error: " + e);
  std::vector<verify::Mismatch> mismatches = r.mismatches;
  if (!r.proved) {
    // Only libseccomp's own program may leave the symbolic fragment (an
    // ordered comparison of a masked word: its stale accumulator). The
    // differences the checker found (by the walk, or by testing when the
    // walk could not decide) stand; more inputs are tested here, and every
    // difference found is classified.
    const bool ours = std::any_of(r.unsupported.begin(), r.unsupported.end(),
                                  [](const verify::UnsupportedPath& u) { return u.side != 0; });
    if (ours || r.unsupported.empty()) return fail_with("no proof: " + r.not_proved_reason);
    ++tally.tested_only;
    verify::for_each_test_input(*lib_proc, *our_proc, {}, kTestBudget, 0x5ecc, [&](const SeccompWords& in) {
      const Action a = lib_proc->run(in);
      const Action b = our_proc->run(in);
      if (a == b) return true;
      verify::Mismatch m;
      m.input = in;
      m.a_action = a;
      m.b_action = b;
      mismatches.push_back(std::move(m));
      return mismatches.size() < 64;
    });
  }
  if (mismatches.empty()) return void(++tally.identical_verdicts);
  ++tally.differing_builds;
  for (const verify::Mismatch& m : mismatches) {
    Difference d{
        &native,           &abi, &p, &lib, &*lib_program, m.input, from_words(m.input, abi.endian), encode(m.a_action),
        encode(m.b_action)};
    const DiffClass* by = nullptr;
    for (const DiffClass& c : testing::difference_classes())
      if (c.enabled && c.explains(d)) {
        by = &c;
        break;
      }
    if (by != nullptr) {
      tally.explained[by->name]++;
    } else {
      fail_with("unexplained difference: " + describe(d));
    }
  }
}

TEST(LibseccompDifferential, EveryDifferenceIsADocumentedClass) {
  const uint64_t seed = env_number("SYSFENCE_LIBSECCOMP_SEED", kDefaultSeed);
  const auto count = static_cast<unsigned>(env_number("SYSFENCE_LIBSECCOMP_PROFILES", kDefaultProfiles));
  std::printf("seed %#llx (set SYSFENCE_LIBSECCOMP_SEED to repeat), %u profiles\n",
              static_cast<unsigned long long>(seed), count);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> pool = name_pool();
  std::mt19937_64 rng(seed);
  Tally tally;
  for (unsigned i = 0; i < count && tally.failures.size() < 20; ++i) {
    const RandomProfile p = testing::random_profile(rng, pool);
    const std::string json = testing::to_json(p);
    ++tally.profiles;
    for (const NativeArch& native : testing::native_arches()) compare_one(p, json, native, tally);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%u profiles, %u builds, %u compared (%u proved equal, %u with explained differences), %.1f s\n",
              tally.profiles, tally.builds, tally.compared, tally.identical_verdicts, tally.differing_builds, seconds);
  std::printf("cross-endian rets swapped back: %zu\n", tally.swapped_returns);
  std::printf("libseccomp's program outside the symbolic fragment (compared by testing): %u\n", tally.tested_only);
  for (const auto& [why, n] : tally.refusals)
    std::printf("refused by libseccomp (runc would not start): %s: %u\n", why.empty() ? "UNEXPLAINED" : why.c_str(), n);
  for (const DiffClass& c : testing::difference_classes())
    std::printf("class %s%s: %u differences\n", std::string(c.name).c_str(), c.enabled ? "" : " (off)",
                tally.explained[c.name]);
  EXPECT_GE(tally.profiles, count);
  for (const std::string& f : tally.failures) ADD_FAILURE() << "seed " << fmt::format("{:#x}", seed) << ": " << f;
}

// The harness itself: hand-made profiles whose differences are known.
testing::ProfileEntry entry(std::string name, testing::ProfileActionKind action, std::optional<uint64_t> errno_ret,
                            std::vector<testing::ProfileArg> args = {}) {
  testing::ProfileEntry e;
  e.names = {std::move(name)};
  e.action = action;
  e.errno_ret = errno_ret;
  e.args = std::move(args);
  return e;
}

const NativeArch& x86_64() { return testing::native_arches()[0]; }

// mseal (no number in libseccomp 2.5.4) allowed; read ERRNO(5), then
// KILL_PROCESS when a0 == 3: libseccomp keeps the first, sysfence the most
// restrictive. Each difference lands in its class, and nothing else differs.
TEST(LibseccompDifferential, KnownDifferencesLandInTheirClasses) {
  using K = testing::ProfileActionKind;
  RandomProfile p;
  p.default_action = K::kErrno;
  p.syscalls.push_back(entry("mseal", K::kAllow, std::nullopt));
  p.syscalls.push_back(entry("read", K::kErrno, 5));
  p.syscalls.push_back(entry("read", K::kKillProcess, std::nullopt, {{0, "SCMP_CMP_EQ", 3, 0}}));
  ASSERT_EQ(x86_64().sysfence, "x86_64");
  Tally tally;
  compare_one(p, testing::to_json(p), x86_64(), tally);
  EXPECT_EQ(tally.compared, 1u);
  EXPECT_TRUE(tally.failures.empty()) << tally.failures.front();
  EXPECT_EQ(tally.explained["unknown-to-libseccomp"], 1u);
  EXPECT_EQ(tally.explained["overlapping-rules"], 1u);
}

// A sysfence filter for another profile than libseccomp's (read allowed for
// a0 == 2 instead of 1) differs in ways no class explains: the test fails.
TEST(LibseccompDifferential, AWrongFilterIsUnexplained) {
  using K = testing::ProfileActionKind;
  RandomProfile p;
  p.default_action = K::kErrno;
  p.syscalls.push_back(entry("read", K::kAllow, std::nullopt, {{0, "SCMP_CMP_EQ", 1, 0}}));
  RandomProfile other = p;
  other.syscalls[0].args[0].value = 2;
  Tally tally;
  compare_one(p, testing::to_json(other), x86_64(), tally);
  ASSERT_EQ(tally.failures.size(), 2u);  // read(1) and read(2)
  for (const std::string& f : tally.failures)
    EXPECT_NE(f.find("unexplained difference: x86_64 nr 0 (read)"), std::string::npos) << f;
}

}  // namespace
}  // namespace sysfence
