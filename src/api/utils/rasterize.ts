import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The rasterizer, initialised once: resvg compiled to WebAssembly, with a font it can use. */
interface Rasterizer {
  render(svg: string, zoom: number): Uint8Array;
}

let rasterizer: Promise<Rasterizer> | undefined;

/**
 * resvg in WebAssembly has no access to system fonts, so the labels would vanish without a font
 * buffer; DejaVu Sans ships as plain TTF files on npm. Both are loaded lazily so that writing .dot
 * or .svg never pays for them.
 */
async function load(): Promise<Rasterizer> {
  const { initWasm, Resvg } = await import('@resvg/resvg-wasm');
  const [wasm, font] = await Promise.all([
    readFile(require.resolve('@resvg/resvg-wasm/index_bg.wasm')),
    readFile(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
  ]);
  await initWasm(wasm);
  const family = 'DejaVu Sans';
  return {
    render(svg, zoom) {
      const resvg = new Resvg(svg, {
        background: 'white',
        fitTo: { mode: 'zoom', value: zoom },
        font: {
          fontBuffers: [font],
          loadSystemFonts: false,
          // Graphviz asks for Helvetica / sans-serif (or Times); map every family to the one we have.
          defaultFontFamily: family, sansSerifFamily: family, serifFamily: family, monospaceFamily: family,
        },
      });
      return resvg.render().asPng();
    },
  };
}

/**
 * Rasterizes an SVG to PNG bytes at the given dots per inch. Graphviz writes SVG in points (1/72 in)
 * and resvg reads them at 96 px per inch, so a zoom of dpi / 96 gives the requested resolution.
 */
export async function svgToPng(svg: string, dpi: number): Promise<Uint8Array> {
  // A failed load is not cached, so a later call can retry (say, after installing a missing package).
  rasterizer ??= load().catch((e: unknown) => {
    rasterizer = undefined;
    throw e;
  });
  return (await rasterizer).render(svg, dpi / 96);
}
