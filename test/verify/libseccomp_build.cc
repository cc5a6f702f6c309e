#include "test/verify/libseccomp_build.h"

#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

namespace sysfence::testing {
namespace {

scmp_compare to_scmp(std::string_view op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  return SCMP_CMP_MASKED_EQ;
}

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

// runc matchCall: an entry that names an argument index twice becomes one
// rule per condition; otherwise one rule with all of them.
std::vector<std::vector<LibCondition>> condition_sets(const ProfileEntry& e) {
  std::array<unsigned, 6> per_index{};
  std::vector<LibCondition> all;
  for (const ProfileArg& a : e.args) {
    per_index[a.index]++;
    all.push_back({a.index, a.op, a.value, a.value_two});
  }
  const bool split = std::any_of(per_index.begin(), per_index.end(), [](unsigned n) { return n > 1; });
  if (!split) return {all};
  std::vector<std::vector<LibCondition>> sets;
  sets.reserve(all.size());
  for (const LibCondition& c : all) sets.push_back({c});
  return sets;
}

std::vector<uint8_t> export_bpf(scmp_filter_ctx ctx, std::string& error) {
  const int fd = memfd_create("libseccomp-export", MFD_CLOEXEC);
  if (fd < 0) {
    error = std::string("memfd_create: ") + std::strerror(errno);
    return {};
  }
  std::vector<uint8_t> out;
  if (const int rc = seccomp_export_bpf(ctx, fd); rc < 0) {
    error = std::string("seccomp_export_bpf: ") + std::strerror(-rc);
  } else {
    const off_t size = lseek(fd, 0, SEEK_END);
    out.resize(static_cast<size_t>(std::max<off_t>(size, 0)));
    if (pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) {
      error = "reading the exported filter back failed";
      out.clear();
    }
  }
  close(fd);
  return out;
}

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// libseccomp 2.5.4 exporting a big-endian filter on a little-endian host
// writes the k of the rules' `ret` instructions in HOST byte order, while
// every other field (and the default and bad-arch `ret`s) is big-endian:
// ALLOW comes out as 0x0000ff7f, which an s390x kernel runs as KILL_THREAD
// (its own export_pfc of the same filter says ALLOW; a native s390x build has
// no such mix-up). Each `ret` whose k is not one of the filter's actions but
// whose byte-swapped k is gets swapped back. Error: a `ret` that is neither,
// or one that would be ambiguous.
bool fix_cross_endian_returns(std::vector<uint8_t>& raw, const std::set<uint32_t>& actions, size_t& swapped,
                              std::string& error) {
  constexpr uint16_t kRetK = 0x06;
  for (size_t off = 0; off + 8 <= raw.size(); off += 8) {
    const auto code = static_cast<uint16_t>((raw[off] << 8) | raw[off + 1]);
    if (code != kRetK) continue;
    const uint32_t k = load_be32(&raw[off + 4]);
    const uint32_t flipped = __builtin_bswap32(k);
    const bool k_known = actions.contains(k);
    const bool flipped_known = actions.contains(flipped);
    if (k_known && flipped_known && k != flipped) {
      error = "ambiguous ret at instruction " + std::to_string(off / 8);
      return false;
    }
    if (k_known) continue;
    if (!flipped_known) {
      error = "ret at instruction " + std::to_string(off / 8) + " is no action of the filter";
      return false;
    }
    store_be32(&raw[off + 4], flipped);
    ++swapped;
  }
  return true;
}

}  // namespace

int libseccomp_number(const NativeArch& native, const std::string& name) {
  return seccomp_syscall_resolve_name_arch(native.scmp_token, name.c_str());
}

std::string libseccomp_host_translation(const std::string& name) {
  const int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr >= 0 || nr == __NR_SCMP_ERROR) return name;
  char* back = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  if (back == nullptr) return name;
  std::string out(back);
  std::free(back);
  return out;
}

std::string libseccomp_name(const NativeArch& native, uint32_t nr) {
  char* name = seccomp_syscall_resolve_num_arch(native.scmp_token, static_cast<int>(nr));
  if (name == nullptr) return "";
  std::string out(name);
  std::free(name);
  return out;
}

