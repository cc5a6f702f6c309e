#include "bpf/stack.h"

#include <fmt/format.h>

namespace sysfence::bpf {

StackRunResult combine(std::span<const RunResult> per_filter) {
  StackRunResult out;
  out.rets.resize(per_filter.size());
  out.insns.resize(per_filter.size());
  // The kernel walks from the newest filter (the last installed) to the
  // oldest; only a strictly lower action replaces the kept value, so on a
  // tie the newer filter's data stays.
  for (size_t k = per_filter.size(); k-- > 0;) {
    const RunResult& r = per_filter[k];
    out.rets[k] = r.ret;
    out.insns[k] = r.insns;
    out.total_insns += r.insns;
    if (replaces(r.ret, out.ret)) {
      out.ret = r.ret;
      out.decider = k;
    }
  }
  return out;
}

Expected<StackInterpreter> StackInterpreter::create(std::span<const Program> stack) {
  if (stack.empty()) return fail("a filter stack needs at least one filter");
  std::vector<Interpreter> filters;
  filters.reserve(stack.size());
  for (size_t k = 0; k < stack.size(); ++k) {
    auto in = Interpreter::create(stack[k]);
    if (!in) return fail(fmt::format("filter {}: {}", k, in.error().message));
    filters.push_back(std::move(*in));
  }
  return StackInterpreter(std::move(filters));
}

StackRunResult StackInterpreter::run(const SeccompWords& data) const {
  std::vector<RunResult> results;
  results.reserve(filters_.size());
  for (const Interpreter& f : filters_) results.push_back(f.run(data));
  return combine(results);
}

Expected<StackRunResult> run_stack(std::span<const Program> stack, const SeccompWords& data) {
  auto in = StackInterpreter::create(stack);
  if (!in) return fail(in.error().message);
  return in->run(data);
}

Expected<StackRunResult> run_stack(std::span<const Program> stack, const SeccompData& data, Endian e) {
  return run_stack(stack, to_words(data, e));
}

}  // namespace sysfence::bpf
