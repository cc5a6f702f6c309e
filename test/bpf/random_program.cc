#include "test/bpf/random_program.h"

#include <algorithm>
#include <array>

#include "base/seccomp.h"
#include "bpf/validate.h"

namespace sysfence::bpf::testing {

namespace {

constexpr uint16_t kAluOps[] = {kAdd, kSub, kMul, kDiv, kAnd, kOr, kXor, kLsh, kRsh};
constexpr uint16_t kJumpOps[] = {kJeq, kJgt, kJge, kJset};
// Classic opcodes seccomp rejects (MOD, byte/half/indexed loads, MSH).
constexpr uint16_t kClassicNotSeccomp[] = {0x28, 0x30, 0x40, 0x48, 0x50, 0x94, 0x9c, 0xb1};
// Codes that are not classic BPF but look close to real ones.
constexpr uint16_t kNearMisses[] = {0x08, 0x09, 0x0e, 0x0d, 0x1e, 0x8c, 0x8f, 0x18, 0x38,
                                    0x68, 0x70, 0xa0, 0xa1, 0xb0, 0xc4, 0xd4, 0xe4, 0x4e};
// Shift amounts and other small values around the interesting boundaries.
constexpr uint32_t kSmallValues[] = {0,  1,  2,  3,  4,  5,  7,   8,   15,  16,  17,  30,   31,
                                     32, 33, 48, 63, 64, 65, 100, 127, 128, 255, 256, 4095, 4096};
constexpr uint32_t kBoundaryValues[] = {0,          1,          0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
                                        0x0000ffff, 0x00010000, 0xc000003e, 0x40000000, 0xffff0000, 0x7fff0000};

// Byte offsets the seccomp load check treats differently.
constexpr uint32_t kOddLoadOffsets[] = {64, 60, 61,    62,         63,         1,          2,          3,
                                        6,  68, 0x100, 0xfffff000, 0xfffff004, 0xfffff038, 0xffffffff, 0x80000000};

}  // namespace

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint32_t RandomProgramGenerator::pick_constant(const RandomProgramOptions& options) {
  const uint32_t roll = rng_.below(100);
  if (roll < 65 && !options.constants.empty()) {
    return rng_.pick(std::span<const uint32_t>(options.constants));
  }
  if (roll < 75) return rng_.pick(std::span<const uint32_t>(kBoundaryValues));
  if (roll < 88) return rng_.pick(std::span<const uint32_t>(kSmallValues));
  return rng_.next32();
}

uint32_t RandomProgramGenerator::pick_ret_value(const RandomProgramOptions& options, uint32_t& next_errno) {
  if (rng_.chance(options.other_action_percent)) {
    const uint32_t data = rng_.chance(50) ? 0 : rng_.below(0x10000);
    switch (rng_.below(14)) {
      case 0: return kRetAllow | data;
      case 1: return kRetLog | data;
      case 2: return kRetTrap | data;
      case 3: return kRetKillProcess | data;
      case 4: return kRetKillThread | data;
      case 5: return kRetTrace | data;
      case 6: return kRetUserNotif | data;
      case 7: return kRetErrno;                                        // ERRNO(0): the syscall "succeeds" with 0
      case 8: return kRetErrno | rng_.between(kMaxErrno + 1, 0xffff);  // clamped to 4095
      case 9:
        return rng_.pick(std::span<const uint32_t>(
            std::array<uint32_t, 5>{0x00010000, 0x7ffe0000, 0xffff0000, 0x7fc10000, 0x00040000}));
      case 10: return rng_.next32();
      case 11: return kRetAllow;
      default: return kRetTrap | rng_.below(0x10000);  // TRAP carries 16 observable bits
    }
  }
  // Distinct errno values name the return that was taken. 38 (ENOSYS) is
  // skipped: it is also what an allowed, unassigned syscall answers.
  if (next_errno == 38) ++next_errno;
  return kRetErrno | (next_errno++ & kRetData);
}

Program RandomProgramGenerator::valid(const RandomProgramOptions& options) {
  size_t n;
  if (rng_.chance(options.long_percent)) {
    n = rng_.between(static_cast<uint32_t>(options.max_length), static_cast<uint32_t>(options.long_length));
  } else {
    n = rng_.between(static_cast<uint32_t>(options.min_length), static_cast<uint32_t>(options.max_length));
  }
  n = std::clamp<size_t>(n, 1, kMaxInsns);
  uint32_t next_errno = rng_.between(1, static_cast<uint32_t>(kMaxErrno - n - 2));

  Program prog(n);
  // The kernel's check_load_and_stores state, advanced as we emit (jumps only
  // go forward, so masks[pc] is final by the time pc is reached).
  std::vector<uint16_t> masks(n, 0xffff);
  uint16_t memvalid = 0;
  size_t pc = 0;

  const auto garbage8 = [&]() -> uint8_t {
    return options.garbage_in_unused_fields && rng_.chance(30) ? static_cast<uint8_t>(rng_.next32()) : 0;
  };
  const auto garbage32 = [&]() -> uint32_t {
    return options.garbage_in_unused_fields && rng_.chance(30) ? rng_.next32() : 0;
  };
  const auto emit = [&](Insn insn) {
    prog[pc] = insn;
    const uint16_t code = insn.code;
    if (code == kSt || code == kStx) {
      memvalid |= static_cast<uint16_t>(1U << insn.k);
    } else if (code == (kJmp | kJa)) {
      masks[pc + 1 + insn.k] &= memvalid;
      memvalid = 0xffff;
    } else if (insn_class(code) == kJmp) {
      masks[pc + 1 + insn.jt] &= memvalid;
      masks[pc + 1 + insn.jf] &= memvalid;
      memvalid = 0xffff;
    }
    ++pc;
    if (pc < n) memvalid &= masks[pc];
  };
  const auto plain = [&](uint16_t code, uint32_t k) { emit(Insn{code, garbage8(), garbage8(), k}); };
  const auto jump_offset = [&](size_t max_off) -> uint32_t {
    if (max_off == 0) return 0;
    const uint32_t roll = rng_.below(100);
    if (roll < 35) return 0;
    if (roll < 80) return rng_.below(static_cast<uint32_t>(std::min<size_t>(max_off, 6)) + 1);
    return rng_.below(static_cast<uint32_t>(max_off) + 1);
  };
  const auto emit_ret = [&](bool last) {
    const size_t left = n - pc;
    if (rng_.chance(options.ret_a_percent)) {
      if (rng_.chance(options.raw_ret_a_percent) || left < 4) {
        plain(kRet | kRetA, garbage32());
        return;
      }
      // Make A observable as an errno: ERRNO((A >> s) & 0xfff).
      if (left >= 5 && rng_.chance(60)) plain(kAlu | kRsh | kK, rng_.below(32));
      plain(kAlu | kAnd | kK, 0xfff);
      plain(kAlu | kOr | kK, kRetErrno);
      plain(kRet | kRetA, garbage32());
      return;
    }
    (void)last;
    plain(kRet | kRetK, pick_ret_value(options, next_errno));
  };

  while (pc < n) {
    memvalid &= masks[pc];
    const size_t left = n - pc;  // instructions from pc to the end, pc included
    if (left == 1) {
      emit_ret(true);
      break;
    }
    const uint32_t roll = rng_.below(100);
    if (roll < 14) {  // ld [k]
      const uint8_t word = rng_.pick(std::span<const uint8_t>(options.loadable_words));
      plain(kLd | kW | kAbs, 4U * word);
    } else if (roll < 16) {  // ld len / ldx len
      plain(rng_.chance(50) ? (kLd | kW | kLen) : (kLdx | kW | kLen), garbage32());
    } else if (roll < 20) {  // ld #k
      plain(kLd | kImm, pick_constant(options));
    } else if (roll < 25) {  // ldx #k: often a shift amount or divisor
      const uint32_t k = rng_.chance(50) ? rng_.pick(std::span<const uint32_t>(kSmallValues)) : pick_constant(options);
      plain(kLdx | kImm, k);
    } else if (roll < 31) {  // ld / ldx M[k]
      if (memvalid == 0) {
        plain(kSt, rng_.below(kMemWords));
        continue;
      }
      uint32_t slot;
      do slot = rng_.below(kMemWords);
      while ((memvalid & (1U << slot)) == 0);
      plain(rng_.chance(50) ? (kLd | kMem) : (kLdx | kMem), slot);
    } else if (roll < 37) {  // st / stx
      plain(rng_.chance(60) ? kSt : kStx, rng_.below(kMemWords));
    } else if (roll < 49) {  // alu #k
      const uint16_t op = rng_.pick(std::span<const uint16_t>(kAluOps));
      uint32_t k;
      if (op == kLsh || op == kRsh) {
        k = rng_.below(32);
      } else if (op == kDiv) {
        do k = rng_.chance(50) ? rng_.pick(std::span<const uint32_t>(kSmallValues)) : pick_constant(options);
        while (k == 0);
      } else {
        k = rng_.chance(50) ? rng_.pick(std::span<const uint32_t>(kSmallValues)) : pick_constant(options);
      }
      plain(kAlu | op | kK, k);
    } else if (roll < 57) {  // alu x
      plain(kAlu | rng_.pick(std::span<const uint16_t>(kAluOps)) | kX, garbage32());
    } else if (roll < 59) {
      plain(kAlu | kNeg, garbage32());
    } else if (roll < 63) {
      plain(kMisc | kTax, garbage32());
    } else if (roll < 65) {
      plain(kMisc | kTxa, garbage32());
    } else if (roll < 87) {  // conditional jump
      const uint16_t op = rng_.pick(std::span<const uint16_t>(kJumpOps));
      const bool use_x = rng_.chance(30);
      const size_t max_off = std::min<size_t>(255, left - 2);
      const auto jt = static_cast<uint8_t>(jump_offset(max_off));
      const auto jf = rng_.chance(10) ? jt : static_cast<uint8_t>(jump_offset(max_off));
      emit(Insn{static_cast<uint16_t>(kJmp | op | (use_x ? kX : kK)), jt, jf,
                use_x ? garbage32() : pick_constant(options)});
    } else if (roll < 91) {  // ja
      emit(Insn{kJmp | kJa, garbage8(), garbage8(), jump_offset(left - 2)});
    } else {
      emit_ret(false);
    }
  }
  return prog;
}

Program RandomProgramGenerator::mutate(const Program& valid, std::string* what) {
  Program p = valid;
  const auto describe = [&](std::string s) {
    if (what != nullptr) *what = std::move(s);
  };
  if (p.empty()) {
    describe("empty program kept");
    return p;
  }
  const size_t n = p.size();
  const auto find = [&](auto pred) -> long {
    // A random instruction satisfying pred, or -1.
    std::vector<size_t> hits;
    for (size_t i = 0; i < n; ++i)
      if (pred(p[i])) hits.push_back(i);
    if (hits.empty()) return -1;
    return static_cast<long>(hits[rng_.below(static_cast<uint32_t>(hits.size()))]);
  };
  const auto seccomp_codes = seccomp_opcodes();

  for (int attempt = 0; attempt < 8; ++attempt) {
    switch (rng_.below(12)) {
      case 0: {  // a different opcode, fields unchanged
        const size_t i = rng_.below(static_cast<uint32_t>(n));
        uint16_t code;
        switch (rng_.below(5)) {
          case 0: code = rng_.pick(std::span<const uint16_t>(kClassicNotSeccomp)); break;
          case 1: code = rng_.pick(std::span<const uint16_t>(kNearMisses)); break;
          case 2: code = static_cast<uint16_t>(p[i].code ^ (1U << rng_.below(16))); break;
          case 3: code = static_cast<uint16_t>(rng_.next32()); break;
          default: code = rng_.pick(seccomp_codes); break;
        }
        describe("opcode of " + std::to_string(i) + " changed");
        p[i].code = code;
        return p;
      }
      case 1: {  // conditional jump offsets at and around the end
        const long i = find([](const Insn& x) { return insn_class(x.code) == kJmp && x.code != (kJmp | kJa); });
        if (i < 0) break;
        const size_t room = n - static_cast<size_t>(i) - 1;  // first out-of-range offset
        const uint32_t choices[] = {static_cast<uint32_t>(room), static_cast<uint32_t>(room - 1), 255,
                                    static_cast<uint32_t>(room + 1)};
        const auto off = static_cast<uint8_t>(std::min<uint32_t>(255, rng_.pick(std::span<const uint32_t>(choices))));
        if (rng_.chance(50)) p[static_cast<size_t>(i)].jt = off;
        else p[static_cast<size_t>(i)].jf = off;
        describe("jump offset at " + std::to_string(i));
        return p;
      }
      case 2: {  // ja offsets
        const long i = find([](const Insn& x) { return x.code == (kJmp | kJa); });
        if (i < 0) break;
        const size_t room = n - static_cast<size_t>(i) - 1;
        const uint32_t choices[] = {static_cast<uint32_t>(room), static_cast<uint32_t>(room - 1), 0xffffffffU,
                                    static_cast<uint32_t>(room + 7)};
        p[static_cast<size_t>(i)].k = rng_.pick(std::span<const uint32_t>(choices));
        describe("ja offset at " + std::to_string(i));
        return p;
      }
      case 3: {  // seccomp_data load offsets
        const long i = find([](const Insn& x) { return x.code == (kLd | kW | kAbs); });
        if (i < 0) break;
        p[static_cast<size_t>(i)].k =
            rng_.chance(70) ? rng_.pick(std::span<const uint32_t>(kOddLoadOffsets)) : rng_.below(72);
        describe("load offset at " + std::to_string(i));
        return p;
      }
      case 4: {  // constant shifts
        const long i = find([](const Insn& x) { return x.code == (kAlu | kLsh | kK) || x.code == (kAlu | kRsh | kK); });
        if (i < 0) break;
        const uint32_t choices[] = {31, 32, 33, 0xffffffff, 64};
        p[static_cast<size_t>(i)].k = rng_.pick(std::span<const uint32_t>(choices));
        describe("shift amount at " + std::to_string(i));
        return p;
      }
      case 5: {  // division by constant
        const long i = find([](const Insn& x) { return x.code == (kAlu | kDiv | kK); });
        if (i < 0) break;
        p[static_cast<size_t>(i)].k = rng_.chance(70) ? 0 : 1;
        describe("divisor at " + std::to_string(i));
        return p;
      }
      case 6: {  // scratch slot numbers
        const long i = find([](const Insn& x) {
          return x.code == kSt || x.code == kStx || x.code == (kLd | kMem) || x.code == (kLdx | kMem);
        });
        if (i < 0) break;
        const uint32_t choices[] = {15, 16, 17, 0xffffffff, rng_.below(16), rng_.below(16)};
        p[static_cast<size_t>(i)].k = rng_.pick(std::span<const uint32_t>(choices));
        describe("scratch slot at " + std::to_string(i));
        return p;
      }
      case 7: {  // the last instruction
        const uint16_t choices[] = {kLd | kImm, kRet | kX, 0x1e, kMisc | kTax, kJmp | kJa, kRet | kRetA};
        p.back().code = rng_.pick(std::span<const uint16_t>(choices));
        describe("last instruction");
        return p;
      }
      case 8: {  // an extra scratch read somewhere
        const size_t i = rng_.below(static_cast<uint32_t>(n));
        p.insert(
            p.begin() + static_cast<long>(i),
            Insn{static_cast<uint16_t>(rng_.chance(50) ? (kLd | kMem) : (kLdx | kMem)), 0, 0, rng_.below(kMemWords)});
        describe("scratch read inserted at " + std::to_string(i));
        return p;
      }
      case 9: {  // drop a store (later reads may lose their write)
        const long i = find([](const Insn& x) { return x.code == kSt || x.code == kStx; });
        if (i < 0 || n < 2) break;
        p.erase(p.begin() + i);
        describe("store removed at " + std::to_string(i));
        return p;
      }
      case 10: {  // truncation
        if (n < 2) break;
        p.resize(rng_.between(1, static_cast<uint32_t>(n - 1)));
        describe("truncated to " + std::to_string(p.size()));
        return p;
      }
      default: {  // a random instruction replaced by a random seccomp one
        const size_t i = rng_.below(static_cast<uint32_t>(n));
        p[i] = Insn{rng_.pick(seccomp_codes), static_cast<uint8_t>(rng_.below(4)), static_cast<uint8_t>(rng_.below(4)),
                    rng_.chance(60) ? rng_.below(70) : rng_.next32()};
        describe("instruction " + std::to_string(i) + " replaced");
        return p;
      }
    }
  }
  describe("unchanged");
  return p;
}

Program RandomProgramGenerator::soup(size_t max_length) {
  const size_t n = rng_.between(1, static_cast<uint32_t>(std::max<size_t>(max_length, 1)));
  const auto seccomp_codes = seccomp_opcodes();
  Program p(n);
  for (size_t i = 0; i < n; ++i) {
    uint16_t code;
    const uint32_t roll = rng_.below(100);
    if (roll < 40) code = rng_.pick(seccomp_codes);
    else if (roll < 55) code = rng_.pick(std::span<const uint16_t>(kClassicNotSeccomp));
    else if (roll < 65) code = rng_.pick(std::span<const uint16_t>(kNearMisses));
    else if (roll < 80) code = static_cast<uint16_t>(rng_.below(256));
    else if (roll < 85) code = static_cast<uint16_t>(rng_.next32());
    else code = rng_.chance(50) ? (kRet | kRetK) : (kRet | kRetA);
    p[i] = Insn{code, static_cast<uint8_t>(rng_.chance(80) ? rng_.below(3) : rng_.below(256)),
                static_cast<uint8_t>(rng_.chance(80) ? rng_.below(3) : rng_.below(256)),
                rng_.chance(70) ? rng_.below(70) : rng_.next32()};
  }
  if (rng_.chance(70)) p.back().code = rng_.chance(50) ? (kRet | kRetK) : (kRet | kRetA);
  return p;
}

}  // namespace sysfence::bpf::testing