namespace {

LibseccompBuild build_in_process(const RandomProfile& profile, const NativeArch& native, bool big_endian) {
  LibseccompBuild b;
  b.default_action = action_value(profile.default_action, profile.default_errno_ret);
  auto refuse = [&b](std::string what, int rc) {
    b.refused = true;
    b.refusal = std::move(what);
    b.refusal_errno = -rc;
    return b;
  };
  Ctx ctx{seccomp_init(b.default_action)};
  if (!ctx) return refuse("seccomp_init", -EINVAL);
  if (seccomp_arch_exist(ctx.get(), native.scmp_token) != 0) {
    if (int rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE); rc < 0) return refuse("seccomp_arch_remove", rc);
    if (int rc = seccomp_arch_add(ctx.get(), native.scmp_token); rc < 0) return refuse("seccomp_arch_add", rc);
  }
  std::set<uint32_t> actions{b.default_action, SCMP_ACT_KILL_THREAD};
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const ProfileEntry& e = profile.syscalls[i];
    if (!moby_keeps(e, native)) continue;
    b.kept_names.insert(e.names.begin(), e.names.end());
    const uint32_t action = action_value(e.action, e.errno_ret);
    if (action == b.default_action) continue;
    const auto sets = condition_sets(e);
    for (const std::string& name : e.names) {
      const int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;
      for (const auto& set : sets) {
        std::vector<scmp_arg_cmp> conds;
        conds.reserve(set.size());
        for (const LibCondition& c : set) conds.push_back({c.arg, to_scmp(c.op), c.datum_a, c.datum_b});
        const int rc = seccomp_rule_add_array(ctx.get(), action, nr, static_cast<unsigned>(conds.size()),
                                              conds.empty() ? nullptr : conds.data());
        if (rc < 0) {
          b.refused_rule = AddedRule{i, name, action, set};
          return refuse("seccomp_rule_add_array(syscalls[" + std::to_string(i) + "], " + name + ")", rc);
        }
        b.rules.push_back({i, name, action, set});
        actions.insert(action);
      }
    }
  }
  std::string error;
  b.raw = export_bpf(ctx.get(), error);
  if (!error.empty()) return refuse(error, -EIO);
  if (big_endian && !fix_cross_endian_returns(b.raw, actions, b.swapped_returns, error))
    return refuse("cross-endian export: " + error, -EIO);
  return b;
}

