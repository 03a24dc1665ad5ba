// Fused optimizer steps and gradient clipping: validation on the JS thread, then one task that
// writes into existing storages (params, optimizer state, gradients). Like `assign`, each task
// counts a pending write on every storage it writes, so JS-thread readiness checks stay exact.
#include <algorithm>
#include <cmath>

#include "core/backend.h"
#include "core/op_support.h"
#include "core/ops.h"

namespace rk {

const char* optimizerKindName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::Sgd:
      return "sgd";
    case OptimizerKind::Adam:
      return "adam";
    case OptimizerKind::AdamW:
      return "adamw";
    case OptimizerKind::RmsProp:
      return "rmsprop";
    case OptimizerKind::Adagrad:
      return "adagrad";
  }
  return "?";
}

std::optional<OptimizerKind> parseOptimizerKind(const std::string& name) {
  for (OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::AdamW,
                             OptimizerKind::RmsProp, OptimizerKind::Adagrad}) {
    if (name == optimizerKindName(kind)) return kind;
  }
  return std::nullopt;
}

std::vector<const char*> optimizerStateNames(OptimizerKind kind, const OptimizerHyper& hyper) {
  switch (kind) {
    case OptimizerKind::Sgd:
      if (hyper.momentum != 0) return {"momentum_buffer"};
      return {};
    case OptimizerKind::Adam:
    case OptimizerKind::AdamW:
      return {"exp_avg", "exp_avg_sq"};
    case OptimizerKind::RmsProp: {
      std::vector<const char*> names{"square_avg"};
      if (hyper.momentum > 0) names.push_back("momentum_buffer");
      if (hyper.centered) names.push_back("grad_avg");
      return names;
    }
    case OptimizerKind::Adagrad:
      return {"sum"};
  }
  return {};
}

namespace {

/** The elements a tensor can reach in its storage, for overlap checks. */
struct Extent {
  std::string name;
  const Storage* storage;
  int64_t begin;
  int64_t end;  // one past the last reachable element
  bool written;
};

Extent extentOf(std::string name, const Tensor& t, bool written) {
  int64_t last = t.offset;
  for (size_t d = 0; d < t.rank(); ++d) last += (t.shape[d] - 1) * t.strides[d];
  return Extent{std::move(name), t.storage.get(), t.offset, last + 1, written};
}

/**
 * Throws RK_ARGUMENT when a tensor the op writes shares elements with another tensor it reads or
 * writes: an in-place update through aliased memory would depend on the order of the loop.
 * Reachable ranges are compared, so two interleaved views of one storage count as overlapping.
 */
void requireNoOverlap(const std::string& op, std::vector<Extent> extents) {
  extents.erase(std::remove_if(extents.begin(), extents.end(),
                               [](const Extent& e) { return e.end <= e.begin; }),
                extents.end());
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return a.storage != b.storage ? std::less<const Storage*>()(a.storage, b.storage)
                                  : a.begin < b.begin;
  });
  // Among earlier extents of the same storage, the one reaching furthest (any / written).
  const Extent* furthest = nullptr;
  const Extent* furthestWritten = nullptr;
  for (size_t i = 0; i < extents.size(); ++i) {
    const Extent& e = extents[i];
    if (i > 0 && extents[i - 1].storage != e.storage) furthest = furthestWritten = nullptr;
    const Extent* clash = nullptr;
    if (e.written && furthest && furthest->end > e.begin) clash = furthest;
    if (!e.written && furthestWritten && furthestWritten->end > e.begin) clash = furthestWritten;
    if (clash) {
      fail(Error::Code::Argument, op, ": ", clash->name, " and ", e.name, " share memory, and ",
           clash->written && e.written ? "both are" : "one is",
           " updated in place (give each its own tensor)");
    }
    if (!furthest || e.end > furthest->end) furthest = &e;
    if (e.written && (!furthestWritten || e.end > furthestWritten->end)) furthestWritten = &e;
  }
}

