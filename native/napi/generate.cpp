// generate(): unwraps a language model's tensors and the sampling settings, starts ops::generate
// and returns its handle { next(), cancel() }. The handle's collection by GC, and the
// environment's exit, cancel the generation, so an abandoned one stops at its next step.
#include "napi/addon_api.h"

#include <cstring>

#include "core/generate.h"
#include "napi/addon_state.h"
#include "napi/args.h"
#include "napi/errors.h"
#include "napi/exports.h"
#include "napi/generation.h"
#include "napi/rnn_config.h"

namespace rk::napi {

namespace {

constexpr const char* kOp = "generate";

template <class T>
std::vector<T> typedArrayArg(const Napi::CallbackInfo& info, size_t index, const char* name,
                             napi_typedarray_type type, const char* expected) {
  Napi::Value value = info[index];
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    failArgument(kOp, name, expected, value);
  }
  Napi::TypedArrayOf<T> array = value.As<Napi::TypedArrayOf<T>>();
  std::vector<T> values(array.ElementLength());
  if (!values.empty()) std::memcpy(values.data(), array.Data(), values.size() * sizeof(T));
  return values;
}

/** A JS function over `generation` whose C++ exceptions become typed JS errors. */
template <class Body>
Napi::Function method(Napi::Env env, const char* name, Body body) {
  return Napi::Function::New(
      env,
      [body](const Napi::CallbackInfo& info) -> Napi::Value {
        try {
          return body(info.Env());
        } catch (const Napi::Error&) {
          throw;
        } catch (...) {
          throw currentExceptionAsJsError(info.Env());
        }
      },
      name);
}

Napi::Value generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GenerateRequest r;
  r.config = configArg(info, 0);
  r.weights = tensorArg(info, 1, kOp, "weights");
  r.table = tensorArg(info, 2, kOp, "table");
  r.headWeight = tensorArg(info, 3, kOp, "headWeight");
  if (!info[4].IsNull()) r.headBias = tensorArg(info, 4, kOp, "headBias");
  r.promptIds = typedArrayArg<int32_t>(info, 5, "promptIds", napi_int32_array, "an Int32Array");
  r.lengths = typedArrayArg<int32_t>(info, 6, "lengths", napi_int32_array, "an Int32Array");
  r.maxTokens = integerArg(info, 7, kOp, "maxTokens");
  r.sampling.temperature = numberArg(info, 8, kOp, "temperature");
  r.sampling.topK = integerArg(info, 9, kOp, "topK");
  r.sampling.topP = numberArg(info, 10, kOp, "topP");
  r.seeds = typedArrayArg<uint32_t>(info, 11, "seeds", napi_uint32_array, "a Uint32Array");
  r.excluded = typedArrayArg<int32_t>(info, 12, "excluded", napi_int32_array, "an Int32Array");

  auto generation = std::make_shared<Generation>(addonState(env).completions);
  ops::generate(std::move(r), generation);
  trackGeneration(env, generation);

  Napi::Object handle = Napi::Object::New(env);
  handle.Set("next",
             method(env, "next", [generation](Napi::Env e) { return generation->next(e); }));
  handle.Set("cancel", method(env, "cancel", [generation](Napi::Env e) {
               generation->cancel();
               return e.Undefined();
             }));
  handle.AddFinalizer(
      [](Napi::Env, std::shared_ptr<Generation>* owned) {
        (*owned)->cancel();
        delete owned;
      },
      new std::shared_ptr<Generation>(generation));
  return handle;
}

void cancelOnCleanup(napi_env env) { cancelGenerations(env); }

Napi::Value cancelOnExit(const Napi::CallbackInfo& info) {
  cancelGenerations(info.Env());
  return info.Env().Undefined();
}

}  // namespace

void exportGenerate(Napi::Env env, Napi::Object exports) {
  exports.Set(kOp, Napi::Function::New(env, guarded<generate>, kOp));
  // The addon's own 'exit' listener stops the streams, which waits for the task running: so
  // ours runs first (prepended), and a long generation stops at its next step.
  env.AddCleanupHook(cancelOnCleanup, static_cast<napi_env>(env));
  Napi::Object process = env.Global().Get("process").As<Napi::Object>();
  process.Get("prependListener")
      .As<Napi::Function>()
      .Call(process, {Napi::String::New(env, "exit"),
                      Napi::Function::New(env, cancelOnExit, "rnnkitCancelGenerations")});
}

}  // namespace rk::napi
