import assert from 'node:assert/strict';

/** The samples of one scrape: `name{labels}` -> value (labels as exposed, in their order). */
export async function scrape(url: string): Promise<{ text: string; value: (series: string) => number | undefined }> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    samples.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return { text, value: (series) => samples.get(series) };
}

