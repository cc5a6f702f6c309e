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
// for the failing profiles and libseccomp's filters),
// SYSFENCE_LIBSECCOMP_TIMEOUT_MS (how long libseccomp may take for one build
// before it counts as hung; default 5000).
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

// sysfence's filter for the profile with libseccomp's semantics, exactly as
// `--semantics libseccomp` presets them (tools/cli/resolve_flags.cc), and the
// resolution's notes (which say where sysfence does not model libseccomp).
struct SysfenceBuild {
  bpf::Program program;
  std::vector<std::string> notes;
};

Expected<SysfenceBuild> compile_with_sysfence(const std::string& json, const syscalls::Arch& abi) {
  pipeline::Request request;
  request.profile = "random.json";
  request.text = json;
  request.resolve.native = abi.id;
  request.resolve.caps = profile::docker_default_caps();
  request.resolve.kernel = {6, 1};
  request.resolve.unknown_syscalls = profile::UnknownSyscalls::kDefault;
  request.resolve.arg_width = profile::ArgWidthMode::k64;
  request.resolve.bad_arch_action = Action::KillThread();
  request.resolve.multiplex = profile::MultiplexRewrite::kLibseccomp;
  request.resolve.combination = profile::RuleCombination::kLibseccompDatabase;
  request.target.bad_arch_chosen = true;
  request.last = pipeline::Stage::kCompile;
  auto built = pipeline::run(request);
  if (!built) return fail(built.error().message);
  return SysfenceBuild{std::move(built->compiled->program), std::move(built->resolution.notes)};
}

// Whether the resolution says sysfence does not model libseccomp's rule tree
// for `name` on `abi` (it then takes the most restrictive of the overlapping
// rules, or the rules as written): the inputs of that syscall are skipped.
bool not_modelled(const std::vector<std::string>& notes, const std::string& name, const syscalls::Arch& abi) {
  const std::string who = fmt::format(" {} ({})", name, abi.name);
  return std::ranges::any_of(notes, [&](const std::string& n) {
    return n.find(who) != std::string::npos &&
           (n.find("does not model") != std::string::npos || n.find("only as far as") != std::string::npos);
  });
}

