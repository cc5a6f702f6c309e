#include "test/oracle/naive_profile.h"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "syscalls/arg_widths.h"
#include "syscalls/table.h"

namespace sysfence::oracle {
namespace {

namespace json = boost::json;
using syscalls::ArchId;

constexpr uint32_t kX32Bit = 0x40000000U;

// How moby spells the machine in includes/excludes "arches" (Go's names).
std::vector<std::string_view> moby_names(ArchId id) {
  switch (id) {
    case ArchId::kX86_64: return {"amd64"};
    case ArchId::kAarch64: return {"arm64"};
    case ArchId::kArm: return {"arm"};
    case ArchId::kRiscv64: return {"riscv64"};
    case ArchId::kPpc64le: return {"ppc64le"};
    case ArchId::kS390x: return {"s390x"};
    case ArchId::kMips64el: return {"mipsel64", "mips64le"};
    default: return {syscalls::arch(id).go_name};
  }
}

// SECCOMP_RET_* precedence between filters: 0 is the most restrictive.
int rank(uint32_t ret) {
  switch (ret & kRetActionFull) {
    case kRetKillProcess: return 0;
    case kRetKillThread: return 1;
    case kRetTrap: return 2;
    case kRetErrno: return 3;
    case kRetUserNotif: return 4;
    case kRetTrace: return 5;
    case kRetLog: return 6;
    default: return 7;
  }
}

bool more_restrictive(uint32_t a, uint32_t b) {
  if (rank(a) != rank(b)) return rank(a) < rank(b);
  return (a & kRetData) < (b & kRetData);
}

const json::value* field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

uint64_t number(const json::value& v) { return v.is_uint64() ? v.get_uint64() : static_cast<uint64_t>(v.as_int64()); }

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = field(o, key))
    for (const auto& s : v->as_array()) out.emplace_back(s.as_string());
  return out;
}

// runc: ERRNO and TRACE carry the errno (its low 16 bits), EPERM without one.
Expected<uint32_t> action_ret(std::string_view action, const json::value* errno_ret) {
  uint32_t data = errno_ret ? static_cast<uint32_t>(number(*errno_ret) & 0xffff) : 1;
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return kRetKillThread;
  if (action == "SCMP_ACT_KILL_PROCESS") return kRetKillProcess;
  if (action == "SCMP_ACT_TRAP") return kRetTrap;
  if (action == "SCMP_ACT_ERRNO") return kRetErrno | data;
  if (action == "SCMP_ACT_TRACE") return kRetTrace | data;
  if (action == "SCMP_ACT_LOG") return kRetLog;
  if (action == "SCMP_ACT_ALLOW") return kRetAllow;
  if (action == "SCMP_ACT_NOTIFY") return kRetUserNotif;
  return fail("unknown action " + std::string(action));
}

// "X.Y" -> comparable number.
unsigned kernel_of(std::string_view s) {
  auto dot = s.find('.');
  return static_cast<unsigned>(std::stoul(std::string(s.substr(0, dot)))) * 1000 +
         static_cast<unsigned>(std::stoul(std::string(s.substr(dot + 1))));
}

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::ranges::find(list, s) != list.end();
}

// moby's includes/excludes: whether the entry survives for this machine.
bool kept(const json::object& entry, const NaiveOptions& o) {
  unsigned kernel = o.kernel_major * 1000 + o.kernel_minor;
  auto names_native = [&](const std::vector<std::string>& list) {
    return std::ranges::any_of(moby_names(o.native), [&](std::string_view n) { return contains(list, n); });
  };
  if (const auto* ex = field(entry, "excludes")) {
    const auto& e = ex->as_object();
    if (names_native(strings(e, "arches"))) return false;
    for (const auto& c : strings(e, "caps"))
      if (o.caps.contains(c)) return false;
    if (const auto* k = field(e, "minKernel"); k && kernel >= kernel_of(k->as_string())) return false;
  }
  if (const auto* in = field(entry, "includes")) {
    const auto& i = in->as_object();
    auto arches = strings(i, "arches");
    if (!arches.empty() && !names_native(arches)) return false;
    for (const auto& c : strings(i, "caps"))
      if (!o.caps.contains(c)) return false;
    if (const auto* k = field(i, "minKernel"); k && kernel < kernel_of(k->as_string())) return false;
  }
  return true;
}

