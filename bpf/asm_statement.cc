#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "base/seccomp.h"
#include "bpf/asm_parse.h"
#include "bpf/disasm.h"
#include "bpf/symbols.h"

namespace sysfence::bpf::asm_detail {

Expected<uint32_t> LineParser::parse_u32(std::string_view what, uint64_t max) {
  const Token* t = peek();
  if (t == nullptr || t->kind != Tok::kNumber) return error_at(here(), fmt::format("expected {} (a number)", what));
  auto v = parse_number(t->text);
  if (!v) return error_at(here(), fmt::format("bad number \"{}\"", t->text));
  if (*v > max) return error_at(here(), fmt::format("{} {} is out of range (at most {:#x})", what, t->text, max));
  ++pos_;
  return static_cast<uint32_t>(*v);
}

Expected<uint32_t> LineParser::parse_constant(Item& item, bool names) {
  const Token* t = peek();
  if (t == nullptr) return error_at(here(), "expected a constant");
  if (t->kind == Tok::kNumber) return parse_u32("constant");
  if (t->kind == Tok::kIdent && t->text.starts_with("ARCH_")) {
    auto v = parse_arch_constant(t->text);
    if (!v) return error_at(here(), fmt::format("unknown arch constant \"{}\"", t->text));
    ++pos_;
    return *v;
  }
  if (names && t->kind == Tok::kIdent && t->text != "X" && t->text != "A") {
    const SourcePos p = here();
    std::string spelling(t->text);
    ++pos_;
    if (is(":")) {  // "x32:read"
      const Token* name = peek(1);
      if (name == nullptr || name->kind != Tok::kIdent) return error_at(here(), "expected a syscall name after ':'");
      spelling += ":";
      spelling += name->text;
      pos_ += 2;
    }
    item.name = PendingName{std::move(spelling), p};
    return 0;  // placeholder until the naming arch is known
  }
  return unknown_statement(item);
}

Expected<Target> LineParser::parse_target() {
  const Token* t = peek();
  Target target;
  target.pos = here();
  if (t != nullptr && t->kind == Tok::kNumber) {
    auto v = parse_number(t->text);
    if (!v) return error_at(here(), fmt::format("bad jump target \"{}\"", t->text));
    target.index = *v;
    ++pos_;
    return target;
  }
  if (t != nullptr && t->kind == Tok::kIdent) {
    target.label = std::string(t->text);
    target.next = t->text == kNextLabel;
    ++pos_;
    return target;
  }
  return error_at(here(), "expected a jump target (a label or an instruction index)");
}

// A = ...
Expected<void> LineParser::parse_a_assign(Item& item) {
  Insn& in = item.insn;
  if (accept("X")) {
    in.code = kMisc | kTxa;
    return {};
  }
  if (is("-") && is("A", 1)) {
    pos_ += 2;
    in.code = kAlu | kNeg;
    return {};
  }
  if (accept("len")) {
    in.code = kLd | kW | kLen;
    return {};
  }
  if (accept("mem")) {
    auto slot = parse_scratch_slot(item);
    if (!slot) return Unexpected<Error>{slot.error()};
    in = stmt(kLd | kMem, *slot);
    return {};
  }
  if (accept("sys_number")) {
    in = stmt(kLd | kW | kAbs, kOffsetNr);
    return {};
  }
  if (accept("arch")) {
    in = stmt(kLd | kW | kAbs, kOffsetArch);
    return {};
  }
  if (accept("data")) {
    if (!accept("[")) return unknown_statement(item);
    auto off = parse_u32("offset");
    if (!off) return Unexpected<Error>{off.error()};
    if (!accept("]")) return unknown_statement(item);
    in = stmt(kLd | kW | kAbs, *off);
    return {};
  }
  const bool ip = is("instruction_pointer");
  if (ip || is("args")) {
    ++pos_;
    PendingLoad load;
    load.ip = ip;
    if (!ip) {
      if (!accept("[")) return unknown_statement(item);
      auto idx = parse_u32("argument index", 5);
      if (!idx) return Unexpected<Error>{idx.error()};
      load.arg = *idx;
      if (!accept("]")) return unknown_statement(item);
    }
    if (accept(">>")) {
      const Token* t = peek();
      if (t == nullptr || t->kind != Tok::kNumber || parse_number(t->text) != 32)
        return error_at(here(), "only `>> 32` (the high word) can follow a 64-bit field");
      ++pos_;
      load.high = true;
    }
    in.code = kLd | kW | kAbs;
    item.load = load;
    return {};
  }
  auto k = parse_constant(item, /*names=*/false);
  if (!k) return Unexpected<Error>{k.error()};
  in = stmt(kLd | kImm, *k);
  return {};
}

// X = ...
Expected<uint32_t> LineParser::parse_scratch_slot(const Item& item) {
  if (!accept("[")) return unknown_statement(item);
  auto slot = parse_u32("scratch index");
  if (!slot) return Unexpected<Error>{slot.error()};
  if (!accept("]")) return unknown_statement(item);
  return *slot;
}

Expected<void> LineParser::parse_x_assign(Item& item) {
  Insn& in = item.insn;
  if (accept("A")) {
    in.code = kMisc | kTax;
    return {};
  }
  if (accept("len")) {
    in.code = kLdx | kW | kLen;
    return {};
  }
  if (accept("mem")) {
    auto slot = parse_scratch_slot(item);
    if (!slot) return Unexpected<Error>{slot.error()};
    in = stmt(kLdx | kMem, *slot);
    return {};
  }
  auto k = parse_constant(item, /*names=*/false);
  if (!k) return Unexpected<Error>{k.error()};
  in = stmt(kLdx | kImm, *k);
  return {};
}

// `A OP K|X` (== != > >= < <= &) into in.code / in.k; `negated_set` is the
// `!(A & K)` form, whose `!(` the caller has read. Returns whether the jump
// is taken when the condition holds (false for the spellings BPF has only
// as the opposite test: != < <= and the negated set).
Expected<bool> LineParser::parse_comparison(Item& item, bool negated_set) {
  Insn& in = item.insn;
  bool positive = true;
  uint16_t op = 0;
  if (!accept("A")) return unknown_statement(item);
  if (negated_set) {
    if (!accept("&")) return unknown_statement(item);
    op = kJset;
    positive = false;
  } else if (accept("==")) {
    op = kJeq;
  } else if (accept("!=")) {
    op = kJeq;
    positive = false;
  } else if (accept(">")) {
    op = kJgt;
  } else if (accept("<=")) {
    op = kJgt;
    positive = false;
  } else if (accept(">=")) {
    op = kJge;
  } else if (accept("<")) {
    op = kJge;
    positive = false;
  } else if (accept("&")) {
    op = kJset;
  } else {
    return unknown_statement(item);
  }
  uint16_t src = kK;
  if (accept("X")) {
    src = kX;
  } else {
    auto k = parse_constant(item, /*names=*/true);
    if (!k) return Unexpected<Error>{k.error()};
    in.k = *k;
  }
  in.code = kJmp | op | src;
  return positive;
}

// The targets of a conditional jump: `taken` when the condition as written
// holds, `otherwise` (absent: fall through) when it does not.
void add_branches(Item& item, bool positive, Target taken, std::optional<Target> otherwise) {
  item.jumps.push_back({positive ? JumpField::kJt : JumpField::kJf, std::move(taken)});
  if (otherwise) item.jumps.push_back({positive ? JumpField::kJf : JumpField::kJt, std::move(*otherwise)});
}

// if (COND) goto T [else goto F]
Expected<void> LineParser::parse_if(Item& item) {
  if (!accept("(")) return unknown_statement(item);
  const bool negated_set = accept("!");
  if (negated_set && !accept("(")) return unknown_statement(item);
  auto positive = parse_comparison(item, negated_set);
  if (!positive) return Unexpected<Error>{positive.error()};
  if (negated_set && !accept(")")) return unknown_statement(item);
  if (!accept(")")) return unknown_statement(item);
  if (!accept("goto")) return unknown_statement(item);
  auto first = parse_target();
  if (!first) return Unexpected<Error>{first.error()};
  std::optional<Target> second;
  if (accept("else")) {
    if (!accept("goto")) return unknown_statement(item);
    auto t = parse_target();
    if (!t) return Unexpected<Error>{t.error()};
    second = std::move(*t);
  }
  add_branches(item, *positive, std::move(*first), std::move(second));
  return {};
}

// seccomp-tools' conditional: A OP K ? T : F (both targets required).
Expected<void> LineParser::parse_ternary(Item& item) {
  auto positive = parse_comparison(item, /*negated_set=*/false);
  if (!positive) return Unexpected<Error>{positive.error()};
  if (!accept("?")) return unknown_statement(item);
  auto taken = parse_target();
  if (!taken) return Unexpected<Error>{taken.error()};
  if (!accept(":")) return error_at(here(), "expected `:` and the target when the condition fails");
  auto otherwise = parse_target();
  if (!otherwise) return Unexpected<Error>{otherwise.error()};
  add_branches(item, *positive, std::move(*taken), std::move(*otherwise));
  return {};
}

Expected<void> LineParser::parse_return(Item& item) {
  Insn& in = item.insn;
  if (accept("A")) {
    in.code = kRet | kRetA;
    return {};
  }
  in.code = kRet | kRetK;
  const Token* t = peek();
  if (t != nullptr && t->kind == Tok::kNumber) {
    auto k = parse_u32("return value");
    if (!k) return Unexpected<Error>{k.error()};
    in.k = *k;
    return {};
  }
  // An action: its tokens up to the unused-field suffix, e.g. ERRNO ( 1 ).
  const SourcePos p = here();
  std::string spelling;
  while (!at_end() && !is("{")) {
    spelling += peek()->text;
    ++pos_;
  }
  if (spelling.empty()) return error_at(p, "expected an action, A, or a number after `return`");
  auto action = parse_action(spelling);
  if (!action) return error_at(p, fmt::format("unknown action \"{}\"", spelling));
  in.k = encode(*action);
  return {};
}

// {jt=N jf=N k=N}: values for fields the opcode ignores.
Expected<void> LineParser::parse_unused_fields(Item& item) {
  const FieldUse use = field_use(item.insn.code);
  const SourcePos open = here();
  ++pos_;  // '{'
  bool seen[3] = {false, false, false};
  while (!accept("}")) {
    const Token* t = peek();
    if (t == nullptr) return error_at(open, "unterminated `{`");
    const SourcePos p = here();
    int which = t->text == "jt" ? 0 : t->text == "jf" ? 1 : t->text == "k" ? 2 : -1;
    if (t->kind != Tok::kIdent || which < 0)
      return error_at(p, fmt::format("expected jt=, jf= or k= inside {{...}}, found \"{}\"", t->text));
    const bool used = which == 0 ? use.jt : which == 1 ? use.jf : use.k;
    if (used) return error_at(p, fmt::format("field {} is set by the statement itself", t->text));
    if (seen[which]) return error_at(p, fmt::format("field {} given twice", t->text));
    seen[which] = true;
    ++pos_;
    if (!accept("=")) return error_at(here(), "expected '='");
    auto v = parse_u32(which == 2 ? "k" : which == 0 ? "jt" : "jf", which == 2 ? 0xffffffffULL : 0xff);
    if (!v) return Unexpected<Error>{v.error()};
    if (which == 0) item.insn.jt = static_cast<uint8_t>(*v);
    if (which == 1) item.insn.jf = static_cast<uint8_t>(*v);
    if (which == 2) item.insn.k = *v;
    accept(",");
  }
  return {};
}

// A op= K|X
Expected<void> LineParser::parse_alu(Item& item) {
  static constexpr std::pair<std::string_view, uint16_t> kOps[] = {
      {"+=", kAdd}, {"-=", kSub}, {"*=", kMul}, {"/=", kDiv},  {"%=", kMod},
      {"&=", kAnd}, {"|=", kOr},  {"^=", kXor}, {"<<=", kLsh}, {">>=", kRsh}};
  const std::string_view sym = peek(1)->text;
  const auto* op = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& e) { return e.first == sym; });
  if (op == std::end(kOps)) return unknown_statement(item);
  pos_ += 2;
  if (accept("X")) {
    item.insn.code = kAlu | op->second | kX;
  } else {
    auto k = parse_constant(item, /*names=*/false);
    if (!k) return Unexpected<Error>{k.error()};
    item.insn = stmt(kAlu | op->second | kK, *k);
  }
  return {};
}

