// Entry points of the Gloo process group (lib/binding.ts documents them): glooAvailable,
// glooCreate, glooAllReduce, glooBroadcast, glooAllGather, glooBarrier, glooDestroy. A group is an
// External holding a shared_ptr: queued collectives hold their own reference, so destroying the
// handle while they run leaves the group once they are done.
#include <algorithm>
#include <memory>

#include "core/gloo_module.h"
#include "core/process_group.h"
#include "napi/args.h"
#include "napi/errors.h"
#include "napi/exports.h"
#include "napi/pending_promise.h"
#include "napi/tensor_wrap.h"

namespace rk::napi {

namespace {

constexpr napi_type_tag kGroupTag = {0x726e6e6b69745f67ULL, 0x6c6f6f67726f7570ULL};

struct GroupHandle {
  std::shared_ptr<ProcessGroup> group;  // null once destroyed
};
using GroupExternal = Napi::External<GroupHandle>;

GroupHandle& handleArg(const Napi::CallbackInfo& info, const char* op) {
  Napi::Value value = info[0];
  if (!value.IsExternal() || !value.As<GroupExternal>().CheckTypeTag(&kGroupTag)) {
    failArgument(op, "group", "a Gloo process group", value);
  }
  return *value.As<GroupExternal>().Data();
}

std::shared_ptr<ProcessGroup> groupArg(const Napi::CallbackInfo& info, const char* op) {
  GroupHandle& handle = handleArg(info, op);
  if (!handle.group) fail(Error::Code::Distributed, op, ": the process group was destroyed");
  return handle.group;
}

std::string stringField(Napi::Object object, const char* op, const char* key, bool required) {
  Napi::Value value = object.Get(key);
  if (!required && value.IsUndefined()) return "";
  if (!value.IsString()) failArgument(op, str("options.", key), "a string", value);
  return value.As<Napi::String>().Utf8Value();
}

int64_t integerField(Napi::Object object, const char* op, const char* key) {
  Napi::Value value = object.Get(key);
  double n = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : 0.5;
  if (n != static_cast<double>(static_cast<int64_t>(n)) || n < 0 || n > 9007199254740991.0) {
    failArgument(op, str("options.", key), "a non-negative integer", value);
  }
  return static_cast<int64_t>(n);
}

/** {rank, worldSize, timeoutMs, store: {kind: 'file', path} | {kind: 'tcp', host, port},
 * hostname?, iface?} */
dist::GroupOptions groupOptionsArg(const Napi::CallbackInfo& info, const char* op) {
  Napi::Value value = info[0];
  if (!value.IsObject()) failArgument(op, "options", "an object", value);
  Napi::Object o = value.As<Napi::Object>();
  dist::GroupOptions options;
  options.rank = static_cast<int>(std::min<int64_t>(integerField(o, op, "rank"), INT32_MAX));
  options.worldSize =
      static_cast<int>(std::min<int64_t>(integerField(o, op, "worldSize"), INT32_MAX));
  options.timeoutMs = integerField(o, op, "timeoutMs");
  options.hostname = stringField(o, op, "hostname", false);
  options.iface = stringField(o, op, "iface", false);
  Napi::Value storeValue = o.Get("store");
  if (!storeValue.IsObject()) failArgument(op, "options.store", "an object", storeValue);
  Napi::Object store = storeValue.As<Napi::Object>();
  std::string kind = stringField(store, op, "kind", true);
  if (kind == "file") {
    options.store.kind = dist::StoreSpec::Kind::File;
    options.store.path = stringField(store, op, "path", true);
  } else if (kind == "tcp") {
    options.store.kind = dist::StoreSpec::Kind::Tcp;
    options.store.host = stringField(store, op, "host", true);
    int64_t port = integerField(store, op, "port");
    if (port < 1 || port > 65535)
      failArgument(op, "options.store.port", "in [1, 65535]", store.Get("port"));
    options.store.port = static_cast<int>(port);
  } else {
    failArgument(op, "options.store.kind", "'file' or 'tcp'", store.Get("kind"));
  }
  return options;
}

std::optional<dist::ReduceOp> parseReduceOp(const std::string& name) {
  if (name == "sum") return dist::ReduceOp::Sum;
  if (name == "mean") return dist::ReduceOp::Mean;
  if (name == "max") return dist::ReduceOp::Max;
  if (name == "min") return dist::ReduceOp::Min;
  return std::nullopt;
}

/** A promise that `start(done)` settles; the collectives never run inline. */
template <class Start>
Napi::Promise settledBy(Napi::Env env, Start start) {
  return whenDone(env, std::make_unique<PendingPromise>(env), [&](ops::Completion done) {
    start(std::move(done));
    return false;
  });
}

Napi::Value glooAvailable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  const dist::ModuleApi* api = glooModule();
  result.Set("available", api != nullptr);
  result.Set("detail", api ? std::string(api->describe()) : glooUnavailableReason());
  return result;
}

/** Returns [group, promise of the rendezvous]. */
Napi::Value glooCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  dist::GroupOptions options = groupOptionsArg(info, "glooCreate");
  auto handle = std::make_unique<GroupHandle>();
  Napi::Promise connected = settledBy(env, [&](ops::Completion done) {
    handle->group = ProcessGroup::create(options, std::move(done));
  });
  GroupExternal external =
      GroupExternal::New(env, handle.release(), [](Napi::Env, GroupHandle* h) { delete h; });
  external.TypeTag(&kGroupTag);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, external);
  result.Set(1u, connected);
  return result;
}

