// A device's ordered work queue: one worker thread drains a FIFO of tasks. Ops validate on the
// JS thread, then submit their work here and return at once. On a CUDA device a task enqueues
// its kernels on the device's cudaStream_t and returns; the GPU runs them in the same order.
//
// A task that throws poisons the stream: the first such error (prefixed with the op's name) is
// kept until a read/sync takes it with takePoison(), so the device stays usable afterwards.
// Later tasks still run: every op validated its shapes up front, so they stay memory-safe even
// when an input was never written.
//
// Small work may run inline instead (runIfIdle): on the calling thread, when nothing is queued or
// running. That is the same order as queuing it, without the worker's wake-up and hand-back.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/storage.h"

namespace rk {

class Stream {
 public:
  using Task = std::function<void()>;

  Stream() = default;
  ~Stream();  // stops the worker
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  /**
   * Queues `task` under the op name `op` (the prefix of its errors). `outputs` count one more
   * pending write until the task has run, whether or not it threw (Storage::ready). Starts the
   * worker on first use.
   */
  void submit(std::string op, std::vector<std::shared_ptr<Storage>> outputs, Task task);

  /**
   * Runs `task` at once on the calling thread and returns true when the stream is idle (nothing
   * queued, no task running); else returns false and the caller submits it. While it runs the
   * worker starts no task, so tasks submitted meanwhile from any thread wait behind it. A throw
   * poisons the stream as on the worker. Only for tasks whose work is done when they return.
   */
  template <class F>
  bool runIfIdle(const char* op, F& task) {
    if (!claimIdle()) return false;
    try {
      task();
    } catch (...) {
      poison(op);
    }
    release();
    return true;
  }

  /** Returns and clears the stored failure. Call from inside a task, so the order is exact. */
  std::optional<Error> takePoison();

  /** Stops the worker after its current task and drops the tasks still queued. */
  void shutdown();

 private:
  struct Entry {
    std::string op;
    std::vector<std::shared_ptr<Storage>> outputs;
    Task task;
  };

  void workerLoop();
  void run(Entry& entry);
  /** Marks the stream running if it is idle; returns whether it did. */
  bool claimIdle();
  /** Ends what claimIdle started, and lets the worker take a task queued meanwhile. */
  void release();
  /** Keeps the current exception as the stream's failure unless one is kept already. */
  void poison(const char* op);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Entry> queue_;
  bool stopping_ = false;
  bool running_ = false;  // a task runs, on the worker or inline; guarded by mutex_
  std::thread worker_;
  std::optional<Error> poison_;  // guarded by mutex_
};

/** The stream of `device` (one per device, process-wide). */
Stream& streamFor(Device device);

/** Shuts down every device's stream (the addon's env cleanup hook calls this). */
void shutdownStreams();

}  // namespace rk
