// A binary min-heap of items keyed by deadline, where each item remembers its position so it
// can be removed from the middle in O(log n) when it settles before its deadline. Expiry pops
// only the items that are due, instead of scanning everything pending on every tick.

export interface HeapItem {
  readonly deadlineMs: number;
  /** Invariant: the item's index in the heap's array while it is in the heap, else -1. */
  heapIndex: number;
}

export class DeadlineHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.siftUp(item.heapIndex);
  }

  /** Removes `item` if it is in the heap. */
  remove(item: T): void {
    const index = item.heapIndex;
    if (index < 0 || this.items[index] !== item) return;
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.siftDown(index);
    this.siftUp(last.heapIndex);
  }

  /** Removes and returns the item with the earliest deadline if that deadline is at or before `nowMs`. */
  popDue(nowMs: number): T | undefined {
    const first = this.items[0];
    if (first === undefined || first.deadlineMs > nowMs) return undefined;
    this.remove(first);
    return first;
  }

  clear(): void {
    for (const item of this.items) item.heapIndex = -1;
    this.items.length = 0;
  }

  private siftUp(start: number): void {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.items[parent]!.deadlineMs <= this.items[index]!.deadlineMs) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(start: number): void {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.items.length && this.items[left]!.deadlineMs < this.items[smallest]!.deadlineMs) smallest = left;
      if (right < this.items.length && this.items[right]!.deadlineMs < this.items[smallest]!.deadlineMs) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }

  private swap(first: number, second: number): void {
    const a = this.items[first]!;
    const b = this.items[second]!;
    this.items[first] = b;
    this.items[second] = a;
    a.heapIndex = second;
    b.heapIndex = first;
  }
}
