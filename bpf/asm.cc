#include "bpf/asm.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "base/seccomp.h"
#include "bpf/asm_parse.h"
#include "bpf/flow.h"
#include "bpf/symbols.h"

namespace sysfence::bpf {
namespace {

using asm_detail::Item;
using asm_detail::JumpField;
using asm_detail::LineParser;
using asm_detail::PendingJump;
using asm_detail::PendingLoad;
using asm_detail::Tok;
using asm_detail::Token;

// Lines into items (labels, listing columns and `.arch` handled here, the
// statements by LineParser), then every item resolved against the whole
// program.
class Assembler {
 public:
  explicit Assembler(const AsmOptions& options) : options_(options), arch_(options.arch) {}

  Expected<Assembly> run(std::string_view text);

 private:
  Unexpected<Error> error_at(SourcePos p, std::string_view message) const {
    return asm_detail::error_at(options_.file_name, p, message);
  }

  Expected<void> parse_line(std::string_view raw_line);
  Expected<void> parse_columns(LineParser& line, Item& item) const;
  Expected<void> parse_labels(LineParser& line);
  Expected<void> parse_arch_directive(LineParser& line);
  Expected<void> resolve(Assembly& out);
  Expected<void> resolve_jumps();
  Expected<void> resolve_operands();

  const AsmOptions& options_;
  const syscalls::Arch* arch_;
  bool saw_arch_directive_ = false;

  std::vector<Item> items_;
  std::map<std::string, std::pair<size_t, SourcePos>, std::less<>> labels_;
  uint32_t line_no_ = 0;
};

Expected<void> Assembler::parse_line(std::string_view raw_line) {
  const std::string_view code = asm_detail::trim_right(asm_detail::strip_comment(raw_line));
  std::vector<Token> toks;
  if (auto err = asm_detail::tokenize(code, toks)) return error_at({line_no_, err->col}, err->message);
  if (toks.empty()) return {};
  LineParser line(options_.file_name, line_no_, code, toks);

  // The listing's header and separator.
  if (code.find_first_not_of(" \t=") == std::string_view::npos) return {};
  if (toks.size() == 5 && line.is("line") && line.is("CODE", 1) && line.is("JT", 2) && line.is("JF", 3) &&
      line.is("K", 4))
    return {};

  Item item;
  if (line.peek()->kind == Tok::kNumber && line.is(":", 1)) {
    if (auto r = parse_columns(line, item); !r) return r;
  }
  if (auto r = parse_labels(line); !r) return r;
  if (line.at_end()) {
    if (item.columns) return error_at(line.here(), "missing statement after the listing columns");
    return {};
  }
  // Directives that are not instructions.
  if (line.is(".arch")) return parse_arch_directive(line);

  item.pos = line.here();
  item.text = std::string(code.substr(item.pos.column - 1));
  if (auto r = line.parse_statement(item); !r) return r;
  items_.push_back(std::move(item));
  return {};
}

// Listing columns: "0005: 0x15 0x00 0x01 0x0000003b".
Expected<void> Assembler::parse_columns(LineParser& line, Item& item) const {
  const SourcePos line_pos = line.here();
  auto number = asm_detail::parse_number(line.peek()->text);
  if (!number) return error_at(line_pos, fmt::format("bad line number \"{}\"", line.peek()->text));
  if (*number != items_.size())
    return error_at(line_pos, fmt::format("line number {} does not match the instruction's index {}", line.peek()->text,
                                          items_.size()));
  line.skip(2);
  item.columns_pos = line.here();
  auto code = line.parse_u32("CODE column", 0xffff);
  if (!code) return Unexpected<Error>{code.error()};
  auto jt = line.parse_u32("JT column", 0xff);
  if (!jt) return Unexpected<Error>{jt.error()};
  auto jf = line.parse_u32("JF column", 0xff);
  if (!jf) return Unexpected<Error>{jf.error()};
  auto k = line.parse_u32("K column");
  if (!k) return Unexpected<Error>{k.error()};
  item.columns = Insn{static_cast<uint16_t>(*code), static_cast<uint8_t>(*jt), static_cast<uint8_t>(*jf), *k};
  return {};
}

Expected<void> Assembler::parse_labels(LineParser& line) {
  while (line.peek() != nullptr && line.peek()->kind == Tok::kIdent && line.is(":", 1) &&
         !line.peek()->text.starts_with(".")) {
    const SourcePos p = line.here();
    const std::string name(line.peek()->text);
    if (auto it = labels_.find(name); it != labels_.end())
      return error_at(p, fmt::format("label \"{}\" is already defined at line {}", name, it->second.second.line));
    labels_.emplace(name, std::make_pair(items_.size(), p));
    line.skip(2);
  }
  return {};
}

Expected<void> Assembler::parse_arch_directive(LineParser& line) {
  const SourcePos p = line.here();
  line.skip(1);
  if (saw_arch_directive_) return error_at(p, "`.arch` given twice");
  if (!items_.empty()) return error_at(p, "`.arch` must come before the first instruction");
  const Token* t = line.peek();
  if (t == nullptr || line.position() + 1 != line.token_count()) return error_at(p, "expected `.arch NAME`");
  auto a = syscalls::parse_arch(t->text);
  if (!a) return error_at(line.here(), a.error().message);
  if (options_.arch_explicit && options_.arch != nullptr && options_.arch->id != (*a)->id)
    return error_at(line.here(),
                    fmt::format("the file is for arch {} but {} was asked for", (*a)->name, options_.arch->name));
  arch_ = *a;
  saw_arch_directive_ = true;
  return {};
}

Expected<void> Assembler::resolve(Assembly& out) {
  if (auto r = resolve_jumps(); !r) return r;
  if (auto r = resolve_operands(); !r) return r;
  const size_t n = items_.size();
  out.program.reserve(n);
  out.positions.reserve(n);
  for (const Item& item : items_) {
    out.program.push_back(item.insn);
    out.positions.push_back(item.pos);
  }
  out.arch = arch_;
  return {};
}

// Jump targets into offsets.
Expected<void> Assembler::resolve_jumps() {
  const size_t n = items_.size();
  for (size_t i = 0; i < n; ++i) {
    Item& item = items_[i];
    for (const PendingJump& j : item.jumps) {
      uint64_t target = j.target.index;
      std::string shown = fmt::format("{:04}", target);
      if (!j.target.label.empty()) {
        auto it = labels_.find(j.target.label);
        shown = j.target.label;
        if (it != labels_.end()) {
          target = it->second.first;
          if (target >= n)
            return error_at(j.target.pos, fmt::format("label \"{}\" has no instruction after it", j.target.label));
        } else if (j.target.next) {
          target = i + 1;  // seccomp-tools' `next`
        } else {
          return error_at(j.target.pos, fmt::format("undefined label \"{}\"", j.target.label));
        }
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
  return {};
}

// Context-dependent operands, then the listing columns. The provisional
// program has placeholder offsets for argument loads and 0 for syscall names;
// neither can change what the flow analysis claims about nr/arch (argument
// words are never at offsets 0 or 4, and a name compared with the arch word
// is rejected), so the facts equal those the disassembler computes on the
// final program.
Expected<void> Assembler::resolve_operands() {
  const size_t n = items_.size();
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
