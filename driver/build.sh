#!/usr/bin/env bash
# Builds Luna's BPF objects: vmlinux.h from the running kernel's BTF (CO-RE), then every
# driver/bpf/*.bpf.c into driver/build/*.bpf.o. Needs clang, bpftool and libbpf-dev
# (scripts/apt-packages.txt). Rebuilds only what is older than its source.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
mkdir -p "$out"
btf=/sys/kernel/btf/vmlinux
if [ ! -s "$out/vmlinux.h" ] || [ "$btf" -nt "$out/vmlinux.h" ]; then
  bpftool btf dump file "$btf" format c > "$out/vmlinux.h.tmp"
  mv "$out/vmlinux.h.tmp" "$out/vmlinux.h"
fi
for src in "$here"/bpf/*.bpf.c; do
  obj="$out/$(basename "${src%.c}").o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$here/bpf/luna.h" -nt "$obj" ] || [ "${FORCE:-}" = 1 ]; then
    clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -Wno-unused-function \
      -I "$out" -I "$here/bpf" -c "$src" -o "$obj.tmp"
    mv "$obj.tmp" "$obj"
    echo "built $obj"
  fi
done
