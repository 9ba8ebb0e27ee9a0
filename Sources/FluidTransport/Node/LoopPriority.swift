import Foundation

/// Raises the calling thread to real-time round-robin priority 1 when allowed (root or
/// CAP_SYS_NICE), so that heartbeats and failure detection keep their 50 ms / 200 ms
/// timing when the cores are oversubscribed (on a shared 2-core machine the load can reach
/// 5× the cores; a device in the field runs nothing else). Only the event-loop threads get
/// it: they block in epoll and do little work per wake-up, while inference stays on
/// normal-priority compute threads. Returns false (and changes nothing) when not permitted.
@discardableResult
public func raiseEventLoopThreadPriority() -> Bool {
    var param = sched_param()
    param.sched_priority = 1
    return pthread_setschedparam(pthread_self(), SCHED_RR, &param) == 0
}
