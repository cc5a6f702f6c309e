// The conflict warnings' text (RuleDatabase, rule_database.h): written
// straight into one buffer per warning, each action's text formatted once
// per resolution.
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "profile/rule_database.h"
#include "syscalls/arch.h"

namespace sysfence::profile {

namespace {

// `value` as fmt's {:#x} writes it, digit by digit: fmt's own formatting of
// a warning's six arguments cost 1,800 instructions.
void append_hex(std::string& out, uint64_t value) {
  char text[18];
  char* first = text + sizeof text;
  do {
    *--first = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0);
  *--first = 'x';
  *--first = '0';
  out.append(first, text + sizeof text);
}

// "(0x0, 0x1, ...)": the six arguments of `w`.
void append_arguments(std::string& out, const std::array<uint64_t, 6>& w) {
  out += '(';
  for (size_t k = 0; k < w.size(); ++k) {
    if (k != 0) out += ", ";
    append_hex(out, w[k]);
  }
  out += ')';
}

}  // namespace

void RuleDatabase::append_where(std::string& out, uint32_t entry) const {
  const SourcePos pos = entry < p_.syscalls.size() ? p_.syscalls[entry].pos : SourcePos{};
  const auto decimal = [&out](uint32_t v) {
    const fmt::format_int text(v);
    out.append(text.data(), text.size());
  };
  out += p_.source;
  out += ':';
  decimal(pos.line);
  out += ':';
  decimal(pos.col);
  out += ": syscalls[";
  decimal(entry);
  out += ']';
}

std::string RuleDatabase::where(uint32_t entry) const {
  std::string out;
  append_where(out, entry);
  return out;
}

const std::string& RuleDatabase::action_text(Action action) {
  const uint64_t key =
      uint64_t{static_cast<uint8_t>(action.kind)} << 32 | uint64_t{action.unknown_bits} << 16 | action.data;
  auto [slot, added] = action_texts_.try_emplace(key);
  if (added) slot->second = to_string(action);
  return slot->second;
}

// The message of the conflict warning `w` between rules `a` and `b` (every
// other field of `w` set), written in one buffer: formatting its parts into
// strings of their own and then the whole cost 1.1M instructions for 100
// warnings, 0.22M so.
std::string RuleDatabase::conflict_message(const Warning& w, const policy::Rule& a, const policy::Rule& b,
                                           std::string_view libseccomp_why) {
  const std::string_view arch = syscalls::arch(w.arches.front()).name;
  std::string out;
  // The fixed words are about 330 bytes.
  out.reserve(2 * p_.source.size() + w.syscall.size() + libseccomp_why.size() + 512);
  append_where(out, a.source.entry);
  out += " (";
  out += action_text(a.action);
  out += ") and ";
  append_where(out, b.source.entry);
  out += " (";
  out += action_text(b.action);
  out += ") both match ";
  out += w.syscall;
  out += " on ";
  out += arch;
  out += ", e.g. with arguments ";
  append_arguments(out, w.witness);
  // With libseccomp's rule database asked for, the filter follows
  // libseccomp where sysfence models its tree (else a warning of its own
  // says it does not): the most restrictive rule is then sysfence's own
  // reading, not necessarily this filter's answer.
  out += mode_ == RuleCombination::kLibseccompDatabase ? ": sysfence's own semantics answers " : ": sysfence answers ";
  out += action_text(w.most_restrictive);
  out += " (the most restrictive matching rule); libseccomp, and so runc, Docker and Podman, ";
  if (w.libseccomp_refuses) {
    out += "refuses the profile";
  } else if (w.libseccomp_unmodelled) {
    // No answer rather than sysfence's own: the rule tree's order decides.
    out += "decides by the order of its rule tree, which sysfence does not model here: no answer is given";
  } else {
    out += "answers ";
    out += action_text(w.libseccomp);
  }
  if (!libseccomp_why.empty()) {
    out += " (";
    out += libseccomp_why;
    out += ')';
  }
  return out;
}

}  // namespace sysfence::profile
