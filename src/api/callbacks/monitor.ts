/**
 * Keras 3's MonitorCallback rule for which way a monitored value improves: 'min' / 'max' as given;
 * 'auto' minimises `loss` / `val_loss`, and otherwise asks the compiled metric of that name for
 * its direction (Keras's `metric._direction`: accuracies, AUC, precision, recall, F1, R2 go up;
 * errors and crossentropies go down). A name no compiled metric answers for is Keras's error.
 */
import { lossFunctionByName } from '../losses.js';
import { Metric, statefulRegistry, type MetricIdentifier } from '../metrics.js';
import { StatefulMetric } from '../metrics/stateful.js';
import type { TrainableModel } from '../training/types.js';

export type Mode = 'auto' | 'min' | 'max';
export type Direction = 'up' | 'down';

const snake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** The direction Keras gives the metric class or function of this snake_case name, if any. */
function directionOfName(name: string): Direction | undefined {
  if (/(^|_)acc(uracy)?$|^auc$|precision|recall|^r2_score$|^f1_score$|^f_?beta_score$|io_u$|cosine_similarity|correlation/.test(name)) return 'up';
  if (/error$|crossentropy|hinge|divergence|^kld$|poisson|cosh|^ms(l)?e$|^mae$|^mape$|^rmse$/.test(name)) return 'down';
  return lossFunctionByName(name) !== undefined ? 'down' : undefined;
}

/** The logged name and direction of one compile() metric identifier. */
function describe(identifier: MetricIdentifier): { name: string; direction?: Direction } {
  if (typeof identifier === 'string') {
    const stateful = statefulRegistry.find(identifier);
    const name = stateful === undefined ? identifier : stateful().name;
    return { name, direction: directionOfName(snake(identifier)) };
  }
  if (identifier instanceof Metric || identifier instanceof StatefulMetric) {
    return { name: identifier.name, direction: directionOfName(snake(identifier.constructor.name)) ?? directionOfName(identifier.name) };
  }
  // A plain function: Keras marks only its own loss functions as 'down'.
  return { name: identifier.name };
}

/** Resolves `mode` for `monitor` against the model's compiled metrics, as Keras's _set_monitor_op. */
export function monitorDirection(model: TrainableModel | undefined, monitor: string, mode: Mode, who: string): Direction {
  if (mode === 'min') return 'down';
  if (mode === 'max') return 'up';
  const metricName = monitor.startsWith('val_') ? monitor.slice(4) : monitor;
  let direction: Direction | undefined = metricName === 'loss' ? 'down' : undefined;
  const compiled = model?.compiled;
  if (compiled !== undefined) {
    for (const perOutput of [...compiled.metrics, ...compiled.weightedMetrics]) {
      for (const identifier of perOutput) {
        const d = describe(identifier);
        if (d.name === metricName && d.direction !== undefined) direction = d.direction;
      }
    }
  }
  if (direction === undefined) {
    throw new Error(
      `${who} callback received monitor=${monitor}, but Keras isn't able to automatically determine whether that metric should be maximized or minimized. ` +
        "Pass `mode='max'` in order to monitor based on the highest metric value, or pass `mode='min'` in order to use the lowest value.",
    );
  }
  return direction;
}

export function checkMode(mode: string, who: string): Mode {
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new Error(`${who}: mode must be 'auto', 'min' or 'max', got '${mode}'`);
  return mode;
}
