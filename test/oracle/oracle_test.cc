// The compiler against an independent oracle: random Docker profiles are
// compiled by sysfence (read_profile -> resolve -> compile) and the program
// is run in the interpreter on seccomp_data chosen around every boundary the
// profile draws; each full 32-bit return value must equal what the naive
// reading of the same JSON (naive_profile.h) answers. Nothing here or there
// calls policy::evaluate, so a misreading shared by the resolver and the
// reference evaluator shows up as a mismatch.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bpf/interp.h"
#include "compiler/compile.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/table.h"
#include "test/oracle/naive_profile.h"

namespace sysfence::oracle {
namespace {

namespace json = boost::json;
using syscalls::ArchId;

// Fixes on their way from other branches. With a switch on, the generator
// makes the cases the fix changes and the oracle expects the fixed answer;
// off, those cases are not generated (the oracle's reading cannot differ).
// A switch is off only while its fix has not reached this tree: turn it on
// with the fix. A mismatch the failure message attributes to no switch is a
// bug in the compiler or the resolver.
//  MASKED_EQ compares (arg & mask) == (datum & mask), as Docker and
//  libseccomp do; off: only data inside the mask are generated.
constexpr bool kExpectDockerMaskedEq = true;
//  Syscall number 0xffffffff under AUDIT_ARCH_X86_64 is an ordinary x86_64
//  number (x86_64's rules, default action or ENOSYS answer, as runc's
//  filters); off: that number is not probed.
constexpr bool kExpectNrMinus1Normal = true;
//  Numbers from the x32 bit up (0x40000000..0xfffffffe, unsigned, as
//  libseccomp) under AUDIT_ARCH_X86_64 get x32's decision;
//  off: they are not probed.
constexpr bool kExpectX32Decision = true;

// SYSFENCE_ORACLE_SEED and SYSFENCE_ORACLE_PROFILES override these for a
// longer hunt by hand; the test as run by `bazel test` uses the defaults.
constexpr unsigned kProfiles = 300;
constexpr uint64_t kSeed = 0x5eccf00d;

uint64_t from_env(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 0) : fallback;
}

constexpr ArchId kNatives[] = {ArchId::kX86_64,  ArchId::kAarch64, ArchId::kArm,     ArchId::kRiscv64,
                               ArchId::kPpc64le, ArchId::kS390x,   ArchId::kMips64el};

struct Rng {
  std::mt19937_64 engine;
  uint64_t below(uint64_t n) { return n == 0 ? 0 : engine() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
};

const std::vector<uint64_t> kEdges = {0,
                                      1,
                                      0x7fffffffULL,
                                      0x80000000ULL,
                                      0xffffffffULL,
                                      0x100000000ULL,
                                      0x100000001ULL,
                                      0x8000000000000000ULL,
                                      0xffffffffffffffffULL,
                                      0xffffffff80000000ULL,
                                      0x26,
                                      0x1f0};

uint64_t random_value(Rng& rng) {
  switch (rng.below(4)) {
    case 0: return rng.below(64);
    case 1: return rng.engine() & 0xffffffffULL;
    case 2: return rng.engine();
    default: return rng.pick(kEdges);
  }
}

const std::vector<std::string> kOps = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                                       "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
const std::vector<std::string> kCaps = {"CAP_SYS_ADMIN", "CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_PTRACE"};
const std::vector<std::string> kMobyArches = {"amd64", "arm64", "arm", "riscv64", "ppc64le", "s390x", "x86", "mips64"};
const std::vector<std::string> kKernels = {"4.14", "5.8", "6.1", "6.2"};
const std::vector<uint64_t> kErrnos = {0, 1, 13, 38, 89, 4095, 4096, 65535, 65541};
const std::vector<std::string> kCommonNames = {"read",
                                               "write",
                                               "openat",
                                               "socket",
                                               "clone",
                                               "ioctl",
                                               "mmap",
                                               "kill",
                                               "futex",
                                               "prctl",
                                               "open",
                                               "socketcall",
                                               "stat64",
                                               "ipc",
                                               "personality",
                                               "no_such_call",
                                               "fadvise64_64",
                                               "sync_file_range2",
                                               "arm_sync_file_range",
                                               "umount",
                                               "_newselect",
                                               "restart_syscall",
                                               "exit_group"};

struct Spec {
  std::string text;  // the JSON
  profile::ResolveOptions resolve;
  NaiveOptions naive;
  std::string describe_options() const;
};

json::object random_action(Rng& rng, bool for_default) {
  static const std::vector<std::string> rule_actions = {
      "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
      "SCMP_ACT_ERRNO", "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",       "SCMP_ACT_LOG",
      "SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW",        "SCMP_ACT_NOTIFY"};
  json::object o;
  std::string a;
  do a = rng.pick(rule_actions);
  while (for_default && a == "SCMP_ACT_NOTIFY");
  o[for_default ? "defaultAction" : "action"] = a;
  if ((a == "SCMP_ACT_ERRNO" || a == "SCMP_ACT_TRACE") && rng.chance(70))
    o[for_default ? "defaultErrnoRet" : "errnoRet"] = rng.pick(kErrnos);
  return o;
}

json::object random_filter(Rng& rng) {
  json::object f;
  if (rng.chance(40)) {
    json::array a;
    for (unsigned i = 0, n = 1 + static_cast<unsigned>(rng.below(2)); i < n; ++i) a.emplace_back(rng.pick(kMobyArches));
    f["arches"] = a;
  }
  if (rng.chance(40)) {
    json::array c;
    for (unsigned i = 0, n = 1 + static_cast<unsigned>(rng.below(2)); i < n; ++i) c.emplace_back(rng.pick(kCaps));
    f["caps"] = c;
  }
  if (rng.chance(30)) f["minKernel"] = rng.pick(kKernels);
  return f;
}

json::object random_arg(Rng& rng) {
  json::object a;
  a["index"] = rng.below(6);
  std::string op = rng.pick(kOps);
  a["op"] = op;
  uint64_t value = random_value(rng);
  a["value"] = value;
  uint64_t two = random_value(rng);
  if (op == "SCMP_CMP_MASKED_EQ" && !kExpectDockerMaskedEq) two &= value;
  a["valueTwo"] = two;
  return a;
}

std::string random_name(Rng& rng, ArchId native) {
  const auto& t = syscalls::table(native);
  switch (rng.below(4)) {
    case 0: return std::string(t.entries()[t.size() - 1 - rng.below(3)].name);
    case 1: return std::string(t.entries()[rng.below(t.size())].name);
    default: return rng.pick(kCommonNames);
  }
}

json::array random_arch_map(Rng& rng) {
  static const std::map<ArchId, std::vector<std::string>> subs = {
      {ArchId::kX86_64, {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {ArchId::kAarch64, {"SCMP_ARCH_ARM"}},
      {ArchId::kArm, {}},
      {ArchId::kRiscv64, {}},
      {ArchId::kPpc64le, {}},
      {ArchId::kS390x, {"SCMP_ARCH_S390"}},
      {ArchId::kMips64el, {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
  };
  json::array map;
  for (ArchId native : kNatives) {
    if (!rng.chance(60)) continue;
    json::object m;
    m["architecture"] = syscalls::arch(native).scmp_name;
    json::array s;
    for (const auto& sub : subs.at(native))
      if (rng.chance(60)) s.emplace_back(sub);
    m["subArchitectures"] = s;
    map.emplace_back(m);
  }
  return map;
}

Spec random_spec(Rng& rng) {
  Spec spec;
  ArchId native = kNatives[rng.below(std::size(kNatives))];
  json::object root = random_action(rng, true);
  if (rng.chance(70)) {
    root["archMap"] = random_arch_map(rng);
  } else if (rng.chance(50)) {
    static const std::vector<std::string> listed = {"SCMP_ARCH_X86",    "SCMP_ARCH_X32",    "SCMP_ARCH_ARM",
                                                    "SCMP_ARCH_S390",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_AARCH64",
                                                    "SCMP_ARCH_X86_64", "SCMP_ARCH_RISCV64"};
    json::array a;
    for (const auto& x : listed)
      if (rng.chance(30)) a.emplace_back(x);
    root["architectures"] = a;
  }
  json::array calls;
  for (unsigned i = 0, n = 1 + static_cast<unsigned>(rng.below(8)); i < n; ++i) {
    json::object e = random_action(rng, false);
    json::array names;
    for (unsigned j = 0, k = 1 + static_cast<unsigned>(rng.below(3)); j < k; ++j)
      names.emplace_back(random_name(rng, native));
    if (e["action"] == "SCMP_ACT_NOTIFY") names = {"read"};
    if (names.size() == 1 && rng.chance(30)) e["name"] = names[0];  // the legacy spelling
    else e["names"] = names;
    if (rng.chance(60)) {
      json::array args;
      for (unsigned j = 0, k = 1 + static_cast<unsigned>(rng.below(3)); j < k; ++j) args.emplace_back(random_arg(rng));
      e["args"] = args;
    }
    if (rng.chance(25)) e["includes"] = random_filter(rng);
    if (rng.chance(25)) e["excludes"] = random_filter(rng);
    calls.emplace_back(e);
  }
  root["syscalls"] = calls;
  spec.text = json::serialize(root);

  profile::CapSet caps;
  for (const auto& c : kCaps)
    if (rng.chance(50)) caps.insert(c);
  // kKernels in numbers: 4.14, 5.8, 6.1, 6.2.
  const auto kernel = static_cast<unsigned>(rng.below(kKernels.size()));
  const unsigned major = kernel == 0 ? 4 : kernel == 1 ? 5 : 6;
  const unsigned minor = kernel == 0 ? 14 : kernel == 1 ? 8 : kernel - 1;
  spec.resolve.native = native;
  spec.resolve.caps = caps;
  spec.resolve.kernel = {static_cast<uint16_t>(major), static_cast<uint16_t>(minor)};
  spec.naive.native = native;
  for (const auto& c : caps) spec.naive.caps.insert(c);
  spec.naive.kernel_major = major;
  spec.naive.kernel_minor = minor;
  switch (rng.below(3)) {
    case 0: break;
    case 1:
      spec.resolve.unknown_syscalls = profile::UnknownSyscalls::kEnosys;
      spec.naive.unknown = NaiveUnknown::kEnosys;
      break;
    default:
      spec.resolve.unknown_syscalls = profile::UnknownSyscalls::kDefault;
      spec.naive.unknown = NaiveUnknown::kDefault;
  }
  if (rng.chance(50)) {
    spec.resolve.arg_width = profile::ArgWidthMode::k64;
    spec.naive.arg_width_64 = true;
  }
  switch (rng.below(4)) {
    case 0: break;
    case 1:
      spec.resolve.bad_arch_action = Action::KillThread();
      spec.naive.bad_arch_ret = kRetKillThread;
      break;
    case 2:
      spec.resolve.bad_arch_action = Action::Errno(5);
      spec.naive.bad_arch_ret = kRetErrno | 5;
      break;
    default: spec.resolve.bad_arch_action = Action::Allow(); spec.naive.bad_arch_ret = kRetAllow;
  }
  spec.naive.docker_masked_eq = kExpectDockerMaskedEq;
  spec.naive.nr_minus1_normal = kExpectNrMinus1Normal;
  return spec;
}

std::string Spec::describe_options() const {
  std::string s = "native=" + std::string(syscalls::arch(naive.native).name) + " caps=";
  for (const auto& c : naive.caps) s += c + ",";
  s += " kernel=" + std::to_string(naive.kernel_major) + "." + std::to_string(naive.kernel_minor);
  s += " unknown=" + std::string(naive.unknown == NaiveUnknown::kRuncRule ? "runc-rule"
                                 : naive.unknown == NaiveUnknown::kEnosys ? "enosys"
                                                                          : "default");
  s += naive.arg_width_64 ? " arg-width=64" : " arg-width=abi";
  char buf[32];
  snprintf(buf, sizeof buf, " bad-arch=0x%08x", naive.bad_arch_ret);
  return s + buf;
}

// Values an argument is probed with: the edges, and around every constant a
// condition on that index compares with.
std::vector<uint64_t> argument_candidates(const NaiveFilter& f, unsigned index) {
  std::vector<uint64_t> out = kEdges;
  for (const auto& e : f.entries)
    for (const auto& c : e.conditions) {
      if (c.index != index) continue;
      for (uint64_t v : {c.value, c.value_two, c.value_two & c.value}) {
        out.insert(out.end(), {v - 1, v, v + 1, v ^ 0x100000000ULL, v | 0xffffffff00000000ULL, v & 0xffffffffULL});
      }
      if (c.op == "SCMP_CMP_MASKED_EQ") {
        uint64_t base = c.value_two & c.value;
        out.insert(out.end(), {base | ~c.value, base ^ (c.value & (~c.value + 1)), c.value_two | ~c.value});
      }
    }
  return out;
}

std::vector<uint32_t> probe_numbers(const NaiveFilter& f, ArchId abi) {
  std::set<uint32_t> nrs = {0,          1,          0x3fffffff, 0x40000000, 0x40000001, 0x7fffffff,
                            0x80000000, 0xbfffffff, 0xc0000000, 0xfffffffe, 0xffffffff};
  const auto& t = syscalls::table(abi);
  uint32_t bias = syscalls::arch(abi).nr_bias;
  uint32_t top = t.max_nr();
  for (uint32_t n : {bias - 1, bias, bias + 1, top - 1, top, top + 1, top + 2}) nrs.insert(n);
  for (const auto& e : f.entries)
    for (const auto& name : e.names)
      if (const auto* s = t.find(name))
        for (uint32_t n : {s->nr - 1, s->nr, s->nr + 1}) nrs.insert(n);
  return {nrs.begin(), nrs.end()};
}

bool probed(uint32_t arch, uint32_t nr) {
  if (arch != syscalls::arch(ArchId::kX86_64).audit_arch) return true;
  if (nr == 0xffffffffU) return kExpectNrMinus1Normal;
  if (nr >= 0x40000000U) return kExpectX32Decision;
  return true;
}

std::vector<SeccompData> probes(const NaiveFilter& f, Rng& rng) {
  std::vector<std::vector<uint64_t>> cands;
  for (unsigned i = 0; i < 6; ++i) cands.push_back(argument_candidates(f, i));
  std::vector<SeccompData> out;
  std::set<uint32_t> arches = {0, 0xffffffff, syscalls::arch(ArchId::kXtensa).audit_arch};
  std::set<ArchId> number_sources(f.abis.begin(), f.abis.end());
  if (number_sources.contains(ArchId::kX86_64)) number_sources.insert(ArchId::kX32);
  for (ArchId abi : number_sources) {
    uint32_t arch = syscalls::arch(abi).audit_arch;
    arches.insert(arch);
    for (uint32_t nr : probe_numbers(f, abi)) {
      if (!probed(arch, nr)) continue;
      SeccompData d;
      d.arch = arch;
      d.nr = nr;
      out.push_back(d);
      for (unsigned k = 0; k < 24; ++k) {
        for (unsigned i = 0; i < 6; ++i) d.args[i] = rng.pick(cands[i]);
        out.push_back(d);
      }
      // Each candidate of each index once, the others random.
      for (unsigned i = 0; i < 6; ++i)
        for (uint64_t v : cands[i]) {
          for (unsigned j = 0; j < 6; ++j) d.args[j] = rng.pick(cands[j]);
          d.args[i] = v;
          out.push_back(d);
        }
    }
  }
  for (uint32_t arch : arches)
    for (uint32_t nr : {0U, 1U, 59U, 0x40000000U})
      if (probed(arch, nr)) {
        SeccompData d;
        d.arch = arch;
        d.nr = nr;
        out.push_back(d);
      }
  return out;
}

std::string describe(const SeccompData& d) {
  char buf[256];
  snprintf(buf, sizeof buf, "arch=0x%08x nr=0x%08x args=[%#llx %#llx %#llx %#llx %#llx %#llx]", d.arch, d.nr,
           static_cast<unsigned long long>(d.args[0]), static_cast<unsigned long long>(d.args[1]),
           static_cast<unsigned long long>(d.args[2]), static_cast<unsigned long long>(d.args[3]),
           static_cast<unsigned long long>(d.args[4]), static_cast<unsigned long long>(d.args[5]));
  return buf;
}

// sysfence's own chain: read, resolve, compile, load into the interpreter.
Expected<bpf::Interpreter> sysfence_filter(const std::string& text, const profile::ResolveOptions& options) {
  auto read = profile::read_profile(text, "random.json");
  if (!read) return fail(read.error().message);
  auto resolved = profile::resolve(read->profile, options);
  if (!resolved) return fail(resolved.error().message);
  auto compiled = compiler::compile(resolved->policy, {});
  if (!compiled) return fail(compiled.error().message);
  return bpf::Interpreter::create(compiled->program);
}

Endian layout(uint32_t audit_arch, ArchId native);

// Whether sysfence and the oracle answer `d` differently for this profile.
bool disagrees(const std::string& text, const Spec& spec, const SeccompData& d) {
  auto interp = sysfence_filter(text, spec.resolve);
  auto oracle = naive_filter(text, spec.naive);
  if (!interp || !oracle) return false;
  return interp->run(d, layout(d.arch, spec.naive.native)).ret != oracle->decide(d);
}

// Greedy minimisation for the failure message: drops syscalls entries,
// then their arguments, includes, excludes and the arch lists, as long as
// the same input still tells the two apart.
std::string shrink(const Spec& spec, const SeccompData& d) {
  json::object root = json::parse(spec.text).as_object();
  auto still = [&] { return disagrees(json::serialize(root), spec, d); };
  auto& calls = root["syscalls"].as_array();
  for (size_t i = calls.size(); i-- > 0;) {
    json::value saved = calls[i];
    calls.erase(calls.begin() + static_cast<long>(i));
    if (!still()) calls.insert(calls.begin() + static_cast<long>(i), saved);
  }
  for (auto& c : calls) {
    auto& e = c.as_object();
    for (const char* key : {"includes", "excludes"}) {
      if (!e.contains(key)) continue;
      json::value saved = e[key];
      e.erase(key);
      if (!still()) e[key] = saved;
    }
    if (e.contains("names")) {
      auto& names = e["names"].as_array();
      for (size_t i = names.size(); i-- > 0 && names.size() > 1;) {
        json::value saved = names[i];
        names.erase(names.begin() + static_cast<long>(i));
        if (!still()) names.insert(names.begin() + static_cast<long>(i), saved);
      }
    }
    if (!e.contains("args")) continue;
    auto& args = e["args"].as_array();
    for (size_t i = args.size(); i-- > 0;) {
      json::value saved = args[i];
      args.erase(args.begin() + static_cast<long>(i));
      if (!still()) args.insert(args.begin() + static_cast<long>(i), saved);
    }
  }
  for (const char* key : {"archMap", "architectures"}) {
    if (!root.contains(key)) continue;
    json::value saved = root[key];
    root.erase(key);
    if (!still()) root[key] = saved;
  }
  return json::serialize(root);
}

// The byte order seccomp_data is laid out in: the reporting ABI's (a
// profile may pair ABIs of both orders, which no machine runs together; the
// compiler reads each ABI's arguments in that ABI's order), else the native.
Endian layout(uint32_t audit_arch, ArchId native) {
  for (const auto& a : syscalls::all_arches())
    if (a.audit_arch == audit_arch) return a.endian;
  return syscalls::arch(native).endian;
}

// Which pending fix a mismatch is about, if any.
std::string cause(const SeccompData& d, bool literal_masked_eq_agrees) {
  bool x86_64 = d.arch == syscalls::arch(ArchId::kX86_64).audit_arch;
  if (x86_64 && d.nr == 0xffffffffU) return "kExpectNrMinus1Normal";
  if (literal_masked_eq_agrees) return "kExpectDockerMaskedEq";
  if (x86_64 && d.nr >= 0x40000000U) return "kExpectX32Decision";
  return "no pending fix explains it";
}

TEST(Oracle, CompiledFiltersAnswerWhatTheProfileSays) {
  const uint64_t seed = from_env("SYSFENCE_ORACLE_SEED", kSeed);
  const auto profiles = static_cast<unsigned>(from_env("SYSFENCE_ORACLE_PROFILES", kProfiles));
  Rng rng{std::mt19937_64(seed)};
  size_t inputs = 0;
  size_t failing_profiles = 0;
  std::map<std::string, size_t> mismatches;
  for (unsigned p = 0; p < profiles; ++p) {
    Spec spec = random_spec(rng);
    SCOPED_TRACE("seed " + std::to_string(seed) + " profile #" + std::to_string(p) + "\n" + spec.text + "\n" +
                 spec.describe_options());
    auto interp = sysfence_filter(spec.text, spec.resolve);
    ASSERT_TRUE(interp) << interp.error().message;
    auto oracle = naive_filter(spec.text, spec.naive);
    ASSERT_TRUE(oracle) << oracle.error().message;
    NaiveOptions literal_options = spec.naive;
    literal_options.docker_masked_eq = false;
    auto literal = naive_filter(spec.text, literal_options);
    ASSERT_TRUE(literal) << literal.error().message;
    unsigned shown = 0;
    bool failed = false;
    for (const auto& d : probes(*oracle, rng)) {
      ++inputs;
      uint32_t want = oracle->decide(d);
      uint32_t got = interp->run(d, layout(d.arch, spec.naive.native)).ret;
      if (want == got) continue;
      failed = true;
      ++mismatches[cause(d, literal->decide(d) == got)];
      if (shown++ == 0) ADD_FAILURE() << "smallest profile that still fails here: " << shrink(spec, d);
      if (shown < 4) ADD_FAILURE() << describe(d) << ": oracle 0x" << std::hex << want << ", filter 0x" << got;
    }
    failing_profiles += failed;
  }
  for (const auto& [why, n] : mismatches) std::printf("mismatches (%s): %zu\n", why.c_str(), n);
  RecordProperty("inputs", std::to_string(inputs));
  std::printf("%zu inputs over %u profiles, %zu profiles with mismatches\n", inputs, profiles, failing_profiles);
}

}  // namespace
}  // namespace sysfence::oracle
