import Foundation

/// One dedicated thread that runs inference jobs in FIFO order, off the event loop, so
/// heartbeats and frames keep flowing while a batch computes.
///
/// FIFO on a single thread is what keeps the engines safe: every engine is touched only
/// by jobs, and a job queued after another on the same engine runs after it.
public final class ComputeThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0
    private var stopping = false
    private var thread: Thread?

    public init(name: String) {
        let t = Thread { [unowned self] in self.run() }
        t.name = name
        t.stackSize = 4 << 20
        thread = t
        t.start()
    }

    /// Queues `job`; it runs on the compute thread.
    public func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Jobs waiting (not counting the one running).
    public var queued: Int {
        condition.lock(); defer { condition.unlock() }
        return jobs.count - head
    }

    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping { condition.wait() }
            if stopping && head == jobs.count { condition.unlock(); return }
            let job = jobs[head]
            head += 1
            if head == jobs.count { jobs.removeAll(keepingCapacity: true); head = 0 }
            condition.unlock()
            job()
        }
    }
}
