#include "pipeline/formats.h"

#include <fmt/format.h>

#include "bpf/disasm.h"
#include "policy/operators.h"
#include "syscalls/table.h"

namespace sysfence::pipeline {

namespace {

std::string json_string(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      case '\r': o += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else o += c;
    }
  }
  return o + "\"";
}

std::string abi_list(const compiler::Compiled& c) {
  std::string s;
  for (const compiler::ArchReport& r : c.arches) {
    if (!s.empty()) s += ", ";
    s += compiler::abi_names(r.abis);
  }
  return s.empty() ? "none" : s;
}

}  // namespace

std::string describe_proof(const OutputInfo& info) {
  if (!info.proof) return "not proved (compiled with --no-verify)";
  if (info.proof->sat_conflicts > 0)
    return fmt::format(
        "proved equal to the policy ({} paths, {} word constraints, a satisfiability search of {} "
        "conflicts)",
        info.proof->paths, info.proof->word_constraints, info.proof->sat_conflicts);
  return fmt::format("proved equal to the policy ({} paths, {} word constraints)", info.proof->paths,
                     info.proof->word_constraints);
}

std::string c_header(const compiler::Compiled& c, const OutputInfo& info, std::string_view name) {
  CHeaderSpec spec;
  spec.name = std::string(name);
  spec.kernel = info.target;
  spec.install_flags = info.install_flags;
  for (const compiler::ArchReport& r : c.arches) spec.abis.insert(spec.abis.end(), r.abis.begin(), r.abis.end());
  spec.summary.push_back(fmt::format("profile:  {}", info.profile));
  spec.summary.push_back(fmt::format("arches:   {} (native {})", abi_list(c), info.native ? info.native->name : "?"));
  spec.summary.push_back(fmt::format("length:   {} instructions", c.program.size()));
  for (const compiler::ArchReport& r : c.arches) {
    spec.summary.push_back(fmt::format("cost:     {}: {:.2f} instructions expected per syscall ({} weights, {} tree)",
                                       compiler::abi_names(r.abis), r.bound(), info.weights, info.strategy));
  }
  spec.summary.push_back(fmt::format("proof:    {}", describe_proof(info)));
  spec.summary.push_back(fmt::format("kernel:   Linux {} or later", syscalls::to_string(info.target)));
  for (const std::string& d : info.downgrades) {
    spec.summary.push_back(fmt::format("mapped:   {} (the target kernel {} lacks it)", d, info.kernel));
  }
  for (const std::string& n : info.newer_syscalls) {
    spec.summary.push_back(fmt::format("enosys:   {} (newer than the target kernel)", n));
  }
  spec.summary.push_back(
      fmt::format("flags:    {}{}", install_flag_names(info.install_flags),
                  info.install_flags_from_profile ? " (the profile's \"flags\"; --install-flags replaces them)" : ""));
  for (const std::string& note : info.install_flag_notes) spec.summary.push_back("flags:    " + note);
  spec.statements = statements(c.program, info.native);
  return c_header_text(c.program, spec);
}