/** Throws RK_ARGUMENT when one tensor reaches an element through two positions (stride 0, ...). */
void requireNoSelfOverlap(const std::string& op, const std::string& name, const Tensor& t) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size) of dims with size > 1
  for (size_t d = 0; d < t.rank(); ++d) {
    if (t.shape[d] > 1) dims.emplace_back(t.strides[d], t.shape[d]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t reach = 0;  // furthest offset the smaller-stride dims reach
  for (const auto& [stride, size] : dims) {
    if (stride <= reach) {
      fail(Error::Code::Argument, op, ": ", name, " (shape ", shapeToString(t.shape), ", strides ",
           shapeToString(t.strides),
           ") reaches some elements twice, so it cannot be updated in place");
    }
    reach += (size - 1) * stride;
  }
}

void requireFinite(const std::string& op, const char* name, double value) {
  if (!std::isfinite(value))
    fail(Error::Code::Argument, op, ": ", name, " must be finite, got ", value);
}

void requireAtLeast(const std::string& op, const char* name, double value, double min) {
  requireFinite(op, name, value);
  if (value < min)
    fail(Error::Code::Argument, op, ": ", name, " must be >= ", min, ", got ", value);
}

void requireUnitInterval(const std::string& op, const char* name, double value) {
  requireFinite(op, name, value);
  if (value < 0 || value >= 1) {
    fail(Error::Code::Argument, op, ": ", name, " must be in [0, 1), got ", value);
  }
}

void validateHyper(const std::string& op, OptimizerKind kind, const OptimizerHyper& h) {
  requireAtLeast(op, "hyper.lr", h.lr, 0);
  requireAtLeast(op, "hyper.weightDecay", h.weightDecay, 0);
  switch (kind) {
    case OptimizerKind::Sgd:
      requireAtLeast(op, "hyper.momentum", h.momentum, 0);
      requireFinite(op, "hyper.dampening", h.dampening);
      if (h.nesterov && (h.momentum <= 0 || h.dampening != 0)) {
        fail(Error::Code::Argument, op,
             ": nesterov needs momentum > 0 and dampening 0, got momentum ", h.momentum,
             " and dampening ", h.dampening);
      }
      break;
    case OptimizerKind::Adam:
    case OptimizerKind::AdamW:
      requireUnitInterval(op, "hyper.beta1", h.beta1);
      requireUnitInterval(op, "hyper.beta2", h.beta2);
      requireAtLeast(op, "hyper.eps", h.eps, 0);
      break;
    case OptimizerKind::RmsProp:
      requireAtLeast(op, "hyper.alpha", h.alpha, 0);
      requireAtLeast(op, "hyper.momentum", h.momentum, 0);
      requireAtLeast(op, "hyper.eps", h.eps, 0);
      break;
    case OptimizerKind::Adagrad:
      requireAtLeast(op, "hyper.lrDecay", h.lrDecay, 0);
      requireAtLeast(op, "hyper.eps", h.eps, 0);
      break;
  }
}

/** The work estimate of a kernel that touches each element of `tensors` once. */
int64_t elementsOf(const std::vector<const Tensor*>& tensors) {
  int64_t total = 0;
  for (const Tensor* t : tensors) total += t->numel();
  return total;
}
int64_t elementsOf(const std::vector<Tensor>& tensors) {
  int64_t total = 0;
  for (const Tensor& t : tensors) total += t.numel();
  return total;
}

/** Each distinct storage once: a task counts one pending write per entry. */
std::vector<const Tensor*> distinctStorages(const std::vector<const Tensor*>& tensors) {
  std::vector<const Tensor*> out;
  for (const Tensor* t : tensors) {
    bool seen = std::any_of(out.begin(), out.end(),
                            [t](const Tensor* o) { return o->storage == t->storage; });
    if (!seen) out.push_back(t);
  }
  return out;
}

}  // namespace