Napi::Value glooAllReduce(const Napi::CallbackInfo& info) {
  const char* op = "allReduce";
  std::shared_ptr<ProcessGroup> group = groupArg(info, op);
  Tensor t = tensorArg(info, 1, op, "t");
  dist::ReduceOp reduce =
      enumArg(info, 2, op, "op", parseReduceOp, "one of 'sum', 'mean', 'max', 'min'");
  return settledBy(info.Env(), [&](ops::Completion done) {
    ProcessGroup::allReduce(std::move(group), t, reduce, std::move(done));
  });
}

Napi::Value glooBroadcast(const Napi::CallbackInfo& info) {
  const char* op = "broadcast";
  std::shared_ptr<ProcessGroup> group = groupArg(info, op);
  Tensor t = tensorArg(info, 1, op, "t");
  int64_t src = integerArg(info, 2, op, "src");
  return settledBy(info.Env(), [&](ops::Completion done) {
    ProcessGroup::broadcast(std::move(group), t, src, std::move(done));
  });
}

/** Returns [output, promise]. */
Napi::Value glooAllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "allGather";
  std::shared_ptr<ProcessGroup> group = groupArg(info, op);
  Tensor t = tensorArg(info, 1, op, "t");
  Tensor out;
  Napi::Promise done = settledBy(env, [&](ops::Completion completion) {
    out = ProcessGroup::allGather(std::move(group), t, std::move(completion));
  });
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, TensorWrap::create(env, std::move(out)));
  result.Set(1u, done);
  return result;
}

Napi::Value glooBarrier(const Napi::CallbackInfo& info) {
  std::shared_ptr<ProcessGroup> group = groupArg(info, "barrier");
  return settledBy(info.Env(), [&](ops::Completion done) {
    ProcessGroup::barrier(std::move(group), std::move(done));
  });
}

/** Drops the handle's reference; idempotent. */
Napi::Value glooDestroy(const Napi::CallbackInfo& info) {
  handleArg(info, "destroy").group.reset();
  return info.Env().Undefined();
}

}  // namespace

void exportGloo(Napi::Env env, Napi::Object exports) {
  exports.Set("glooAvailable", Napi::Function::New(env, guarded<glooAvailable>, "glooAvailable"));
  exports.Set("glooCreate", Napi::Function::New(env, guarded<glooCreate>, "glooCreate"));
  exports.Set("glooAllReduce", Napi::Function::New(env, guarded<glooAllReduce>, "glooAllReduce"));
  exports.Set("glooBroadcast", Napi::Function::New(env, guarded<glooBroadcast>, "glooBroadcast"));
  exports.Set("glooAllGather", Napi::Function::New(env, guarded<glooAllGather>, "glooAllGather"));
  exports.Set("glooBarrier", Napi::Function::New(env, guarded<glooBarrier>, "glooBarrier"));
  exports.Set("glooDestroy", Napi::Function::New(env, guarded<glooDestroy>, "glooDestroy"));
}

}  // namespace rk::napi
