// For the build-time packing tools (pack_arg_widths, pack_syscall_tables):
// a string pool printed as one C++ string literal. Internal to the syscalls
// package; never linked into the product.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace sysfence::syscalls {

// `const char NAME[] = "...";` on stdout: printable ASCII as is, the rest
// (the pool's '\0' separators included) as three-digit octal escapes, which
// a following digit cannot extend.
inline void print_pool_literal(const char* name, const std::string& text) {
  std::printf("const char %s[] =\n    \"", name);
  size_t column = 0;
  for (char c : text) {
    if (column >= 100) {
      std::printf("\"\n    \"");
      column = 0;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') column += static_cast<size_t>(std::printf("\\%c", c));
    else if (u >= 0x20 && u < 0x7f) column += static_cast<size_t>(std::printf("%c", c));
    else column += static_cast<size_t>(std::printf("\\%03o", u));
  }
  std::printf("\";\n");
}

}  // namespace sysfence::syscalls
