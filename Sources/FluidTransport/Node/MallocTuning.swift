#if os(Linux)
import CMalloc
#endif

/// Keeps large buffers (joint activation frames of ~800 KB, receive buffers of up to
/// 1 MiB) on the heap instead of glibc's per-allocation mmap/munmap: every such frame
/// otherwise costs hundreds of page faults to touch fresh pages, and every munmap a TLB
/// shoot-down across cores. Measured on the HA plan: ~34 k page faults per second on the
/// Worker before. Called once at process start (node and source); idempotent.
public func tuneMallocForLargeFrames() {
    #if os(Linux)
    // One arena: a thread's own arena gives freed memory back with MADV_DONTNEED whatever
    // the trim threshold, and the loop allocates frames that the compute thread frees, so
    // every frame touched fresh zeroed pages again.
    _ = mallopt(M_ARENA_MAX, 1)
    _ = mallopt(M_MMAP_THRESHOLD, 64 << 20)
    _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
    #endif
}
