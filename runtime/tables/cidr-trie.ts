// Binary tries for CIDR predicates, one for IPv4 and one for IPv6: walking an address's bits
// collects every prefix that contains it.

export class CidrTrie {
  private zero: number[] = [-1];
  private one: number[] = [-1];
  private preds: (number[] | undefined)[] = [undefined];
  size = 0;

  insert(bytes: Uint8Array, prefix: number, pid: number): void {
    let node = 0;
    for (let i = 0; i < prefix; i++) {
      const bit = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
      const next = bit ? this.one : this.zero;
      if (next[node] < 0) {
        next[node] = this.zero.length;
        this.zero.push(-1);
        this.one.push(-1);
        this.preds.push(undefined);
      }
      node = next[node];
    }
    (this.preds[node] ??= []).push(pid);
    this.size++;
  }

  lookup(bytes: Uint8Array, found: (pid: number) => void): void {
    let node = 0;
    const bits = bytes.length * 8;
    for (let i = 0; ; i++) {
      const here = this.preds[node];
      if (here) for (const p of here) found(p);
      if (i >= bits) return;
      const bit = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
      node = bit ? this.one[node] : this.zero[node];
      if (node < 0) return;
    }
  }
}
