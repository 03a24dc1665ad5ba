// The small-batch inference kernel for unidirectional recurrent stacks (text generation: a few
// sequences, often one step a call, the state carried). It reads the canonical flat weights in
// place and computes every gate as dot products over one weight row, instead of oneDNN's
// primitives with their per-call weight reorders (rnn.cpp keeps those for training, two
// directions, larger batches and long sequences). Each output element is one fixed sequence of
// floating-point operations, so a sequence's results do not depend on the batch it shares a call
// with, nor on the thread count.
#pragma once

#include "core/rnn.h"

namespace rk::cpu::rnn {

/** Whether a forward runs on this kernel: inference, one direction, batch x time <= 16. */
bool takesInferenceKernel(const RnnProblem& problem, bool training);

/** The forward of a problem takesInferenceKernel accepts. */
void inferenceForward(const RnnProblem& problem, const RnnInputs& in, const RnnOutputs& out);

}  // namespace rk::cpu::rnn
