#include "test/verify/random_profile.h"

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace sysfence::testing {
namespace {

constexpr NativeArch kNatives[] = {
    {"x86_64", SCMP_ARCH_X86_64, "amd64"},
    {"aarch64", SCMP_ARCH_AARCH64, "arm64"},
    {"arm", SCMP_ARCH_ARM, "arm"},
    {"riscv64", SCMP_ARCH_RISCV64, "riscv64"},
    {"ppc64le", SCMP_ARCH_PPC64LE, "ppc64le"},
    {"s390x", SCMP_ARCH_S390X, "s390x"},
    {"mips64el", SCMP_ARCH_MIPSEL64, "mipsel64"},
};

// moby's DefaultCapabilities (oci/caps).
constexpr std::string_view kDockerCaps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

constexpr std::string_view kOps[] = {"SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT",       "SCMP_CMP_LE",
                                     "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"};

// Values at the word edges the filters split 64-bit arguments at.
constexpr uint64_t kEdges[] = {0,
                               1,
                               2,
                               0x7fffffffULL,
                               0x80000000ULL,
                               0xffffffffULL,
                               0x100000000ULL,
                               0x100000001ULL,
                               0x7fffffffffffffffULL,
                               0x8000000000000000ULL,
                               0xffffffff00000000ULL,
                               0xfffffffffffffffeULL,
                               0xffffffffffffffffULL};
constexpr uint64_t kMasks[] = {0x1,
                               0xff,
                               0xf0,
                               0xffff0000ULL,
                               0xffffffffULL,
                               0xffffffff00000000ULL,
                               0x8000000000000000ULL,
                               0x80000000ULL,
                               0xffffffffffffffffULL};
constexpr uint64_t kErrnos[] = {0, 1, 2, 5, 13, 22, 38, 4095};

constexpr std::string_view kMobyArches[] = {"amd64", "arm64", "arm",  "riscv64",  "ppc64le",
                                            "s390x", "x86",   "s390", "mipsel64", "ppc64"};
constexpr std::string_view kCaps[] = {"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_SYS_PTRACE"};
constexpr std::string_view kKernels[] = {"4.8", "5.10", "6.1", "6.2", "7.0"};

template <typename T, size_t N>
const T& pick(std::mt19937_64& rng, const T (&items)[N]) {
  return items[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

bool chance(std::mt19937_64& rng, double p) { return std::bernoulli_distribution(p)(rng); }
unsigned upto(std::mt19937_64& rng, unsigned n) { return std::uniform_int_distribution<unsigned>(0, n)(rng); }

uint64_t random_value(std::mt19937_64& rng) {
  switch (upto(rng, 5)) {
    case 0: return upto(rng, 64);
    case 1: return rng();
    default: return pick(rng, kEdges);
  }
}

ProfileActionKind random_action(std::mt19937_64& rng, bool allow_notify) {
  const unsigned n = allow_notify ? 8 : 7;
  return static_cast<ProfileActionKind>(upto(rng, n));
}

std::optional<uint64_t> random_errno(std::mt19937_64& rng, ProfileActionKind a) {
  if (a != ProfileActionKind::kErrno && a != ProfileActionKind::kTrace) return std::nullopt;
  if (chance(rng, 0.3)) return std::nullopt;  // EPERM
  if (chance(rng, 0.03)) return 4096;         // above MAX_ERRNO: libseccomp refuses it
  return chance(rng, 0.7) ? pick(rng, kErrnos) : upto(rng, 4095);
}

ProfileArg random_arg(std::mt19937_64& rng, unsigned index) {
  ProfileArg a;
  a.index = index;
  a.op = pick(rng, kOps);
  if (a.op == "SCMP_CMP_MASKED_EQ") {
    a.value = chance(rng, 0.8) ? pick(rng, kMasks) : rng();
    // Mostly a datum inside the mask; sometimes one with bits outside it,
    // which libseccomp masks when the rule is added.
    a.value_two = chance(rng, 0.6) ? (random_value(rng) & a.value) : random_value(rng);
  } else {
    a.value = random_value(rng);
    if (chance(rng, 0.2)) a.value_two = random_value(rng);  // ignored by every op but MASKED_EQ
  }
  return a;
}

ProfileFilter random_filter(std::mt19937_64& rng) {
  ProfileFilter f;
  switch (upto(rng, 2)) {
    case 0:
      f.arches.push_back(pick(rng, kMobyArches));
      if (chance(rng, 0.5)) f.arches.push_back(pick(rng, kMobyArches));
      break;
    case 1: f.caps.push_back(pick(rng, kCaps)); break;
    default: f.min_kernel = pick(rng, kKernels); break;
  }
  return f;
}

ProfileEntry random_entry(std::mt19937_64& rng, std::span<const std::string> hot, std::span<const std::string> pool) {
  ProfileEntry e;
  e.action = random_action(rng, true);
  const unsigned names = 1 + upto(rng, 3);
  for (unsigned i = 0; i < names; ++i) {
    const auto& from = chance(rng, 0.6) ? hot : pool;
    std::string name = from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
    // runc refuses NOTIFY for write(2); such profiles are not valid.
    if (e.action == ProfileActionKind::kNotify && name == "write") continue;
    if (std::find(e.names.begin(), e.names.end(), name) == e.names.end()) e.names.push_back(std::move(name));
  }
  if (e.names.empty()) e.names.emplace_back("getpid");
  e.errno_ret = random_errno(rng, e.action);
  const unsigned r = upto(rng, 99);
  const unsigned args = r < 35 ? 0 : r < 65 ? 1 : r < 85 ? 2 : 3;
  const bool repeat = chance(rng, 0.15);  // runc then adds one rule per condition
  for (unsigned i = 0; i < args; ++i) {
    const unsigned index = repeat && i > 0 ? e.args[0].index : (chance(rng, 0.7) ? upto(rng, 2) : upto(rng, 5));
    if (!repeat && std::any_of(e.args.begin(), e.args.end(), [&](const ProfileArg& a) { return a.index == index; }))
      continue;
    e.args.push_back(random_arg(rng, index));
  }
  if (chance(rng, 0.12)) e.includes = random_filter(rng);
  if (chance(rng, 0.12)) e.excludes = random_filter(rng);
  return e;
}

void append_u64(std::string& out, uint64_t v) {
  std::array<char, 24> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  (void)ec;
  out.append(buf.data(), end);
}

void append_strings(std::string& out, std::string_view key, const auto& items) {
  out += "\"";
  out += key;
  out += "\": [";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += "\"";
    out += items[i];
    out += "\"";
  }
  out += "]";
}

void append_filter(std::string& out, std::string_view key, const ProfileFilter& f) {
  if (f.arches.empty() && f.caps.empty() && f.min_kernel.empty()) return;
  out += ", \"";
  out += key;
  out += "\": {";
  if (!f.arches.empty()) append_strings(out, "arches", f.arches);
  if (!f.caps.empty()) append_strings(out, "caps", f.caps);
  if (!f.min_kernel.empty()) {
    out += R"("minKernel": ")";
    out += f.min_kernel;
    out += "\"";
  }
  out += "}";
}

bool contains(std::span<const std::string_view> list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// "X.Y" compared with 6.1 (the host kernel both sides assume).
bool kernel_at_least(std::string_view version) {
  unsigned major = 0;
  unsigned minor = 0;
  const char* p = version.data();
  const char* end = p + version.size();
  p = std::from_chars(p, end, major).ptr;
  if (p != end && *p == '.') std::from_chars(p + 1, end, minor);
  return major != 6 ? major < 6 : minor <= 1;
}

}  // namespace

std::span<const NativeArch> native_arches() { return kNatives; }
std::span<const std::string_view> docker_caps() { return kDockerCaps; }

RandomProfile random_profile(std::mt19937_64& rng, std::span<const std::string> names) {
  RandomProfile p;
  p.default_action = random_action(rng, false);
  p.default_errno_ret = random_errno(rng, p.default_action);
  if (p.default_errno_ret && *p.default_errno_ret > 4095) p.default_errno_ret = 38;
  // A few names most entries draw from, so that rules overlap.
  std::vector<std::string> hot;
  for (unsigned i = 0; i < 4; ++i)
    hot.push_back(names[std::uniform_int_distribution<size_t>(0, names.size() - 1)(rng)]);
  const unsigned entries = 1 + upto(rng, 9);
  for (unsigned i = 0; i < entries; ++i) p.syscalls.push_back(random_entry(rng, hot, names));
  return p;
}

std::string_view action_spelling(ProfileActionKind kind) {
  switch (kind) {
    case ProfileActionKind::kAllow: return "SCMP_ACT_ALLOW";
    case ProfileActionKind::kErrno: return "SCMP_ACT_ERRNO";
    case ProfileActionKind::kTrap: return "SCMP_ACT_TRAP";
    case ProfileActionKind::kTrace: return "SCMP_ACT_TRACE";
    case ProfileActionKind::kLog: return "SCMP_ACT_LOG";
    case ProfileActionKind::kKill: return "SCMP_ACT_KILL";
    case ProfileActionKind::kKillProcess: return "SCMP_ACT_KILL_PROCESS";
    case ProfileActionKind::kKillThread: return "SCMP_ACT_KILL_THREAD";
    case ProfileActionKind::kNotify: return "SCMP_ACT_NOTIFY";
  }
  return "";
}

uint32_t action_value(ProfileActionKind kind, std::optional<uint64_t> errno_ret) {
  const uint32_t data = errno_ret ? static_cast<uint32_t>(*errno_ret & 0xffff) : 1;  // EPERM
  switch (kind) {
    case ProfileActionKind::kAllow: return SCMP_ACT_ALLOW;
    case ProfileActionKind::kErrno: return SCMP_ACT_ERRNO(data);
    case ProfileActionKind::kTrap: return SCMP_ACT_TRAP;
    case ProfileActionKind::kTrace: return SCMP_ACT_TRACE(data);
    case ProfileActionKind::kLog: return SCMP_ACT_LOG;
    case ProfileActionKind::kKill:
    case ProfileActionKind::kKillThread: return SCMP_ACT_KILL_THREAD;
    case ProfileActionKind::kKillProcess: return SCMP_ACT_KILL_PROCESS;
    case ProfileActionKind::kNotify: return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_PROCESS;
}

std::string to_json(const RandomProfile& p) {
  std::string out = "{\n  \"defaultAction\": \"";
  out += action_spelling(p.default_action);
  out += "\"";
  if (p.default_errno_ret) {
    out += ",\n  \"defaultErrnoRet\": ";
    append_u64(out, *p.default_errno_ret);
  }
  out += ",\n  \"syscalls\": [";
  for (size_t i = 0; i < p.syscalls.size(); ++i) {
    const ProfileEntry& e = p.syscalls[i];
    out += i == 0 ? "\n    {" : ",\n    {";
    append_strings(out, "names", e.names);
    out += R"(, "action": ")";
    out += action_spelling(e.action);
    out += "\"";
    if (e.errno_ret) {
      out += ", \"errnoRet\": ";
      append_u64(out, *e.errno_ret);
    }
    out += ", \"args\": [";
    for (size_t k = 0; k < e.args.size(); ++k) {
      const ProfileArg& a = e.args[k];
      out += k == 0 ? "{" : ", {";
      out += "\"index\": ";
      append_u64(out, a.index);
      out += ", \"value\": ";
      append_u64(out, a.value);
      out += ", \"valueTwo\": ";
      append_u64(out, a.value_two);
      out += R"(, "op": ")";
      out += a.op;
      out += "\"}";
    }
    out += "]";
    append_filter(out, "includes", e.includes);
    append_filter(out, "excludes", e.excludes);
    out += "}";
  }
  out += "\n  ]\n}\n";
  return out;
}

bool moby_keeps(const ProfileEntry& e, const NativeArch& native) {
  const auto caps = docker_caps();
  if (contains(e.excludes.arches, native.moby)) return false;
  for (std::string_view c : e.excludes.caps)
    if (contains(caps, c)) return false;
  if (!e.excludes.min_kernel.empty() && kernel_at_least(e.excludes.min_kernel)) return false;
  if (!e.includes.arches.empty() && !contains(e.includes.arches, native.moby)) return false;
  for (std::string_view c : e.includes.caps)
    if (!contains(caps, c)) return false;
  return e.includes.min_kernel.empty() || kernel_at_least(e.includes.min_kernel);
}

}  // namespace sysfence::testing
