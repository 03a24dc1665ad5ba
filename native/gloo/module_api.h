// The boundary between the addon (rnnkit.node) and the Gloo module (rnnkit_gloo.so), which the
// addon dlopen()s on first use of a process group, so that the addon (and the prebuilt) loads on
// machines without libgloo. Plain C++ with no Gloo headers: the addon includes it too. As with the
// CUDA module, both sides are built together from one tree, and kModuleApiVersion guards against
// a module left over from another build. The functions throw rk::Error (a visible type, so the
// addon catches it): RK_DISTRIBUTED for a failed collective or rendezvous, RK_ARGUMENT for a bad
// option.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace rk::dist {

constexpr int kModuleApiVersion = 1;
/** The one symbol the module exports (extern "C"): a ModuleEntry. */
constexpr const char* kModuleEntrySymbol = "rnnkit_gloo_module";

enum class ReduceOp { Sum, Mean, Max, Min };

/** Where ranks meet: a directory all of them see (Gloo's FileStore), or the TCP store server. */
struct StoreSpec {
  enum class Kind { File, Tcp } kind = Kind::File;
  std::string path;  // File
  std::string host;  // Tcp
  int port = 0;      // Tcp
};

struct GroupOptions {
  int rank = 0;
  int worldSize = 1;
  StoreSpec store;
  int64_t timeoutMs = 30000;
  /** The address this rank listens on and tells its peers (Gloo's tcp attr); empty: Gloo's own
   * choice, the address of this machine's hostname. */
  std::string hostname;
  /** A network interface to listen on instead (as GLOO_SOCKET_IFNAME); wins over hostname. */
  std::string iface;
};

/** A connected process group (opaque to the addon). */
struct Group;

struct ModuleApi {
  int version;
  /** "Gloo <version>, TCP transport". */
  const char* (*describe)();
  /** Rendezvous and full-mesh connection; blocks until every rank came or the timeout passed. */
  Group* (*create)(const GroupOptions& options);
  void (*destroy)(Group* group) noexcept;
  /** In place over `count` elements of `dtype` (Mean: float32 only, checked by the caller). */
  void (*allReduce)(Group* group, void* data, size_t count, DType dtype, ReduceOp op);
  /** `bytes` at `data`, from rank `src` to every rank, in place. */
  void (*broadcast)(Group* group, void* data, size_t bytes, int src);
  /** Each rank's `bytes` at `in` into `out` (worldSize * bytes, rank order). */
  void (*allGather)(Group* group, const void* in, void* out, size_t bytes);
  void (*barrier)(Group* group);
};

/** Returns the module's API, or null when `version` is not the module's kModuleApiVersion. */
using ModuleEntry = const ModuleApi* (*)(int version);

}  // namespace rk::dist
