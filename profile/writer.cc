#include "profile/writer.h"

#include <fmt/format.h>

namespace sysfence::profile {

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += ch;
    }
  }
  out += '"';
  return out;
}

namespace {

// Builds `{ "k": v, ... }` blocks with indentation; members are added in the
// canonical order by the callers.
class ObjectWriter {
 public:
  ObjectWriter(std::string& out, int indent) : out_(out), indent_(indent) { out_ += "{"; }
  void key(std::string_view k) {
    out_ += first_ ? "\n" : ",\n";
    first_ = false;
    out_.append(static_cast<size_t>(indent_) + 2, ' ');
    out_ += json_quote(k);
    out_ += ": ";
  }
  void raw(std::string_view k, std::string_view v) {
    key(k);
    out_ += v;
  }
  void string(std::string_view k, std::string_view v) { raw(k, json_quote(v)); }
  void strings(std::string_view k, const std::vector<std::string>& v) {
    std::string list = "[";
    for (size_t i = 0; i < v.size(); ++i) list += (i ? ", " : "") + json_quote(v[i]);
    list += "]";
    raw(k, list);
  }
  void close() {
    if (!first_) {
      out_ += "\n";
      out_.append(static_cast<size_t>(indent_), ' ');
    }
    out_ += "}";
  }
  int child_indent() const { return indent_ + 2; }

 private:
  std::string& out_;
  int indent_;
  bool first_ = true;
};

void write_filter(std::string& out, int indent, const ProfileFilter& f) {
  ObjectWriter w(out, indent);
  if (!f.caps.empty()) w.strings("caps", f.caps);
  if (!f.arches.empty()) w.strings("arches", f.arches);
  if (f.min_kernel) w.string("minKernel", fmt::format("{}.{}", f.min_kernel->major, f.min_kernel->minor));
  w.close();
}

void write_syscall(std::string& out, int indent, const ProfileSyscall& s) {
  ObjectWriter w(out, indent);
  w.strings("names", s.names);
  w.string("action", to_string(s.action));
  if (s.errno_ret) w.raw("errnoRet", fmt::format("{}", *s.errno_ret));
  if (!s.errno_name.empty()) w.string("errno", s.errno_name);
  if (!s.args.empty()) {
    w.key("args");
    out += "[";
    for (size_t i = 0; i < s.args.size(); ++i) {
      const auto& a = s.args[i];
      out += i ? ",\n" : "\n";
      out.append(static_cast<size_t>(w.child_indent()) + 2, ' ');
      ObjectWriter aw(out, w.child_indent() + 2);
      aw.raw("index", fmt::format("{}", a.index));
      aw.raw("value", fmt::format("{}", a.value));
      aw.raw("valueTwo", fmt::format("{}", a.value_two));
      aw.string("op", to_string(a.op));
      aw.close();
    }
    out += "\n";
    out.append(static_cast<size_t>(w.child_indent()), ' ');
    out += "]";
  }
  if (!s.comment.empty()) w.string("comment", s.comment);
  if (!s.includes.empty()) {
    w.key("includes");
    write_filter(out, w.child_indent(), s.includes);
  }
  if (!s.excludes.empty()) {
    w.key("excludes");
    write_filter(out, w.child_indent(), s.excludes);
  }
  w.close();
}

}  // namespace

std::string write_profile(const Profile& p) {
  std::string out;
  ObjectWriter w(out, 0);
  if (p.default_action) w.string("defaultAction", to_string(*p.default_action));
  if (p.default_errno_ret) w.raw("defaultErrnoRet", fmt::format("{}", *p.default_errno_ret));
  if (!p.default_errno.empty()) w.string("defaultErrno", p.default_errno);
  if (!p.architectures.empty()) w.strings("architectures", p.architectures);
  if (!p.arch_map.empty()) {
    w.key("archMap");
    out += "[";
    for (size_t i = 0; i < p.arch_map.size(); ++i) {
      out += i ? ",\n" : "\n";
      out.append(4, ' ');
      ObjectWriter mw(out, 4);
      // Absent in the input (Go leaves it ""): absent in the output, since
      // the reader rejects "" as an architecture name.
      if (!p.arch_map[i].architecture.empty()) mw.string("architecture", p.arch_map[i].architecture);
      mw.strings("subArchitectures", p.arch_map[i].sub_architectures);
      mw.close();
    }
    out += "\n  ]";
  }
  if (!p.flags.empty()) w.strings("flags", p.flags);
  if (!p.listener_path.empty()) w.string("listenerPath", p.listener_path);
  if (!p.listener_metadata.empty()) w.string("listenerMetadata", p.listener_metadata);
  w.key("syscalls");
  out += "[";
  for (size_t i = 0; i < p.syscalls.size(); ++i) {
    out += i ? ",\n" : "\n";
    out.append(4, ' ');
    write_syscall(out, 4, p.syscalls[i]);
  }
  out += p.syscalls.empty() ? "]" : "\n  ]";
  w.close();
  out += "\n";
  return out;
}

}  // namespace sysfence::profile