struct Tally {
  unsigned profiles = 0, builds = 0, compared = 0, identical_verdicts = 0, differing_builds = 0;
  unsigned tested_only = 0;          // libseccomp's program left the symbolic fragment
  unsigned not_modelled_builds = 0;  // compared builds whose only differences are on not-modelled syscalls
  size_t not_modelled_inputs = 0;    // differences skipped: the resolution notes the syscall as not modelled
  size_t unexplained = 0;            // differences no class explains: each a failure
  // Per (build, syscall of its ABI's table): proved equal, or the class of
  // its first difference.
  size_t syscalls_equal = 0;
  std::map<std::string, size_t> syscalls_by_class;
  // libseccomp refuses, sysfence accepts: an ERRNO above 4095 (sysfence
  // warns), or conflicting rules of a syscall the ABI lacks.
  std::map<std::string, unsigned> only_libseccomp_refuses;
  // sysfence refuses, libseccomp loads: conflicting rules of a syscall
  // libseccomp 2.5.4 has no number for (runc skips the name).
  std::map<std::string, unsigned> only_sysfence_refuses;
  size_t swapped_returns = 0;
  std::map<std::string, unsigned> both_refuse;  // libseccomp and sysfence both refuse: runc would not start
  // libseccomp did not finish the build (seccomp_rule_add_array loops): the
  // arch and profile of each, printed; runc would hang on them too.
  std::vector<std::string> libseccomp_hangs;
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

// Whether libseccomp's export for `native` needs its `ret`s checked for
// host byte order (a big-endian target on a little-endian host).
bool swap_returns(const NativeArch& native) {
  return syscalls::find_arch(native.sysfence)->endian == Endian::kBig && bpf::host_endian() == Endian::kLittle;
}

// libseccomp's build of `p` for `native` (lib) compared with sysfence's.
void compare_one(const RandomProfile& p, const std::string& json, const NativeArch& native, const LibseccompBuild& lib,
                 Tally& tally) {
  const syscalls::Arch& abi = *syscalls::find_arch(native.sysfence);
  ++tally.builds;
  auto ours = compile_with_sysfence(json, abi);
  if (lib.hung) {
    tally.libseccomp_hangs.push_back(fmt::format("{}: {}", native.sysfence, json));
    return;
  }
  if (lib.refused) {
    // runc would not start the container: sysfence must refuse it too.
    const std::string why = testing::refusal_reason(lib, abi);
    if (!why.empty() && ours && why.find("EINVAL") != std::string::npos) {
      tally.only_libseccomp_refuses[why]++;
      return;
    }
    // libseccomp keeps the rules of a name this ABI has no syscall for under
    // its pseudo number (__PNR_*), and refuses conflicting ones (EEXIST)
    // though they never reach the filter; sysfence drops such a name on the
    // ABI before its rule database sees it.
    if (!why.empty() && ours && lib.refusal_errno == EEXIST && lib.refused_rule &&
        !syscalls::table(abi).number(lib.refused_rule->name)) {
      tally.only_libseccomp_refuses["EEXIST between rules of a syscall the ABI lacks (pseudo number)"]++;
      return;
    }
    if (why.empty() || ours) {
      tally.failures.push_back(fmt::format("{}: libseccomp refused {}: {} ({}), sysfence {}\nprofile:\n{}",
                                           native.sysfence, lib.refusal, strerror(lib.refusal_errno),
                                           why.empty() ? "no known reason" : why,
                                           ours ? "accepts it" : "refuses it: " + ours.error().message, json));
      return;
    }
    tally.both_refuse[why]++;
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
  if (!ours) {
    // A conflict (EEXIST) between rules of a syscall libseccomp 2.5.4 has no
    // number for: runc skips the name, so libseccomp never sees it.
    const std::string& message = ours.error().message;
    const size_t give = message.find(" give ");
    const size_t paren = give == std::string::npos ? give : message.find(" (", give + 6);
    if (paren != std::string::npos && message.find("EEXIST") != std::string::npos &&
        testing::libseccomp_number(native, message.substr(give + 6, paren - give - 6)) < 0) {
      tally.only_sysfence_refuses["EEXIST between rules of a syscall unknown to libseccomp (runc skips it)"]++;
      return;
    }
    return fail_with("sysfence refuses what libseccomp loads: " + message);
  }
  auto our_proc = verify::BpfProcedure::create(std::move(ours->program));
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
  // Each syscall of the ABI lands in one class: the first of its differences
  // decides; a syscall without any is proved equal.
  std::map<uint32_t, std::string> syscall_class;
  size_t classified = 0;
  for (const verify::Mismatch& m : mismatches) {
    Difference d{
        &native,           &abi, &p, &lib, &*lib_program, m.input, from_words(m.input, abi.endian), encode(m.a_action),
        encode(m.b_action)};
    if (not_modelled(ours->notes, testing::sysfence_name(d), abi)) {
      ++tally.not_modelled_inputs;
      syscall_class.try_emplace(d.input.nr, "not-modelled");
      continue;
    }
    ++classified;
    const DiffClass* by = nullptr;
    for (const DiffClass& c : testing::difference_classes())
      if (c.enabled && c.explains(d)) {
        by = &c;
        break;
      }
    if (by != nullptr) {
      tally.explained[by->name]++;
      syscall_class.try_emplace(d.input.nr, by->name);
    } else {
      ++tally.unexplained;
      syscall_class.try_emplace(d.input.nr, "unexplained");
      fail_with("unexplained difference: " + describe(d));
    }
  }
  size_t known_differing = 0;
  for (const auto& [nr, name] : syscall_class) {
    tally.syscalls_by_class[name]++;
    known_differing += syscalls::table(abi).name(nr).has_value();
  }
  tally.syscalls_equal += syscalls::table(abi).entries().size() - known_differing;
  if (mismatches.empty()) return void(++tally.identical_verdicts);
  ++(classified == 0 ? tally.not_modelled_builds : tally.differing_builds);
}

TEST(LibseccompDifferential, EveryDifferenceIsADocumentedClass) {
  const uint64_t seed = env_number("SYSFENCE_LIBSECCOMP_SEED", kDefaultSeed);
  const auto count = static_cast<unsigned>(env_number("SYSFENCE_LIBSECCOMP_PROFILES", kDefaultProfiles));
  std::printf("seed %#llx (set SYSFENCE_LIBSECCOMP_SEED to repeat), %u profiles\n",
              static_cast<unsigned long long>(seed), count);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> pool = name_pool();
  std::mt19937_64 rng(seed);
  std::vector<RandomProfile> profiles;
  profiles.reserve(count);
  std::vector<testing::LibseccompJob> jobs;
  for (unsigned i = 0; i < count; ++i) {
    profiles.push_back(testing::random_profile(rng, pool));
    for (const NativeArch& native : testing::native_arches())
      jobs.push_back({&profiles.back(), &native, swap_returns(native)});
  }
  testing::LibseccompBuilder libseccomp(std::move(jobs));
  Tally tally;
  for (const RandomProfile& p : profiles) {
    if (tally.failures.size() >= 20) break;
    const std::string json = testing::to_json(p);
    ++tally.profiles;
    for (const NativeArch& native : testing::native_arches()) compare_one(p, json, native, libseccomp.next(), tally);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%u profiles, %u builds, %u compared, %.1f s\n", tally.profiles, tally.builds, tally.compared, seconds);
  std::printf("class equal (proved, or equal on every input tested): %u builds\n", tally.identical_verdicts);
  unsigned refused = 0;
  for (const auto& [why, n] : tally.both_refuse) {
    std::printf("class both-refuse (runc would not start; sysfence refuses too): %s: %u builds\n", why.c_str(), n);
    refused += n;
  }
  for (const auto& [why, n] : tally.only_libseccomp_refuses) {
    refused += n;
    std::printf(
        "class only-libseccomp-refuses (sysfence accepts; an ERRNO above 4095 gets its warning): %s: %u builds\n",
        why.c_str(), n);
  }
  for (const auto& [why, n] : tally.only_sysfence_refuses) {
    refused += n;
    std::printf("class only-sysfence-refuses: %s: %u builds\n", why.c_str(), n);
  }
  refused += static_cast<unsigned>(tally.libseccomp_hangs.size());
  std::printf("class libseccomp-hangs (seccomp_rule_add_array did not return within %u ms): %zu builds\n",
              testing::libseccomp_timeout_ms(), tally.libseccomp_hangs.size());
  for (size_t i = 0; i < tally.libseccomp_hangs.size() && i < 3; ++i)
    std::printf("libseccomp hangs on %s\n", tally.libseccomp_hangs[i].c_str());
  std::printf(
      "class not-modelled (differences only on syscalls the resolution notes as not modelled): %u builds, "
      "%zu inputs skipped\n",
      tally.not_modelled_builds, tally.not_modelled_inputs);
  std::printf("builds with differences in the documented classes below: %u\n", tally.differing_builds);
  for (const DiffClass& c : testing::difference_classes())
    std::printf("class %s%s: %u differences\n", std::string(c.name).c_str(), c.enabled ? "" : " (off)",
                tally.explained[c.name]);
  std::printf("class unexplained: %zu differences\n", tally.unexplained);
  size_t syscalls_differing = 0;
  std::printf("per syscall of each compared build: equal %zu", tally.syscalls_equal);
  for (const auto& [name, n] : tally.syscalls_by_class) {
    std::printf(", %s %zu", name.c_str(), n);
    syscalls_differing += n;
  }
  std::printf("\n");
  std::printf("cross-endian rets swapped back: %zu\n", tally.swapped_returns);
  std::printf("libseccomp's program outside the symbolic fragment (compared by testing): %u\n", tally.tested_only);
  EXPECT_GE(tally.profiles, count);
  EXPECT_EQ(tally.unexplained, 0u);
  // The equal class is the large majority: of the syscalls of the builds
  // compared (a build differing on one syscall is still equal on the rest),
  // and of the builds libseccomp loads.
  EXPECT_GE(tally.syscalls_equal, 50 * syscalls_differing)
      << tally.syscalls_equal << " syscalls equal, " << syscalls_differing << " differ";
  EXPECT_GE(tally.identical_verdicts * 2, tally.builds - refused)
      << tally.identical_verdicts << " builds equal of " << tally.builds - refused << " loaded";
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

LibseccompBuild build(const RandomProfile& p, const NativeArch& native) {
  testing::LibseccompBuilder one({{&p, &native, swap_returns(native)}});
  return one.next();
}

// mseal (no number in libseccomp 2.5.4) allowed: sysfence's libseccomp view
// (--multiplex libseccomp) drops its rule as runc and libseccomp do, so it
// does not differ. read ERRNO(5), then KILL_PROCESS when a0 == 3: libseccomp
// keeps the first unconditional rule, and so does sysfence with libseccomp's
// rule database: read does not differ either.
TEST(LibseccompDifferential, KnownDifferencesLandInTheirClasses) {
  using K = testing::ProfileActionKind;
  RandomProfile p;
  p.default_action = K::kErrno;
  p.syscalls.push_back(entry("mseal", K::kAllow, std::nullopt));
  p.syscalls.push_back(entry("read", K::kErrno, 5));
  p.syscalls.push_back(entry("read", K::kKillProcess, std::nullopt, {{0, "SCMP_CMP_EQ", 3, 0}}));
  ASSERT_EQ(x86_64().sysfence, "x86_64");
  Tally tally;
  compare_one(p, testing::to_json(p), x86_64(), build(p, x86_64()), tally);
  EXPECT_EQ(tally.compared, 1u);
  EXPECT_TRUE(tally.failures.empty()) << tally.failures.front();
  EXPECT_EQ(tally.explained["unknown-to-libseccomp"], 0u);
  EXPECT_EQ(tally.explained["overlapping-rules"], 0u);
  EXPECT_EQ(tally.differing_builds, 0u);
  EXPECT_EQ(tally.unexplained, 0u);
}

const NativeArch& native_named(std::string_view name) {
  for (const NativeArch& n : testing::native_arches())
    if (n.sysfence == name) return n;
  ADD_FAILURE() << "no native arch " << name;
  return x86_64();
}

// s390x, default KILL, semop KILL_PROCESS: libseccomp 2.5.4 keeps the rule
// under semop's pseudo number as well as on ipc with a0 == 1 (SEMOP). That
// entry has the highest priority and is never emitted, and the syscall
// number is loaded only by the first syscall block emitted for it, so no
// block loads it: the filter compares the arch word with 117 and answers
// KILL_THREAD for ipc(1), where its own rules say KILL_PROCESS. sysfence's
// libseccomp semantics answers so too (profile/resolve_number_load.cc):
// the two filters agree.
TEST(LibseccompDifferential, AMultiplexedRuleBehindAMissingSyscallLoadIsModelled) {
  using K = testing::ProfileActionKind;
  RandomProfile p;
  p.default_action = K::kKill;
  p.syscalls.push_back(entry("semop", K::kKillProcess, std::nullopt));
  const NativeArch& s390x = native_named("s390x");
  Tally tally;
  compare_one(p, testing::to_json(p), s390x, build(p, s390x), tally);
  EXPECT_EQ(tally.compared, 1u);
  EXPECT_TRUE(tally.failures.empty()) << tally.failures.front();
  EXPECT_TRUE(tally.explained.empty()) << tally.explained.begin()->first;
  EXPECT_EQ(tally.unexplained, 0u);
}

// libseccomp 2.5.4 never returns from seccomp_rule_add_array for the second
// of these rules (x86_64, default ALLOW): gettid KILL if a0 < 5 and a2 == 2,
// then KILL_PROCESS if a0 < 5 and a4 >= 53. The builder reports that build
// as hung and builds the next job in a new worker.
TEST(LibseccompDifferential, ALibseccompHangIsReportedAndTheNextBuildStillRuns) {
  using K = testing::ProfileActionKind;
  RandomProfile hangs;
  hangs.default_action = K::kAllow;
  hangs.syscalls.push_back(
      entry("gettid", K::kKill, std::nullopt, {{2, "SCMP_CMP_EQ", 2, 0}, {0, "SCMP_CMP_LT", 5, 0}}));
  hangs.syscalls.push_back(
      entry("gettid", K::kKillProcess, std::nullopt, {{0, "SCMP_CMP_LT", 5, 0}, {4, "SCMP_CMP_GE", 53, 0}}));
  RandomProfile fine = hangs;
  fine.syscalls.pop_back();
  testing::LibseccompBuilder builder({{&hangs, &x86_64(), false}, {&fine, &x86_64(), false}}, 500);
  const LibseccompBuild first = builder.next();
  EXPECT_TRUE(first.hung);
  const LibseccompBuild second = builder.next();
  EXPECT_FALSE(second.hung);
  EXPECT_FALSE(second.refused) << second.refusal;
  EXPECT_EQ(second.rules.size(), 1u);
  EXPECT_FALSE(second.raw.empty());
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
  compare_one(p, testing::to_json(other), x86_64(), build(p, x86_64()), tally);
  ASSERT_EQ(tally.failures.size(), 2u);  // read(1) and read(2)
  for (const std::string& f : tally.failures)
    EXPECT_NE(f.find("unexplained difference: x86_64 nr 0 (read)"), std::string::npos) << f;
}

// The same on a multiplexer: reading socket/IPC rules on ipc (s390x) does
// not make a wrong filter there explained. sysfence's filter allows shmget
// and ipc(SHMGET, ...) for a2 == 2 where libseccomp's does for a2 == 1.
TEST(LibseccompDifferential, AWrongMultiplexerFilterIsUnexplained) {
  using K = testing::ProfileActionKind;
  RandomProfile p;
  p.default_action = K::kErrno;
  p.syscalls.push_back(entry("write", K::kAllow, std::nullopt));
  p.syscalls.push_back(entry("shmget", K::kAllow, std::nullopt, {{2, "SCMP_CMP_EQ", 1, 0}}));
  RandomProfile other = p;
  other.syscalls[1].args[0].value = 2;
  const NativeArch& s390x = native_named("s390x");
  Tally tally;
  compare_one(p, testing::to_json(other), s390x, build(p, s390x), tally);
  EXPECT_EQ(tally.explained["libseccomp-stale-accumulator"], 0u);
  bool ipc = false;
  for (const std::string& f : tally.failures) {
    EXPECT_NE(f.find("unexplained difference: s390x"), std::string::npos) << f;
    ipc = ipc || f.find("nr 117 (ipc) args 0x17") != std::string::npos;
  }
  EXPECT_TRUE(ipc) << "no unexplained difference on ipc(SHMGET, ...)";
}

}  // namespace
}  // namespace sysfence
