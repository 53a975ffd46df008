// Commander option parser for options that may be given several times (`-r a -r b`).
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
