// Each napi/*.cpp file adds its entry points to the module's exports.
#pragma once

#include "napi/addon_api.h"

namespace rk::napi {

void exportOps(Napi::Env env, Napi::Object exports);            // ops.cpp
void exportReads(Napi::Env env, Napi::Object exports);          // read.cpp
void exportRnn(Napi::Env env, Napi::Object exports);            // rnn.cpp
void exportOptim(Napi::Env env, Napi::Object exports);          // optim.cpp
void exportCudaLibraries(Napi::Env env, Napi::Object exports);  // cuda_libraries.cpp
void exportGenerate(Napi::Env env, Napi::Object exports);       // generate.cpp
void exportGloo(Napi::Env env, Napi::Object exports);           // gloo.cpp

}  // namespace rk::napi
