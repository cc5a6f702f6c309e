// What a profile says that it cannot mean: syscall names no ABI knows,
// errnos above MAX_ERRNO, MASKED_EQ datums with bits outside the mask,
// constants wider than the argument; and the argument widths themselves.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <span>

#include "base/text.h"
#include "policy/operators.h"
#include "profile/caps.h"
#include "profile/resolver.h"
#include "syscalls/arg_widths.h"
#include "syscalls/edit_distance.h"
#include "syscalls/table.h"

namespace sysfence::profile {

using syscalls::ArchId;

namespace {

// Bits the kernel reads of argument `index` of syscall `nr` on `abi`: the
// generated entry-point data, or the ABI's register width where the entry
// point is unknown (newer than the kernel sources) or the kernel does not
// read the argument at all (the filter then compares whatever the register
// holds).
unsigned kernel_bits(ArchId abi, uint32_t nr, unsigned index) {
  return syscalls::known_arg_bits(abi, nr, index).value_or(syscalls::register_bits(abi));
}

// "int family"; empty when nothing is known about the argument.
std::string arg_declaration(ArchId abi, uint32_t nr, unsigned index) {
  if (auto info = syscalls::arg_info(abi, nr); info && info->known && index < info->count) {
    const auto& a = info->args[index];
    const bool pointer = !a.type.empty() && a.type.back() == '*';
    return fmt::format("{}{}{}", a.type, pointer ? "" : " ", a.name);
  }
  return {};
}

// What the filter does with the constant of width warning `w`.
std::string width_consequence(const Warning& w) {
  if (w.compared == policy::ArgWidth::k64)
    return "the 64-bit comparison (--arg-width=64) tests bits the kernel ignores";
  switch (w.reading) {
    case NarrowReading::kLowWord: break;
    case NarrowReading::kNever:
      return fmt::format(
          "{}, so the condition never holds and the rule matches no call there (--arg-width 64 compares all 64 "
          "bits, as libseccomp does)",
          w.op == policy::CmpOp::kMaskedEq
              ? fmt::format("datum & mask has bits above the low word, which a 32-bit arg{} never has", w.arg)
              : fmt::format("no 32-bit value is {} it", policy::symbol(w.op)));
    case NarrowReading::kAlways:
      return fmt::format(
          "every 32-bit value is {} it, so the condition always holds and the rule applies without it there "
          "(--arg-width 64 compares all 64 bits, as libseccomp does)",
          policy::symbol(w.op));
  }
  return fmt::format("the filter compares only its low 32 bits ({:#x})", w.constant & 0xffffffffU);
}

}  // namespace

policy::ArgWidth condition_width(ArgWidthMode mode, ArchId abi, uint32_t nr, unsigned index) {
  // libseccomp builds an ABI it counts as 32-bit (Arch::word_bits: i386,
  // x32, arm, MIPS o32 and n32, ppc, s390, parisc) with one comparison of the
  // argument's low word against the operand truncated to 32 bits; only the
  // 64-bit ABIs compare all 64 bits.
  if (mode == ArgWidthMode::k64)
    return syscalls::arch(abi).word_bits <= 32 ? policy::ArgWidth::k32 : policy::ArgWidth::k64;
  return kernel_bits(abi, nr, index) <= 32 ? policy::ArgWidth::k32 : policy::ArgWidth::k64;
}

bool fits_in_bits(uint64_t value, unsigned bits) {
  if (bits == 0 || bits >= 64) return true;
  const uint64_t upper = value >> (bits - 1);  // the sign bit and everything above it
  const uint64_t all_ones = ~uint64_t{0} >> (bits - 1);
  return upper <= 1 || upper == all_ones;
}

// The kernel reads a 32-bit value; seccomp hands the filter the whole
// register, and with --arg-width abi sysfence compares what the kernel reads.
// A constant that is the zero- or sign-extension of a 32-bit value names
// that value (-1 written as 0xffffffffffffffff is the int -1). Any other
// constant is above every 32-bit value, so an ordered comparison with it is
// decided whatever the argument: truncating it instead (>= 2^32 read as
// >= 0) would turn a rule that matches no call the kernel sees into one that
// matches every call. MASKED_EQ reads the value through the mask: only
// datum & mask is compared (operators.h), and it is the constant here.
NarrowReading narrow_reading(policy::CmpOp op, uint64_t value, uint64_t datum) {
  using policy::CmpOp;
  if (op == CmpOp::kMaskedEq)
    return fits_in_bits(policy::masked_datum(value, datum), 32) ? NarrowReading::kLowWord : NarrowReading::kNever;
  if (fits_in_bits(value, 32)) return NarrowReading::kLowWord;
  switch (op) {
    case CmpOp::kGe:
    case CmpOp::kGt:
    case CmpOp::kEq: return NarrowReading::kNever;
    case CmpOp::kLt:
    case CmpOp::kLe:
    case CmpOp::kNe: return NarrowReading::kAlways;
    case CmpOp::kMaskedEq: break;
  }
  return NarrowReading::kLowWord;
}

// ERRNO data above MAX_ERRNO (4095): the kernel answers -4095 instead
// (kernel/seccomp.c clamps it). libseccomp refuses the action from 4095 on
// (db_col_action_valid takes errno values below MAX_ERRNO: 4095 itself is
// EINVAL, checked with libseccomp 2.5.4 and runc 1.1.5, which then fails the
// container), and runc with it the profile.
// `entry`: the syscalls[] entry's index; nullopt for the default action.
// An entry none of whose names runc resolves never reaches libseccomp: runc
// skips it before the action is checked.
Expected<void> Resolver::check_errno_range(Action action, SourcePos pos, std::string_view field,
                                           std::optional<uint32_t> entry, bool libseccomp_sees) {
  static constexpr uint16_t kMaxErrno = 4095;
  if (action.kind != ActionKind::kErrno || action.data < kMaxErrno) return {};
  const bool above = action.data > kMaxErrno;
  const std::string head = fmt::format("{}: {}: {} {} {}", where(pos), errno_owner(entry), field, action.data,
                                       above ? "is above 4095 (MAX_ERRNO)" : "is MAX_ERRNO");
  if (o_.combination == RuleCombination::kLibseccompDatabase) {
    if (!libseccomp_sees) return {};
    return fail(head +
                ": libseccomp refuses the action (EINVAL: it takes errno values up to 4094), so runc would "
                "refuse the profile");
  }
  warn_errno(pos, entry, action.data,
             head + (above ? ": the kernel answers errno 4095 instead" : ": the kernel answers it") +
                 (libseccomp_sees ? "; libseccomp (up to 4094), and so runc, refuses the profile"
                                  : " (runc skips the entry: libseccomp knows none of its names)"));
  return {};
}

// libseccomp validates the bad-arch action as it does a rule's
// (SCMP_FLTATR_ACT_BADARCH goes through db_col_action_valid too).
Expected<void> Resolver::check_bad_arch_errno() {
  static constexpr uint16_t kMaxErrno = 4095;
  const Action action = o_.bad_arch_action;
  if (action.kind != ActionKind::kErrno || action.data < kMaxErrno) return {};
  const bool above = action.data > kMaxErrno;
  const std::string head =
      fmt::format("--bad-arch errno:{} {}", action.data, above ? "is above 4095 (MAX_ERRNO)" : "is MAX_ERRNO");
  if (o_.combination == RuleCombination::kLibseccompDatabase)
    return fail(head + ": libseccomp refuses it as the bad-arch action (EINVAL: it takes errno values up to 4094)");
  warn_errno({}, std::nullopt, action.data,
             head + (above ? ": the kernel answers errno 4095 instead; " : ": the kernel answers it; ") +
                 "libseccomp (up to 4094) refuses it as the bad-arch action");
  return {};
}

std::string Resolver::errno_owner(std::optional<uint32_t> entry) {
  return entry ? fmt::format("syscalls[{}]", *entry) : std::string("the default action");
}

void Resolver::warn_errno(SourcePos pos, std::optional<uint32_t> entry, uint64_t constant, std::string message) {
  Warning w;
  w.kind = WarningKind::kErrnoRange;
  w.pos = pos;
  w.rule = policy::SourceRef{source_, pos.line, entry.value_or(0), {}, false, pos.col, {}};
  w.constant = constant;
  w.message = std::move(message);
  errno_warnings_.push_back(std::move(w));
}

// The names of syscalls[index] that no ABI's table knows (name_numbers_
// holds nullptr for them): runc skips them silently, which hides typos.
// One warning per distinct name, where it first appears; an error with
// unknown_names_are_errors. Suggestions cost a scan of every ABI's names,
// so only the first kMaxSuggestions names get one: a profile of thousands
// of made-up names stays fast.
Expected<void> Resolver::check_names(size_t index) {
  static constexpr size_t kMaxSuggestions = 64;
  if (names_unknown_ == 0) return {};  // most entries: a scan for nothing
  const ProfileSyscall& e = p_.syscalls[index];
  for (size_t k = 0; k < e.names.size(); ++k) {
    if (name_numbers_[k] != nullptr) continue;
    const std::string& name = e.names[k];
    if (warned_names_.contains(name)) continue;
    // Past the first kMaxNameWarnings distinct names, a count: a profile of
    // a million made-up names would otherwise hold (and print) a warning
    // for each.
    if (!o_.unknown_names_are_errors && warned_names_.size() >= kMaxNameWarnings) {
      if (unlisted_names_++ == 0) unlisted_from_ = e.pos;
      continue;
    }
    warned_names_.insert(name);
    Warning w;
    w.kind = WarningKind::kUnknownName;
    w.rule = policy::SourceRef{source_, e.pos.line, static_cast<uint32_t>(index), e.comment, false, e.pos.col, {}};
    w.pos = e.pos;
    w.syscall = name;
    if (name_warnings_.size() < kMaxSuggestions)
      if (auto near = syscalls::nearest_known_name(name)) w.suggestion = std::string(*near);
    w.message = fmt::format("{}: unknown syscall {} (no architecture has it{})", where(e.pos), quote(name),
                            w.suggestion.empty() ? "" : fmt::format("; did you mean {}?", w.suggestion));
    if (o_.unknown_names_are_errors) return fail(w.message + " (--strict)");
    name_warnings_.push_back(std::move(w));
  }
  return {};
}

// moby compares includes/excludes values as strings: a misspelled
// capability or arch never matches, so an includes entry silently never
// applies and an excludes entry never excludes (a deny rule meant to go
// away with CAP_SYS_ADMIN stays; an allow rule meant for it never comes).
void Resolver::check_filter_values(size_t index) {
  const ProfileSyscall& e = p_.syscalls[index];
  static const std::vector<std::string_view> arch_spellings = [] {
    std::vector<std::string_view> all;
    for (const syscalls::Arch& a : syscalls::all_arches())
      for (std::string_view n : moby_arch_names(a.id)) all.push_back(n);
    return all;
  }();
  auto warn = [&](std::string message) {
    Warning w;
    w.kind = WarningKind::kFilterValue;
    w.rule = policy::SourceRef{source_, e.pos.line, static_cast<uint32_t>(index), e.comment, false, e.pos.col, {}};
    w.pos = e.pos;
    w.message = std::move(message);
    filter_warnings_.push_back(std::move(w));
  };
  for (const bool include : {true, false}) {
    const ProfileFilter& f = include ? e.includes : e.excludes;
    const std::string_view which = include ? "includes" : "excludes";
    const std::string_view effect = include ? "so the entry never applies" : "so it never excludes the entry";
    for (const std::string& c : f.caps) {
      const auto known = capability_names();
      if (std::find(known.begin(), known.end(), c) != known.end()) continue;
      warn(fmt::format("{}: syscalls[{}]: {}.caps: no kernel has capability {}{}, {}", where(e.pos), index, which,
                       quote(c), syscalls::did_you_mean(c, known), effect));
    }
    for (const std::string& a : f.arches) {
      if (std::find(arch_spellings.begin(), arch_spellings.end(), a) != arch_spellings.end()) continue;
      warn(
          fmt::format("{}: syscalls[{}]: {}.arches: moby has no machine {}{} (it spells them amd64, arm64, x86, "
                      "...), {}",
                      where(e.pos), index, which, quote(a), syscalls::did_you_mean(a, arch_spellings), effect));
    }
  }
}

// MASKED_EQ conditions of syscalls[index] whose datum has bits outside the
// mask: libseccomp drops them (operators.h), so the rule does not test what
// it seems to. A deny rule written that way lets through what its author
// meant to block; Docker's filter does the same, and so does sysfence's.
void Resolver::check_masks(size_t index) {
  const ProfileSyscall& e = p_.syscalls[index];
  for (const ProfileArg& pa : e.args) {
    if (pa.op != policy::CmpOp::kMaskedEq) continue;
    const uint64_t ignored = pa.value_two & ~pa.value;
    if (ignored == 0) continue;
    Warning w;
    w.kind = WarningKind::kMaskedDatum;
    w.rule = policy::SourceRef{source_, e.pos.line, static_cast<uint32_t>(index), e.comment, false, e.pos.col, {}};
    w.pos = pa.pos.line != 0 ? pa.pos : e.pos;
    for (const auto& n : e.names)
      w.syscall += (w.syscall.empty() ? "" : ", ") + one_line(std::string_view{n}.substr(0, 64));
    w.arg = static_cast<uint8_t>(pa.index);
    w.mask = pa.value;
    w.datum = pa.value_two;
    w.message = fmt::format(
        "{}: syscalls[{}]: {} argument {}: SCMP_CMP_MASKED_EQ datum {:#x} has bits outside the mask {:#x} ({:#x}); "
        "libseccomp, and so Docker, compares only datum & mask ({:#x})",
        where(w.pos), index, w.syscall, w.arg, w.datum, w.mask, ignored, policy::masked_datum(w.mask, w.datum));
    mask_warnings_.push_back(std::move(w));
  }
}

// Condition `j` of entry `e` for syscall `name` (number `nr`) on `abi`:
// records a warning when an operand does not fit the argument's width.
void Resolver::check_width(const ProfileSyscall& e, const policy::SourceRef& src, size_t j, const std::string& name,
                           ArchId abi, uint32_t nr) {
  const ProfileArg& pa = e.args[j];
  const unsigned bits = kernel_bits(abi, nr, pa.index);
  if (bits >= 64) return;
  // The operand, and MASKED_EQ's datum too: on the stack, where a vector
  // cost an allocation per (name, ABI, condition).
  const uint64_t operands[2] = {pa.value, pa.value_two};
  const size_t count = pa.op == policy::CmpOp::kMaskedEq ? 2 : 1;
  for (const uint64_t v : std::span<const uint64_t>(operands, count)) {
    if (fits_in_bits(v, bits)) continue;
    const policy::ArgWidth compared = condition_width(o_.arg_width, abi, nr, pa.index);
    const WidthKey key{src.entry, j, name, bits, v, compared};
    const auto [slot, added] =
        width_index_.try_emplace(std::make_tuple(src.entry, j, name, bits, v, compared), width_warnings_.size());
    if (added) {
      Warning w;
      w.kind = WarningKind::kWidth;
      w.rule = src;
      w.pos = pa.pos.line != 0 ? pa.pos : e.pos;
      w.syscall = name;
      w.arg = static_cast<uint8_t>(pa.index);
      w.arg_decl = arg_declaration(abi, nr, pa.index);
      w.bits = bits;
      w.constant = v;
      w.compared = compared;
      w.op = pa.op;
      if (o_.arg_width == ArgWidthMode::kAbi && w.compared == policy::ArgWidth::k32)
        w.reading = narrow_reading(pa.op, pa.value, pa.value_two);
      width_warnings_.emplace_back(key, std::move(w));
    }
    std::vector<ArchId>& arches = width_warnings_[slot->second].second.arches;
    if (std::find(arches.begin(), arches.end(), abi) == arches.end()) arches.push_back(abi);
  }
}

void Resolver::report_width_warnings() {
  for (auto& [key, w] : width_warnings_) {
    std::string abis;
    for (ArchId a : w.arches) abis += (abis.empty() ? "" : ", ") + std::string(syscalls::arch(a).name);
    const std::string decl = w.arg_decl.empty() ? "" : fmt::format(" ({})", w.arg_decl);
    const std::string consequence = width_consequence(w);
    w.message = fmt::format(
        "{}: syscalls[{}]: {} argument {}{} is {}-bit on {}: constant {:#x} does not fit "
        "the argument's width; {}",
        where(w.pos), w.rule.entry, w.syscall, w.arg, decl, w.bits, abis, w.constant, consequence);
    out_.warnings.push_back(std::move(w));
  }
}

void Resolver::report_unknown_names() {
  if (unlisted_names_ != 0) {
    Warning w;
    w.kind = WarningKind::kUnknownName;
    w.pos = unlisted_from_;
    w.stands_for = unlisted_names_;
    w.message = fmt::format("{}: {} more unknown syscall name{} from here on (only the first {} are listed)",
                            where(unlisted_from_), unlisted_names_, unlisted_names_ == 1 ? "" : "s", kMaxNameWarnings);
    name_warnings_.push_back(std::move(w));
  }
  for (size_t a = 0; a < arches_.size(); ++a) {
    if (unknown_[a].empty()) continue;
    const auto& arch = syscalls::arch(arches_[a]);
    // The note is written in place, sized once: appending a list of a few
    // dozen names grew a string (and copied it) a dozen times, and appending
    // them one by one to a string sized once cost ~50 instructions a name.
    std::string note = fmt::format("{}: {} syscall name{} unknown to {} ({}) skipped: ", p_.source, unknown_[a].size(),
                                   unknown_[a].size() == 1 ? "" : "s", arch.name, arch.scmp_name);
    size_t at = note.size();
    size_t length = at - 2;  // no separator before the first name
    for (const std::string* n : unknown_[a]) length += std::min<size_t>(n->size(), 64) + 2;
    note.resize(length);
    // Each is the spelling of a name in some ABI's table (numbers_by_name
    // found it): no control characters to escape.
    char* const out = note.data();
    for (size_t k = 0; k < unknown_[a].size(); ++k) {
      if (k != 0) {
        out[at++] = ',';
        out[at++] = ' ';
      }
      const size_t n = std::min<size_t>(unknown_[a][k]->size(), 64);
      std::memcpy(out + at, unknown_[a][k]->data(), n);
      at += n;
    }
    out_.notes.push_back(std::move(note));
  }
}

}  // namespace sysfence::profile
