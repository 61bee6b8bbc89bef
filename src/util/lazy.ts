/**
 * A value computed on first use and the same ever after: for data derived only from files shipped with the server
 * (the R4 definitions, the UCUM tables), which every server in a process shares. Anything that depends on
 * configuration (profile folders, base URL, enforced profiles) belongs in a per-server context instead.
 */
export function lazy<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}
