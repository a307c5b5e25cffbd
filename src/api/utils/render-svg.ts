import { instance, type Viz } from '@viz-js/viz';

// Instantiating Graphviz compiles a few MB of WebAssembly; do it once per process, on first use.
let viz: Promise<Viz> | undefined;

/** Lays out DOT text with Graphviz (WebAssembly build) and returns the SVG document. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance().catch((e: unknown) => {
    viz = undefined;
    throw e;
  });
  const result = (await viz).render(dot, { format: 'svg' });
  if (result.status === 'failure') {
    const reasons = result.errors.map((e) => e.message.trim()).join('; ');
    throw new Error(`Graphviz could not lay out the graph: ${reasons || 'unknown error'}`);
  }
  return result.output;
}
