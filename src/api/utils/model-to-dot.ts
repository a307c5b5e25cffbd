import type { LayerGraphNode } from '../engine-types.js';
import { formatShape, type Shape } from '../../ir/types.js';

/** What plotModel needs from a model: its per-layer description (Sequential and Model both give it). */
export interface PlottableModel {
  layerGraph(): readonly LayerGraphNode[];
}

export type RankDir = 'TB' | 'LR' | 'BT' | 'RL';

/**
 * Fonts whose metrics Graphviz knows, so boxes fit their text: Helvetica for SVG (viewers have it or
 * a metric-compatible Arial), DejaVu Sans for PNG (the font the rasterizer draws with).
 */
export type DotFont = 'Helvetica' | 'DejaVu Sans';

export interface ModelToDotOptions {
  /** Show each layer's input and output shapes (Keras default: false). */
  showShapes?: boolean;
  /** Prefix each box with the layer's name (Keras default: true). */
  showLayerNames?: boolean;
  /** Graphviz rank direction: 'TB' vertical, 'LR' horizontal (Keras default: 'TB'). */
  rankdir?: RankDir;
  /** Written as the graph's dpi attribute when given, as Keras does. */
  dpi?: number;
}

const RANKDIRS: readonly RankDir[] = ['TB', 'LR', 'BT', 'RL'];

export function checkDpi(dpi: number | undefined): void {
  if (dpi !== undefined && !(Number.isFinite(dpi) && dpi > 0)) {
    throw new Error(`plotModel: dpi must be a positive number, got ${dpi}`);
  }
}

/**
 * Escapes text for a Graphviz HTML-like label. Every user string (layer and class names) goes into
 * HTML labels rather than quoted DOT strings, because quoted strings carry a second layer of
 * backslash escapes (`\n`, `\l`, `\N`...) that is easy to get wrong; HTML labels only need XML
 * escaping. Newlines become line breaks; other control characters and lone surrogates are not
 * allowed in XML at all, so they are shown as visible escapes instead of breaking the parser.
 */
export function escapeDotHtml(text: string): string {
  return text.replace(/[&<>"'\n\r\t\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&#39;';
      case '\n': return '<BR/>';
      case '\r': return '';
      case '\t': return ' ';
      default: {
        const code = c.charCodeAt(0);
        // Lone surrogates cannot be encoded as UTF-8; show the replacement character.
        if (code >= 0xd800 && code <= 0xdfff) return '\ufffd';
        return `\\x${code.toString(16).padStart(2, '0')}`;
      }
    }
  });
}

/** Keras prints one shape plainly and several as a list. */
function formatShapes(shapes: readonly Shape[]): string {
  if (shapes.length === 0) return '?';
  if (shapes.length === 1) return formatShape(shapes[0]);
  return `[${shapes.map(formatShape).join(', ')}]`;
}

function nodeLabel(layer: LayerGraphNode, showShapes: boolean, showLayerNames: boolean): string {
  const title = escapeDotHtml(showLayerNames ? `${layer.name}: ${layer.className}` : layer.className);
  if (!showShapes) return `<${title}>`;
  // An Input layer has no inbound tensor; Keras shows its input shape as its output shape.
  const inputs = escapeDotHtml(formatShapes(layer.inputShapes.length > 0 ? layer.inputShapes : layer.outputShapes));
  const outputs = escapeDotHtml(formatShapes(layer.outputShapes));
  // The same three-column box Keras draws with a record shape: title | input:/output: | shapes.
  return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">' +
    `<TR><TD ROWSPAN="2">${title}</TD><TD>input:</TD><TD>${inputs}</TD></TR>` +
    `<TR><TD>output:</TD><TD>${outputs}</TD></TR></TABLE>>`;
}

/**
 * Builds the Graphviz DOT text of a model's layer graph, one box per layer and one edge per
 * distinct inbound connection, as `keras.utils.model_to_dot` does. Node identifiers are
 * generated (`layer0`, `layer1`, ...) so no user string ever appears outside an escaped label.
 */
export function modelToDot(model: PlottableModel, options: ModelToDotOptions = {}, fontname: DotFont = 'Helvetica'): string {
  const { showShapes = false, showLayerNames = true, rankdir = 'TB', dpi } = options;
  if (!RANKDIRS.includes(rankdir)) {
    throw new Error(`plotModel: rankdir must be one of ${RANKDIRS.join(', ')}, got ${JSON.stringify(rankdir)}`);
  }
  checkDpi(dpi);
  const layers = model.layerGraph();
  const ids = new Map<string, string>();
  layers.forEach((layer, i) => {
    if (ids.has(layer.name)) throw new Error(`plotModel: two layers are named ${JSON.stringify(layer.name)}; layer names must be unique`);
    ids.set(layer.name, `layer${i}`);
  });

  const lines = ['digraph model {', `  graph [rankdir=${rankdir}, concentrate=true${dpi === undefined ? '' : `, dpi=${dpi}`}];`];
  lines.push(`  node [shape=${showShapes ? 'plaintext' : 'box'}, fontname="${fontname}"];`);
  layers.forEach((layer, i) => lines.push(`  layer${i} [label=${nodeLabel(layer, showShapes, showLayerNames)}];`));
  const edges = new Set<string>();
  for (const layer of layers) {
    for (const from of layer.inbound) {
      const source = ids.get(from);
      if (source === undefined) {
        throw new Error(`plotModel: layer ${JSON.stringify(layer.name)} has inbound layer ${JSON.stringify(from)}, which is not in the model's layer graph`);
      }
      const edge = `  ${source} -> ${ids.get(layer.name)};`;
      if (!edges.has(edge)) {
        edges.add(edge);
        lines.push(edge);
      }
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