namespace ops {

void optimizerStep(OptimizerKind kind, const OptimizerHyper& hyper,
                   const std::vector<ParamUpdate>& updates) {
  std::string op = str("optimizerStep(", optimizerKindName(kind), ")");
  validateHyper(op, kind, hyper);
  if (updates.empty()) return;
  std::vector<const char*> stateNames = optimizerStateNames(kind, hyper);
  const Tensor& first = updates[0].param;
  std::vector<Extent> extents;
  std::vector<const Tensor*> written;
  for (size_t i = 0; i < updates.size(); ++i) {
    const ParamUpdate& u = updates[i];
    std::string p = str("params[", i, "]");
    std::string g = str("grads[", i, "]");
    requireDType(op, {p.c_str(), u.param}, DType::Float32);
    requireDType(op, {g.c_str(), u.grad}, DType::Float32);
    requireSameDevice(op, {{"params[0]", first}, {p.c_str(), u.param}, {g.c_str(), u.grad}});
    requireSameShape(op, {p.c_str(), u.param}, {g.c_str(), u.grad});
    if (!u.param.isContiguous()) {
      fail(Error::Code::Argument, op, ": ", p, " must be contiguous (strides ",
           shapeToString(u.param.strides), " for shape ", shapeToString(u.param.shape), ")");
    }
    if (u.step < 1) fail(Error::Code::Argument, op, ": steps[", i, "] must be >= 1, got ", u.step);
    if (u.states.size() != stateNames.size()) {
      std::string expected;
      for (const char* name : stateNames) expected += str(expected.empty() ? "" : ", ", name);
      fail(Error::Code::Argument, op, ": states[", i, "] must hold ", stateNames.size(), " tensor",
           stateNames.size() == 1 ? "" : "s", expected.empty() ? "" : " (", expected,
           expected.empty() ? "" : ")", " for these hyperparameters, got ", u.states.size());
    }
    extents.push_back(extentOf(p, u.param, true));
    extents.push_back(extentOf(g, u.grad, false));
    written.push_back(&u.param);
    for (size_t k = 0; k < u.states.size(); ++k) {
      const Tensor& s = u.states[k];
      std::string name = str("states[", i, "][", k, "] (", stateNames[k], ")");
      requireDType(op, {name.c_str(), s}, DType::Float32);
      requireSameDevice(op, {{"params[0]", first}, {name.c_str(), s}});
      requireSameShape(op, {p.c_str(), u.param}, {name.c_str(), s});
      if (!s.isContiguous()) fail(Error::Code::Argument, op, ": ", name, " must be contiguous");
      extents.push_back(extentOf(name, s, true));
      written.push_back(&s);
    }
  }
  requireNoOverlap(op, std::move(extents));
  Backend& backend = backendFor(first.device);
  launch(op, distinctStorages(written), elementsOf(written),
         [&backend, kind, hyper, updates] { backend.optimizerStep(kind, hyper, updates); });
}

Tensor clipGradNorm(const std::vector<Tensor>& tensors, double maxNorm, double normType) {
  const char* op = "clipGradNorm";
  if (tensors.empty()) fail(Error::Code::Argument, op, ": needs at least one tensor");
  if (std::isnan(maxNorm) || maxNorm < 0) {
    fail(Error::Code::Argument, op, ": maxNorm must be >= 0 (Infinity: measure only), got ",
         maxNorm);
  }
  if (std::isnan(normType) || normType <= 0) {
    fail(Error::Code::Argument, op, ": normType must be > 0 (or Infinity), got ", normType);
  }
  const Tensor& first = tensors[0];
  std::vector<Extent> extents;
  std::vector<const Tensor*> written;
  bool scales = !std::isinf(maxNorm);
  for (size_t i = 0; i < tensors.size(); ++i) {
    std::string name = str("tensors[", i, "]");
    requireDType(op, {name.c_str(), tensors[i]}, DType::Float32);
    requireSameDevice(op, {{"tensors[0]", first}, {name.c_str(), tensors[i]}});
    if (scales) {
      requireNoSelfOverlap(op, name, tensors[i]);
      extents.push_back(extentOf(name, tensors[i], true));
      written.push_back(&tensors[i]);
    }
  }
  requireNoOverlap(op, std::move(extents));
  Tensor norm = emptyTensor(first.device, DType::Float32, {});
  written.push_back(&norm);
  Backend& backend = backendFor(first.device);
  launch(op, distinctStorages(written), elementsOf(tensors),
         [&backend, tensors, maxNorm, normType, norm] {
           backend.clipGradNorm(tensors, maxNorm, normType, norm);
         });
  return norm;
}

void clampInPlace(const std::vector<Tensor>& tensors, double min, double max) {
  const char* op = "clampInPlace";
  if (std::isnan(min) || std::isnan(max) || min > max) {
    fail(Error::Code::Argument, op, ": needs min <= max, got min ", min, " and max ", max);
  }
  if (tensors.empty()) return;
  std::vector<Extent> extents;
  std::vector<const Tensor*> written;
  for (size_t i = 0; i < tensors.size(); ++i) {
    std::string name = str("tensors[", i, "]");
    requireDType(op, {name.c_str(), tensors[i]}, DType::Float32);
    requireSameDevice(op, {{"tensors[0]", tensors[0]}, {name.c_str(), tensors[i]}});
    extents.push_back(extentOf(name, tensors[i], true));
    written.push_back(&tensors[i]);
  }
  // Clamping twice gives the same value, but two threads writing one element is still a race.
  for (size_t i = 0; i < tensors.size(); ++i)
    requireNoSelfOverlap(op, str("tensors[", i, "]"), tensors[i]);
  requireNoOverlap(op, std::move(extents));
  Backend& backend = backendFor(tensors[0].device);
  launch(op, distinctStorages(written), elementsOf(tensors),
         [&backend, tensors, min, max] { backend.clampInPlace(tensors, min, max); });
}

}  // namespace ops
}  // namespace rk
