#include <fmt/format.h>

#include <array>
#include <charconv>

#include "bpf/asm_parse.h"

namespace sysfence::bpf::asm_detail {

namespace {

// Longest match first.
constexpr std::array<std::string_view, 16> kMultiPunct = {">>=", "<<=", "==", "!=", ">=", "<=", ">>", "<<",
                                                          "+=",  "-=",  "*=", "/=", "%=", "&=", "|=", "^="};
constexpr std::string_view kSinglePunct = "=<>&!()[]{}:-,+*/%|^?";

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.'; }
bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
}
bool digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

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

Unexpected<Error> error_at(std::string_view file_name, SourcePos p, std::string_view message) {
  return fail(fmt::format("{}:{}:{}: {}", file_name, p.line, p.column, message));
}

}  // namespace sysfence::bpf::asm_detail
