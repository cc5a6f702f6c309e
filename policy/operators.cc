#include "policy/operators.h"

#include <array>

namespace sysfence::policy {

namespace {
constexpr std::array<OperatorSpelling, 7> kOperators{{
    {CmpOp::kNe, "SCMP_CMP_NE", "!="},
    {CmpOp::kLt, "SCMP_CMP_LT", "<"},
    {CmpOp::kLe, "SCMP_CMP_LE", "<="},
    {CmpOp::kEq, "SCMP_CMP_EQ", "=="},
    {CmpOp::kGe, "SCMP_CMP_GE", ">="},
    {CmpOp::kGt, "SCMP_CMP_GT", ">"},
    {CmpOp::kMaskedEq, "SCMP_CMP_MASKED_EQ", "=="},
}};

const OperatorSpelling* spelling(CmpOp op) {
  for (const auto& s : kOperators)
    if (s.op == op) return &s;
  return nullptr;
}
}  // namespace

std::span<const OperatorSpelling> operators() { return kOperators; }

std::string_view scmp_name(CmpOp op) {
  const OperatorSpelling* s = spelling(op);
  return s != nullptr ? s->scmp_name : "?";
}

std::string_view symbol(CmpOp op) {
  const OperatorSpelling* s = spelling(op);
  return s != nullptr ? s->symbol : "?";
}

std::optional<CmpOp> parse_scmp_name(std::string_view name) {
  // The names of one length differ in their last two bytes: one whole
  // comparison per name read (one per operator before it cost a profile's
  // reader 160 instructions a condition).
  for (const auto& s : kOperators) {
    const std::string_view n = s.scmp_name;
    if (n.size() == name.size() && n.back() == name.back() && n[n.size() - 2] == name[name.size() - 2] && n == name)
      return s.op;
  }
  return std::nullopt;
}

}  // namespace sysfence::policy