std::optional<uint32_t> number_on(ArchId abi, std::string_view name) {
  const auto* s = syscalls::table(abi).find(name);
  if (!s) return std::nullopt;
  return s->nr;
}

// The socket and SysV IPC calls that socketcall(2) and ipc(2) dispatch, with
// the call number each multiplexer takes in argument 0 (linux/net.h SYS_*,
// linux/ipc.h), written out again here rather than borrowed.
struct Multiplexed {
  std::string_view name;
  bool ipc;
  uint64_t call;
};
constexpr Multiplexed kMultiplexed[] = {
    {"socket", false, 1},    {"bind", false, 2},        {"connect", false, 3},     {"listen", false, 4},
    {"accept", false, 5},    {"getsockname", false, 6}, {"getpeername", false, 7}, {"socketpair", false, 8},
    {"send", false, 9},      {"recv", false, 10},       {"sendto", false, 11},     {"recvfrom", false, 12},
    {"shutdown", false, 13}, {"setsockopt", false, 14}, {"getsockopt", false, 15}, {"sendmsg", false, 16},
    {"recvmsg", false, 17},  {"accept4", false, 18},    {"recvmmsg", false, 19},   {"sendmmsg", false, 20},
    {"semop", true, 1},      {"semget", true, 2},       {"semctl", true, 3},       {"semtimedop", true, 4},
    {"msgsnd", true, 11},    {"msgrcv", true, 12},      {"msgget", true, 13},      {"msgctl", true, 14},
    {"shmat", true, 21},     {"shmdt", true, 22},       {"shmget", true, 23},      {"shmctl", true, 24},
};

const Multiplexed* multiplexed(std::string_view name) {
  for (const auto& m : kMultiplexed)
    if (m.name == name) return &m;
  return nullptr;
}

uint16_t enosys_errno(ArchId native) {
  switch (native) {
    case ArchId::kMips:
    case ArchId::kMipsel:
    case ArchId::kMips64:
    case ArchId::kMips64el:
    case ArchId::kMips64n32:
    case ArchId::kMipsel64n32: return 89;
    case ArchId::kParisc:
    case ArchId::kParisc64: return 251;
    default: return 38;
  }
}

}  // namespace

