#include "bpf/asm.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>

#include "base/seccomp.h"
#include "bpf/disasm.h"
#include "bpf/flow.h"
#include "bpf/symbols.h"

namespace sysfence::bpf {
namespace {

// ---------------------------------------------------------------------------
// Lexer (one line at a time)
// ---------------------------------------------------------------------------

enum class Tok : uint8_t { kIdent, kNumber, kPunct };

struct Token {
  Tok kind;
  std::string_view text;
  uint32_t col;  // 1-based
};

// Longest match first.
constexpr std::array<std::string_view, 16> kMultiPunct = {">>=", "<<=", "==", "!=", ">=", "<=", ">>", "<<",
                                                          "+=",  "-=",  "*=", "/=", "%=", "&=", "|=", "^="};
constexpr std::string_view kSinglePunct = "=<>&!()[]{}:-,+*/%|^";

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.'; }
bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
}
bool digit(char c) { return c >= '0' && c <= '9'; }

// The part of a line before its comment (`#` or `//`).
std::string_view strip_comment(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#') return line.substr(0, i);
    if (line[i] == '/' && i + 1 < line.size() && line[i + 1] == '/') return line.substr(0, i);
  }
  return line;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

struct LexError {
  uint32_t col;
  std::string message;
};

// Tokens of `code` (a comment-free line); on failure returns the error.
std::optional<LexError> tokenize(std::string_view code, std::vector<Token>& out) {
  size_t i = 0;
  while (i < code.size()) {
    const char c = code[i];
    const auto col = static_cast<uint32_t>(i + 1);
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (ident_start(c)) {
      size_t j = i + 1;
      while (j < code.size() && ident_char(code[j])) ++j;
      out.push_back({Tok::kIdent, code.substr(i, j - i), col});
      i = j;
      continue;
    }
    if (digit(c)) {
      size_t j = i + 1;
      while (j < code.size() && ident_char(code[j])) ++j;
      out.push_back({Tok::kNumber, code.substr(i, j - i), col});
      i = j;
      continue;
    }
    bool matched = false;
    for (std::string_view p : kMultiPunct) {
      if (code.substr(i, p.size()) == p) {
        out.push_back({Tok::kPunct, code.substr(i, p.size()), col});
        i += p.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (kSinglePunct.find(c) != std::string_view::npos) {
      out.push_back({Tok::kPunct, code.substr(i, 1), col});
      ++i;
      continue;
    }
    const auto uc = static_cast<unsigned char>(c);
    return LexError{col, (uc >= 0x20 && uc < 0x7f) ? fmt::format("unexpected character '{}'", c)
                                                   : fmt::format("unexpected byte 0x{:02x}", uc)};
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_number(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------------------
// Parsed items
// ---------------------------------------------------------------------------

enum class JumpField : uint8_t { kJt, kJf, kK };

struct Target {
  std::string label;   // empty: numeric
  uint64_t index = 0;  // absolute instruction index when numeric
  SourcePos pos;
};

struct PendingJump {
  JumpField field;
  Target target;
};

// `A = args[i] [>> 32]` / `A = instruction_pointer [>> 32]`: the offset
// depends on the byte order at that point.
struct PendingLoad {
  bool ip = false;
  unsigned arg = 0;
  bool high = false;
};

struct PendingName {
  std::string spelling;
  SourcePos pos;
};

struct Item {
  Insn insn;
  SourcePos pos;
  std::string text;  // the statement as written, for messages
  std::vector<PendingJump> jumps;
  std::optional<PendingLoad> load;
  std::optional<PendingName> name;
  std::optional<Insn> columns;  // listing columns, checked at the end
  SourcePos columns_pos;
};

// ---------------------------------------------------------------------------
// The line parser
// ---------------------------------------------------------------------------

class Assembler {
 public:
  explicit Assembler(const AsmOptions& options) : options_(options), arch_(options.arch) {}

  Expected<Assembly> run(std::string_view text);

 private:
  std::string where(SourcePos p) const { return fmt::format("{}:{}:{}", options_.file_name, p.line, p.column); }
  Unexpected<Error> error_at(SourcePos p, std::string_view message) const {
    return fail(fmt::format("{}: {}", where(p), message));
  }

  // Token cursor over the current line.
  const Token* peek(size_t ahead = 0) const { return pos_ + ahead < toks_.size() ? &toks_[pos_ + ahead] : nullptr; }
  bool at_end() const { return pos_ >= toks_.size(); }
  bool is(std::string_view text, size_t ahead = 0) const {
    const Token* t = peek(ahead);
    return t != nullptr && t->kind != Tok::kNumber && t->text == text;
  }
  bool accept(std::string_view text) {
    if (!is(text)) return false;
    ++pos_;
    return true;
  }
  SourcePos here() const {
    const Token* t = peek();
    return {line_no_, t != nullptr ? t->col : static_cast<uint32_t>(line_len_ + 1)};
  }

  Expected<void> parse_line(std::string_view raw_line);
  Expected<void> parse_statement(Item& item);
  Expected<void> parse_a_assign(Item& item);
  Expected<void> parse_x_assign(Item& item);
  Expected<void> parse_if(Item& item);
  Expected<void> parse_return(Item& item);
  Expected<void> parse_unused_fields(Item& item);
  Expected<Target> parse_target();
  Expected<uint32_t> parse_u32(std::string_view what, uint64_t max = 0xffffffffULL);
  // A constant operand: number or ARCH_* (and, when `names` is set, a
  // syscall name left pending on the item).
  Expected<uint32_t> parse_constant(Item& item, bool names);
  Unexpected<Error> unknown_statement(const Item& item) const {
    // Quote the statement, but keep a runaway line from flooding the message.
    constexpr size_t kMaxQuoted = 80;
    const std::string_view text = item.text;
    return error_at(item.pos, fmt::format("unknown statement \"{}{}\"", text.substr(0, kMaxQuoted),
                                          text.size() > kMaxQuoted ? "..." : ""));
  }

  Expected<void> resolve(Assembly& out);

  const AsmOptions& options_;
  const syscalls::Arch* arch_;
  bool saw_arch_directive_ = false;

  std::vector<Item> items_;
  std::map<std::string, std::pair<size_t, SourcePos>, std::less<>> labels_;

  // Current line.
  std::vector<Token> toks_;
  size_t pos_ = 0;
  uint32_t line_no_ = 0;
  size_t line_len_ = 0;
  std::string_view code_;
};

Expected<uint32_t> Assembler::parse_u32(std::string_view what, uint64_t max) {
  const Token* t = peek();
  if (t == nullptr || t->kind != Tok::kNumber) return error_at(here(), fmt::format("expected {} (a number)", what));
  auto v = parse_number(t->text);
  if (!v) return error_at(here(), fmt::format("bad number \"{}\"", t->text));
  if (*v > max) return error_at(here(), fmt::format("{} {} is out of range (at most {:#x})", what, t->text, max));
  ++pos_;
  return static_cast<uint32_t>(*v);
}

Expected<uint32_t> Assembler::parse_constant(Item& item, bool names) {
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

Expected<Target> Assembler::parse_target() {
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
    ++pos_;
    return target;
  }
  return error_at(here(), "expected a jump target (a label or an instruction index)");
}

// A = ...
Expected<void> Assembler::parse_a_assign(Item& item) {
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
    if (!accept("[")) return unknown_statement(item);
    auto slot = parse_u32("scratch index");
    if (!slot) return Unexpected<Error>{slot.error()};
    if (!accept("]")) return unknown_statement(item);
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
Expected<void> Assembler::parse_x_assign(Item& item) {
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
    if (!accept("[")) return unknown_statement(item);
    auto slot = parse_u32("scratch index");
    if (!slot) return Unexpected<Error>{slot.error()};
    if (!accept("]")) return unknown_statement(item);
    in = stmt(kLdx | kMem, *slot);
    return {};
  }
  auto k = parse_constant(item, /*names=*/false);
  if (!k) return Unexpected<Error>{k.error()};
  in = stmt(kLdx | kImm, *k);
  return {};
}

// if (COND) goto T [else goto F]
Expected<void> Assembler::parse_if(Item& item) {
  Insn& in = item.insn;
  if (!accept("(")) return unknown_statement(item);
  bool positive = true;
  uint16_t op = 0;
  const bool negated_set = accept("!");
  if (negated_set && !accept("(")) return unknown_statement(item);
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
  if (negated_set && !accept(")")) return unknown_statement(item);
  if (!accept(")")) return unknown_statement(item);
  in.code = kJmp | op | src;
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
  // `if (c) goto T` falls through when c fails; the negated spellings swap
  // which branch is written first.
  const JumpField first_field = positive ? JumpField::kJt : JumpField::kJf;
  const JumpField second_field = positive ? JumpField::kJf : JumpField::kJt;
  item.jumps.push_back({first_field, std::move(*first)});
  if (second) item.jumps.push_back({second_field, std::move(*second)});
  return {};
}

Expected<void> Assembler::parse_return(Item& item) {
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
Expected<void> Assembler::parse_unused_fields(Item& item) {
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

Expected<void> Assembler::parse_statement(Item& item) {
  Insn& in = item.insn;
  const Token* first = peek();
  if (first->kind != Tok::kIdent) return unknown_statement(item);
  const std::string_view word = first->text;
  Expected<void> result;
  if (word == "A" && is("=", 1)) {
    pos_ += 2;
    result = parse_a_assign(item);
  } else if (word == "A" && peek(1) != nullptr && peek(1)->kind == Tok::kPunct) {
    static constexpr std::pair<std::string_view, uint16_t> kOps[] = {
        {"+=", kAdd}, {"-=", kSub}, {"*=", kMul}, {"/=", kDiv},  {"%=", kMod},
        {"&=", kAnd}, {"|=", kOr},  {"^=", kXor}, {"<<=", kLsh}, {">>=", kRsh}};
    const std::string_view sym = peek(1)->text;
    const auto* op = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& e) { return e.first == sym; });
    if (op == std::end(kOps)) return unknown_statement(item);
    pos_ += 2;
    if (accept("X")) {
      in.code = kAlu | op->second | kX;
    } else {
      auto k = parse_constant(item, /*names=*/false);
      if (!k) return Unexpected<Error>{k.error()};
      in = stmt(kAlu | op->second | kK, *k);
    }
  } else if (word == "X" && is("=", 1)) {
    pos_ += 2;
    result = parse_x_assign(item);
  } else if (word == "mem" && is("[", 1)) {
    pos_ += 2;
    auto slot = parse_u32("scratch index");
    if (!slot) return Unexpected<Error>{slot.error()};
    if (!accept("]") || !accept("=")) return unknown_statement(item);
    if (accept("A")) {
      in = stmt(kSt, *slot);
    } else if (accept("X")) {
      in = stmt(kStx, *slot);
    } else {
      return unknown_statement(item);
    }
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
    auto code = parse_u32("opcode", 0xffff);
    if (!code) return Unexpected<Error>{code.error()};
    auto jt = parse_u32("jt", 0xff);
    if (!jt) return Unexpected<Error>{jt.error()};
    auto jf = parse_u32("jf", 0xff);
    if (!jf) return Unexpected<Error>{jf.error()};
    auto k = parse_u32("k");
    if (!k) return Unexpected<Error>{k.error()};
    in = Insn{static_cast<uint16_t>(*code), static_cast<uint8_t>(*jt), static_cast<uint8_t>(*jf), *k};
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

Expected<void> Assembler::parse_line(std::string_view raw_line) {
  code_ = trim_right(strip_comment(raw_line));
  line_len_ = code_.size();
  toks_.clear();
  pos_ = 0;
  if (auto err = tokenize(code_, toks_)) return error_at({line_no_, err->col}, err->message);
  if (toks_.empty()) return {};

  // The listing's header and separator.
  if (code_.find_first_not_of(" \t=") == std::string_view::npos) return {};
  if (toks_.size() == 5 && is("line") && is("CODE", 1) && is("JT", 2) && is("JF", 3) && is("K", 4)) return {};

  Item item;
  // Listing columns: "0005: 0x15 0x00 0x01 0x0000003b".
  if (peek()->kind == Tok::kNumber && is(":", 1)) {
    const SourcePos line_pos = here();
    auto number = parse_number(peek()->text);
    if (!number) return error_at(line_pos, fmt::format("bad line number \"{}\"", peek()->text));
    if (*number != items_.size())
      return error_at(line_pos, fmt::format("line number {} does not match the instruction's index {}", peek()->text,
                                            items_.size()));
    pos_ += 2;
    item.columns_pos = here();
    auto code = parse_u32("CODE column", 0xffff);
    if (!code) return Unexpected<Error>{code.error()};
    auto jt = parse_u32("JT column", 0xff);
    if (!jt) return Unexpected<Error>{jt.error()};
    auto jf = parse_u32("JF column", 0xff);
    if (!jf) return Unexpected<Error>{jf.error()};
    auto k = parse_u32("K column");
    if (!k) return Unexpected<Error>{k.error()};
    item.columns = Insn{static_cast<uint16_t>(*code), static_cast<uint8_t>(*jt), static_cast<uint8_t>(*jf), *k};
  }

  // Labels.
  while (peek() != nullptr && peek()->kind == Tok::kIdent && is(":", 1) && !peek()->text.starts_with(".")) {
    const SourcePos p = here();
    const std::string name(peek()->text);
    if (auto it = labels_.find(name); it != labels_.end())
      return error_at(p, fmt::format("label \"{}\" is already defined at line {}", name, it->second.second.line));
    labels_.emplace(name, std::make_pair(items_.size(), p));
    pos_ += 2;
  }
  if (at_end()) {
    if (item.columns) return error_at(here(), "missing statement after the listing columns");
    return {};
  }

  // Directives that are not instructions.
  if (is(".arch")) {
    const SourcePos p = here();
    ++pos_;
    if (saw_arch_directive_) return error_at(p, "`.arch` given twice");
    if (!items_.empty()) return error_at(p, "`.arch` must come before the first instruction");
    const Token* t = peek();
    if (t == nullptr || pos_ + 1 != toks_.size()) return error_at(p, "expected `.arch NAME`");
    auto a = syscalls::parse_arch(t->text);
    if (!a) return error_at(here(), a.error().message);
    if (options_.arch_explicit && options_.arch != nullptr && options_.arch->id != (*a)->id)
      return error_at(here(),
                      fmt::format("the file is for arch {} but {} was asked for", (*a)->name, options_.arch->name));
    arch_ = *a;
    saw_arch_directive_ = true;
    return {};
  }

  item.pos = here();
  item.text = std::string(code_.substr(item.pos.column - 1));
  if (auto r = parse_statement(item); !r) return r;
  items_.push_back(std::move(item));
  return {};
}

Expected<void> Assembler::resolve(Assembly& out) {
  const size_t n = items_.size();
  // Jump targets.
  for (size_t i = 0; i < n; ++i) {
    Item& item = items_[i];
    for (const PendingJump& j : item.jumps) {
      uint64_t target = j.target.index;
      std::string shown = fmt::format("{:04}", target);
      if (!j.target.label.empty()) {
        auto it = labels_.find(j.target.label);
        if (it == labels_.end()) return error_at(j.target.pos, fmt::format("undefined label \"{}\"", j.target.label));
        target = it->second.first;
        shown = j.target.label;
        if (target >= n)
          return error_at(j.target.pos, fmt::format("label \"{}\" has no instruction after it", j.target.label));
      }
      if (target <= i)
        return error_at(j.target.pos, fmt::format("jump to {} goes backwards: jumps go forward only "
                                                  "(this is instruction {})",
                                                  shown, i));
      if (target >= n)
        return error_at(j.target.pos, fmt::format("jump target {} is past the end of the program "
                                                  "({} instructions)",
                                                  shown, n));
      const uint64_t offset = target - i - 1;
      if (j.field == JumpField::kK) {
        item.insn.k = static_cast<uint32_t>(offset);
        continue;
      }
      if (offset > 255)
        return error_at(j.target.pos, fmt::format("conditional jump to {} is {} instructions ahead; at most 255 "
                                                  "fit in jt/jf (jump to a `goto {}` placed within reach)",
                                                  shown, offset, shown));
      (j.field == JumpField::kJt ? item.insn.jt : item.insn.jf) = static_cast<uint8_t>(offset);
    }
  }

  // Context-dependent operands. The provisional program has placeholder
  // offsets for argument loads and 0 for syscall names; neither can change
  // what the flow analysis claims about nr/arch (argument words are never at
  // offsets 0 or 4, and a name compared with the arch word is rejected), so
  // the facts equal those the disassembler computes on the final program.
  Program provisional;
  provisional.reserve(n);
  for (Item& item : items_) {
    if (item.load) item.insn.k = kOffsetArgs;
    provisional.push_back(item.insn);
  }
  const std::vector<FlowFacts> facts = analyze_flow(provisional);
  for (size_t i = 0; i < n; ++i) {
    Item& item = items_[i];
    const syscalls::Arch* ctx = naming_arch(facts[i].arch, arch_);
    if (item.load) {
      if (ctx == nullptr)
        return error_at(item.pos,
                        "argument and instruction-pointer words need the byte order: "
                        "pass --arch, add `.arch NAME`, or write `A = data[OFFSET]`");
      const PendingLoad& l = *item.load;
      const Endian e = ctx->endian;
      item.insn.k = l.ip ? (l.high ? ip_hi_offset(e) : ip_lo_offset(e))
                         : (l.high ? arg_hi_offset(l.arg, e) : arg_lo_offset(l.arg, e));
    }
    if (item.name) {
      if (facts[i].reached && facts[i].a_word == kOffsetArch)
        return error_at(item.name->pos, fmt::format("syscall name \"{}\" compared with the arch word (A = arch); "
                                                    "use an ARCH_* constant",
                                                    item.name->spelling));
      auto nr = resolve_syscall(item.name->spelling, ctx);
      if (!nr) return error_at(item.name->pos, nr.error().message);
      item.insn.k = *nr;
    }
    if (item.columns && *item.columns != item.insn) {
      const Insn& c = *item.columns;
      const Insn& a = item.insn;
      std::string hint;
      if (item.name && ctx != nullptr)
        hint = fmt::format(" (syscall names were resolved for {}; is --arch right?)", ctx->name);
      return error_at(item.columns_pos, fmt::format("the statement assembles to {:#04x} {:#04x} {:#04x} {:#010x} but "
                                                    "the columns say {:#04x} {:#04x} {:#04x} {:#010x}{}",
                                                    a.code, a.jt, a.jf, a.k, c.code, c.jt, c.jf, c.k, hint));
    }
  }

  out.program.reserve(n);
  out.positions.reserve(n);
  for (const Item& item : items_) {
    out.program.push_back(item.insn);
    out.positions.push_back(item.pos);
  }
  out.arch = arch_;
  return {};
}

Expected<Assembly> Assembler::run(std::string_view text) {
  size_t start = 0;
  line_no_ = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++line_no_;
    if (auto r = parse_line(text.substr(start, end - start)); !r) return Unexpected<Error>{r.error()};
    start = end + 1;
  }
  if (items_.empty()) return fail(fmt::format("{}: no instructions", options_.file_name));
  Assembly out;
  if (auto r = resolve(out); !r) return Unexpected<Error>{r.error()};
  return out;
}

}  // namespace

Expected<Assembly> assemble(std::string_view text, const AsmOptions& options) {
  Assembler a(options);
  return a.run(text);
}

}  // namespace sysfence::bpf
