// The koffi binding to libbpf.so.1 (Debian's libbpf1): only the calls the driver needs.
// Loaded lazily and once per thread (the ring-buffer worker loads its own copy of the binding).

import koffi from 'koffi';

export interface Libbpf {
  openFile(path: string): unknown;
  objectLoad(obj: unknown): number;
  objectClose(obj: unknown): void;
  findProgram(obj: unknown, name: string): unknown;
  setAutoload(prog: unknown, on: boolean): number;
  nextProgram(obj: unknown, prev: unknown): unknown;
  programName(prog: unknown): string;
  attach(prog: unknown): unknown;
  attachCgroup(prog: unknown, cgroupFd: number): unknown;
  linkDestroy(link: unknown): number;
  mapFd(obj: unknown, name: string): number;
  update(fd: number, key: Buffer, value: Buffer, flags: number): number;
  lookup(fd: number, key: Buffer, value: Buffer): number;
  remove(fd: number, key: Buffer): number;
  nextKey(fd: number, key: Buffer | null, next: Buffer): number;
  numCpus(): number;
  ringNew(fd: number, cb: unknown): unknown;
  ringPoll(rb: unknown, timeoutMs: number): number;
  ringConsume(rb: unknown): number;
  ringFree(rb: unknown): void;
  silence(): void;
  /** BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): run-time counters while the returned fd is open. */
  enableStats(): number;
  closeFd(fd: number): void;
  progFd(prog: unknown): number;
  objInfo(fd: number, info: Buffer): number;
  errno(): number;
  SampleFn: ReturnType<typeof koffi.proto>;
}

let lib: Libbpf | undefined;

export function libbpf(): Libbpf {
  if (lib) return lib;
  const so = koffi.load('libbpf.so.1');
  const obj = koffi.opaque('bpf_object');
  const prog = koffi.opaque('bpf_program');
  const link = koffi.opaque('bpf_link');
  const rb = koffi.opaque('ring_buffer');
  const SampleFn = koffi.proto('int luna_rb_sample(void *ctx, void *data, size_t size)');
  const PrintFn = koffi.proto('int luna_libbpf_print(int level, const char *fmt, void *args)');
  const f = {
    open: so.func('bpf_object__open_file', koffi.pointer(obj), ['str', 'void *']),
    load: so.func('bpf_object__load', 'int', [koffi.pointer(obj)]),
    close: so.func('bpf_object__close', 'void', [koffi.pointer(obj)]),
    find: so.func('bpf_object__find_program_by_name', koffi.pointer(prog), [koffi.pointer(obj), 'str']),
    autoload: so.func('bpf_program__set_autoload', 'int', [koffi.pointer(prog), 'bool']),
    next: so.func('bpf_object__next_program', koffi.pointer(prog), [koffi.pointer(obj), koffi.pointer(prog)]),
    name: so.func('bpf_program__name', 'str', [koffi.pointer(prog)]),
    attach: so.func('bpf_program__attach', koffi.pointer(link), [koffi.pointer(prog)]),
    attachCg: so.func('bpf_program__attach_cgroup', koffi.pointer(link), [koffi.pointer(prog), 'int']),
    destroy: so.func('bpf_link__destroy', 'int', [koffi.pointer(link)]),
    mapFd: so.func('bpf_object__find_map_fd_by_name', 'int', [koffi.pointer(obj), 'str']),
    update: so.func('bpf_map_update_elem', 'int', ['int', 'void *', 'void *', 'uint64']),
    lookup: so.func('bpf_map_lookup_elem', 'int', ['int', 'void *', 'void *']),
    remove: so.func('bpf_map_delete_elem', 'int', ['int', 'void *']),
    nextKey: so.func('bpf_map_get_next_key', 'int', ['int', 'void *', 'void *']),
    cpus: so.func('libbpf_num_possible_cpus', 'int', []),
    rnew: so.func('ring_buffer__new', koffi.pointer(rb), ['int', koffi.pointer(SampleFn), 'void *', 'void *']),
    rpoll: so.func('ring_buffer__poll', 'int', [koffi.pointer(rb), 'int']),
    rconsume: so.func('ring_buffer__consume', 'int', [koffi.pointer(rb)]),
    rfree: so.func('ring_buffer__free', 'void', [koffi.pointer(rb)]),
    setPrint: so.func('libbpf_set_print', 'void *', [koffi.pointer(PrintFn)]),
    enableStats: so.func('bpf_enable_stats', 'int', ['int']),
    progFd: so.func('bpf_program__fd', 'int', [koffi.pointer(prog)]),
    objInfo: so.func('bpf_obj_get_info_by_fd', 'int', ['int', 'void *', koffi.inout(koffi.pointer('uint32'))]),
    closeFd: koffi.load('libc.so.6').func('int close(int fd)'),
  };
  lib = {
    openFile: (p) => f.open(p, null),
    objectLoad: (o) => f.load(o),
    objectClose: (o) => f.close(o),
    findProgram: (o, n) => f.find(o, n),
    setAutoload: (p, on) => f.autoload(p, on),
    nextProgram: (o, p) => f.next(o, p),
    programName: (p) => f.name(p),
    attach: (p) => f.attach(p),
    attachCgroup: (p, fd) => f.attachCg(p, fd),
    linkDestroy: (l) => f.destroy(l),
    mapFd: (o, n) => f.mapFd(o, n),
    update: (fd, k, v, fl) => f.update(fd, k, v, fl),
    lookup: (fd, k, v) => f.lookup(fd, k, v),
    remove: (fd, k) => f.remove(fd, k),
    nextKey: (fd, k, n) => f.nextKey(fd, k, n),
    numCpus: () => f.cpus(),
    ringNew: (fd, cb) => f.rnew(fd, cb, null, null),
    ringPoll: (r, t) => f.rpoll(r, t),
    ringConsume: (r) => f.rconsume(r),
    ringFree: (r) => f.rfree(r),
    // libbpf prints verifier logs to stderr by default; the loader reports errno instead.
    silence: () => void f.setPrint(null),
    enableStats: () => f.enableStats(0),
    closeFd: (fd) => void f.closeFd(fd),
    progFd: (p) => f.progFd(p),
    objInfo: (fd, info) => f.objInfo(fd, info, [info.length]),
    errno: () => koffi.errno(),
    SampleFn,
  };
  return lib;
}