Expected<NaiveFilter> naive_filter(std::string_view text, const NaiveOptions& options) {
  NaiveFilter f;
  f.options = options;
  json::object root = json::parse(text).as_object();
  auto def = action_ret(root.at("defaultAction").as_string(), field(root, "defaultErrnoRet"));
  if (!def) return fail(def.error().message);
  f.default_ret = *def;

  f.abis.push_back(options.native);
  auto add_abi = [&](std::string_view spelling) {
    ArchId id = spelling == "SCMP_ARCH_NATIVE" ? options.native : syscalls::find_arch(spelling)->id;
    if (std::ranges::find(f.abis, id) == f.abis.end()) f.abis.push_back(id);
    if (std::ranges::find(f.listed, id) == f.listed.end()) f.listed.push_back(id);
  };
  for (const auto& s : strings(root, "architectures")) add_abi(s);
  if (const auto* map = field(root, "archMap")) {
    for (const auto& m : map->as_array()) {
      const auto* a = syscalls::find_arch(m.at("architecture").as_string());
      if (!a || a->id != options.native) continue;
      add_abi(m.at("architecture").as_string());
      for (const auto& s : strings(m.as_object(), "subArchitectures")) add_abi(s);
      break;
    }
  }

  if (const auto* calls = field(root, "syscalls")) {
    for (const auto& v : calls->as_array()) {
      const auto& e = v.as_object();
      if (!kept(e, options)) continue;
      NaiveEntry entry;
      entry.names = strings(e, "names");
      if (const auto* n = field(e, "name")) entry.names.emplace_back(n->as_string());
      auto ret = action_ret(e.at("action").as_string(), field(e, "errnoRet"));
      if (!ret) return fail(ret.error().message);
      entry.ret = *ret;
      std::set<unsigned> indexes;
      if (const auto* args = field(e, "args")) {
        for (const auto& a : args->as_array()) {
          const auto& ao = a.as_object();
          NaiveCondition c;
          c.index = static_cast<unsigned>(number(ao.at("index")));
          c.op = std::string(ao.at("op").as_string());
          if (const auto* x = field(ao, "value")) c.value = number(*x);
          if (const auto* x = field(ao, "valueTwo")) c.value_two = number(*x);
          if (!indexes.insert(c.index).second) entry.any_condition = true;
          entry.conditions.push_back(c);
        }
      }
      f.entries.push_back(std::move(entry));
    }
  }

  // runc's stub for syscalls newer than the profile.
  uint16_t enosys = enosys_errno(options.native);
  f.enosys_ret = kRetErrno | enosys;
  uint32_t kind = f.default_ret & kRetActionFull;
  bool runc_wants = kind != kRetAllow && kind != kRetLog && kind != kRetTrace && f.default_ret != f.enosys_ret;
  f.enosys_stub =
      options.unknown == NaiveUnknown::kEnosys || (options.unknown == NaiveUnknown::kRuncRule && runc_wants);
  return f;
}

bool NaiveFilter::holds(ArchId abi, uint32_t nr, const NaiveCondition& c, uint64_t arg) const {
  bool low_word;
  if (options.arg_width_64) {
    low_word = syscalls::arch(abi).word_bits == 32;
  } else {
    auto info = syscalls::arg_info(abi, nr);
    if (info && info->known && c.index < info->count) low_word = info->args[c.index].bits <= 32;
    else low_word = syscalls::register_bits(abi) == 32;
  }
  uint64_t a = arg;
  uint64_t v = c.value;
  uint64_t v2 = c.value_two;
  if (low_word && !options.arg_width_64) {
    // The kernel reads a 32-bit value. A constant written as one, zero- or
    // sign-extended, is that value; any other lies above every 32-bit value.
    const auto names_an_int = [](uint64_t x) {
      const uint64_t high = x >> 32;
      return high == 0 || (high == 0xffffffffU && (x & 0x80000000U) != 0);
    };
    const bool masked = c.op == "SCMP_CMP_MASKED_EQ";
    const uint64_t compared = masked ? (options.docker_masked_eq ? (v2 & v) : v2) : v;
    if (!names_an_int(compared)) return c.op == "SCMP_CMP_NE" || c.op == "SCMP_CMP_LT" || c.op == "SCMP_CMP_LE";
  }
  if (low_word) {
    a &= 0xffffffffU;
    v &= 0xffffffffU;
    v2 &= 0xffffffffU;
  }
  if (c.op == "SCMP_CMP_NE") return a != v;
  if (c.op == "SCMP_CMP_LT") return a < v;
  if (c.op == "SCMP_CMP_LE") return a <= v;
  if (c.op == "SCMP_CMP_EQ") return a == v;
  if (c.op == "SCMP_CMP_GE") return a >= v;
  if (c.op == "SCMP_CMP_GT") return a > v;
  if (options.docker_masked_eq) return (a & v) == (v2 & v);
  return (a & v) == v2;
}

