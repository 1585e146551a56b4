// The heap's new pages made present before the verifier first writes them
// (docs/PERFORMANCE.md, "Province scale": "The heap's pages made present
// ahead of their first write").
//
// The verifier's heap grows by ~200 MiB at 1,000,000 entries (the rules'
// records), one 4 KiB page at a time as malloc first writes each, and a page
// fault costs ~10 µs on this project's virtual machines. The kernel makes a
// whole range present in one call for far less (MADV_POPULATE_WRITE, Linux
// 5.14); the first access to each page then still traps to the hypervisor
// (~4 µs), which a load in a row right after takes for less than malloc's
// scattered writes. So the thread that folds the entries asks, every few
// hundred entries, for the pages the heap has grown by since it last asked;
// glibc is told to grow the heap a little ahead (`pad` bytes), so that most
// pages are asked for before malloc hands them out. Nothing changes in what
// the program computes: a present page reads as the zeros a page faulted in
// later would have held, and a page malloc already wrote is left as it is.
// What it costs is memory: the pad, and the pages of blocks the program is
// handed but never writes (~1.3 MiB at 1,000,000 entries), are resident.
#pragma once

#include <cstddef>
#include <cstdint>

namespace piaojue::verifier {

// Process-wide, once, before any other thread starts (a program's `main`):
// glibc's heap is from now on grown `pad` bytes ahead of what malloc needs
// (M_TOP_PAD) and never shrunk (M_TRIM_THRESHOLD -1: its break never moves
// down, so the pages below it stay mapped while a HeapPrefaulter loads from
// them), and HeapPrefaulter does its work. Returns false, and changes
// nothing, where the C library is not glibc or the kernel cannot populate a
// range (HeapPrefaulter then does nothing).
bool PrefaultHeap(size_t pad);

// Makes the heap's pages present as it grows. Not thread-safe: one thread
// at a time calls Advance (the one that folds the entries); the other
// threads may allocate and free meanwhile.
class HeapPrefaulter {
 public:
  // Starts from the heap's current end (its break).
  HeapPrefaulter();
  HeapPrefaulter(const HeapPrefaulter&) = delete;
  HeapPrefaulter& operator=(const HeapPrefaulter&) = delete;

  // Makes the pages between where the last call stopped and the heap's
  // current end present and writable, and loads a byte of each (the load
  // that makes the virtual machine map the page, off malloc's path). Does
  // nothing unless PrefaultHeap returned true.
  void Advance();

  // Where the pages made present end (the break at the last Advance).
  uintptr_t populated_end() const { return populated_end_; }

 private:
  uintptr_t populated_end_;
};

}  // namespace piaojue::verifier