namespace {

// {"action": ..., "conditions": [...], "source": ...}
std::string json_rule(const policy::Rule& rule) {
  std::string o = fmt::format("{{\"action\": {}", json_string(to_string(rule.action)));
  if (!rule.conditions.empty()) {
    o += ", \"conditions\": [";
    for (size_t k = 0; k < rule.conditions.size(); ++k) {
      const policy::ArgCondition& cnd = rule.conditions[k];
      o += fmt::format(R"({}{{"index": {}, "op": "{}", "value": {})", k == 0 ? "" : ", ", cnd.index,
                       policy::scmp_name(cnd.op), cnd.value);
      if (cnd.op == policy::CmpOp::kMaskedEq) o += fmt::format(", \"value_two\": {}", cnd.value_two);
      if (cnd.width == policy::ArgWidth::k32) o += ", \"width\": 32";
      o += "}";
    }
    o += "]";
  }
  if (!rule.source.file.empty()) {
    o += fmt::format(", \"source\": {}",
                     json_string(rule.source.line > 0 ? fmt::format("{}:{}", rule.source.file, rule.source.line)
                                                      : rule.source.file.str()));
  }
  o += "}";
  return o;
}

// One element of "policy.arches".
std::string json_arch_policy(const policy::ArchPolicy& ap) {
  const syscalls::Table& t = syscalls::table(ap.arch);
  std::string o = "      {\n";
  o += fmt::format("        \"arch\": {},\n", json_string(syscalls::arch(ap.arch).name));
  o += fmt::format("        \"default_action\": {},\n", json_string(to_string(ap.default_action)));
  if (ap.enosys_above) {
    o += fmt::format("        \"enosys_above\": {},\n", *ap.enosys_above);
    o += fmt::format("        \"enosys_errno\": {},\n", ap.enosys_errno);
  }
  o += "        \"syscalls\": [";
  bool first = true;
  for (const auto& [nr, rules] : ap.rules) {
    o += first ? "\n" : ",\n";
    first = false;
    auto name = t.name(nr);
    o += fmt::format(R"(          {{"nr": {}, "name": {}, "rules": [)", nr, name ? json_string(*name) : "null");
    for (size_t r = 0; r < rules.size(); ++r) o += (r == 0 ? "" : ", ") + json_rule(rules[r]);
    o += "]}";
  }
  o += first ? "]\n" : "\n        ]\n";
  o += "      }";
  return o;
}

// "program" and "report".
std::string json_program(const compiler::Compiled& c, const OutputInfo& info) {
  std::string o = "  \"program\": {\n";
  o += fmt::format("    \"length\": {},\n", c.program.size());
  o += fmt::format("    \"byte_order\": \"{}\",\n",
                   info.native && info.native->endian == Endian::kBig ? "big" : "little");
  o += "    \"insns\": [";
  for (size_t i = 0; i < c.program.size(); ++i) {
    const bpf::Insn& in = c.program[i];
    o += fmt::format("{}\n      {{\"code\": {}, \"jt\": {}, \"jf\": {}, \"k\": {}}}", i == 0 ? "" : ",", in.code, in.jt,
                     in.jf, in.k);
  }
  o += "\n    ]\n  },\n";
  o += "  \"report\": [";
  for (size_t i = 0; i < c.arches.size(); ++i) {
    const compiler::ArchReport& r = c.arches[i];
    o += fmt::format(
        "{}\n    {{\"abis\": {}, \"audit_arch\": {}, \"intervals\": {}, \"tree_tests\": {}, "
        "\"dispatch_insns\": {}, \"tree_cost\": {:.4f}, \"expected_insns\": {:.4f}}}",
        i == 0 ? "" : ",", json_string(compiler::abi_names(r.abis)), r.audit_arch, r.intervals, r.tree_tests,
        r.dispatch_insns, r.tree_cost, r.bound());
  }
  o += c.arches.empty() ? "]\n" : "\n  ]\n";
  return o;
}

}  // namespace

std::string json_output(const compiler::Compiled& c, const policy::Policy& policy, const OutputInfo& info) {
  std::string o = "{\n";
  o += fmt::format("  \"profile\": {},\n", json_string(info.profile));
  o += fmt::format("  \"native\": {},\n", json_string(info.native ? info.native->name : ""));
  o += fmt::format("  \"strategy\": {},\n", json_string(info.strategy));
  o += fmt::format("  \"weights\": {},\n", json_string(info.weights));
  if (info.proof) {
    o += fmt::format(
        "  \"proof\": {{\"proved\": true, \"paths\": {}, \"word_constraints\": {}, \"sat_conflicts\": {}}},\n",
        info.proof->paths, info.proof->word_constraints, info.proof->sat_conflicts);
  } else {
    o += "  \"proof\": null,\n";
  }
  o += "  \"notes\": [";
  for (size_t i = 0; i < info.notes.size(); ++i)
    o += fmt::format("{}\n    {}", i == 0 ? "" : ",", json_string(info.notes[i]));
  o += info.notes.empty() ? "],\n" : "\n  ],\n";
  if (!info.downgrades.empty()) {
    o += fmt::format("  \"target_kernel\": {{\"kernel\": {}, \"downgrades\": [", json_string(info.kernel));
    for (size_t i = 0; i < info.downgrades.size(); ++i)
      o += fmt::format("{}{}", i == 0 ? "" : ", ", json_string(info.downgrades[i]));
    o += "]},\n";
  }
  o += "  \"policy\": {\n";
  o += fmt::format("    \"bad_arch_action\": {},\n", json_string(to_string(policy.bad_arch_action)));
  o += "    \"arches\": [";
  for (size_t a = 0; a < policy.arches.size(); ++a) {
    o += a == 0 ? "\n" : ",\n";
    o += json_arch_policy(policy.arches[a]);
  }
  o += policy.arches.empty() ? "]\n" : "\n    ]\n";
  o += "  },\n";
  o += json_program(c, info);
  o += "}\n";
  return o;
}

}  // namespace sysfence::pipeline
