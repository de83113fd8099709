#pragma once
// Large buffers that are written once (recorded states, the readout's statistics).
#include <cstddef>

namespace ransim {

// Asks the kernel to back the 2 MiB-aligned part of [p, p + bytes) with transparent huge
// pages (Linux with THP in "madvise" mode, Debian's default). Call it before the memory is
// first written. On the project's VM a 4 KiB page fault costs ~11 us: paging in 80 MB took
// 221 ms in 4 KiB pages and 12 ms in 2 MiB pages (docs/performance.md). A hint only: where
// the kernel cannot, or for ranges under 2 MiB, nothing changes.
void prefer_huge_pages(void* p, std::size_t bytes);

}  // namespace ransim
