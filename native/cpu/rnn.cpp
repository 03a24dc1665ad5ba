// The recurrent stack on oneDNN's RNN primitives (vanilla_rnn, lstm with projection, lbr_gru).
//
// oneDNN has no per-sequence lengths, so a call runs one primitive per layer:
//  - Uniform batches (every length equal): one primitive per layer over the common length, both
//    directions at once (bidirectional_concat), reading and writing the layer buffers in place.
//  - Variable lengths, and uniform batches whose directions run side by side (below): per layer
//    and direction, the steps are cut into "segments" as a packed
//    sequence is: with the batch sorted by length (descending) and s_0 = 0 < s_1 < ... < s_k the
//    distinct lengths, segment i covers steps [s_i, s_i+1) for the c_i longest sequences. Each
//    segment gathers its rows into a dense tnc buffer (the reverse direction reads each sequence
//    reversed within its own length, so it too runs left to right), starts from the first c_i
//    rows of the previous segment's dst_iter, and scatters its dst_layer back. Sequences that end
//    at s_i+1 take their final state from that segment's dst_iter.
// Layer buffers are tnc [T, B, channels] in the caller's batch order. Canonical weights (PyTorch
// layout, ldgoi) are reordered into whatever layout each primitive asks for, and the weight
// gradients back.
// An LSTM with cell clipping (config.cellClip > 0), which oneDNN cannot do, always takes the
// segment path, with our own cell (lstm_clip_cell.cpp) in place of the primitive: both run
// behind SegmentKernel, so one loop serves both. As in cuDNN, that cell clips the cell state
// where it reads it (c0 too) and inside tanh, and stores it unclipped: a segment's dst_iter_c
// chains into the next segment's src_iter_c as it is, and the final c is returned unclipped.
// With exactly two OpenMP threads, a bidirectional layer runs its two directions side by side,
// one thread each (oneDNN runs serially inside a parallel region): a primitive's per-step GEMMs
// are too small to split over two threads without a barrier at every step, which cost 2-15% of
// the layer (T=64, N=32, H=64..256 on 2 cores). A uniform batch then takes the segment path with
// one segment.
// Inference of one direction at small batch (text generation) skips all of this: rnn_infer.cpp.
// This file is the driver (CpuBackend::rnnForward / rnnBackward, and the dropout between layers);
// the parts: rnn_buffers.h (buffers, copies), rnn_plan.* (sorting, segments), rnn_kernel.*
// (SegmentKernel, the clipped cell's adapter), rnn_onednn.* (the primitives), rnn_weights.*.
#include <omp.h>

#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include "cpu/cpu_backend.h"
#include "cpu/dnnl_check.h"
#include "cpu/dropout_mask.h"
#include "cpu/rnn_buffers.h"
#include "cpu/rnn_infer.h"
#include "cpu/rnn_kernel.h"
#include "cpu/rnn_plan.h"
#include "cpu/strided_loop.h"

