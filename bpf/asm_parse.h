// The assembler's lexer (one line at a time) and the statement grammar
// (bpf/asm.h describes the syntax): a statement line becomes an Item, an
// instruction whose jump targets, context-dependent load offsets and
// syscall names bpf/asm.cc resolves once every line is read. Private to
// the assembler.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "bpf/asm.h"
#include "bpf/insn.h"

namespace sysfence::bpf::asm_detail {

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

enum class Tok : uint8_t { kIdent, kNumber, kPunct };

struct Token {
  Tok kind;
  std::string_view text;
  uint32_t col;  // 1-based
};

// The part of a line before its comment (`#` or `//`).
std::string_view strip_comment(std::string_view line);
std::string_view trim_right(std::string_view s);

struct LexError {
  uint32_t col;
  std::string message;
};

// Tokens of `code` (a comment-free line); on failure returns the error.
std::optional<LexError> tokenize(std::string_view code, std::vector<Token>& out);

// Decimal or 0x-hex.
std::optional<uint64_t> parse_number(std::string_view text);

// ---------------------------------------------------------------------------
// Parsed items
// ---------------------------------------------------------------------------

enum class JumpField : uint8_t { kJt, kJf, kK };

// seccomp-tools' name for the following instruction, as a jump target
// (unless the program defines a label of that name).
inline constexpr std::string_view kNextLabel = "next";

struct Target {
  std::string label;   // empty: numeric
  bool next = false;   // the label is `next`
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

// "f.s:12:7: message".
Unexpected<Error> error_at(std::string_view file_name, SourcePos p, std::string_view message);

// ---------------------------------------------------------------------------
// One line's tokens: a cursor, and the statement grammar over it
// ---------------------------------------------------------------------------

class LineParser {
 public:
  LineParser(std::string_view file_name, uint32_t line_no, std::string_view code, const std::vector<Token>& toks)
      : file_name_(file_name), line_no_(line_no), code_(code), toks_(toks) {}

  const Token* peek(size_t ahead = 0) const { return pos_ + ahead < toks_.size() ? &toks_[pos_ + ahead] : nullptr; }
  bool at_end() const { return pos_ >= toks_.size(); }
  size_t token_count() const { return toks_.size(); }
  size_t position() const { return pos_; }
  void skip(size_t n) { pos_ += n; }
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
    return {line_no_, t != nullptr ? t->col : static_cast<uint32_t>(code_.size() + 1)};
  }
  std::string_view code() const { return code_; }
  Unexpected<Error> error_at(SourcePos p, std::string_view message) const {
    return asm_detail::error_at(file_name_, p, message);
  }

  Expected<uint32_t> parse_u32(std::string_view what, uint64_t max = 0xffffffffULL);
  // The statement from the cursor to the end of the line.
  Expected<void> parse_statement(Item& item);

 private:
  Expected<void> parse_a_assign(Item& item);
  Expected<void> parse_x_assign(Item& item);
  // `[N]` after `mem`: the scratch slot, for both A and X loads.
  Expected<uint32_t> parse_scratch_slot(const Item& item);
  Expected<void> parse_alu(Item& item);
  Expected<void> parse_store(Item& item);
  Expected<void> parse_raw_insn(Item& item);
  Expected<void> parse_if(Item& item);
  Expected<bool> parse_comparison(Item& item, bool negated_set);
  Expected<void> parse_ternary(Item& item);
  // `A OP ... ? ...`: a comparison operator after A and a `?` later on.
  bool is_ternary() const {
    const Token* op = peek(1);
    if (op == nullptr || op->kind != Tok::kPunct) return false;
    bool compares = false;
    for (std::string_view o : {"==", "!=", ">", ">=", "<", "<=", "&"}) compares = compares || op->text == o;
    if (!compares) return false;
    for (size_t i = pos_ + 2; i < toks_.size(); ++i) {
      if (toks_[i].kind == Tok::kPunct && toks_[i].text == "?") return true;
    }
    return false;
  }
  Expected<void> parse_return(Item& item);
  Expected<void> parse_unused_fields(Item& item);
  Expected<Target> parse_target();
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

  std::string_view file_name_;
  uint32_t line_no_;
  std::string_view code_;
  const std::vector<Token>& toks_;
  size_t pos_ = 0;
};

}  // namespace sysfence::bpf::asm_detail
