// Which syscall `explain` explains and the filter's answer for it. A number
// is taken as seccomp_data.nr and routed as the filter routes it
// (policy::evaluate is the specification), so explain never answers for an
// ABI the filter does not consult: under AUDIT_ARCH_X86_64 x86_64 and x32
// share the audit value and split the numbers.
#include <fmt/format.h>

#include <charconv>

#include "base/text.h"
#include "profile/explain.h"
#include "profile/explain_parts.h"
#include "syscalls/table.h"

namespace sysfence::profile {

using syscalls::ArchId;

namespace {

constexpr uint32_t kX32First = 0x40000000U;  // __X32_SYSCALL_BIT
constexpr uint32_t kSkippedCall = 0xffffffffU;

bool shares_x86_64_audit_arch(ArchId abi) { return abi == ArchId::kX86_64 || abi == ArchId::kX32; }

// The answer when `owner` (null: the filter lacks the number's ABI) has the
// number's rules and `stub`'s threshold is runc's ENOSYS stub for it.
SyscallVerdict verdict_of(const policy::ArchPolicy* owner, const policy::ArchPolicy* stub, Action bad_arch,
                          uint32_t nr) {
  SyscallVerdict v;
  const policy::RuleList* rules = nullptr;
  if (owner != nullptr) {
    if (const auto it = owner->rules.find(nr); it != owner->rules.end()) rules = &it->second;
  }
  if (rules == nullptr) {
    // runc's stub runs before the filter's ABI dispatch.
    if (stub != nullptr && stub->enosys_above && nr > *stub->enosys_above) {
      v.action = Action::Errno(stub->enosys_errno);
      v.why = SyscallVerdict::Why::kEnosys;
      v.stub = stub;
    } else if (owner == nullptr) {
      v.action = bad_arch;
      v.why = SyscallVerdict::Why::kBadArch;
    } else {
      v.action = owner->default_action;
    }
    return v;
  }
  for (const policy::Rule& r : *rules)
    if (r.conditions.empty() && (v.floor == nullptr || more_restrictive(r.action, v.floor->action))) v.floor = &r;
  for (const policy::Rule& r : *rules)
    if (!r.conditions.empty() && (v.floor == nullptr || more_restrictive(r.action, v.floor->action)))
      v.deciding.push_back(&r);
  v.constant = v.deciding.empty();
  if (v.floor != nullptr) {
    v.action = v.floor->action;
    v.why = SyscallVerdict::Why::kRule;
  } else {
    v.action = owner->default_action;
  }
  return v;
}

}  // namespace

SyscallVerdict syscall_verdict(const policy::ArchPolicy& ap, uint32_t nr) {
  return verdict_of(&ap, ap.enosys_above ? &ap : nullptr, Action::KillProcess(), nr);
}

SyscallVerdict filter_verdict(const policy::Policy& policy, ArchId abi, uint32_t nr) {
  if (!shares_x86_64_audit_arch(abi)) {
    const policy::ArchPolicy* ap = policy.find(abi);
    return verdict_of(ap, ap, policy.bad_arch_action, nr);
  }
  return verdict_of(policy::x86_64_number_owner(policy, nr), policy::enosys_owner_x86_64(policy, nr),
                    policy.bad_arch_action, nr);
}

namespace explain_parts {

std::optional<uint64_t> parse_number(std::string_view s) {
  // A negative number is the kernel's `int nr` as the filter reads it: -1,
  // what a tracer sets to skip a call, is 0xffffffff. Past the int's range,
  // a value no 32 bits hold (refused as such).
  if (s.size() > 1 && s[0] == '-' && s[1] != '-') {
    const auto magnitude = parse_number(s.substr(1));
    if (!magnitude) return std::nullopt;
    return *magnitude > 0x80000000ULL ? ~uint64_t{0} : 0x100000000ULL - *magnitude;
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool absent_from_filter(const policy::Policy& policy, std::string_view syscall) {
  if (parse_number(syscall)) return false;
  for (const auto& ap : policy.arches)
    if (syscalls::table(ap.arch).number(syscall)) return false;
  return true;
}

namespace {

// A number on opts.native: under AUDIT_ARCH_X86_64 the ABI that owns it,
// which may be the other of x86_64 and x32, or neither when the filter
// has neither.
Expected<Subject> number_subject(const policy::Policy& policy, const ResolveOptions& opts, std::string_view given,
                                 uint64_t n) {
  if (n > 0xffffffffULL) return fail(fmt::format("syscall number {} does not fit in 32 bits", given));
  Subject s;
  s.nr = static_cast<uint32_t>(n);
  s.abi = opts.native;
  if (shares_x86_64_audit_arch(opts.native)) {
    s.primary = policy::x86_64_number_owner(policy, s.nr);
    if (s.primary != nullptr) s.abi = s.primary->arch;
    else if (policy.find(ArchId::kX86_64) != nullptr || policy.find(ArchId::kX32) != nullptr)
      s.abi = s.nr >= kX32First && s.nr != kSkippedCall ? ArchId::kX32 : ArchId::kX86_64;
    s.routed = s.abi != opts.native;
  } else {
    s.primary = policy.find(opts.native);
  }
  if (s.primary == nullptr && !s.routed) return fail("the policy does not cover the native architecture");
  if (auto known = syscalls::table(s.abi).name(s.nr)) s.name = std::string(*known);
  s.verdict = filter_verdict(policy, s.abi, s.nr);
  return s;
}

}  // namespace

Expected<Subject> find_subject(const policy::Policy& policy, const ResolveOptions& opts, std::string_view syscall) {
  if (auto n = parse_number(syscall)) return number_subject(policy, opts, syscall, *n);
  Subject s;
  s.name = std::string(syscall);
  for (const auto& ap : policy.arches) {
    if (auto known = syscalls::table(ap.arch).number(s.name)) {
      s.primary = &ap;
      s.abi = ap.arch;
      s.nr = *known;
      break;
    }
  }
  if (s.primary == nullptr) {
    const auto near = syscalls::table(opts.native).nearest_name(s.name);
    return fail(fmt::format("unknown syscall {} on {}{}", quote(s.name), syscalls::arch(opts.native).name,
                            near ? fmt::format(" (did you mean \"{}\"?)", *near) : ""));
  }
  // Report the canonical name when an alias was given.
  if (auto canonical = syscalls::table(s.abi).name(s.nr)) s.name = std::string(*canonical);
  s.verdict = filter_verdict(policy, s.abi, s.nr);
  return s;
}

std::string route_text(const Subject& s) {
  std::string out = "under AUDIT_ARCH_X86_64 the filter gives ";
  if (s.abi == ArchId::kX32) out += "the numbers 0x40000000..0xfffffffe (from __X32_SYSCALL_BIT up) to x32";
  else if (s.nr == kSkippedCall) out += "-1 (0xffffffff, a call a tracer skips) to x86_64";
  else out += "the numbers below 0x40000000 to x86_64";
  if (s.primary == nullptr) out += ", which is not in this filter";
  return out;
}

}  // namespace explain_parts

}  // namespace sysfence::profile