namespace rk::cpu {

using namespace rnn;

namespace {

// ---- What a training forward keeps --------------------------------------------------------------

struct CpuRnnSaved final : RnnSaved {
  bool wholeLayer = false;      // one call per layer over all its directions (uniform plans)
  std::vector<Buffer> inputs;   // layer inputs X_k, tnc [T, B, C_k] (after dropout)
  std::vector<Buffer> outputs;  // layer outputs Y_k, tnc [T, B, D*hOut]
  std::vector<Buffer> masks;    // per layer below the top when dropout: 0 or 1/(1-p), like Y_k
  std::vector<std::vector<std::vector<SavedCall>>> calls;  // [layer][run][segment]
  std::vector<Buffer> keep;                                // the other buffers the calls point into
};

/** Whether a bidirectional layer runs its directions side by side (see the header comment). */
bool directionsSideBySide(const RnnConfig& config) {
  return config.directions() == 2 && omp_get_max_threads() == 2;
}

/**
 * f(dir) for each direction of a layer: one thread each when `sideBySide`, else in turn. An
 * exception in either is rethrown here, once both are done.
 */
template <class F>
void forEachDirection(int64_t directions, bool sideBySide, F f) {
  std::vector<std::exception_ptr> errors(static_cast<size_t>(directions));
#pragma omp parallel for num_threads(directions) schedule(static, 1) if (sideBySide)
  for (int64_t dir = 0; dir < directions; ++dir) {
    try {
      f(dir);
    } catch (...) {
      errors[dir] = std::current_exception();
    }
  }
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

// ---- Elementwise over layer buffers (dropout masks, the two directions' input gradients) --------

/** out[i] = op(a[i], b[i]) over n floats, on OpenMP threads when n is large. */
template <class Op>
void combine(float* out, const float* a, const float* b, int64_t n, Op op) {
#pragma omp parallel for schedule(static) if (worthThreads(n))
  for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
}

void multiply(float* out, const float* a, const float* b, int64_t n) {
  combine(out, a, b, n, [](float x, float y) { return x * y; });
}

}  // namespace

// ---- Forward ------------------------------------------------------------------------------------

void CpuBackend::rnnForward(const RnnProblem& problem, const RnnInputs& in, bool training,
                            uint64_t seed, const RnnOutputs& out, RnnReserve* reserve) {
  if (takesInferenceKernel(problem, training)) return inferenceForward(problem, in, out);
  auto body = [&] {
    const RnnConfig& cfg = problem.config;
    Device dev = problem.device;
    const int64_t B = problem.batch, T = problem.time, L = cfg.numLayers, D = cfg.directions();
    const int64_t H = cfg.hiddenSize, P = cfg.hiddenOut(), DP = D * P;
    const bool lstm = cfg.mode == RnnMode::Lstm;
    const bool dropout = training && cfg.dropout > 0 && L > 1;
    Plan plan = makePlan(problem);
    const bool sideBySide = directionsSideBySide(cfg);
    const bool wholeLayer = plan.uniform && !sideBySide;
    RnnLayout layout = rk::rnnLayout(cfg);
    const float* flat = in.weights.data<const float>();
    auto saved = std::make_unique<CpuRnnSaved>();
    saved->wholeLayer = wholeLayer;
    saved->calls.resize(static_cast<size_t>(L));

    // Initial states as contiguous [L*D, B, hOut / H].
    Buffer h0 = stateBuffer(in.h0, dev, L * D, B, P), c0;
    if (lstm) c0 = stateBuffer(in.c0, dev, L * D, B, H);
    float* hOut = out.h.data<float>();
    float* cOut = lstm ? out.c->data<float>() : nullptr;

    // Layer 0's input: x as tnc (only the steps any sequence has).
    int64_t used = plan.uniform ? plan.steps : T;
    Buffer input = newBuffer(dev, T * B * cfg.inputSize);
    {
      Tensor x = in.x;
      x.shape[cfg.batchFirst ? 1 : 0] = used;
      copy(x, tncAs(input, dev, cfg.batchFirst, B, used, cfg.inputSize));
    }

    Buffer output;
    for (int64_t k = 0; k < L; ++k) {
      const int64_t C = cfg.layerInput(k);
      // A uniform plan writes every step it uses (the rest is zeroed below).
      output = plan.uniform ? newBuffer(dev, T * B * DP) : zeros(dev, T * B * DP);
      if (plan.uniform && used < T) {
        std::memset(output.data() + used * B * DP, 0,
                    static_cast<size_t>((T - used) * B * DP) * sizeof(float));
      }
      auto& layerCalls = saved->calls[k];

      if (wholeLayer) {
        // One primitive for the layer, both directions at once, in place on the layer buffers.
        auto kernel = makeKernel(cfg, layout, k, 0, D, flat, nullptr, training, dev);
        SavedCall call;
        call.srcLayer = input.data();
        call.dstLayer = output.data();
        call.srcIter = h0.data() + k * D * B * P;
        Buffer dstIter = newBuffer(dev, D * B * P), dstIterC;
        call.dstIter = dstIter.data();
        if (lstm) {
          call.srcIterC = c0.data() + k * D * B * H;
          dstIterC = newBuffer(dev, D * B * H);
          call.dstIterC = dstIterC.data();
        }
        kernel->forward(used, B, call);
        copyFloats(hOut + k * D * B * P, call.dstIter, D * B * P);
        if (lstm) copyFloats(cOut + k * D * B * H, call.dstIterC, D * B * H);
        saved->keep.push_back(dstIter);
        if (lstm) saved->keep.push_back(dstIterC);
        layerCalls.push_back({call});
      } else {
        // Per direction, segment by segment.
        layerCalls.resize(static_cast<size_t>(D));
        std::vector<std::vector<Buffer>> keep(static_cast<size_t>(D));
        forEachDirection(D, sideBySide, [&](int64_t dir) {
          const bool reverse = dir == 1;
          const int64_t state = k * D + dir;
          // Inference too runs oneDNN's training kernel on several segments: its packed weight
          // layouts depend on the batch, so each segment would repack the weights.
          auto kernel = makeKernel(cfg, layout, k, dir, 1, flat, nullptr,
                                   training || plan.segments.size() > 1, dev);
          std::vector<SavedCall>& calls = layerCalls[dir];
          std::vector<Buffer>& held = keep[dir];
          float* prevIter = nullptr;
          float* prevIterC = nullptr;
          for (size_t i = 0; i < plan.segments.size(); ++i) {
            const Segment& seg = plan.segments[i];
            const int64_t steps = seg.t1 - seg.t0, rows = seg.rows;
            SavedCall call;
            Buffer src = newBuffer(dev, steps * rows * C), dst = newBuffer(dev, steps * rows * P);
            Buffer dstIter = newBuffer(dev, rows * P), dstIterC;
            call.srcLayer = src.data();
            call.dstLayer = dst.data();
            call.dstIter = dstIter.data();
            held.insert(held.end(), {src, dst, dstIter});
            if (lstm) {
              dstIterC = newBuffer(dev, rows * H);
              call.dstIterC = dstIterC.data();
              held.push_back(dstIterC);
            }
            if (i == 0) {
              Buffer srcIter = newBuffer(dev, rows * P), srcIterC;
              for (int64_t j = 0; j < rows; ++j) {
                copyFloats(srcIter.data() + j * P, h0.data() + (state * B + plan.perm[j]) * P, P);
              }
              held.push_back(srcIter);
              call.srcIter = srcIter.data();
              if (lstm) {
                srcIterC = newBuffer(dev, rows * H);
                for (int64_t j = 0; j < rows; ++j) {
                  copyFloats(srcIterC.data() + j * H, c0.data() + (state * B + plan.perm[j]) * H,
                             H);
                }
                held.push_back(srcIterC);
                call.srcIterC = srcIterC.data();
              }
            } else {
              call.srcIter = prevIter;  // its first `rows` rows
              call.srcIterC = prevIterC;
            }
            const float* x = input.data();
            forRows(steps, rows, C, [&](int64_t s, int64_t j) {
              int64_t b = plan.perm[j];
              int64_t t = sourceStep(reverse, seg.t0 + s, problem.lengths[b]);
              copyFloats(call.srcLayer + (s * rows + j) * C, x + (t * B + b) * C, C);
            });
            kernel->forward(steps, rows, call);
            float* y = output.data();
            forRows(steps, rows, P, [&](int64_t s, int64_t j) {
              int64_t b = plan.perm[j];
              int64_t t = sourceStep(reverse, seg.t0 + s, problem.lengths[b]);
              copyFloats(y + (t * B + b) * DP + dir * P, call.dstLayer + (s * rows + j) * P, P);
            });
            for (int64_t j = continuing(plan, i); j < rows; ++j) {  // these sequences end here
              int64_t b = plan.perm[j];
              copyFloats(hOut + (state * B + b) * P, call.dstIter + j * P, P);
              if (lstm) copyFloats(cOut + (state * B + b) * H, call.dstIterC + j * H, H);
            }
            prevIter = call.dstIter;
            prevIterC = call.dstIterC;
            calls.push_back(std::move(call));
          }
        });
        for (std::vector<Buffer>& held : keep) {
          saved->keep.insert(saved->keep.end(), held.begin(), held.end());
        }
      }

      saved->inputs.push_back(input);
      saved->outputs.push_back(output);
      if (k + 1 < L) {
        if (dropout) {
          Buffer mask = newBuffer(dev, T * B * DP), next = newBuffer(dev, T * B * DP);
          fillDropoutMask(mask.data(), T * B * DP, cfg.dropout, seed, static_cast<uint64_t>(k));
          multiply(next.data(), output.data(), mask.data(), T * B * DP);
          saved->masks.push_back(mask);
          input = next;
        } else {
          input = output;
        }
      }
    }
    copy(tncAs(output, dev, cfg.batchFirst, B, T, DP), out.output);
    saved->keep.push_back(h0);
    if (lstm) saved->keep.push_back(c0);
    if (reserve) reserve->saved = std::move(saved);
  };
  DNNL_CHECK(body());
}

// ---- Backward -----------------------------------------------------------------------------------

void CpuBackend::rnnBackward(const RnnProblem& problem, const RnnInputs& in,
                             const RnnReserve& reserve, const RnnGrads& grads,
                             const RnnInputGrads& out) {
  const auto* saved = dynamic_cast<const CpuRnnSaved*>(reserve.saved.get());
  if (!saved) {
    fail(Error::Code::Backend, "the training forward that made this reserve did not complete");
  }
  auto body = [&] {
    const RnnConfig& cfg = problem.config;
    Device dev = problem.device;
    const int64_t B = problem.batch, T = problem.time, L = cfg.numLayers, D = cfg.directions();
    const int64_t H = cfg.hiddenSize, P = cfg.hiddenOut(), DP = D * P;
    const bool lstm = cfg.mode == RnnMode::Lstm;
    Plan plan = makePlan(problem);
    // The saved calls are laid out for the forward's path (whole layers or per direction).
    const bool sideBySide = !saved->wholeLayer && directionsSideBySide(cfg);
    RnnLayout layout = rk::rnnLayout(cfg);
    const float* flat = in.weights.data<const float>();
    float* dFlat = out.dWeights.data<float>();
    int64_t used = plan.uniform ? plan.steps : T;

    // Incoming gradients, contiguous: dOutput as tnc, dh / dc as [L*D, B, ...].
    Buffer grad = zeros(dev, T * B * DP);
    if (grads.dOutput) {
      Tensor g = *grads.dOutput;
      g.shape[cfg.batchFirst ? 1 : 0] = used;
      copy(g, tncAs(grad, dev, cfg.batchFirst, B, used, DP));
    }
    Buffer dh = stateBuffer(grads.dh, dev, L * D, B, P), dc;
    if (lstm) dc = stateBuffer(grads.dc, dev, L * D, B, H);
    float* dh0 = out.dh0.data<float>();
    float* dc0 = lstm ? out.dc0->data<float>() : nullptr;

    Buffer gradInput;
    for (int64_t k = L - 1; k >= 0; --k) {
      const int64_t C = cfg.layerInput(k);
      gradInput = zeros(dev, T * B * C);
      const auto& layerCalls = saved->calls[k];

      if (saved->wholeLayer) {
        auto kernel = makeKernel(cfg, layout, k, 0, D, flat, dFlat, true, dev);
        SegmentDiffs diff{
            grad.data(),      dh.data() + k * D * B * P, lstm ? dc.data() + k * D * B * H : nullptr,
            gradInput.data(), dh0 + k * D * B * P,       lstm ? dc0 + k * D * B * H : nullptr};
        kernel->backward(used, B, layerCalls[0][0], diff);
        kernel->storeGrads(dFlat);
      } else {
        // Each direction adds into its own part of the layer input's gradient (each (t, b) once),
        // so the two can run side by side; the parts are summed below.
        std::vector<Buffer> parts{gradInput};
        if (D == 2) parts.push_back(zeros(dev, T * B * C));
        forEachDirection(D, sideBySide, [&](int64_t dir) {
          const bool reverse = dir == 1;
          const int64_t state = k * D + dir;
          auto kernel = makeKernel(cfg, layout, k, dir, 1, flat, dFlat, true, dev);
          Buffer carry, carryC;  // diff_src_iter(_c) of the later segment
          for (size_t i = plan.segments.size(); i-- > 0;) {
            const Segment& seg = plan.segments[i];
            const int64_t steps = seg.t1 - seg.t0, rows = seg.rows;
            const SavedCall& call = layerCalls[dir][i];
            // diff_dst_layer: this direction's slice of the incoming gradient.
            Buffer diffDst = newBuffer(dev, steps * rows * P);
            const float* g = grad.data();
            forRows(steps, rows, P, [&](int64_t s, int64_t j) {
              int64_t b = plan.perm[j];
              int64_t t = sourceStep(reverse, seg.t0 + s, problem.lengths[b]);
              copyFloats(diffDst.data() + (s * rows + j) * P, g + (t * B + b) * DP + dir * P, P);
            });
            // diff_dst_iter: carried rows continue into the next segment, the rest end here.
            int64_t cont = continuing(plan, i);
            Buffer diffIter = newBuffer(dev, rows * P), diffIterC;
            if (cont > 0) copyFloats(diffIter.data(), carry.data(), cont * P);
            for (int64_t j = cont; j < rows; ++j) {
              copyFloats(diffIter.data() + j * P, dh.data() + (state * B + plan.perm[j]) * P, P);
            }
            if (lstm) {
              diffIterC = newBuffer(dev, rows * H);
              if (cont > 0) copyFloats(diffIterC.data(), carryC.data(), cont * H);
              for (int64_t j = cont; j < rows; ++j) {
                copyFloats(diffIterC.data() + j * H, dc.data() + (state * B + plan.perm[j]) * H, H);
              }
            }
            Buffer diffSrc = newBuffer(dev, steps * rows * C);
            Buffer nextCarry = newBuffer(dev, rows * P), nextCarryC;
            if (lstm) nextCarryC = newBuffer(dev, rows * H);
            SegmentDiffs diff{diffDst.data(), diffIter.data(),  lstm ? diffIterC.data() : nullptr,
                              diffSrc.data(), nextCarry.data(), lstm ? nextCarryC.data() : nullptr};
            kernel->backward(steps, rows, call, diff);
            float* gi = parts[dir].data();
            forRows(steps, rows, C, [&](int64_t s, int64_t j) {
              int64_t b = plan.perm[j];
              int64_t t = sourceStep(reverse, seg.t0 + s, problem.lengths[b]);
              float* to = gi + (t * B + b) * C;
              const float* from = diffSrc.data() + (s * rows + j) * C;
              for (int64_t c = 0; c < C; ++c) to[c] += from[c];
            });
            carry = nextCarry;
            carryC = nextCarryC;
          }
          for (int64_t j = 0; j < B; ++j) {  // segment 0 holds every sequence
            int64_t b = plan.perm[j];
            copyFloats(dh0 + (state * B + b) * P, carry.data() + j * P, P);
            if (lstm) copyFloats(dc0 + (state * B + b) * H, carryC.data() + j * H, H);
          }
          kernel->storeGrads(dFlat);
        });
        if (D == 2) {
          combine(gradInput.data(), gradInput.data(), parts[1].data(), T * B * C,
                  [](float x, float y) { return x + y; });
        }
      }

      if (k > 0) {
        // Through the dropout mask to the layer below; its output gradient is this input's.
        if (!saved->masks.empty()) {
          multiply(gradInput.data(), gradInput.data(), saved->masks[k - 1].data(), T * B * C);
        }
        grad = gradInput;
      }
    }
    copy(tncAs(gradInput, dev, cfg.batchFirst, B, T, cfg.inputSize), out.dx);
  };
  DNNL_CHECK(body());
}

}  // namespace rk::cpu
