/** The lines of every NDJSON file listed (a manifest's `output` or `error`), in order, downloaded with `token`. */
export async function downloadLines(files: ReadonlyArray<{ url: string }>, token?: string): Promise<any[]> {
  const out: any[] = [];
  for (const { url } of files) {
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
    out.push(
      ...(await res.text())
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
  }
  return out;
}
