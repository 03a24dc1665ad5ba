// The small-batch inference kernel for recurrent stacks of one or two directions (text
// generation: a few sequences, often one step a call, the state carried; one text through a
// bidirectional classifier). It reads the canonical flat weights in place and computes every gate
// as dot products over one weight row, instead of oneDNN's primitives with their per-call weight
// reorders (rnn.cpp keeps those for training, larger batches and long sequences). Each output
// element is one fixed sequence of floating-point operations, so a sequence's results do not
// depend on the batch it shares a call with, nor on the thread count.
#pragma once

#include "core/rnn.h"

namespace rk::cpu::rnn {

/** Whether a forward runs on this kernel: inference with batch x time <= 16, or one
 * bidirectional sequence of H >= 256 (measured in rnn_infer.cpp). */
bool takesInferenceKernel(const RnnProblem& problem, bool training);

/** The forward of a problem takesInferenceKernel accepts. */
void inferenceForward(const RnnProblem& problem, const RnnInputs& in, const RnnOutputs& out);

}  // namespace rk::cpu::rnn
