#include "core/stream.h"

namespace rk {

Stream::~Stream() { shutdown(); }

void Stream::submit(std::string op, std::vector<std::shared_ptr<Storage>> outputs, Task task) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!worker_.joinable()) {
    stopping_ = false;
    worker_ = std::thread([this] { workerLoop(); });
  }
  for (const auto& storage : outputs)
    storage->pendingWrites.fetch_add(1, std::memory_order_relaxed);
  queue_.push_back(Entry{std::move(op), std::move(outputs), std::move(task)});
  wake_.notify_one();
}

std::optional<Error> Stream::takePoison() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<Error> poison = std::move(poison_);
  poison_.reset();
  return poison;
}

void Stream::shutdown() {
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    worker = std::move(worker_);
    wake_.notify_one();
  }
  if (worker.joinable()) worker.join();
  std::deque<Entry> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dropped.swap(queue_);
  }
  // `dropped` releases its storages here, outside the lock.
}

bool Stream::claimIdle() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_ || !queue_.empty()) return false;
  running_ = true;
  return true;
}

void Stream::release() {
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
  if (!queue_.empty()) wake_.notify_one();
}

void Stream::poison(const char* op) {
  Error error = currentExceptionAsError(op);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!poison_) poison_ = std::move(error);  // the first failure is the cause of later ones
}

void Stream::workerLoop() {
  for (;;) {
    Entry entry;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Not while an inline task runs: it came first.
      wake_.wait(lock, [this] { return stopping_ || (!queue_.empty() && !running_); });
      if (stopping_) return;
      entry = std::move(queue_.front());
      queue_.pop_front();
      running_ = true;
    }
    run(entry);
  }
}

void Stream::run(Entry& entry) {
  try {
    entry.task();
  } catch (...) {
    poison(entry.op.c_str());
  }
  for (const auto& storage : entry.outputs) {
    storage->pendingWrites.fetch_sub(1, std::memory_order_release);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
  // The entry (and the references its task holds) dies with the caller's loop iteration.
}

// Workers start on first use, so the slots of unused devices cost no threads.
static Stream gStreams[kDeviceSlots];

Stream& streamFor(Device device) { return gStreams[device.slot()]; }

void shutdownStreams() {
  for (Stream& stream : gStreams) stream.shutdown();
}

}  // namespace rk
