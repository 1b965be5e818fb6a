#include "onesoup/store/store_worker.hpp"

namespace onesoup::store {

StoreWorker::StoreWorker(boost::asio::io_context& io) : loop_(io), thread_([this] { loop(); }) {}

StoreWorker::~StoreWorker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void StoreWorker::enqueue(std::unique_ptr<Task> task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void StoreWorker::loop() {
    for (;;) {
        std::unique_ptr<Task> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            // Jobs queued before the destructor still run: a caller may be waiting for a write.
            if (tasks_.empty()) return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        (*task)();
    }
}

}  // namespace onesoup::store
