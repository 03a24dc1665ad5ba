// cudaLibrarySearch(): where the CUDA module's libraries are found, or would be, by the search
// the loader runs (core/cuda_library_search.h), from the environment at the time of the call.
// It loads nothing, so it answers on a machine without a GPU or driver too (tests, `rnnkit info`).
#include "core/cuda_module.h"
#include "napi/errors.h"
#include "napi/exports.h"

namespace rk::napi {

namespace {

Napi::Array stringArray(Napi::Env env, const std::vector<std::string>& items) {
  Napi::Array array = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) array.Set(static_cast<uint32_t>(i), items[i]);
  return array;
}

Napi::Object libraryObject(Napi::Env env, const CudaLibrary& library) {
  Napi::Object entry = Napi::Object::New(env);
  entry.Set("file", library.file);
  entry.Set("folder", library.folder.empty() ? env.Null() : Napi::String::New(env, library.folder));
  entry.Set("loadedBy", library.preloaded ? "rnnkit" : "cudnn");
  Napi::Array passedOver = Napi::Array::New(env, library.passedOver.size());
  for (size_t i = 0; i < library.passedOver.size(); ++i) {
    Napi::Object copy = Napi::Object::New(env);
    copy.Set("folder", library.passedOver[i].folder);
    copy.Set("missing", stringArray(env, library.passedOver[i].missing));
    passedOver.Set(static_cast<uint32_t>(i), copy);
  }
  entry.Set("passedOver", passedOver);
  return entry;
}

Napi::Value cudaLibrarySearch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::optional<CudaLibrarySearch> search = rk::cudaLibrarySearch();
  if (!search) return env.Null();
  Napi::Object result = Napi::Object::New(env);
  result.Set("folders", stringArray(env, search->folders));
  Napi::Array libraries = Napi::Array::New(env, search->libraries.size());
  for (size_t i = 0; i < search->libraries.size(); ++i)
    libraries.Set(static_cast<uint32_t>(i), libraryObject(env, search->libraries[i]));
  result.Set("libraries", libraries);
  return result;
}

}  // namespace

void exportCudaLibraries(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaLibrarySearch",
              Napi::Function::New(env, guarded<cudaLibrarySearch>, "cudaLibrarySearch"));
}

}  // namespace rk::napi