// mem[i] = A|X (after `mem [`)
Expected<void> LineParser::parse_store(Item& item) {
  auto slot = parse_u32("scratch index");
  if (!slot) return Unexpected<Error>{slot.error()};
  if (!accept("]") || !accept("=")) return unknown_statement(item);
  if (accept("A")) {
    item.insn = stmt(kSt, *slot);
  } else if (accept("X")) {
    item.insn = stmt(kStx, *slot);
  } else {
    return unknown_statement(item);
  }
  return {};
}

// .insn CODE JT JF K (after `.insn`)
Expected<void> LineParser::parse_raw_insn(Item& item) {
  auto code = parse_u32("opcode", 0xffff);
  if (!code) return Unexpected<Error>{code.error()};
  auto jt = parse_u32("jt", 0xff);
  if (!jt) return Unexpected<Error>{jt.error()};
  auto jf = parse_u32("jf", 0xff);
  if (!jf) return Unexpected<Error>{jf.error()};
  auto k = parse_u32("k");
  if (!k) return Unexpected<Error>{k.error()};
  item.insn = Insn{static_cast<uint16_t>(*code), static_cast<uint8_t>(*jt), static_cast<uint8_t>(*jf), *k};
  return {};
}

Expected<void> LineParser::parse_statement(Item& item) {
  Insn& in = item.insn;
  const Token* first = peek();
  if (first->kind != Tok::kIdent) return unknown_statement(item);
  const std::string_view word = first->text;
  Expected<void> result;
  if (word == "A" && is_ternary()) {
    result = parse_ternary(item);
  } else if (word == "A" && is("=", 1)) {
    pos_ += 2;
    result = parse_a_assign(item);
  } else if (word == "A" && peek(1) != nullptr && peek(1)->kind == Tok::kPunct) {
    result = parse_alu(item);
  } else if (word == "X" && is("=", 1)) {
    pos_ += 2;
    result = parse_x_assign(item);
  } else if (word == "mem" && is("[", 1)) {
    pos_ += 2;
    result = parse_store(item);
  } else if (word == "goto") {
    ++pos_;
    in.code = kJmp | kJa;
    auto t = parse_target();
    if (!t) return Unexpected<Error>{t.error()};
    item.jumps.push_back({JumpField::kK, std::move(*t)});
  } else if (word == "if") {
    ++pos_;
    result = parse_if(item);
  } else if (word == "return") {
    ++pos_;
    result = parse_return(item);
  } else if (word == ".insn") {
    ++pos_;
    result = parse_raw_insn(item);
  } else {
    return unknown_statement(item);
  }
  if (!result) return result;
  if (is("{")) {
    if (auto r = parse_unused_fields(item); !r) return r;
  }
  if (!at_end()) {
    // A well-formed prefix followed by junk: still not a statement we know.
    return unknown_statement(item);
  }
  return {};
}

}  // namespace sysfence::bpf::asm_detail
