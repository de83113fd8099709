#pragma once
// Large buffers that are written once (recorded states, the readout's statistics).
#include <cstddef>

namespace ransim {

// Asks the kernel to back the 2 MiB-aligned part of [p, p + bytes) with transparent huge
// pages (Linux with THP in "madvise" mode, Debian's default). Call it before the memory is
// first written: on virtual machines a 4 KiB page fault can cost more than the work that
// fills the page (measured in docs/performance.md). A hint only: where the kernel cannot,
// or for ranges under 2 MiB, nothing changes.
void prefer_huge_pages(void* p, std::size_t bytes);

}  // namespace ransim