NaiveFilter::OnAbi NaiveFilter::rules_on(ArchId abi, const SeccompData& d) const {
  std::optional<uint32_t> winner;
  uint32_t largest = 0;
  bool named = false;
  for (const auto& e : entries) {
    for (const auto& name : e.names) {
      // sysfence's reading of socketcall/ipc: an unconditional rule on a
      // call they dispatch also decides the multiplexer when argument 0
      // selects that call (ipc looks at its low 16 bits only).
      if (const Multiplexed* m = multiplexed(name); m && e.conditions.empty() && e.ret != default_ret) {
        const auto mux = number_on(abi, m->ipc ? "ipc" : "socketcall");
        if (mux && *mux == d.nr) {
          named = true;
          const NaiveCondition call = m->ipc ? NaiveCondition{0, "SCMP_CMP_MASKED_EQ", 0xffff, m->call}
                                             : NaiveCondition{0, "SCMP_CMP_EQ", m->call, 0};
          if (holds(abi, d.nr, call, d.args[0]) && (!winner || more_restrictive(e.ret, *winner))) winner = e.ret;
        }
      }
      auto nr = number_on(abi, name);
      if (!nr) continue;
      if (*nr > largest) largest = *nr;
      if (*nr != d.nr || e.ret == default_ret) continue;  // runc drops rules equal to the default
      named = true;
      bool match = !e.any_condition;
      for (const auto& c : e.conditions) {
        bool h = holds(abi, d.nr, c, d.args[c.index]);
        match = e.any_condition ? (match || h) : (match && h);
      }
      if (e.conditions.empty()) match = true;
      if (match && (!winner || more_restrictive(e.ret, *winner))) winner = e.ret;
    }
  }
  return OnAbi{winner, named, largest};
}

bool NaiveFilter::stub_answers(ArchId abi, const SeccompData& d) const {
  // runc's stub (its rule) covers the listed ABIs only; --unknown-syscalls
  // enosys every ABI of the filter.
  const bool stubbed = options.unknown == NaiveUnknown::kEnosys || std::ranges::find(listed, abi) != listed.end();
  if (!enosys_stub || !stubbed) return false;
  const OnAbi on = rules_on(abi, d);
  if (on.largest == 0) return false;
  const bool s390_zero = (abi == ArchId::kS390x || abi == ArchId::kS390) && d.nr == 0;
  return (!on.named && d.nr > on.largest) || s390_zero;
}

uint32_t NaiveFilter::decide_on(ArchId abi, const SeccompData& d, bool stub) const {
  const OnAbi on = rules_on(abi, d);
  if (on.winner) return *on.winner;
  if (stub && stub_answers(abi, d)) return enosys_ret;
  return default_ret;
}

uint32_t NaiveFilter::decide(const SeccompData& d) const {
  auto has = [&](ArchId id) { return std::ranges::find(abis, id) != abis.end(); };
  if (d.arch == syscalls::arch(ArchId::kX86_64).audit_arch) {
    // runc's stub runs first and knows x32's numbers by bit 30 alone
    // (patchbpf: `jset 0x40000000` to the x32 part).
    const ArchId by_bit = (d.nr & kX32Bit) != 0 ? ArchId::kX32 : ArchId::kX86_64;
    if (has(by_bit) && stub_answers(by_bit, d)) return enosys_ret;
    // A tracer's -1: x86_64's ordinary processing (x32's in an x32-only filter).
    if (options.nr_minus1_normal && d.nr == 0xffffffffU) {
      if (has(ArchId::kX86_64)) return decide_on(ArchId::kX86_64, d, false);
      return has(ArchId::kX32) ? decide_on(ArchId::kX32, d, false) : options.bad_arch_ret;
    }
    // libseccomp's split: every number from the x32 bit up (unsigned) is x32's.
    ArchId abi = d.nr >= kX32Bit ? ArchId::kX32 : ArchId::kX86_64;
    return has(abi) ? decide_on(abi, d, false) : options.bad_arch_ret;
  }
  for (ArchId a : abis)
    if (a != ArchId::kX32 && syscalls::arch(a).audit_arch == d.arch) return decide_on(a, d, true);
  return options.bad_arch_ret;
}

}  // namespace sysfence::oracle