// The child's answer, written through the pipe as a flat record: integers
// in host order, strings and byte vectors with their length first.
class Writer {
 public:
  void u64(uint64_t v) { bytes(&v, sizeof v); }
  void str(std::string_view s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void rule(const AddedRule& r) {
    u64(r.entry);
    str(r.name);
    u64(r.action);
    u64(r.conditions.size());
    for (const LibCondition& c : r.conditions) {
      u64(c.arg);
      str(c.op);
      u64(c.datum_a);
      u64(c.datum_b);
    }
  }
  const std::string& data() const { return out_; }

 private:
  void bytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }
  uint64_t u64() {
    uint64_t v = 0;
    if (in_.size() < sizeof v) return fail();
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return v;
  }
  std::string str() {
    const uint64_t n = u64();
    if (n > in_.size()) return fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  AddedRule rule() {
    AddedRule r;
    r.entry = u64();
    r.name = str();
    r.action = static_cast<uint32_t>(u64());
    const uint64_t n = u64();
    for (uint64_t k = 0; k < n && ok_; ++k) {
      LibCondition c;
      c.arg = static_cast<unsigned>(u64());
      c.op = operator_spelling(str());
      c.datum_a = u64();
      c.datum_b = u64();
      r.conditions.push_back(c);
    }
    return r;
  }

 private:
  uint64_t fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  // LibCondition::op views a spelling that outlives the build.
  std::string_view operator_spelling(const std::string& s) {
    static constexpr std::array<std::string_view, 7> kOps{
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
    for (std::string_view op : kOps)
      if (op == s) return op;
    fail();
    return kOps[0];
  }
  std::string_view in_;
  bool ok_ = true;
};

std::string serialize(const LibseccompBuild& b) {
  Writer w;
  w.u64(b.refused);
  w.str(b.refusal);
  w.u64(static_cast<uint64_t>(b.refusal_errno));
  w.u64(b.refused_rule.has_value());
  if (b.refused_rule) w.rule(*b.refused_rule);
  w.str(std::string_view(reinterpret_cast<const char*>(b.raw.data()), b.raw.size()));
  w.u64(b.default_action);
  w.u64(b.rules.size());
  for (const AddedRule& r : b.rules) w.rule(r);
  w.u64(b.kept_names.size());
  for (const std::string& n : b.kept_names) w.str(n);
  w.u64(b.swapped_returns);
  return w.data();
}

std::optional<LibseccompBuild> deserialize(std::string_view data) {
  Reader r(data);
  LibseccompBuild b;
  b.refused = r.u64() != 0;
  b.refusal = r.str();
  b.refusal_errno = static_cast<int>(r.u64());
  if (r.u64() != 0) b.refused_rule = r.rule();
  const std::string raw = r.str();
  b.raw.assign(raw.begin(), raw.end());
  b.default_action = static_cast<uint32_t>(r.u64());
  for (uint64_t n = r.u64(); n > 0 && r.ok(); --n) b.rules.push_back(r.rule());
  for (uint64_t n = r.u64(); n > 0 && r.ok(); --n) b.kept_names.insert(r.str());
  b.swapped_returns = r.u64();
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return b;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// One record through the pipe: its length, then the serialized build.
std::string framed(const std::string& payload) {
  const uint64_t size = payload.size();
  std::string out(reinterpret_cast<const char*>(&size), sizeof size);
  return out + payload;
}

// A whole record at the front of `pending`, removed from it; nullopt while
// it is still incomplete.
std::optional<std::string> take_record(std::string& pending) {
  uint64_t size = 0;
  if (pending.size() < sizeof size) return std::nullopt;
  std::memcpy(&size, pending.data(), sizeof size);
  if (pending.size() - sizeof size < size) return std::nullopt;
  std::string record = pending.substr(sizeof size, size);
  pending.erase(0, sizeof size + size);
  return record;
}

}  // namespace

unsigned libseccomp_timeout_ms() {
  const char* v = std::getenv("SYSFENCE_LIBSECCOMP_TIMEOUT_MS");
  if (v == nullptr || *v == '\0') return 5000;
  return static_cast<unsigned>(std::strtoul(v, nullptr, 10));
}

LibseccompBuilder::LibseccompBuilder(std::vector<LibseccompJob> jobs, unsigned timeout_ms)
    : jobs_(std::move(jobs)), timeout_ms_(timeout_ms) {}

LibseccompBuilder::~LibseccompBuilder() { stop(); }

void LibseccompBuilder::start() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if (pid == 0) {
    close(fds[0]);
    for (size_t i = next_; i < jobs_.size(); ++i) {
      const LibseccompJob& j = jobs_[i];
      if (!write_all(fds[1], framed(serialize(build_in_process(*j.profile, *j.native, j.big_endian))))) _exit(1);
    }
    _exit(0);
  }
  close(fds[1]);
  pid_ = pid;
  fd_ = fds[0];
  pending_.clear();
}

void LibseccompBuilder::stop() {
  if (pid_ < 0) return;
  close(fd_);
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  fd_ = -1;
  pending_.clear();
}

LibseccompBuild LibseccompBuilder::next() {
  LibseccompBuild failed;
  failed.refused = true;
  failed.refusal_errno = EIO;
  if (next_ >= jobs_.size()) {
    failed.refusal = "no job left";
    return failed;
  }
  if (pid_ < 0) start();
  if (pid_ < 0) {
    failed.refusal = std::string("starting the libseccomp worker: ") + std::strerror(errno);
    ++next_;
    return failed;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  std::optional<std::string> record = take_record(pending_);
  char buf[65536];
  while (!record) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    const int ready = left.count() > 0 ? poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      // The worker is stuck in this job: a new one starts after it.
      stop();
      ++next_;
      LibseccompBuild hung;
      hung.hung = true;
      return hung;
    }
    const ssize_t n = ready < 0 ? -1 : read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      stop();
      ++next_;
      failed.refusal = "the libseccomp worker died before answering";
      return failed;
    }
    pending_.append(buf, static_cast<size_t>(n));
    record = take_record(pending_);
  }
  ++next_;
  auto build = deserialize(*record);
  if (!build) {
    failed.refusal = "the libseccomp worker's answer is malformed";
    return failed;
  }
  return *build;
}

}  // namespace sysfence::testing
