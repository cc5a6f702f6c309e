// The seven comparison operators of a rule condition, each defined once: what
// it means on a value of any width, how profiles and people write it, and the
// operands at which it stops depending on the argument. The reference
// evaluator (policy.cc) and the compiler (compiler/args.cc) both read these,
// so the filter and the specification it is checked against cannot drift
// apart on what an operator means.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

#include "policy/policy.h"

namespace sysfence::policy {

// One operator as profiles and tools write it.
struct OperatorSpelling {
  CmpOp op;
  std::string_view scmp_name;  // libseccomp's enum name, as profiles write it: "SCMP_CMP_MASKED_EQ"
  std::string_view symbol;     // in descriptions: "<=" ("==" for MASKED_EQ, after the mask)
};
// Every operator, in CmpOp order.
std::span<const OperatorSpelling> operators();
std::string_view scmp_name(CmpOp op);
std::string_view symbol(CmpOp op);
std::optional<CmpOp> parse_scmp_name(std::string_view name);

// MASKED_EQ(mask, datum) holds when (arg & mask) == (datum & mask): libseccomp
// keeps only the datum's bits inside the mask when the rule is added (db.c
// masks each word's datum), and Docker, runc and Podman all go through it.
// Datum bits outside the mask are never compared; resolution warns about them
// because a profile that sets them does not say what it seems to.
constexpr uint64_t masked_datum(uint64_t mask, uint64_t datum) { return datum & mask; }

// Whether `op` holds for `arg` against `operand` (the mask for MASKED_EQ) and
// `datum` (MASKED_EQ only), all of one width: a whole 64-bit argument or one
// 32-bit word of it.
template <std::unsigned_integral Word>
constexpr bool holds(CmpOp op, Word arg, Word operand, Word datum) {
  switch (op) {
    case CmpOp::kNe: return arg != operand;
    case CmpOp::kLt: return arg < operand;
    case CmpOp::kLe: return arg <= operand;
    case CmpOp::kEq: return arg == operand;
    case CmpOp::kGe: return arg >= operand;
    case CmpOp::kGt: return arg > operand;
    case CmpOp::kMaskedEq: return (arg & operand) == static_cast<Word>(masked_datum(operand, datum));
  }
  return false;
}

// The boundary operands: where `op` holds for every argument of the width
// (>= 0, <= max, MASKED_EQ with mask 0) or for none (< 0, > max); nullopt
// where the argument decides.
template <std::unsigned_integral Word>
constexpr std::optional<bool> constant_truth(CmpOp op, Word operand) {
  constexpr Word kMax = std::numeric_limits<Word>::max();
  switch (op) {
    case CmpOp::kGe: return operand == 0 ? std::optional<bool>(true) : std::nullopt;
    case CmpOp::kLe: return operand == kMax ? std::optional<bool>(true) : std::nullopt;
    case CmpOp::kLt: return operand == 0 ? std::optional<bool>(false) : std::nullopt;
    case CmpOp::kGt: return operand == kMax ? std::optional<bool>(false) : std::nullopt;
    case CmpOp::kMaskedEq: return operand == 0 ? std::optional<bool>(true) : std::nullopt;
    case CmpOp::kEq:
    case CmpOp::kNe: return std::nullopt;
  }
  return std::nullopt;
}

// A 64-bit comparison made of 32-bit words, as classic BPF must: for every
// operator but MASKED_EQ the high words decide unless they are equal, and
// then the same operator on the low words does. MASKED_EQ instead splits into
// two independent halves, (hi & mask.hi) == datum.hi and the same on the low
// words.
struct HighWordOutcome {
  bool when_below;  // the argument's high word < the operand's
  bool when_above;  // the argument's high word > the operand's
};
// Precondition: op != kMaskedEq.
constexpr HighWordOutcome high_word_outcome(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return {false, false};
    case CmpOp::kNe: return {true, true};
    case CmpOp::kLt:
    case CmpOp::kLe: return {true, false};
    case CmpOp::kGt:
    case CmpOp::kGe: return {false, true};
    case CmpOp::kMaskedEq: break;
  }
  return {false, false};
}

}  // namespace sysfence::policy
